// Sending a user turn to POST /api/chat, the typing indicator, errors and retry.
import { $, T, fill } from "./dom.js";
import { CHAT_TIMEOUT_MS, postJSON } from "./api.js";
import { renderUser, showBotTurn, toEntries, updateIntro } from "./render.js";
import * as speech from "./speech.js";
import { config, state } from "./storage.js";

let busy = false;
let lastFailed = null;

/** A failure whose text can be shown to the user as it is. */
class FriendlyError extends Error {
  constructor(friendly) {
    super(friendly);
    this.friendly = friendly;
  }
}

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

async function askBot(text, userEntry) {
  const result = await postJSON("/api/chat", { sender_id: state.sender_id, text }, CHAT_TIMEOUT_MS);
  if (!result.ok) {
    const detail = typeof result.data.detail === "string" ? result.data.detail : "";
    throw new FriendlyError(detail || fill(T.server_error, config));
  }
  lastFailed = null;
  state.history.push(userEntry);
  setTyping(false);
  showBotTurn(toEntries(result.data.messages, ""));
}

function failed(message, text, userNode, error) {
  const input = $("msg-input");
  setTyping(false);
  userNode.remove();
  updateIntro();
  if (message.fromInput && !input.value) { input.value = text; }
  lastFailed = message;
  showError(error && error.friendly ? error.friendly : fill(T.offline, config));
  $("retry").focus();
}

/**
 * Send one user turn. ``message.text`` goes to the bot, ``message.shown`` is the user's
 * bubble (a bot button shows its title but sends its payload).
 */
export async function sendMessage(message) {
  const text = (message.text || "").trim();
  if (!text || busy) { return; }
  busy = true;
  hideError();
  speech.stop();
  const userEntry = { role: "user", text: message.shown || text };
  const userNode = renderUser(userEntry);
  $("intro").hidden = true;
  if (message.fromInput) { $("msg-input").value = ""; }
  setTyping(true);
  userNode.scrollIntoView({ block: "nearest" });
  try {
    await askBot(text, userEntry);
  } catch (error) {
    failed(message, text, userNode, error);
  } finally {
    busy = false;
  }
}

export function retry() {
  if (!lastFailed) { hideError(); return; }
  let again = lastFailed;
  if (again.fromInput) {
    const typed = $("msg-input").value.trim();
    again = { text: typed || again.text, shown: "", fromInput: true };
    again.shown = again.text;
  }
  sendMessage(again);
}
