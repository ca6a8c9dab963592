// Fraud-alert banner. applyBanner() is the single entry point: polling feeds it, and so does
// the live stream (Server-Sent Events at ``events_url`` from /api/config, when the server has
// one), which also pushes fraud alerts into the conversation.
import { $, T, announce, fill, updateDockHeight } from "./dom.js";
import { getJSON } from "./api.js";
import { showBotTurn, toEntries } from "./render.js";
import * as speech from "./speech.js";
import { state } from "./storage.js";

let bannerKey = null;
let bannerChecked = false; // a banner already there on page load is shown, not announced

function fillBanner(banner) {
  $("banner-title").textContent = banner.title;
  $("banner-body").textContent = banner.body || "";
  $("banner-body").hidden = !banner.body;
  $("banner-code").textContent = banner.public_code || "";
  $("banner-code-line").hidden = !banner.public_code;
  const read = $("banner-read");
  read.hidden = !speech.supported;
  read.onclick = () => {
    speech.speak([banner.title, banner.body].filter(Boolean).join("。"), read);
  };
}

export function applyBanner(banner) {
  const section = $("alert-banner");
  const announceIt = bannerChecked;
  bannerChecked = true;
  if (!banner || !banner.title) {
    section.hidden = true;
    bannerKey = null;
    updateDockHeight();
    return;
  }
  const key = [banner.public_code, banner.title, banner.body].join("\u0001");
  if (key === bannerKey) { return; }
  bannerKey = key;
  fillBanner(banner);
  section.hidden = false;
  updateDockHeight();
  if (announceIt) { announce(fill(T.new_banner, banner)); }
}

/** Loads the banner now and every ``seconds`` (at least 10); returns the interval id. */
export function pollBanner(seconds) {
  const load = async () => {
    try {
      const data = await getJSON("/api/alerts/banner");
      applyBanner(data.banner);
    } catch (e) { /* keep what is shown; try again at the next tick */ }
  };
  load();
  return window.setInterval(load, Math.max(10, seconds || 60) * 1000);
}

function streamUrl(url) {
  let query = `sender_id=${encodeURIComponent(state.sender_id)}`;
  if (state.last_event_id) { query += `&after=${encodeURIComponent(state.last_event_id)}`; }
  return url + (url.indexOf("?") < 0 ? "?" : "&") + query;
}

function pushed(event) {
  let data;
  try { data = JSON.parse(event.data); } catch (e) { return; }
  if (event.lastEventId) { state.last_event_id = event.lastEventId; }
  showBotTurn(toEntries(data.messages, `push-${event.lastEventId || Date.now()}`));
}

/** Listens to the live stream at ``url``; returns the EventSource (null without one). */
export function streamAlerts(url) {
  if (!url || !("EventSource" in window)) { return null; }
  const source = new EventSource(streamUrl(url));
  source.addEventListener("banner", (event) => {
    try { applyBanner(JSON.parse(event.data).banner); } catch (e) { /* ignore bad event */ }
  });
  source.addEventListener("alert", pushed);
  source.addEventListener("correction", pushed);
  return source;
}
