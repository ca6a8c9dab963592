// localStorage (never throws: private mode may forbid it) and the state kept in it.

const STORE_KEY = "yinfa.chat.v1";
const PREFS_KEY = "yinfa.prefs.v1";
export const CONFIG_KEY = "yinfa.config.v1";
const MAX_HISTORY = 200;

export const storage = {
  get(key, fallback) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) { return fallback; }
  },
  set(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or off */ }
  },
};

function newSenderId() {
  const bytes = new Uint8Array(12);
  window.crypto.getRandomValues(bytes);
  return `w${Array.from(bytes, (b) => `0${b.toString(16)}`.slice(-2)).join("")}`;
}

function loadState() {
  const saved = storage.get(STORE_KEY, null);
  if (!saved || typeof saved.sender_id !== "string" || !Array.isArray(saved.history)) {
    return { sender_id: newSenderId(), history: [] };
  }
  return saved;
}

/** The conversation: ``sender_id``, ``history`` and the last live event's id. */
export const state = loadState();
export const prefs = storage.get(PREFS_KEY, { size: "normal", autoRead: false });
/** The deployment's config (hotline, limits); replaced by ``setConfig``. */
export let config = storage.get(CONFIG_KEY, { hotline: "12345", banner_poll_s: 60 });

export function setConfig(cfg) {
  config = cfg;
}

export function saveState() {
  if (state.history.length > MAX_HISTORY) {
    state.history = state.history.slice(-MAX_HISTORY);
  }
  storage.set(STORE_KEY, state);
}

export function savePrefs() {
  storage.set(PREFS_KEY, prefs);
}
