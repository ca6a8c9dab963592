/* 银发助手 web chat. Plain JavaScript, no build step, nothing from the internet.
 *
 * Talks to the app: GET /api/config, POST /api/chat, POST /api/feedback,
 * GET /api/alerts/banner. User-facing texts live in index.html (#texts).
 */
(function () {
  "use strict";

  var STORE_KEY = "yinfa.chat.v1";
  var PREFS_KEY = "yinfa.prefs.v1";
  var CONFIG_KEY = "yinfa.config.v1";
  var MAX_HISTORY = 200;
  var CHAT_TIMEOUT_MS = 30000;

  var $ = function (id) { return document.getElementById(id); };
  var T = JSON.parse($("texts").textContent);

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  /* ---------------- storage (never throws: private mode may forbid it) ---------------- */
  var storage = {
    get: function (key, fallback) {
      try {
        var raw = window.localStorage.getItem(key);
        return raw ? JSON.parse(raw) : fallback;
      } catch (e) { return fallback; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or off */ }
    }
  };

  function newSenderId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "w" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  var state = storage.get(STORE_KEY, null);
  if (!state || typeof state.sender_id !== "string" || !Array.isArray(state.history)) {
    state = { sender_id: newSenderId(), history: [] };
  }
  var prefs = storage.get(PREFS_KEY, { size: "normal", autoRead: false });
  var config = storage.get(CONFIG_KEY, { hotline: "12345", banner_poll_s: 60 });

  function saveState() {
    if (state.history.length > MAX_HISTORY) {
      state.history = state.history.slice(-MAX_HISTORY);
    }
    storage.set(STORE_KEY, state);
  }

  /* ---------------- settings: font size and auto read ---------------- */
  function applySize(size) {
    prefs.size = size === "large" ? "large" : "normal";
    document.documentElement.classList.toggle("size-large", prefs.size === "large");
    $("size-normal").setAttribute("aria-pressed", String(prefs.size === "normal"));
    $("size-large").setAttribute("aria-pressed", String(prefs.size === "large"));
    storage.set(PREFS_KEY, prefs);
    updateDockHeight();
  }

  function applyAutoRead(on) {
    prefs.autoRead = !!on;
    var button = $("auto-read");
    button.setAttribute("aria-checked", String(prefs.autoRead));
    var label = button.querySelector(".switch-state");
    label.textContent = prefs.autoRead ? label.dataset.on : label.dataset.off;
    storage.set(PREFS_KEY, prefs);
    if (!prefs.autoRead) { speech.stop(); }
  }

  /* ---------------- read aloud (speechSynthesis, zh-CN) ---------------- */
  var speech = {
    supported: "speechSynthesis" in window && "SpeechSynthesisUtterance" in window,
    button: null,
    speak: function (text, button) {
      if (!this.supported || !text) { return; }
      var same = this.button === button && button;
      this.stop();
      if (same) { return; } // a second click on the same button stops reading
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      var self = this;
      if (button) {
        this.button = button;
        setReadLabel(button, true);
        utterance.onend = utterance.onerror = function () {
          if (self.button === button) { self.button = null; }
          setReadLabel(button, false);
        };
      }
      window.speechSynthesis.speak(utterance);
    },
    queue: function (text) {
      if (!this.supported || !text) { return; }
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      window.speechSynthesis.speak(utterance);
    },
    stop: function () {
      if (!this.supported) { return; }
      window.speechSynthesis.cancel();
      if (this.button) { setReadLabel(this.button, false); }
      this.button = null;
    }
  };

  function setReadLabel(button, reading) {
    var label = button.querySelector(".read-label");
    if (label) { label.textContent = reading ? T.stop_reading : T.read; }
    var use = button.querySelector("use");
    if (use) { use.setAttribute("href", reading ? "#i-stop" : "#i-speaker"); }
  }

  /* ---------------- rendering ---------------- */
  var log = $("log");

  function citationLine(citations) {
    if (!citations || !citations.length) { return ""; }
    var seen = {};
    return T.cite_prefix + citations.map(function (c) {
      var title = c.title || c.clause_id;
      // A plan clause is named as the plan's; a source shows its plain title.
      return c.kind === "source" ? title : T.cite_clause.replace("{title}", title);
    }).filter(function (t) {
      if (seen[t]) { return false; }
      seen[t] = true;
      return true;
    }).join(T.cite_separator);
  }

  function speakableText(entry) {
    var parts = [];
    if (entry.text) { parts.push(entry.text); }
    (entry.buttons || []).forEach(function (b) { parts.push(b.title); });
    return parts.join("。");
  }

  function renderUser(entry) {
    var node = $("tpl-user").content.firstElementChild.cloneNode(true);
    node.querySelector(".msg-text").textContent = entry.text;
    log.appendChild(node);
    return node;
  }

  function renderBot(entry) {
    var node = $("tpl-bot").content.firstElementChild.cloneNode(true);
    node.dataset.messageId = entry.message_id || "";
    var textNode = node.querySelector(".msg-text");
    if (entry.text) { textNode.textContent = entry.text; } else { textNode.remove(); }

    var box = node.querySelector(".msg-buttons");
    (entry.buttons || []).forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-choice";
      button.textContent = b.title;
      button.addEventListener("click", function () {
        sendMessage({ text: b.payload, shown: b.title, fromInput: false });
      });
      box.appendChild(button);
    });

    var cite = node.querySelector(".msg-cite");
    var line = citationLine(entry.citations);
    if (line) { cite.textContent = line; cite.hidden = false; }

    var read = node.querySelector(".read-btn");
    var spoken = speakableText(entry);
    if (speech.supported && spoken) {
      read.hidden = false;
      read.addEventListener("click", function () { speech.speak(spoken, read); });
    } else {
      read.remove();
    }
    if (entry.last_of_turn && entry.message_id) {
      node.querySelector(".msg-actions").appendChild(renderFeedback(entry));
    }
    log.appendChild(node);
    return node;
  }

  function renderFeedback(entry) {
    var wrap = $("tpl-feedback").content.firstElementChild.cloneNode(true);
    if (entry.feedback != null) {
      markFeedbackDone(wrap);
      return wrap;
    }
    Array.prototype.forEach.call(wrap.querySelectorAll("button"), function (button) {
      button.addEventListener("click", function () {
        sendFeedback(entry, button.dataset.useful === "true", wrap);
      });
    });
    return wrap;
  }

  function markFeedbackDone(wrap) {
    var done = document.createElement("p");
    done.className = "feedback-done";
    done.tabIndex = -1;
    done.textContent = T.feedback_thanks;
    wrap.replaceChildren(done);
    return done;
  }

  function renderEntry(entry) {
    return entry.role === "user" ? renderUser(entry) : renderBot(entry);
  }

  function announce(text) {
    var region = $("announcer");
    region.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeated texts as well.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function updateIntro() {
    $("intro").hidden = state.history.length > 0;
  }

  /** Bot messages of one turn (from /api/chat or a push) as history entries. */
  function toEntries(messages, idPrefix) {
    messages = Array.isArray(messages) ? messages : [];
    var entries = messages.map(function (m, i) {
      return {
        role: "bot",
        message_id: m.message_id || (idPrefix ? idPrefix + "-" + i : ""),
        text: m.text || "",
        buttons: (m.buttons || []).map(function (b) {
          return { title: String(b.title || ""), payload: String(b.payload || "") };
        }),
        citations: (m.citations || []).map(function (c) {
          return {
            clause_id: String(c.clause_id || ""),
            title: String(c.title || ""),
            kind: c.kind === "source" ? "source" : "clause",
            scope: String(c.scope || "")
          };
        }),
        last_of_turn: false,
        turn_text: ""
      };
    }).filter(function (e) { return e.text || e.buttons.length; });
    if (entries.length) {
      var last = entries[entries.length - 1];
      last.last_of_turn = true;
      last.turn_text = entries.map(function (e) { return e.text; }).filter(Boolean).join("\n");
    }
    return entries;
  }

  /** Render, store, scroll to, announce (and maybe read aloud) one bot turn. */
  function showBotTurn(entries) {
    var first = null;
    entries.forEach(function (entry) {
      state.history.push(entry);
      var node = renderBot(entry);
      first = first || node;
    });
    saveState();
    updateIntro();
    if (first) { first.scrollIntoView({ block: "start" }); }
    var spoken = entries.map(speakableText).filter(Boolean);
    if (spoken.length) { announce(spoken.join("。")); }
    if (prefs.autoRead) { spoken.forEach(function (s) { speech.queue(s); }); }
  }

  /* ---------------- sending ---------------- */
  var busy = false;
  var lastFailed = null;

  function setTyping(on) {
    $("typing").textContent = on ? T.typing : "";
  }

  function showError(message) {
    $("error-text").textContent = message;
    $("error").hidden = false;
  }

  function hideError() {
    $("error").hidden = true;
    $("error-text").textContent = "";
  }

  function postJSON(url, body, timeoutMs) {
    var controller = "AbortController" in window ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, timeoutMs) : null;
    return window.fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    }).finally(function () { if (timer) { window.clearTimeout(timer); } });
  }

  /**
   * Send one user turn. ``message.text`` goes to the bot, ``message.shown`` is the user's
   * bubble (a bot button shows its title but sends its payload).
   */
  function sendMessage(message) {
    var text = (message.text || "").trim();
    if (!text || busy) { return; }
    busy = true;
    hideError();
    speech.stop();
    var input = $("msg-input");
    var userEntry = { role: "user", text: message.shown || text };
    var userNode = renderUser(userEntry);
    $("intro").hidden = true;
    if (message.fromInput) { input.value = ""; }
    setTyping(true);
    userNode.scrollIntoView({ block: "nearest" });

    postJSON("/api/chat", { sender_id: state.sender_id, text: text }, CHAT_TIMEOUT_MS)
      .then(function (result) {
        if (!result.ok) {
          var detail = typeof result.data.detail === "string" ? result.data.detail : "";
          throw { friendly: detail || fill(T.server_error, config) };
        }
        lastFailed = null;
        state.history.push(userEntry);
        setTyping(false);
        showBotTurn(toEntries(result.data.messages, ""));
      })
      .catch(function (error) {
        setTyping(false);
        userNode.remove();
        updateIntro();
        if (message.fromInput && !input.value) { input.value = text; }
        lastFailed = message;
        showError(error && error.friendly ? error.friendly : fill(T.offline, config));
        $("retry").focus();
      })
      .finally(function () { busy = false; });
  }

  function retry() {
    if (!lastFailed) { hideError(); return; }
    var again = lastFailed;
    if (again.fromInput) {
      var typed = $("msg-input").value.trim();
      again = { text: typed || again.text, shown: "", fromInput: true };
      again.shown = again.text;
    }
    sendMessage(again);
  }

  function sendFeedback(entry, useful, wrap) {
    if (wrap.dataset.pending) { return; }
    wrap.dataset.pending = "1";
    postJSON("/api/feedback", {
      sender_id: state.sender_id,
      message_id: entry.message_id,
      useful: useful,
      answer_text: (entry.turn_text || entry.text || "").slice(0, 2000)
    }, CHAT_TIMEOUT_MS).then(function (result) {
      if (!result.ok) { throw new Error("feedback " + result.status); }
      entry.feedback = useful;
      saveState();
      var focused = wrap.contains(document.activeElement);
      var done = markFeedbackDone(wrap);
      if (focused) { done.focus(); }
      announce(T.feedback_thanks);
    }).catch(function () {
      var note = wrap.querySelector(".feedback-note");
      if (!note) {
        note = document.createElement("p");
        note.className = "feedback-note";
        wrap.appendChild(note);
      }
      note.textContent = T.feedback_failed;
      announce(T.feedback_failed);
    }).finally(function () { delete wrap.dataset.pending; });
  }

  /* ---------------- voice input (Web Speech API) ---------------- */
  function setupVoice() {
    var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    var mic = $("mic");
    if (!Recognition) { mic.hidden = true; return; }
    mic.hidden = false;
    var status = $("voice-status");
    var recognizer = null;

    function setListening(on) {
      var label = on ? T.mic_stop : T.mic_start;
      mic.setAttribute("aria-label", label);
      $("mic-label").textContent = label;
      mic.setAttribute("aria-pressed", String(on));
    }

    mic.addEventListener("click", function () {
      if (recognizer) { recognizer.stop(); return; }
      speech.stop();
      recognizer = new Recognition();
      recognizer.lang = "zh-CN";
      recognizer.interimResults = false;
      recognizer.maxAlternatives = 1;
      var heard = false;
      recognizer.onresult = function (event) {
        var text = event.results[0][0].transcript || "";
        if (text) {
          heard = true;
          $("msg-input").value = text;
          status.textContent = fill(T.voice_heard, { text: text });
        }
      };
      recognizer.onerror = function () { status.textContent = T.voice_failed; };
      recognizer.onend = function () {
        recognizer = null;
        setListening(false);
        if (heard) { $("msg-input").focus(); }
        else if (!status.textContent || status.textContent === T.voice_listening) {
          status.textContent = T.voice_failed;
        }
      };
      try {
        recognizer.start();
        setListening(true);
        status.textContent = T.voice_listening;
      } catch (e) {
        recognizer = null;
        status.textContent = T.voice_failed;
      }
    });
    setListening(false);
  }

  /* ---------------- fraud-alert banner ----------------
   * applyBanner() is the single entry point: polling feeds it, and so does the live stream
   * (Server-Sent Events at ``events_url`` from /api/config, when the server has one), which
   * also pushes fraud alerts into the conversation. */
  var bannerKey = null;
  var bannerChecked = false; // a banner already there on page load is shown, not announced

  function applyBanner(banner) {
    var section = $("alert-banner");
    var announceIt = bannerChecked;
    bannerChecked = true;
    if (!banner || !banner.title) {
      section.hidden = true;
      bannerKey = null;
      updateDockHeight();
      return;
    }
    var key = [banner.public_code, banner.title, banner.body].join("\u0001");
    if (key === bannerKey) { return; }
    bannerKey = key;
    $("banner-title").textContent = banner.title;
    $("banner-body").textContent = banner.body || "";
    $("banner-body").hidden = !banner.body;
    $("banner-code").textContent = banner.public_code || "";
    $("banner-code-line").hidden = !banner.public_code;
    var read = $("banner-read");
    read.hidden = !speech.supported;
    read.onclick = function () {
      speech.speak([banner.title, banner.body].filter(Boolean).join("。"), read);
    };
    section.hidden = false;
    updateDockHeight();
    if (announceIt) { announce(fill(T.new_banner, banner)); }
  }

  var bannerSources = {
    poll: function (seconds) {
      var load = function () {
        window.fetch("/api/alerts/banner", { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
          .then(function (data) { applyBanner(data.banner); })
          .catch(function () { /* keep what is shown; try again at the next tick */ });
      };
      load();
      return window.setInterval(load, Math.max(10, seconds || 60) * 1000);
    },
    stream: function (url) {
      if (!url || !("EventSource" in window)) { return null; }
      var query = "sender_id=" + encodeURIComponent(state.sender_id);
      if (state.last_event_id) { query += "&after=" + encodeURIComponent(state.last_event_id); }
      var source = new EventSource(url + (url.indexOf("?") < 0 ? "?" : "&") + query);
      source.addEventListener("banner", function (event) {
        try { applyBanner(JSON.parse(event.data).banner); } catch (e) { /* ignore bad event */ }
      });
      var pushed = function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (event.lastEventId) { state.last_event_id = event.lastEventId; }
        showBotTurn(toEntries(data.messages, "push-" + (event.lastEventId || Date.now())));
      };
      source.addEventListener("alert", pushed);
      source.addEventListener("correction", pushed);
      return source;
    }
  };

  /* ---------------- config, layout, start ---------------- */
  function applyConfig(cfg) {
    config = cfg;
    var call = $("call");
    if (cfg.hotline) {
      call.href = "tel:" + String(cfg.hotline).replace(/[^0-9+]/g, "");
      $("call-number").textContent = cfg.hotline;
      call.hidden = false;
    }
  }

  function loadConfig() {
    return window.fetch("/api/config", { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (cfg) { storage.set(CONFIG_KEY, cfg); applyConfig(cfg); return cfg; })
      .catch(function () { applyConfig(config); return config; });
  }

  function updateDockHeight() {
    var dock = $("dock");
    var sticky = window.getComputedStyle(dock).position === "sticky";
    document.documentElement.style.setProperty(
      "--dock-h", (sticky ? dock.offsetHeight : 0) + "px");
  }

  function restoreHistory() {
    state.history.forEach(renderEntry);
    updateIntro();
    var last = log.lastElementChild;
    if (last) { last.scrollIntoView({ block: "end" }); }
  }

  function start() {
    applySize(prefs.size);
    if (speech.supported) {
      $("auto-read").hidden = false;
      applyAutoRead(prefs.autoRead);
      $("auto-read").addEventListener("click", function () { applyAutoRead(!prefs.autoRead); });
    }
    $("size-normal").addEventListener("click", function () { applySize("normal"); });
    $("size-large").addEventListener("click", function () { applySize("large"); });

    $("composer").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("msg-input").value.trim();
      if (text) { sendMessage({ text: text, shown: text, fromInput: true }); }
      else { $("msg-input").focus(); }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".btn-topic"), function (button) {
      button.addEventListener("click", function () {
        var text = button.dataset.text;
        sendMessage({ text: text, shown: text, fromInput: false });
      });
    });
    $("retry").addEventListener("click", retry);

    setupVoice();
    restoreHistory();
    applyConfig(config);
    loadConfig().then(function (cfg) {
      bannerSources.stream(cfg.events_url);
      bannerSources.poll(cfg.banner_poll_s);
    });

    if ("ResizeObserver" in window) {
      new ResizeObserver(updateDockHeight).observe($("dock"));
    }
    window.addEventListener("resize", updateDockHeight);
    updateDockHeight();
  }

  // Hooks for tests and for later push sources.
  window.yinfaChat = { applyBanner: applyBanner, state: function () { return state; } };

  start();
})();
