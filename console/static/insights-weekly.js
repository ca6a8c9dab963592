// The weekly summary (/operator/insights/weekly): one page an admin prints or saves as PDF.
// Data: GET /api/operator/insights/weekly?end=YYYY-MM-DD (insights/weekly.py).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("weekly-texts").textContent);
  const TOPICS = window.INSIGHTS_TOPICS || {};
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 1000) / 10}%`);
  const topicName = (t) => (t ? TOPICS[t] || t : T.topic_none);

  const { el, fill } = window.ConsoleDom;

  function rows(id, items, cells, span) {
    const body = $(id);
    body.replaceChildren();
    if (!items.length) {
      const tr = el("tr"); const td = el("td", T.none); td.colSpan = span;
      tr.append(td); body.append(tr); return;
    }
    items.forEach((item) => {
      const tr = el("tr");
      cells(item).forEach((c, i) => {
        const cell = el(i === 0 ? "th" : "td", c);
        if (i === 0) cell.scope = "row";
        tr.append(cell);
      });
      body.append(tr);
    });
  }

  const clock = (iso) => new Date(iso).toLocaleString("zh-CN", {
    timeZone: "Asia/Shanghai", hour12: false, month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit",
  });

  function numbers(w) {
    const reached = w.alerts.reduce((n, a) => n + a.delivered, 0);
    const items = [
      [T.messages, String(w.messages)],
      [T.answer_rate, pct(w.answer_rate)],
      [T.unhelpful_rate, pct(w.unhelpful_rate)],
      [T.unhelpful, String(w.unhelpful)],
      ...["answered", "referred", "fallback", "scam_warning", "guide"].map((o) =>
        [T[`outcome_${o}`], String(w.outcomes[o] || 0)]),
      [T.new_entries, String(w.new_entries.length)],
      [T.alerts, String(w.alerts.length)],
      [T.reached, String(reached)],
    ];
    $("numbers").replaceChildren(...items.map(([k, v]) => {
      const div = el("div"); div.append(el("dt", k), el("dd", v)); return div;
    }));
  }

  function reachCell(a, channel) {
    const by = a.by_channel[channel];
    return by ? fill(T.reach_cell, by) : "—";
  }

  function render(w) {
    $("period").textContent = fill(T.period, { start: w.start, end: w.end });
    $("end").value = w.end;
    numbers(w);
    rows("days", w.days, (d) => [d.day, String(d.messages), String(d.answered), pct(d.answer_rate)], 4);
    rows("topics", w.top_topics, (t) => [topicName(t.topic), String(t.messages), String(t.answered),
      String(t.unhelpful)], 4);
    $("queue").textContent = fill(T.queue, { n: w.unanswered });
    rows("entries", w.new_entries, (e) => [e.title, e.entry_id, topicName(e.topic), e.added], 4);
    rows("alerts", w.alerts, (a) => [a.public_code, a.title + (a.status === "retracted" ? T.retracted : ""),
      clock(a.published_at), String(a.recipients), String(a.delivered),
      reachCell(a, "web"), reachCell(a, "wechat")], 7);
    $("generated").textContent = fill(T.generated, { t: clock(w.generated_at) });
  }

  async function load() {
    const end = $("end").value || new URLSearchParams(window.location.search).get("end") || "";
    $("status").textContent = T.loading;
    const r = await fetch(`/api/operator/insights/weekly${end ? `?end=${encodeURIComponent(end)}` : ""}`,
      { credentials: "same-origin" });
    if (r.status === 401 || r.status === 403) { $("status").textContent = T.login; return; }
    const data = await r.json().catch(() => null);
    if (!r.ok) { $("status").textContent = T.error + ((data && data.detail) || r.status); return; }
    render(data);
    $("status").textContent = T.ready;
    $("weekly").setAttribute("aria-busy", "false");
    document.body.dataset.loaded = "true";
  }

  $("show").addEventListener("click", () => load().catch((e) => { $("status").textContent = T.error + e.message; }));
  $("print").addEventListener("click", () => window.print());
  load().catch((e) => { $("status").textContent = T.error + e.message; });
})();
