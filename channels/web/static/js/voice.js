// Voice input (Web Speech API): the mic button fills the text box.
import { $, T, fill } from "./dom.js";
import * as speech from "./speech.js";

const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
let recognizer = null;

function setListening(on) {
  const label = on ? T.mic_stop : T.mic_start;
  const mic = $("mic");
  mic.setAttribute("aria-label", label);
  $("mic-label").textContent = label;
  mic.setAttribute("aria-pressed", String(on));
}

function newRecognizer(status) {
  const r = new Recognition();
  r.lang = "zh-CN";
  r.interimResults = false;
  r.maxAlternatives = 1;
  let heard = false;
  r.onresult = (event) => {
    const text = event.results[0][0].transcript || "";
    if (text) {
      heard = true;
      $("msg-input").value = text;
      status.textContent = fill(T.voice_heard, { text });
    }
  };
  r.onerror = () => { status.textContent = T.voice_failed; };
  r.onend = () => {
    recognizer = null;
    setListening(false);
    if (heard) { $("msg-input").focus(); }
    else if (!status.textContent || status.textContent === T.voice_listening) {
      status.textContent = T.voice_failed;
    }
  };
  return r;
}

function toggleListening() {
  if (recognizer) { recognizer.stop(); return; }
  speech.stop();
  const status = $("voice-status");
  recognizer = newRecognizer(status);
  try {
    recognizer.start();
    setListening(true);
    status.textContent = T.voice_listening;
  } catch (e) {
    recognizer = null;
    status.textContent = T.voice_failed;
  }
}

/** Shows the mic button where the browser can recognise speech, hides it elsewhere. */
export function setupVoice() {
  const mic = $("mic");
  if (!Recognition) { mic.hidden = true; return; }
  mic.hidden = false;
  mic.addEventListener("click", toggleListening);
  setListening(false);
}
