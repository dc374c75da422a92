/* switchboard operator console. Plain JavaScript; every untrusted string goes through textContent. */
(function () {
  "use strict";
  var API = "api/";
  var state = { me: null, current: null, queues: [], canned: [], outcomes: [], events: null, pollTimer: null };

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k];
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function announce(text) { var a = $("announcer"); a.textContent = ""; setTimeout(function () { a.textContent = text; }, 30); }

  function call(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(API + path, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var err = new Error((data && data.error && data.error.message) || ("HTTP " + resp.status));
          err.status = resp.status; err.code = data && data.error && data.error.code;
          throw err;
        }
        return data;
      });
    });
  }

  function waited(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + "s";
    var m = Math.floor(seconds / 60);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  // -- sign in -----------------------------------------------------------------------------------
  function showLogin() {
    $("login-view").hidden = false; $("app-view").hidden = true; $("whoami").hidden = true;
    if (state.events) { state.events.close(); state.events = null; }
    if (state.pollTimer) { clearInterval(state.pollTimer); state.pollTimer = null; }
    $("username").focus();
  }
  function showApp() {
    $("login-view").hidden = true; $("app-view").hidden = false; $("whoami").hidden = false;
    $("operator-name").textContent = state.me.name + " (" + state.me.role + ")";
    Promise.all([call("GET", "canned"), call("GET", "meta")]).then(function (res) {
      state.canned = res[0].replies; state.outcomes = res[1].outcomes; state.allQueues = res[1].queues;
      fillSelect($("canned"), [{ value: "", label: "Choose an approved reply…" }].concat(state.canned.map(function (c) { return { value: c.id, label: c.title }; })));
      fillSelect($("outcome"), state.outcomes.map(function (o) { return { value: o.id, label: o.label }; }));
      fillSelect($("transfer-queue"), state.allQueues.map(function (q) { return { value: q.id, label: q.name }; }));
    });
    refresh();
    listen();
    state.pollTimer = setInterval(refresh, 10000);
  }
  function fillSelect(select, items) {
    select.textContent = "";
    items.forEach(function (i) { select.appendChild(el("option", { value: i.value }, i.label)); });
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var err = $("login-error"); err.hidden = true;
    call("POST", "login", { username: $("username").value, password: $("password").value })
      .then(function (data) { state.me = data.operator; $("password").value = ""; showApp(); announce("Signed in"); $("main").focus(); })
      .catch(function (e) { err.textContent = e.message; err.hidden = false; err.focus && err.focus(); });
  });
  $("logout").addEventListener("click", function () {
    call("POST", "logout").finally(function () { state.me = null; state.current = null; showLogin(); announce("Signed out"); });
  });

  // -- queues ------------------------------------------------------------------------------------
  function refresh() {
    call("GET", "queues").then(renderQueues).catch(function (e) { if (e.status === 401) showLogin(); });
    call("GET", "history").then(renderHistory).catch(function () {});
    if (state.current) openConversation(state.current, true);
  }
  function renderQueues(data) {
    var list = $("queue-list"); list.textContent = "";
    data.queues.forEach(function (q) {
      var box = el("div", { class: "queue" });
      box.appendChild(el("h3", {}, q.name + (q.open ? "" : " (closed)") + " – " + q.waiting.length + " waiting"));
      var ul = el("ul");
      q.waiting.forEach(function (c) {
        var label = (c.emergency ? "EMERGENCY · " : "") + "Priority " + c.priority + " · " + (c.intent || "no category") +
          " · " + c.risk_level + " risk · waiting " + waited(c.waited_seconds) + (c.language === "cy" ? " · Cymraeg" : "");
        var btn = el("button", { type: "button", class: "waiting" + (c.priority >= 2 ? " urgent" : ""), "data-id": c.id,
          onclick: function () { claim(c.id); } }, "Claim: " + label);
        var li = el("li"); li.appendChild(btn); ul.appendChild(li);
      });
      if (!q.waiting.length) ul.appendChild(el("li", {}, "Nobody waiting"));
      box.appendChild(ul); list.appendChild(box);
    });
  }
  function renderHistory(data) {
    var ul = $("history-list"); ul.textContent = "";
    data.conversations.forEach(function (c) {
      var li = el("li");
      li.appendChild(el("button", { type: "button", class: "secondary", onclick: function () { openConversation(c.id); } },
        (c.intent || "chat") + " · " + (c.outcome || c.status)));
      ul.appendChild(li);
    });
    if (!data.conversations.length) ul.appendChild(el("li", {}, "No chats yet"));
  }

  function claim(id) {
    call("POST", "conversations/" + encodeURIComponent(id) + "/claim")
      .then(function () { announce("Chat claimed"); openConversation(id); refresh(); })
      .catch(function (e) { announce(e.code === "already_claimed" ? "Another operator has already claimed that chat" : e.message); refresh(); });
  }

  // -- one conversation --------------------------------------------------------------------------
  function openConversation(id, quiet) {
    return call("GET", "conversations/" + encodeURIComponent(id)).then(function (data) {
      var first = state.current !== id; state.current = id;
      renderConversation(data);
      if (first && !quiet) $("reply").focus();
    }).catch(function (e) { if (!quiet) announce(e.message); });
  }
  function renderConversation(data) {
    var mine = data.state.status === "with_operator" && data.operator === (state.me && state.me.username);
    $("chat-title").textContent = "Chat " + data.id.slice(0, 8) + (data.state.emergency ? " – EMERGENCY" : "");
    $("chat-status").textContent = "Status: " + data.state.status.replace("_", " ") + (data.state.queue ? " · queue " + data.state.queue : "") +
      " · language " + (data.state.language === "cy" ? "Welsh (Cymraeg)" : "English");
    var list = $("transcript"); var prevCount = list.children.length; list.textContent = "";
    data.messages.forEach(function (m) {
      var li = el("li", { class: m.role });
      li.appendChild(el("span", { class: "role" }, m.role === "visitor" ? "Visitor" : m.role === "operator" ? (m.author || "Operator") : m.role === "bot" ? "Bot" : "System"));
      li.appendChild(el("span", {}, m.text));
      list.appendChild(li);
    });
    if (data.messages.length > prevCount) list.scrollTop = list.scrollHeight;
    $("reply-form").hidden = !mine; $("transfer-form").hidden = !mine; $("close-form").hidden = !mine;
    renderCard(data.card);
  }
  function renderCard(card) {
    var body = $("card-body"); body.textContent = "";
    if (!card) { body.appendChild(el("p", {}, "No card")); return; }
    var dl = el("dl");
    function row(term, value) {
      dl.appendChild(el("dt", {}, term));
      dl.appendChild(el("dd", {}, value === undefined || value === null || value === "" ? "Not known" : value));
    }
    ["threat", "harm", "risk", "investigation", "vulnerability", "engagement"].forEach(function (k) {
      row(k.charAt(0).toUpperCase() + k.slice(1), card.thrive[k]);
    });
    row("Category", card.intent);
    row("Language", card.language === "cy" ? "Welsh (Cymraeg)" : "English");
    row("Waiting", waited(card.waited_seconds));
    row("Handed over because", (card.handover_reasons || []).join(", "));
    body.appendChild(dl);
    body.appendChild(el("h3", {}, "Risk signals"));
    var sig = el("ul");
    (card.signals || []).forEach(function (s) {
      sig.appendChild(el("li", {}, s.level + " · " + s.category + " · " + (s.rule_id || s.model_version || s.plugin) +
        (s.matched_text ? " · matched \u201c" + s.matched_text + "\u201d" : "") + (s.score !== null && s.score !== undefined ? " · score " + Number(s.score).toFixed(2) : "")));
    });
    if (!(card.signals || []).length) sig.appendChild(el("li", {}, "None"));
    body.appendChild(sig);
    body.appendChild(el("h3", {}, "Details collected"));
    var det = el("dl");
    Object.keys(card.details || {}).forEach(function (k) { det.appendChild(el("dt", {}, k.replace(/_/g, " "))); det.appendChild(el("dd", {}, card.details[k])); });
    if (!Object.keys(card.details || {}).length) det.appendChild(el("dd", {}, "None yet"));
    body.appendChild(det);
  }

  $("canned").addEventListener("change", function () {
    var chosen = state.canned.filter(function (c) { return c.id === $("canned").value; })[0];
    if (chosen) { $("reply").value = chosen.text; $("reply").focus(); }
  });
  $("reply-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("reply").value.trim(); if (!text || !state.current) return;
    call("POST", "conversations/" + encodeURIComponent(state.current) + "/messages", { text: text })
      .then(function () { $("reply").value = ""; $("canned").value = ""; announce("Reply sent"); openConversation(state.current, true); })
      .catch(function (e) { announce("Reply not sent: " + e.message); });
  });
  $("transfer-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    call("POST", "conversations/" + encodeURIComponent(state.current) + "/transfer", { queue: $("transfer-queue").value, reason: $("transfer-reason").value })
      .then(function () { announce("Chat transferred"); $("transfer-reason").value = ""; openConversation(state.current, true); refresh(); })
      .catch(function (e) { announce("Not transferred: " + e.message); });
  });
  $("close-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    call("POST", "conversations/" + encodeURIComponent(state.current) + "/close", { outcome: $("outcome").value })
      .then(function () { announce("Chat closed"); openConversation(state.current, true); refresh(); })
      .catch(function (e) { announce("Not closed: " + e.message); });
  });

  // -- live updates ------------------------------------------------------------------------------
  function listen() {
    if (!window.EventSource) return;
    if (state.events) state.events.close();
    state.events = new EventSource(API + "events");
    state.events.onmessage = function (ev) {
      var data = {}; try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.conversation_id && data.conversation_id === state.current) openConversation(state.current, true);
      if (data.type !== "message" || data.conversation_id !== state.current) refreshQueuesOnly();
    };
  }
  function refreshQueuesOnly() { call("GET", "queues").then(renderQueues).catch(function () {}); }

  call("GET", "me").then(function (data) { state.me = data.operator; showApp(); }).catch(showLogin);
})();
