// 银发助手 web chat, entry module. Native ES modules, no build step, nothing from the internet.
//
// Talks to the app: GET /api/config, POST /api/chat, POST /api/feedback,
// GET /api/alerts/banner and, when the server has it, the live stream (SSE).
// User-facing texts live in index.html (#texts).
import { $, updateDockHeight } from "./dom.js";
import { applyBanner, pollBanner, streamAlerts } from "./banner.js";
import { retry, sendMessage } from "./chat.js";
import { onChoice, restoreHistory } from "./render.js";
import { applyAutoRead, applyConfig, applySize, loadConfig } from "./settings.js";
import * as speech from "./speech.js";
import { config, prefs, state } from "./storage.js";
import { setupVoice } from "./voice.js";

function setupSettings() {
  applySize(prefs.size);
  if (speech.supported) {
    $("auto-read").hidden = false;
    applyAutoRead(prefs.autoRead);
    $("auto-read").addEventListener("click", () => applyAutoRead(!prefs.autoRead));
  }
  $("size-normal").addEventListener("click", () => applySize("normal"));
  $("size-large").addEventListener("click", () => applySize("large"));
}

function setupSending() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("msg-input").value.trim();
    if (text) { sendMessage({ text, shown: text, fromInput: true }); }
    else { $("msg-input").focus(); }
  });
  document.querySelectorAll(".btn-topic").forEach((button) => {
    button.addEventListener("click", () => {
      const text = button.dataset.text;
      sendMessage({ text, shown: text, fromInput: false });
    });
  });
  onChoice((b) => sendMessage({ text: b.payload, shown: b.title, fromInput: false }));
  $("retry").addEventListener("click", retry);
}

async function startAlerts() {
  const cfg = await loadConfig();
  streamAlerts(cfg.events_url);
  pollBanner(cfg.banner_poll_s);
}

function start() {
  setupSettings();
  setupSending();
  setupVoice();
  restoreHistory();
  applyConfig(config);
  startAlerts();

  if ("ResizeObserver" in window) {
    new ResizeObserver(updateDockHeight).observe($("dock"));
  }
  window.addEventListener("resize", updateDockHeight);
  updateDockHeight();
}

// Hooks for tests and for later push sources.
window.yinfaChat = { applyBanner, state: () => state };

start();
