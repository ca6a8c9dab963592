// "Was this useful?" under the last bot message of a turn, sent to POST /api/feedback.
import { $, T, announce } from "./dom.js";
import { CHAT_TIMEOUT_MS, postJSON } from "./api.js";
import { saveState, state } from "./storage.js";

export function markFeedbackDone(wrap) {
  const done = document.createElement("p");
  done.className = "feedback-done";
  done.tabIndex = -1;
  done.textContent = T.feedback_thanks;
  wrap.replaceChildren(done);
  return done;
}

function showFeedbackFailed(wrap) {
  let note = wrap.querySelector(".feedback-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "feedback-note";
    wrap.appendChild(note);
  }
  note.textContent = T.feedback_failed;
  announce(T.feedback_failed);
}

async function sendFeedback(entry, useful, wrap) {
  if (wrap.dataset.pending) { return; }
  wrap.dataset.pending = "1";
  try {
    const result = await postJSON("/api/feedback", {
      sender_id: state.sender_id,
      message_id: entry.message_id,
      useful,
      answer_text: (entry.turn_text || entry.text || "").slice(0, 2000),
      entry_id: entry.turn_entry_id || null,
    }, CHAT_TIMEOUT_MS);
    if (!result.ok) { throw new Error(`feedback ${result.status}`); }
    entry.feedback = useful;
    saveState();
    const focused = wrap.contains(document.activeElement);
    const done = markFeedbackDone(wrap);
    if (focused) { done.focus(); }
    announce(T.feedback_thanks);
  } catch (e) {
    showFeedbackFailed(wrap);
  } finally {
    delete wrap.dataset.pending;
  }
}

/** The feedback buttons for ``entry`` (or the thanks, when it was already given). */
export function renderFeedback(entry) {
  const wrap = $("tpl-feedback").content.firstElementChild.cloneNode(true);
  if (entry.feedback != null) {
    markFeedbackDone(wrap);
    return wrap;
  }
  wrap.querySelectorAll("button").forEach((button) => {
    button.addEventListener("click", () => {
      sendFeedback(entry, button.dataset.useful === "true", wrap);
    });
  });
  return wrap;
}
