// Alert officers' views of one alert: the check before publishing (who it reaches on
// each channel) and the delivery dashboard (chart, counts, reasons, retries, milestones).
// The chart is uPlot (vendored under /operator/static/, see console/vendor.py).
"use strict";
window.Dashboard = (() => {
  const $ = (id) => document.getElementById(id);
  const STATUSES = ["pending", "in_progress", "delivered", "failed", "undeliverable", "cancelled"];
  // One colour per channel and final status; outcomes other than delivered are also dashed.
  const COLORS = {
    "web:delivered": "#084a8c", "wechat:delivered": "#1a6b34",
    "web:undeliverable": "#6a3d9a", "wechat:undeliverable": "#b34700",
    "web:failed": "#c2185b", "wechat:failed": "#a3162b",
    "web:cancelled": "#555555", "wechat:cancelled": "#7a6400",
  };
  const SPARE = ["#00695c", "#8d4e00", "#37474f", "#880e4f"];
  const REFRESH_MS = 5000;
  const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  let api = null;
  let T = {};
  let chart = null;
  let timer = null;
  let current = null;


  const { el, fill } = window.ConsoleDom;

  function row(cells, header) {
    const tr = el("tr");
    cells.forEach((c, i) => {
      const cell = el(header || i === 0 ? "th" : "td", c);
      if (header) cell.scope = "col"; else if (i === 0) cell.scope = "row";
      tr.append(cell);
    });
    return tr;
  }

  function duration(seconds) {
    const s = Math.round(seconds);
    if (s < 60) return fill(T.sec, { s });
    if (s < 3600) return fill(T.min, { m: Math.floor(s / 60), s: s % 60 });
    return fill(T.hour, { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }

  function clock(iso) {
    return new Date(iso).toLocaleString("zh-CN", {
      timeZone: "Asia/Shanghai", hour12: false, month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }

  const channelName = (c) => T[`channel_${c}`] || c;
  const statusName = (s) => T[`delivery_${s}`] || s;

  // --- before publishing ----------------------------------------------------------------
  async function checkPublish(alert, publish) {
    stop();
    $("dashboard").hidden = true;
    const r = await api("GET", `/api/operator/alerts/${alert.id}/reach`);
    const h = r.window_h;
    $("publish-check-title").textContent = `发布前确认 · ${alert.public_code} ${alert.title}`;
    $("reach-lead").textContent = fill(T.reach_lead, { total: r.total });
    $("reach-rows").replaceChildren(
      row([T.reach_web, String(r.web)]),
      row([fill(T.reach_in, { h }), String(r.wechat_in_window)]),
      row([fill(T.reach_out, { h }), String(r.wechat_outside_window)]),
    );
    const quota = r.template_quota === null ? T.unknown : fill(T.quota_n, { n: r.template_quota });
    $("reach-quota").textContent = fill(T.quota, { q: quota });
    const warning = $("reach-warning");
    warning.hidden = !r.warn;
    warning.textContent = !r.warn ? "" : r.template_quota === null
      ? fill(T.warn_unknown, { n: r.wechat_outside_window })
      : fill(T.warn_short, { q: r.template_quota, n: r.wechat_outside_window, short: r.short_today });
    const box = $("publish-check");
    box.hidden = false;
    const done = () => { box.hidden = true; };
    $("publish-confirm").onclick = async () => { done(); await publish(); };
    $("publish-cancel").onclick = done;
    $("publish-confirm").focus();
  }

  // --- after publishing -----------------------------------------------------------------
  function summary(r, delivered) {
    const items = [[T.total, `${r.total}`], [T.delivered, `${delivered}`]];
    r.milestones.forEach((m) => {
      items.push([T[`t${m.share}`], m.seconds === null ? T.not_yet : duration(m.seconds)]);
    });
    const quota = r.template_quota === null ? T.unknown : fill(T.quota_n, { n: r.template_quota });
    items.push([T.quota_label, quota]);
    if (r.published_at) items.push([T.published_at, clock(r.published_at)]);
    const dl = $("dash-summary");
    dl.replaceChildren();
    items.forEach(([k, v]) => {
      const div = el("div");
      div.append(el("dt", k), el("dd", v));
      dl.append(div);
    });
  }

  function counts(r) {
    // Known statuses in their order, then any other the outbox may gain, by name.
    const seen = new Set([...Object.values(r.counts), r.corrections].flatMap(Object.keys));
    const rank = (x) => (STATUSES.includes(x) ? STATUSES.indexOf(x) : STATUSES.length);
    const used = [...seen].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    $("dash-count-head").replaceChildren(row([T.channel, ...used.map(statusName)], true));
    const body = $("dash-count-rows");
    body.replaceChildren();
    Object.keys(r.counts).sort().forEach((c) => {
      body.append(row([channelName(c), ...used.map((s) => String(r.counts[c][s] || 0))]));
    });
    if (Object.keys(r.corrections).length) {
      body.append(row([T.corrections, ...used.map((s) => String(r.corrections[s] || 0))]));
    }
  }

  function reasons(r) {
    const body = $("dash-reason-rows");
    body.replaceChildren();
    if (!r.reasons.length) {
      const tr = el("tr"); const td = el("td", T.no_reasons); td.colSpan = 4;
      tr.append(td); body.append(tr); return;
    }
    r.reasons.forEach((x) => {
      const tr = el("tr");
      tr.append(el("td", statusName(x.status)), el("td", T[`reason_${x.code}`] || T.reason_other),
        el("td", String(x.count)), el("td", x.text, "muted"));
      body.append(tr);
    });
  }

  function retries(r) {
    const x = r.retries;
    let text = fill(T.retries, { retried: x.retried, extra: x.extra_attempts, waiting: x.waiting });
    if (r.retries.next_retry_at) text += fill(T.next_retry, { t: clock(r.retries.next_retry_at) });
    $("dash-retries").textContent = text;
  }

  const seriesName = (s) => `${channelName(s.channel)}·${statusName(s.status)}`;
  const seriesColor = (s, i) => COLORS[`${s.channel}:${s.status}`] || SPARE[i % SPARE.length];
  const lastCount = (s) => s.counts[s.counts.length - 1];

  function timeline(r) {
    const t = r.timeline;
    const span = t.seconds.length ? t.seconds[t.seconds.length - 1] : 0;
    const parts = t.series.map((s) => fill(T.series_n, { name: seriesName(s), n: lastCount(s) }));
    $("dash-chart-desc").textContent = t.seconds.length
      ? fill(T.chart_desc, { span: duration(span), parts: parts.join("，") })
      : T.none_yet;
    const minutes = span > 300;
    const xs = t.seconds.map((s) => (minutes ? s / 60 : s));
    $("dash-data-head").replaceChildren(row([T.time, ...t.series.map(seriesName)], true));
    const body = $("dash-data-rows");
    body.replaceChildren();
    t.seconds.forEach((s, i) => body.append(row([duration(s), ...t.series.map((x) => String(x.counts[i]))])));
    draw(xs, t.series, minutes);
  }

  function draw(xs, series, minutes) {
    const box = $("dash-chart");
    if (chart) { chart.destroy(); chart = null; }
    box.replaceChildren();
    if (!xs.length || typeof window.uPlot !== "function") return;
    const opts = {
      width: Math.max(box.clientWidth, 320),
      height: 260,
      scales: { x: { time: false } },
      legend: { show: false },
      cursor: { show: false },
      axes: [
        { label: minutes ? T.axis_x_min : T.axis_x_s, stroke: "#1a1a1a", incrs: WHOLE },
        { label: T.axis_y, stroke: "#1a1a1a", incrs: WHOLE },
      ],
      series: [{}, ...series.map((s, i) => ({
        label: seriesName(s),
        stroke: seriesColor(s, i),
        width: 3,
        dash: s.status === "delivered" ? undefined : [10, 5],
        points: { show: false },
        paths: window.uPlot.paths.stepped({ align: 1 }),  // a count changes within a bucket
      }))],
    };
    chart = new window.uPlot(opts, [xs, ...series.map((s) => s.counts)], box);
    const legend = el("ul", null, "chart-legend");
    series.forEach((s, i) => {
      const li = el("li");
      const swatch = el("span", null, s.status === "delivered" ? "swatch" : "swatch dashed");
      swatch.style.borderTopColor = seriesColor(s, i);
      li.append(swatch, ` ${seriesName(s)}`);
      legend.append(li);
    });
    box.after(legend);
  }

  async function load() {
    if (!current) return;
    const r = await api("GET", `/api/operator/alerts/${current.id}/report`);
    if (!current || r.alert_id !== current.id) return;
    const delivered = Object.values(r.counts).reduce((n, by) => n + (by.delivered || 0), 0);
    summary(r, delivered);
    counts(r);
    reasons(r);
    retries(r);
    document.querySelectorAll("#dashboard .chart-legend").forEach((n) => n.remove());
    timeline(r);
    $("dash-updated").textContent = fill(T.updated, { t: clock(r.generated_at) });
    $("dashboard").dataset.loaded = String(r.alert_id);
    // Refresh while rows are still on their way; a settled alert needs no polling.
    const moving = (by) => (by.pending || 0) + (by.in_progress || 0) > 0;
    if (Object.values(r.counts).some(moving) || moving(r.corrections)) schedule();
  }

  function schedule() {
    stop();
    timer = setTimeout(() => {
      timer = null;
      if (!current || $("dashboard").hidden || $("tab-alerts").hidden) return;
      load().catch(() => {});
    }, REFRESH_MS);
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
  }

  async function showReport(alert) {
    stop();
    current = alert;
    $("publish-check").hidden = true;
    $("dash-title").textContent = `${T.report} · ${alert.public_code} ${alert.title}`;
    $("dashboard").hidden = false;
    await load();
    $("dashboard").scrollIntoView({ block: "start" });
  }

  function init(options) {
    api = options.api;
    T = options.texts;
    $("dash-refresh").addEventListener("click", () => load().catch(() => {}));
    $("dash-close").addEventListener("click", () => { stop(); current = null; $("dashboard").hidden = true; });
  }

  return { init, checkPublish, showReport, stop };
})();
