// Page helpers shared by every module: element lookup, texts, announcements, layout.

export const $ = (id) => document.getElementById(id);

/** User-facing texts live in index.html (#texts). */
export const T = JSON.parse($("texts").textContent);

/** Fills ``{name}`` placeholders; a missing value becomes an empty string. */
export const fill = (template, values) =>
  template.replace(/\{(\w+)\}/g, (_, key) => (values[key] == null ? "" : String(values[key])));

export function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // A fresh text node after a tick makes screen readers announce repeated texts as well.
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** Publishes the sticky dock's height as ``--dock-h`` (0 when the dock is not sticky). */
export function updateDockHeight() {
  const dock = $("dock");
  const sticky = window.getComputedStyle(dock).position === "sticky";
  document.documentElement.style.setProperty(
    "--dock-h", `${sticky ? dock.offsetHeight : 0}px`);
}
