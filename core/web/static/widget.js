/*! switchboard chat widget (plain JavaScript, no build step).
 * Install with one tag:
 *   <script src="https://HOST/widget.js" data-site="SITE" defer></script>
 * Optional attributes: data-exit-url (quick-exit destination), data-title, data-open="true".
 * Visitor-facing text from the bot arrives through the API; these labels are the widget's own
 * controls. Untrusted text is only ever inserted with textContent, never as HTML.
 * Quick exit tells the server the visitor left (navigator.sendBeacon) before leaving the page;
 * "End chat" does the same after an inline confirmation and offers a new chat.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var found = document.querySelectorAll("script[data-site]");
    script = found[found.length - 1];
  }
  if (!script || window.__switchboardWidget) { return; }
  window.__switchboardWidget = true;

  var SITE = script.getAttribute("data-site") || "demo";
  var SRC = new URL(script.src, location.href);
  var BASE = SRC.origin + SRC.pathname.replace(/widget\.js$/, "");
  var API = BASE + "api/v1/conversations";
  var EXIT_URL = script.getAttribute("data-exit-url") || "https://www.bbc.co.uk/weather";
  var SESSION_KEY = "switchboard:" + SITE + ":session";
  var OUTBOX_KEY = "switchboard:" + SITE + ":outbox";
  var MAX_CHARS = 2000;

  var LABELS = {
    en: {
      title: script.getAttribute("data-title") || "Online chat",
      emergency: "In an emergency call 999",
      open: "Chat with us",
      minimise: "Minimise chat",
      exit: "Quick exit",
      exitHint: "Leave this site now",
      message: "Message",
      send: "Send",
      human: "Talk to a person",
      log: "Conversation",
      replies: "Quick replies",
      you: "You",
      bot: "Chat assistant",
      operator: "Member of staff",
      system: "Notice",
      sending: "Sending\u2026",
      waiting: "Not sent yet. It will be sent when the connection is back.",
      failed: "Not sent.",
      retry: "Try again",
      offline: "You are offline. Messages will be sent when you reconnect.",
      online: "Connected.",
      starting: "Starting the chat\u2026",
      startFailed: "The chat could not start. Please check your connection; it will try again.",
      tooLong: "Your message is too long. Please shorten it.",
      slowDown: "Please wait a moment before sending more.",
      queue: "You are number {n} in the queue.",
      queueWait: "You are number {n} in the queue. Expected wait: about {m} minutes.",
      ended: "This chat has ended.",
      endChat: "End chat",
      endConfirm: "Are you sure you want to end this chat?",
      endYes: "Yes, end chat",
      endNo: "No, keep chatting",
      ending: "Ending the chat\u2026",
      endFailed: "The chat could not be ended. Please check your connection and try again.",
      newChat: "Start a new chat",
      statement: "Accessibility statement",
      newTab: "(opens in a new tab)"
    },
    cy: {
      title: script.getAttribute("data-title") || "Sgwrs ar-lein",
      emergency: "Mewn argyfwng ffoniwch 999",
      open: "Sgwrsio \u00e2 ni",
      minimise: "Lleihau'r sgwrs",
      exit: "Gadael yn gyflym",
      exitHint: "Gadael y wefan hon nawr",
      message: "Neges",
      send: "Anfon",
      human: "Siarad \u00e2 pherson",
      log: "Sgwrs",
      replies: "Atebion cyflym",
      you: "Chi",
      bot: "Cynorthwyydd sgwrsio",
      operator: "Aelod o staff",
      system: "Hysbysiad",
      sending: "Yn anfon\u2026",
      waiting: "Heb ei anfon eto. Bydd yn cael ei anfon pan fydd y cysylltiad yn \u00f4l.",
      failed: "Heb ei anfon.",
      retry: "Rhowch gynnig arall arni",
      offline: "Rydych chi all-lein. Bydd negeseuon yn cael eu hanfon pan fyddwch chi'n ailgysylltu.",
      online: "Wedi cysylltu.",
      starting: "Yn dechrau'r sgwrs\u2026",
      startFailed: "Methodd y sgwrs \u00e2 dechrau. Gwiriwch eich cysylltiad; bydd yn ceisio eto.",
      tooLong: "Mae eich neges yn rhy hir. Byrhewch hi os gwelwch yn dda.",
      slowDown: "Arhoswch ennyd cyn anfon rhagor.",
      queue: "Chi yw rhif {n} yn y ciw.",
      queueWait: "Chi yw rhif {n} yn y ciw. Amser aros disgwyliedig: tua {m} munud.",
      ended: "Mae'r sgwrs hon wedi dod i ben.",
      endChat: "Gorffen y sgwrs",
      endConfirm: "Ydych chi'n si\u0175r eich bod eisiau gorffen y sgwrs hon?",
      endYes: "Ydw, gorffen y sgwrs",
      endNo: "Na, parhau i sgwrsio",
      ending: "Yn gorffen y sgwrs\u2026",
      endFailed: "Methwyd \u00e2 gorffen y sgwrs. Gwiriwch eich cysylltiad a rhowch gynnig arall arni.",
      newChat: "Dechrau sgwrs newydd",
      statement: "Datganiad hygyrchedd",
      newTab: "(yn agor mewn tab newydd)"
    }
  };

  var lang = (document.documentElement.lang || "en").slice(0, 2) === "cy" ? "cy" : "en";
  function t(key, values) {
    var s = (LABELS[lang] && LABELS[lang][key]) || LABELS.en[key] || key;
    if (values) { s = s.replace(/\{(\w+)\}/g, function (_, k) { return String(values[k]); }); }
    return s;
  }

  // ---- storage -------------------------------------------------------------------------------
  function load(key, fallback) {
    try { var v = sessionStorage.getItem(key); return v ? JSON.parse(v) : fallback; } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { sessionStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: keep in memory */ }
  }
  function forget() {
    try { sessionStorage.removeItem(SESSION_KEY); sessionStorage.removeItem(OUTBOX_KEY); } catch (e) { /* ignore */ }
  }

  var session = load(SESSION_KEY, null); // {id, token, open}
  var outbox = load(OUTBOX_KEY, []); // [{client_id, text?, choice?, label}]
  var seen = {};
  var state = null;
  var retryDelay = 1000;
  var retryTimer = null;
  var flushing = false;
  var starting = null;
  var stream = null;
  var queueShown = false;
  var leaving = false;

  // ---- DOM -----------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k)) { node.setAttribute(k, attrs[k]); }
      }
    }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  var css = el("link", { rel: "stylesheet", href: BASE + "widget.css" });
  document.head.appendChild(css);

  var root = el("div", { "class": "sbw", id: "sbw-root", lang: lang });
  var panel = el("section", { "class": "sbw-panel", id: "sbw-panel", "aria-labelledby": "sbw-title", hidden: "" });
  var header = el("div", { "class": "sbw-header" });
  var title = el("h2", { "class": "sbw-title", id: "sbw-title" }, t("title"));
  var minimise = el("button", { type: "button", "class": "sbw-button sbw-minimise" }, t("minimise"));
  header.appendChild(title);
  header.appendChild(minimise);

  var scroller = el("div", { "class": "sbw-scroll", role: "region", "aria-label": t("log"), tabindex: "0" });
  var log = el("div", { "class": "sbw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": t("log") });
  var list = el("ol", { "class": "sbw-list" });
  log.appendChild(list);
  var options = el("div", { "class": "sbw-options", role: "group", "aria-label": t("replies") });
  var status = el("p", { "class": "sbw-status", role: "status", "aria-live": "polite" });
  var form = el("form", { "class": "sbw-form", novalidate: "" });
  var label = el("label", { "for": "sbw-input", "class": "sbw-label" }, t("message"));
  var input = el("textarea", { id: "sbw-input", "class": "sbw-input", rows: "2", maxlength: String(MAX_CHARS),
    autocomplete: "off" });
  var send = el("button", { type: "submit", "class": "sbw-button sbw-send" }, t("send"));
  var row = el("div", { "class": "sbw-row" });
  row.appendChild(input);
  row.appendChild(send);
  form.appendChild(label);
  form.appendChild(row);
  var human = el("button", { type: "button", "class": "sbw-button sbw-secondary sbw-human" }, t("human"));
  var endChat = el("button", { type: "button", "class": "sbw-button sbw-secondary sbw-end",
    "aria-expanded": "false", "aria-controls": "sbw-confirm" }, t("endChat"));
  var actions = el("div", { "class": "sbw-actions" });
  actions.appendChild(human);
  actions.appendChild(endChat);

  // "End chat" asks first, inline (no browser dialog): a labelled group with two buttons.
  var confirmBox = el("div", { "class": "sbw-confirm", id: "sbw-confirm", role: "group",
    "aria-labelledby": "sbw-confirm-q", hidden: "" });
  var confirmQ = el("p", { "class": "sbw-confirm-q", id: "sbw-confirm-q" }, t("endConfirm"));
  var confirmYes = el("button", { type: "button", "class": "sbw-button sbw-danger sbw-confirm-yes" }, t("endYes"));
  var confirmNo = el("button", { type: "button", "class": "sbw-button sbw-secondary sbw-confirm-no" }, t("endNo"));
  var confirmRow = el("div", { "class": "sbw-confirm-row" });
  confirmRow.appendChild(confirmYes);
  confirmRow.appendChild(confirmNo);
  confirmBox.appendChild(confirmQ);
  confirmBox.appendChild(confirmRow);

  var newChat = el("button", { type: "button", "class": "sbw-button sbw-new", hidden: "" }, t("newChat"));

  var footer = el("p", { "class": "sbw-footer" });
  var statement = el("a", { "class": "sbw-footer-link", href: BASE + "accessibility", target: "_blank",
    rel: "noopener" });
  var statementText = el("span", null, t("statement"));
  var statementNote = el("span", { "class": "sbw-newtab" }, " " + t("newTab"));
  statement.appendChild(statementText);
  statement.appendChild(statementNote);
  footer.appendChild(statement);

  panel.appendChild(header);
  scroller.appendChild(log);
  scroller.appendChild(options);
  panel.appendChild(scroller);
  panel.appendChild(status);
  panel.appendChild(form);
  panel.appendChild(actions);
  panel.appendChild(confirmBox);
  panel.appendChild(newChat);
  panel.appendChild(footer);

  var bar = el("div", { "class": "sbw-bar" });
  var emergency = el("p", { "class": "sbw-emergency" }, t("emergency"));
  var launch = el("button", { type: "button", "class": "sbw-button sbw-launch", "aria-expanded": "false",
    "aria-controls": "sbw-panel" }, t("open"));
  var exit = el("button", { type: "button", "class": "sbw-button sbw-exit", title: t("exitHint") }, t("exit"));
  bar.appendChild(emergency);
  bar.appendChild(launch);
  bar.appendChild(exit);

  root.appendChild(panel);
  root.appendChild(bar);

  // ---- rendering -----------------------------------------------------------------------------
  var ROLE_CLASS = { visitor: "sbw-msg--visitor", bot: "sbw-msg--bot", operator: "sbw-msg--operator",
    system: "sbw-msg--system" };

  function messageNode(m) {
    var li = el("li", { "class": "sbw-msg " + (ROLE_CLASS[m.role] || "sbw-msg--bot") });
    if (m.kind === "emergency") { li.className += " sbw-msg--emergency"; }
    li.setAttribute("data-role", m.role);
    if (m.kind) { li.setAttribute("data-kind", m.kind); }
    if (m.id) { li.setAttribute("data-id", m.id); }
    if (m.client_id) { li.setAttribute("data-client-id", m.client_id); }
    var who = m.role === "visitor" ? t("you") : t(m.role === "operator" || m.role === "system" ? m.role : "bot");
    li.appendChild(el("span", { "class": "sbw-who" }, who + ":"));
    li.appendChild(el("span", { "class": "sbw-sep" }, " "));
    li.appendChild(el("span", { "class": "sbw-text" }, m.text));
    return li;
  }

  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  function addMessage(m) {
    if (m.kind === "visitor_left") { return; } // a notice for staff, not for the visitor
    if (m.client_id) {
      var pending = list.querySelector('li[data-client-id="' + cssEscape(m.client_id) + '"]');
      if (pending) {
        pending.classList.remove("sbw-msg--pending", "sbw-msg--failed");
        pending.setAttribute("data-id", m.id);
        if (m.kind) { pending.setAttribute("data-kind", m.kind); }
        var note = pending.querySelector(".sbw-note");
        if (note) { pending.removeChild(note); }
        var retryButton = pending.querySelector(".sbw-retry");
        if (retryButton) { pending.removeChild(retryButton); }
        seen[m.id] = true;
        return;
      }
    }
    if (m.id && seen[m.id]) { return; }
    if (m.id) { seen[m.id] = true; }
    list.appendChild(messageNode(m));
    showOptions(m.role === "visitor" ? [] : (m.options || []));
    scrollDown();
  }

  function cssEscape(s) { return String(s).replace(/["\\]/g, "\\$&"); }

  function showOptions(list) {
    while (options.firstChild) { options.removeChild(options.firstChild); }
    list.forEach(function (o) {
      if (o.id === "human") { return; } // the "Talk to a person" button is always there
      var b = el("button", { type: "button", "class": "sbw-button sbw-option", "data-choice": o.id }, o.label);
      b.addEventListener("click", function () { queueSend({ choice: o.id, label: o.label }); });
      options.appendChild(b);
    });
    options.hidden = !options.firstChild;
  }

  function setStatus(text) { status.textContent = text || ""; queueShown = false; }

  function applyState(s) {
    if (!s) { return; }
    state = s;
    if (s.language && s.language !== lang && LABELS[s.language]) {
      lang = s.language;
      root.setAttribute("lang", lang);
      relabel();
    }
    root.setAttribute("data-status", s.status);
    if (s.emergency) { root.setAttribute("data-emergency", "true"); }
    if (s.status !== "queued" && queueShown) { setStatus(""); } // a person has the chat now
    if (s.status === "closed") { showClosed(); }
  }

  // The chat has ended (the visitor ended it, or staff closed it): no more sending here, offer a
  // new chat. Focus moves to "Start a new chat" when the control that had it has gone.
  function showClosed() {
    var focusWasInside = panel.contains(document.activeElement);
    form.hidden = true;
    actions.hidden = true;
    confirmBox.hidden = true;
    endChat.setAttribute("aria-expanded", "false");
    showOptions([]);
    newChat.hidden = false;
    setStatus(t("ended"));
    if (focusWasInside && !panel.hidden) { newChat.focus(); }
  }

  function showOpen() {
    form.hidden = false;
    actions.hidden = false;
    confirmBox.hidden = true;
    newChat.hidden = true;
  }

  function relabel() {
    title.textContent = t("title");
    minimise.textContent = t("minimise");
    log.setAttribute("aria-label", t("log"));
    scroller.setAttribute("aria-label", t("log"));
    options.setAttribute("aria-label", t("replies"));
    label.textContent = t("message");
    send.textContent = t("send");
    human.textContent = t("human");
    endChat.textContent = t("endChat");
    confirmQ.textContent = t("endConfirm");
    confirmYes.textContent = t("endYes");
    confirmNo.textContent = t("endNo");
    newChat.textContent = t("newChat");
    statementText.textContent = t("statement");
    statementNote.textContent = " " + t("newTab");
    emergency.textContent = t("emergency");
    launch.textContent = t("open");
    exit.textContent = t("exit");
  }

  // ---- HTTP ----------------------------------------------------------------------------------
  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (session && session.token) { headers["Authorization"] = "Bearer " + session.token; }
    return fetch(API + path, { method: method, headers: headers, credentials: "omit", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          return { status: resp.status, data: data, retryAfter: Number(resp.headers.get("Retry-After")) || 0 };
        });
      });
  }

  function startConversation() {
    if (starting) { return starting; }
    setStatus(t("starting"));
    starting = api("POST", "", { site: SITE }).then(function (r) {
      starting = null;
      if (r.status !== 201) { throw new Error("start " + r.status); }
      session = { id: r.data.id, token: r.data.token, open: true };
      save(SESSION_KEY, session);
      setStatus("");
      r.data.messages.forEach(addMessage);
      applyState(r.data.state);
      showOutbox();
      connectStream();
      flush();
    }).catch(function () {
      starting = null;
      setStatus(t("startFailed"));
      scheduleRetry(0);
    });
    return starting;
  }

  function loadTranscript() {
    if (!session) { return Promise.resolve(); }
    return api("GET", "/" + encodeURIComponent(session.id)).then(function (r) {
      if (r.status === 401 || r.status === 404) { forget(); session = null; return startConversation(); }
      if (r.status !== 200) { throw new Error("transcript " + r.status); }
      r.data.messages.forEach(addMessage);
      applyState(r.data.state);
      showOutbox();
      connectStream();
      flush();
    }).catch(function () { scheduleRetry(0); });
  }

  function showOutbox() {
    outbox.forEach(function (entry) {
      markPending(entry, navigator.onLine ? t("sending") : t("waiting"), !navigator.onLine, !navigator.onLine);
    });
  }

  // ---- sending with an outbox ----------------------------------------------------------------
  function newClientId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "w-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function queueSend(entry) {
    entry.client_id = newClientId();
    outbox.push(entry);
    save(OUTBOX_KEY, outbox);
    var li = messageNode({ role: "visitor", text: entry.label || entry.text, client_id: entry.client_id });
    li.classList.add("sbw-msg--pending");
    li.appendChild(el("span", { "class": "sbw-note" }, t("sending")));
    list.appendChild(li);
    showOptions([]);
    scrollDown();
    flush();
  }

  function pendingNode(entry) {
    return list.querySelector('li[data-client-id="' + cssEscape(entry.client_id) + '"]');
  }

  function markPending(entry, text, failed, canRetry) {
    var li = pendingNode(entry);
    if (!li) {
      li = messageNode({ role: "visitor", text: entry.label || entry.text, client_id: entry.client_id });
      list.appendChild(li);
    }
    li.classList.toggle("sbw-msg--failed", !!failed);
    li.classList.toggle("sbw-msg--pending", !failed);
    var note = li.querySelector(".sbw-note");
    if (!note) { note = el("span", { "class": "sbw-note" }); li.appendChild(note); }
    note.textContent = text;
    var retryButton = li.querySelector(".sbw-retry");
    if (canRetry && !retryButton) {
      retryButton = el("button", { type: "button", "class": "sbw-button sbw-secondary sbw-retry" }, t("retry"));
      retryButton.addEventListener("click", function () { retryDelay = 1000; flush(); });
      li.appendChild(retryButton);
    } else if (!canRetry && retryButton) {
      li.removeChild(retryButton);
    }
  }

  function dropEntry(entry) {
    outbox = outbox.filter(function (e) { return e.client_id !== entry.client_id; });
    save(OUTBOX_KEY, outbox);
  }

  function flush() {
    if (flushing || !outbox.length) { return; }
    if (!session) { startConversation(); return; }
    flushing = true;
    var entry = outbox[0];
    var body = { client_id: entry.client_id };
    if (entry.choice) { body.choice = entry.choice; } else { body.text = entry.text; }
    api("POST", "/" + encodeURIComponent(session.id) + "/messages", body).then(function (r) {
      flushing = false;
      if (r.status === 200) {
        dropEntry(entry);
        retryDelay = 1000;
        r.data.messages.forEach(addMessage);
        applyState(r.data.state);
        if (!navigator.onLine) { setStatus(""); }
        flush();
        return;
      }
      if (r.status === 429 || r.status >= 500) {
        markPending(entry, r.status === 429 ? t("slowDown") : t("waiting"), true, true);
        scheduleRetry(r.retryAfter * 1000);
        return;
      }
      if (r.status === 401 || r.status === 404) {
        forget(); session = null;
        markPending(entry, t("failed"), true, false);
        dropEntry(entry);
        return;
      }
      markPending(entry, t("failed") + " " + (r.status === 413 ? t("tooLong") : ""), true, false);
      dropEntry(entry);
      flush();
    }).catch(function () {
      flushing = false;
      outbox.forEach(function (e) { markPending(e, t("waiting"), true, true); });
      scheduleRetry(0);
    });
  }

  function scheduleRetry(minimum) {
    if (retryTimer) { return; }
    var wait = Math.max(retryDelay, minimum || 0);
    retryDelay = Math.min(retryDelay * 2, 30000);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      if (!session) { startConversation(); } else { flush(); if (!stream) { loadTranscript(); } }
    }, wait);
  }

  // ---- live channel (server-sent events read with fetch, so the token stays in a header) ------
  function connectStream() {
    if (stream || !session || !window.ReadableStream || !window.TextDecoder) { return; }
    var controller = window.AbortController ? new AbortController() : null;
    var mine = controller || {};
    stream = mine;
    fetch(API + "/" + encodeURIComponent(session.id) + "/events", {
      headers: { "Accept": "text/event-stream", "Authorization": "Bearer " + session.token },
      credentials: "omit", cache: "no-store", signal: controller ? controller.signal : undefined
    }).then(function (resp) {
      if (!resp.ok || !resp.body) { throw new Error("events " + resp.status); }
      var reader = resp.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { throw new Error("events ended"); }
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
          var idx;
          while ((idx = buffer.indexOf("\n\n")) >= 0) {
            handleEvent(buffer.slice(0, idx));
            buffer = buffer.slice(idx + 2);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (stream !== mine) { return; } // replaced (a new chat) or stopped on purpose
      stream = null;
      root.removeAttribute("data-live");
      if (session) { setTimeout(function () { if (!stream) { loadTranscript(); } }, Math.min(retryDelay, 5000)); }
    });
  }

  function handleEvent(block) {
    var data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("data:") === 0) { data += line.slice(5).replace(/^ /, ""); }
    });
    if (!data) { return; }
    var payload;
    try { payload = JSON.parse(data); } catch (e) { return; }
    root.setAttribute("data-live", "true"); // the live channel is delivering
    if (payload.type === "message" && payload.message) { addMessage(payload.message); }
    else if (payload.type === "state") { applyState(payload.state); }
    else if (payload.type === "queue") {
      if (state && state.status !== "queued" && state.status !== "bot") { return; }
      setStatus(payload.expected_wait_seconds
        ? t("queueWait", { n: payload.position, m: Math.max(1, Math.round(payload.expected_wait_seconds / 60)) })
        : t("queue", { n: payload.position }));
      queueShown = true;
      root.setAttribute("data-queue-position", String(payload.position));
    } else if (payload.type === "resync") { loadTranscript(); }
  }

  // ---- controls ------------------------------------------------------------------------------
  function openPanel(focus) {
    panel.hidden = false;
    launch.setAttribute("aria-expanded", "true");
    launch.hidden = true;
    if (session) { session.open = true; save(SESSION_KEY, session); }
    if (!session) { startConversation(); } else if (!list.firstChild) { loadTranscript(); }
    if (focus) { input.focus(); }
  }

  function closePanel() {
    panel.hidden = true;
    launch.hidden = false;
    launch.setAttribute("aria-expanded", "false");
    if (session) { session.open = false; save(SESSION_KEY, session); }
    launch.focus();
  }

  function leaveUrl(id) { return API + "/" + encodeURIComponent(id) + "/leave"; }

  // Tell the server the visitor has gone. sendBeacon survives the page unloading but cannot set
  // headers, so the token travels in the (text/plain) body; fetch keepalive is the fallback.
  function beaconLeave() {
    if (!session || !session.id || !session.token) { return; }
    var url = leaveUrl(session.id);
    var body = JSON.stringify({ token: session.token });
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) { return; }
    } catch (e) { /* fall through */ }
    try {
      fetch(url, { method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: { "Content-Type": "text/plain;charset=UTF-8" } });
    } catch (e) { /* leaving matters more than telling */ }
  }

  function quickExit() {
    beaconLeave();
    forget();
    try { root.parentNode.removeChild(root); } catch (e) { /* ignore */ }
    location.replace(EXIT_URL);
  }

  function askEnd() {
    confirmBox.hidden = false;
    endChat.setAttribute("aria-expanded", "true");
    confirmYes.focus();
  }

  function cancelEnd() {
    confirmBox.hidden = true;
    endChat.setAttribute("aria-expanded", "false");
    endChat.focus();
  }

  function endConversation() {
    if (leaving) { return; }
    if (!session) { showClosed(); return; }
    leaving = true;
    setStatus(t("ending"));
    api("POST", "/" + encodeURIComponent(session.id) + "/leave").then(function (r) {
      leaving = false;
      if (r.status === 200) {
        outbox = []; save(OUTBOX_KEY, outbox);
        applyState(r.data.state);
        return;
      }
      if (r.status === 401 || r.status === 404) { forget(); session = null; showClosed(); return; }
      setStatus(t("endFailed"));
      confirmYes.focus();
    }).catch(function () {
      leaving = false;
      setStatus(t("endFailed"));
      confirmYes.focus();
    });
  }

  function startNewChat() {
    if (stream && stream.abort) { try { stream.abort(); } catch (e) { /* ignore */ } }
    stream = null;
    root.removeAttribute("data-live");
    root.removeAttribute("data-status");
    root.removeAttribute("data-emergency");
    root.removeAttribute("data-queue-position");
    forget();
    session = null;
    outbox = [];
    seen = {};
    state = null;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    showOptions([]);
    showOpen();
    setStatus("");
    input.focus();
    startConversation();
  }

  launch.addEventListener("click", function () { openPanel(true); });
  minimise.addEventListener("click", closePanel);
  exit.addEventListener("click", quickExit);
  human.addEventListener("click", function () { queueSend({ choice: "human", label: t("human") }); });
  endChat.addEventListener("click", askEnd);
  confirmNo.addEventListener("click", cancelEnd);
  confirmYes.addEventListener("click", endConversation);
  newChat.addEventListener("click", startNewChat);
  confirmBox.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); cancelEnd(); }
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); closePanel(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    if (text.length > MAX_CHARS) { setStatus(t("tooLong")); return; }
    input.value = "";
    queueSend({ text: text });
    input.focus();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { send.click(); }
    }
  });
  window.addEventListener("online", function () {
    setStatus(t("online"));
    retryDelay = 1000;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    if (!session) { if (!panel.hidden) { startConversation(); } } else { flush(); if (!stream) { loadTranscript(); } }
  });
  window.addEventListener("offline", function () { setStatus(t("offline")); });

  function mount() {
    document.body.appendChild(root);
    if (session && session.open !== false) { openPanel(false); }
    else if (script.getAttribute("data-open") === "true") { openPanel(false); }
  }

  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
