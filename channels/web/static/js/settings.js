// Font size, auto read, and the deployment's config (hotline) from GET /api/config.
import { $, updateDockHeight } from "./dom.js";
import { getJSON } from "./api.js";
import * as speech from "./speech.js";
import { CONFIG_KEY, config, prefs, savePrefs, setConfig, storage } from "./storage.js";

export function applySize(size) {
  prefs.size = size === "large" ? "large" : "normal";
  document.documentElement.classList.toggle("size-large", prefs.size === "large");
  $("size-normal").setAttribute("aria-pressed", String(prefs.size === "normal"));
  $("size-large").setAttribute("aria-pressed", String(prefs.size === "large"));
  savePrefs();
  updateDockHeight();
}

export function applyAutoRead(on) {
  prefs.autoRead = !!on;
  const button = $("auto-read");
  button.setAttribute("aria-checked", String(prefs.autoRead));
  const label = button.querySelector(".switch-state");
  label.textContent = prefs.autoRead ? label.dataset.on : label.dataset.off;
  savePrefs();
  if (!prefs.autoRead) { speech.stop(); }
}

export function applyConfig(cfg) {
  setConfig(cfg);
  const call = $("call");
  if (cfg.hotline) {
    call.href = `tel:${String(cfg.hotline).replace(/[^0-9+]/g, "")}`;
    $("call-number").textContent = cfg.hotline;
    call.hidden = false;
  }
}

/** The server's config (stored for the next visit), or the stored one when offline. */
export async function loadConfig() {
  try {
    const cfg = await getJSON("/api/config");
    storage.set(CONFIG_KEY, cfg);
    applyConfig(cfg);
    return cfg;
  } catch (e) {
    applyConfig(config);
    return config;
  }
}
