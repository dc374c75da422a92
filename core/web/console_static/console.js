/* switchboard operator console. Plain JavaScript; every untrusted string goes through textContent
   (never innerHTML). Keyboard first: every action is a native button, select or form, focus is
   kept when lists refresh, and new events are read out through a polite live region. */
(function () {
  "use strict";
  var API = "api/";
  var RISK_ORDER = { immediate: 3, high: 2, elevated: 1, none: 0 };
  var state = {
    me: null, current: null, currentData: null, rendered: {}, canned: [], outcomes: [], queues: [],
    events: null, pollTimer: null, seenWaiting: null, cannedUsed: null, refreshTimer: null,
    outcomeOf: {}  // conversation id -> outcome code (the conversation payload has no outcome yet)
  };

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
  var announceTimer = null;
  function announce(text) {
    var a = $("announcer"); a.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () { a.textContent = text; }, 50);
  }
  function notice(text) {
    // The alert region stays in the document (empty = not shown) so inserting text is announced.
    $("notice").textContent = text || "";
  }
  function showError(id, text) { var e = $(id); e.textContent = text || ""; e.hidden = !text; }

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
  function convPath(id, tail) { return "conversations/" + encodeURIComponent(id) + (tail || ""); }

  // -- wording -------------------------------------------------------------------------------------
  function waited(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    if (seconds < 60) return seconds + " s";
    var m = Math.floor(seconds / 60);
    return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }
  function words(code) { return String(code || "").replace(/_/g, " "); }
  function sentence(text) { text = String(text || ""); return text.charAt(0).toUpperCase() + text.slice(1); }
  // Queue names in the force config are written for visitors ("our contact centre").
  function queueName(id) {
    var q = state.queues.filter(function (x) { return x.id === id; })[0];
    return q ? staffName(q.name) : words(id);
  }
  function staffName(name) { return sentence(String(name || "").replace(/^(our|the)\s+/i, "")); }
  function outcomeLabel(id) {
    var o = state.outcomes.filter(function (x) { return x.id === id; })[0];
    return o ? o.label : words(id);
  }
  function language(code) { return code === "cy" ? "Welsh (Cymraeg)" : "English"; }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }
  function roleLabel(m) {
    if (m.role === "visitor") return "Visitor";
    if (m.role === "operator") return m.author || "Operator";
    return m.role === "bot" ? "Bot" : "System";
  }

  // -- sign in -------------------------------------------------------------------------------------
  function showLogin() {
    $("login-view").hidden = false; $("app-view").hidden = true; $("whoami").hidden = true;
    if (state.events) { state.events.close(); state.events = null; }
    if (state.pollTimer) { clearInterval(state.pollTimer); state.pollTimer = null; }
    state.seenWaiting = null;
    clearChat();
    $("username").focus();
  }
  function showApp() {
    $("login-view").hidden = true; $("app-view").hidden = false; $("whoami").hidden = false;
    $("operator-name").textContent = state.me.name + " (" + state.me.role + ")";
    Promise.all([call("GET", "canned"), call("GET", "meta")]).then(function (res) {
      state.canned = res[0].replies; state.outcomes = res[1].outcomes; state.queues = res[1].queues;
      fillSelect($("canned"), [{ value: "", label: "Choose an approved reply…" }].concat(
        state.canned.map(function (c) { return { value: c.id, label: c.title }; })));
      fillSelect($("outcome"), [{ value: "", label: "Choose an outcome…" }].concat(
        state.outcomes.map(function (o) { return { value: o.id, label: o.label }; })));
      fillSelect($("transfer-queue"), state.queues.map(function (q) { return { value: q.id, label: staffName(q.name) }; }));
      refresh();
    }).catch(function (e) { if (e.status === 401) showLogin(); else notice("Could not load the console: " + e.message); });
    listen();
    state.pollTimer = setInterval(refresh, 10000);
  }
  function fillSelect(select, items) {
    select.textContent = "";
    items.forEach(function (i) { select.appendChild(el("option", { value: i.value }, i.label)); });
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    showError("login-error", "");
    var user = $("username").value.trim(), pass = $("password").value;
    if (!user || !pass) { showError("login-error", "Enter your username and password."); (user ? $("password") : $("username")).focus(); return; }
    call("POST", "login", { username: user, password: pass })
      .then(function (data) {
        state.me = data.operator; $("password").value = ""; notice("");
        showApp(); announce("Signed in as " + data.operator.name); $("queues-title").focus();
      })
      .catch(function (e) { showError("login-error", e.message); $("password").focus(); });
  });
  $("logout").addEventListener("click", function () {
    call("POST", "logout").catch(function () {}).then(function () {
      state.me = null; notice(""); showLogin(); announce("Signed out");
    });
  });

  // -- queues and history --------------------------------------------------------------------------
  function refresh() {
    refreshQueues();
    refreshHistory();
    if (state.current) openConversation(state.current, true);
  }
  function refreshHistory() { return call("GET", "history").then(renderHistory).catch(function () {}); }
  function refreshQueues() {
    return call("GET", "queues").then(renderQueues).catch(function (e) { if (e.status === 401) showLogin(); });
  }
  // Re-rendering a list must not drop the keyboard user's place: remember what had focus.
  function keepFocus(container, render) {
    var active = document.activeElement;
    var key = active && container.contains(active) ? active.getAttribute("data-id") : null;
    render();
    if (key) {
      var again = container.querySelector('[data-id="' + key.replace(/["\\]/g, "") + '"]');
      if (again) again.focus(); else $("queues-title").focus();
    }
  }
  function renderQueues(data) {
    var list = $("queue-list"), total = 0, seen = {}, fresh = [];
    keepFocus(list, function () {
      list.textContent = "";
      data.queues.forEach(function (q) {
        var box = el("div", { class: "queue" + (q.waiting.length ? "" : " empty") });
        var head = el("h3", {});
        head.appendChild(el("span", { class: "name" }, staffName(q.name)));
        head.appendChild(document.createTextNode(" "));
        if (!q.open) { head.appendChild(el("span", { class: "badge closed" }, "closed")); head.appendChild(document.createTextNode(" ")); }
        head.appendChild(el("span", { class: "count" }, q.waiting.length + " waiting"));
        box.appendChild(head);
        if (q.waiting.length) {
          var ul = el("ul");
          q.waiting.forEach(function (c) {
            total += 1; seen[c.id] = true;
            if (state.seenWaiting && !state.seenWaiting[c.id]) fresh.push([q, c]);
            ul.appendChild(el("li", {}, null)).appendChild(waitingButton(c));
          });
          box.appendChild(ul);
        }
        list.appendChild(box);
      });
    });
    $("waiting-total").textContent = total ? "(" + total + " waiting)" : "(nobody waiting)";
    if (fresh.length) {
      var c = fresh[0][1];
      announce((c.emergency ? "Emergency chat" : "New chat") + " waiting in " + staffName(fresh[0][0].name) +
        (fresh.length > 1 ? " and " + (fresh.length - 1) + " more" : ""));
    }
    state.seenWaiting = seen;
  }
  function waitingButton(c) {
    var urgent = c.emergency || (RISK_ORDER[c.risk_level] || 0) >= 2;
    var btn = el("button", { type: "button", class: "waiting" + (urgent ? " urgent" : ""), "data-id": c.id,
      onclick: function () { claim(c.id, btn); } });
    var line1 = el("span", { class: "line" });
    // explicit spaces: inline spans would otherwise run together in the accessible name
    line1.appendChild(el("span", { class: "verb" }, "Claim"));
    line1.appendChild(document.createTextNode(" "));
    if (c.emergency) { line1.appendChild(el("span", { class: "badge emergency" }, "Emergency")); line1.appendChild(document.createTextNode(" ")); }
    if (c.visitor_left) { line1.appendChild(el("span", { class: "badge emergency" }, "Visitor left at risk")); line1.appendChild(document.createTextNode(" ")); }
    line1.appendChild(el("strong", {}, c.intent || "Not yet categorised"));
    btn.appendChild(line1);
    btn.appendChild(document.createTextNode(" "));
    var details = ["waiting " + waited(c.waited_seconds), "priority " + c.priority, "risk " + c.risk_level];
    if (c.language === "cy") details.push("Cymraeg");
    btn.appendChild(el("span", { class: "line meta" }, sentence(details.join(" · "))));
    return btn;
  }
  function renderHistory(data) {
    var ul = $("history-list");
    keepFocus(ul, function () {
      ul.textContent = "";
      data.conversations.forEach(function (c) {
        if (c.outcome) state.outcomeOf[c.id] = c.outcome;
        var li = el("li");
        var status = c.outcome ? "Closed: " + outcomeLabel(c.outcome) : c.status === "with_operator" ? "Open with you" : words(c.status);
        var btn = el("button", { type: "button", class: "link", "data-id": c.id, onclick: function () { openConversation(c.id); } });
        btn.appendChild(el("span", {}, (c.intent || "Chat") + " · " + status));
        btn.appendChild(el("span", { class: "meta" }, " " + clock(c.updated_at)));
        li.appendChild(btn); ul.appendChild(li);
      });
      if (!data.conversations.length) ul.appendChild(el("li", { class: "status" }, "No chats yet"));
    });
  }

  function claim(id, btn) {
    notice("");
    if (btn) btn.disabled = true;
    call("POST", convPath(id, "/claim"))
      .then(function () { announce("Chat claimed"); openConversation(id); refreshQueues(); refreshHistory(); })
      .catch(function (e) {
        var msg = e.code === "already_claimed" ? "Another operator has already claimed that chat." : "Could not claim the chat: " + e.message;
        notice(msg);
        refreshQueues().then(function () { if (!$("queue-list").contains(document.activeElement)) $("queues-title").focus(); });
      });
  }

  // -- one conversation ----------------------------------------------------------------------------
  function clearChat() {
    state.current = null; state.currentData = null; state.rendered = {};
    $("chat-title").textContent = "No chat open";
    $("chat-status").textContent = "Claim a waiting chat from My queues to start.";
    $("transcript").textContent = ""; $("transcript").hidden = true;
    $("reply-form").hidden = true; $("chat-actions").hidden = true;
    $("card-body").textContent = "";
    $("card-body").appendChild(el("p", { class: "status" }, "The card appears when you open a chat."));
  }
  function openConversation(id, quiet) {
    return call("GET", convPath(id)).then(function (data) {
      var first = state.current !== id;
      if (first) { state.rendered = {}; $("transcript").textContent = ""; showError("close-error", ""); showError("transfer-error", ""); }
      state.current = id;
      renderConversation(data, first);
      if (first && !quiet) (isMine(data) ? $("reply") : $("chat-title")).focus();
    }).catch(function (e) {
      if (quiet && (e.status === 403 || e.status === 404) && state.current === id) clearChat();
      else if (!quiet) notice("Could not open the chat: " + e.message);
    });
  }
  function isMine(data) { return data.state.status === "with_operator" && data.operator === (state.me && state.me.username); }
  function renderConversation(data, first) {
    var mine = isMine(data), st = data.state, card = data.card || {};
    state.currentData = data;
    var title = $("chat-title");
    title.textContent = "";
    if (st.emergency) { title.appendChild(el("span", { class: "badge emergency" }, "Emergency")); title.appendChild(document.createTextNode(" ")); }
    title.appendChild(document.createTextNode(card.intent ? card.intent + " · chat " + data.id.slice(0, 8) : "Chat " + data.id.slice(0, 8)));
    var status;
    if (mine) status = "You are handling this chat";
    else if (st.status === "closed") {
      var outcome = data.outcome || st.outcome || state.outcomeOf[data.id];
      status = "Closed" + (outcome ? ": " + outcomeLabel(outcome) : "");
    }
    else if (st.status === "queued") status = "Waiting in " + queueName(st.queue);
    else if (st.status === "with_operator") status = "With " + (data.operator || "another operator");
    else status = sentence(words(st.status));
    $("chat-status").textContent = status + (st.queue ? " · " + queueName(st.queue) : "") + " · " + language(st.language);
    var list = $("transcript"), added = [];
    list.hidden = false;
    data.messages.forEach(function (m) {
      var key = m.id || (m.at + m.role + m.text);
      if (state.rendered[key]) return;
      state.rendered[key] = true;
      var li = el("li", { class: "msg " + m.role, "data-role": m.role });
      var head = el("span", { class: "who" }, roleLabel(m));
      li.appendChild(head);
      if (m.at) li.appendChild(el("time", { datetime: m.at, class: "at" }, clock(m.at)));
      li.appendChild(el("span", { class: "text" }, m.text));
      list.appendChild(li);
      added.push(m);
    });
    if (added.length) list.scrollTop = list.scrollHeight;
    if (!first) {
      added.filter(function (m) { return m.role === "visitor" || (m.role === "system" && !mine); }).forEach(function (m) {
        announce(roleLabel(m) + ": " + m.text);
      });
    }
    $("reply-form").hidden = !mine; $("chat-actions").hidden = !mine;
    renderCard(card);
  }

  function renderCard(card) {
    var body = $("card-body"); body.textContent = "";
    if (!card || !card.thrive) { body.appendChild(el("p", {}, "No card for this chat.")); return; }
    if (card.emergency) body.appendChild(el("p", { class: "alert" }, "Emergency: the visitor was told to call 999."));
    var dl = el("dl", { class: "thrive" });
    function row(parent, term, value) {
      parent.appendChild(el("dt", {}, term));
      parent.appendChild(el("dd", {}, value === undefined || value === null || value === "" ? "Not known" : value));
    }
    ["threat", "harm", "risk", "investigation", "vulnerability", "engagement"].forEach(function (k) {
      row(dl, sentence(k), card.thrive[k]);
    });
    body.appendChild(dl);

    body.appendChild(el("h3", {}, "Risk signals"));
    var signals = card.signals || [];
    var sig = el("ul", { class: "signals" });
    signals.forEach(function (s) {
      var li = el("li", { class: "signal " + (s.level || "none") });
      li.appendChild(el("span", { class: "badge " + (s.level || "none") }, s.level || "none"));
      li.appendChild(el("span", {}, " " + words(s.category) + (s.reason ? " – " + s.reason : "")));
      var why = [s.rule_id || s.model_version || s.plugin];
      if (s.matched_text) why.push("matched \u201c" + s.matched_text + "\u201d");
      if (s.score !== null && s.score !== undefined) why.push("score " + Number(s.score).toFixed(2));
      li.appendChild(el("span", { class: "meta" }, " (" + why.filter(Boolean).join(", ") + ")"));
      sig.appendChild(li);
    });
    if (!signals.length) sig.appendChild(el("li", {}, "None"));
    body.appendChild(sig);

    body.appendChild(el("h3", {}, "Details collected"));
    var keys = Object.keys(card.details || {});
    if (keys.length) {
      var det = el("dl");
      keys.forEach(function (k) { row(det, sentence(words(k)), card.details[k]); });
      body.appendChild(det);
    } else body.appendChild(el("p", {}, "None yet"));

    body.appendChild(el("h3", {}, "Handover"));
    var more = el("dl");
    row(more, "Handed over because", (card.handover_reasons || []).map(words).join(", "));
    row(more, "Queue", card.queue ? queueName(card.queue) + " (priority " + card.priority + ")" : "");
    row(more, "Time since handover", waited(card.waited_seconds));
    if (card.reference) row(more, "Chat reference", card.reference);
    body.appendChild(more);
  }

  // -- replying, closing, transferring ---------------------------------------------------------------
  $("use-canned").addEventListener("click", function () {
    var chosen = state.canned.filter(function (c) { return c.id === $("canned").value; })[0];
    if (!chosen) { $("canned").focus(); announce("Choose an approved reply first"); return; }
    var box = $("reply");
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + chosen.text : chosen.text;
    state.cannedUsed = chosen;
    box.focus();
    announce("Approved reply added: " + chosen.title);
  });
  function sendReply() {
    var text = $("reply").value.trim(); if (!text || !state.current) { $("reply").focus(); return; }
    var body = { text: text };
    if (state.cannedUsed && text.indexOf(state.cannedUsed.text) !== -1) body.canned_id = state.cannedUsed.id;
    var id = state.current;
    call("POST", convPath(id, "/messages"), body)
      .then(function () {
        $("reply").value = ""; $("canned").value = ""; state.cannedUsed = null;
        announce("Reply sent"); openConversation(id, true);
      })
      .catch(function (e) { notice("Reply not sent: " + e.message); });
  }
  $("reply-form").addEventListener("submit", function (ev) { ev.preventDefault(); sendReply(); });
  $("reply").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); sendReply(); }
  });
  $("transfer-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var reason = $("transfer-reason").value.trim();
    if (!reason) { showError("transfer-error", "Give a reason for the transfer."); $("transfer-reason").setAttribute("aria-invalid", "true"); $("transfer-reason").focus(); return; }
    showError("transfer-error", ""); $("transfer-reason").removeAttribute("aria-invalid");
    var target = $("transfer-queue").value;
    call("POST", convPath(state.current, "/transfer"), { queue: target, reason: reason })
      .then(function () {
        $("transfer-reason").value = "";
        announce("Chat transferred to " + queueName(target));
        openConversation(state.current, true); refresh(); $("chat-title").focus();
      })
      .catch(function (e) { showError("transfer-error", "Not transferred: " + e.message); });
  });
  $("close-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var outcome = $("outcome").value;
    if (!outcome) { showError("close-error", "Choose an outcome before closing the chat."); $("outcome").setAttribute("aria-invalid", "true"); $("outcome").focus(); return; }
    showError("close-error", ""); $("outcome").removeAttribute("aria-invalid");
    var id = state.current;
    call("POST", convPath(id, "/close"), { outcome: outcome })
      .then(function () {
        $("outcome").value = ""; state.outcomeOf[id] = outcome;
        return openConversation(id, true);
      })
      .then(function () { refresh(); $("chat-title").focus(); announce("Chat closed: " + outcomeLabel(outcome)); })
      .catch(function (e) { showError("close-error", "Not closed: " + e.message); });
  });
  ["outcome", "transfer-reason"].forEach(function (id) {
    $(id).addEventListener("change", function () { $(id).removeAttribute("aria-invalid"); });
  });

  // -- live updates --------------------------------------------------------------------------------
  function listen() {
    if (!window.EventSource) return;
    if (state.events) state.events.close();
    state.events = new EventSource(API + "events");
    state.events.onmessage = function (ev) {
      var data = {}; try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.conversation_id && data.conversation_id === state.current) openConversation(state.current, true);
      // Events arrive for every conversation; coalesce bursts into one queue refresh.
      clearTimeout(state.refreshTimer);
      state.refreshTimer = setTimeout(refreshQueues, 150);
    };
  }

  call("GET", "me").then(function (data) { state.me = data.operator; showApp(); }).catch(showLogin);
})();
