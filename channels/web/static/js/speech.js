// Read aloud (speechSynthesis, zh-CN).
import { T } from "./dom.js";

export const supported = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;

/** The read button whose text is being spoken, if any. */
let current = null;

function utter(text) {
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = "zh-CN";
  utterance.rate = 0.9;
  return utterance;
}

export function setReadLabel(button, reading) {
  const label = button.querySelector(".read-label");
  if (label) { label.textContent = reading ? T.stop_reading : T.read; }
  const use = button.querySelector("use");
  if (use) { use.setAttribute("href", reading ? "#i-stop" : "#i-speaker"); }
}

/** Reads ``text``; a second click on the same ``button`` stops reading instead. */
export function speak(text, button) {
  if (!supported || !text) { return; }
  const same = current === button && button;
  stop();
  if (same) { return; }
  const utterance = utter(text);
  if (button) {
    current = button;
    setReadLabel(button, true);
    utterance.onend = utterance.onerror = () => {
      if (current === button) { current = null; }
      setReadLabel(button, false);
    };
  }
  window.speechSynthesis.speak(utterance);
}

/** Reads ``text`` after whatever is being read now. */
export function queue(text) {
  if (!supported || !text) { return; }
  window.speechSynthesis.speak(utter(text));
}

export function stop() {
  if (!supported) { return; }
  window.speechSynthesis.cancel();
  if (current) { setReadLabel(current, false); }
  current = null;
}
