// The conversation log: user and bot bubbles, citations, read buttons, bot turns.
import { $, T, announce } from "./dom.js";
import { renderFeedback } from "./feedback.js";
import * as speech from "./speech.js";
import { prefs, saveState, state } from "./storage.js";

const log = $("log");

/** Called with ``{title, payload}`` when a bot button is clicked (set by main.js). */
let choose = () => {};

export function onChoice(handler) {
  choose = handler;
}

function citationLine(citations) {
  if (!citations || !citations.length) { return ""; }
  const seen = new Set();
  return T.cite_prefix + citations.map((c) => {
    const title = c.title || c.clause_id;
    // A plan clause is named as the plan's; a source shows its plain title.
    return c.kind === "source" ? title : T.cite_clause.replace("{title}", title);
  }).filter((t) => {
    if (seen.has(t)) { return false; }
    seen.add(t);
    return true;
  }).join(T.cite_separator);
}

function speakableText(entry) {
  const parts = [];
  if (entry.text) { parts.push(entry.text); }
  (entry.buttons || []).forEach((b) => parts.push(b.title));
  return parts.join("。");
}

const fromTemplate = (id) => $(id).content.firstElementChild.cloneNode(true);

export function renderUser(entry) {
  const node = fromTemplate("tpl-user");
  node.querySelector(".msg-text").textContent = entry.text;
  log.appendChild(node);
  return node;
}

function renderChoices(box, buttons) {
  (buttons || []).forEach((b) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-choice";
    button.textContent = b.title;
    button.addEventListener("click", () => choose(b));
    box.appendChild(button);
  });
}

function renderReadButton(read, spoken) {
  if (speech.supported && spoken) {
    read.hidden = false;
    read.addEventListener("click", () => speech.speak(spoken, read));
  } else {
    read.remove();
  }
}

function renderBot(entry) {
  const node = fromTemplate("tpl-bot");
  node.dataset.messageId = entry.message_id || "";
  const textNode = node.querySelector(".msg-text");
  if (entry.text) { textNode.textContent = entry.text; } else { textNode.remove(); }
  renderChoices(node.querySelector(".msg-buttons"), entry.buttons);

  const cite = node.querySelector(".msg-cite");
  const line = citationLine(entry.citations);
  if (line) { cite.textContent = line; cite.hidden = false; }

  renderReadButton(node.querySelector(".read-btn"), speakableText(entry));
  if (entry.last_of_turn && entry.message_id) {
    node.querySelector(".msg-actions").appendChild(renderFeedback(entry));
  }
  log.appendChild(node);
  return node;
}

const renderEntry = (entry) => (entry.role === "user" ? renderUser(entry) : renderBot(entry));

export function updateIntro() {
  $("intro").hidden = state.history.length > 0;
}

export function restoreHistory() {
  state.history.forEach(renderEntry);
  updateIntro();
  const last = log.lastElementChild;
  if (last) { last.scrollIntoView({ block: "end" }); }
}

const toCitation = (c) => ({
  clause_id: String(c.clause_id || ""),
  title: String(c.title || ""),
  kind: c.kind === "source" ? "source" : "clause",
  scope: String(c.scope || ""),
});

const toEntry = (m, i, idPrefix) => ({
  role: "bot",
  message_id: m.message_id || (idPrefix ? `${idPrefix}-${i}` : ""),
  text: m.text || "",
  buttons: (m.buttons || []).map((b) => ({
    title: String(b.title || ""), payload: String(b.payload || ""),
  })),
  citations: (m.citations || []).map(toCitation),
  last_of_turn: false,
  turn_text: "",
  turn_entry_id: "",
});

/** Bot messages of one turn (from /api/chat or a push) as history entries. */
export function toEntries(messages, idPrefix) {
  const list = Array.isArray(messages) ? messages : [];
  const entries = list.map((m, i) => toEntry(m, i, idPrefix))
    .filter((e) => e.text || e.buttons.length);
  if (entries.length) {
    const last = entries[entries.length - 1];
    last.last_of_turn = true;
    last.turn_text = entries.map((e) => e.text).filter(Boolean).join("\n");
    // The entry the turn answered with: feedback is noted against it in the question log.
    const answered = list.find((m) => m && typeof m.entry_id === "string" && m.entry_id);
    last.turn_entry_id = answered ? answered.entry_id : "";
  }
  return entries;
}

/** Render, store, scroll to, announce (and maybe read aloud) one bot turn. */
export function showBotTurn(entries) {
  let first = null;
  entries.forEach((entry) => {
    state.history.push(entry);
    const node = renderBot(entry);
    first = first || node;
  });
  saveState();
  updateIntro();
  if (first) { first.scrollIntoView({ block: "start" }); }
  const spoken = entries.map(speakableText).filter(Boolean);
  if (spoken.length) { announce(spoken.join("。")); }
  if (prefs.autoRead) { spoken.forEach((s) => speech.queue(s)); }
}
