// Insights for admins and editors: questions per day, outcome shares, 没用 rates by topic and
// entry, and the queue of unanswered questions (clusters) an admin marks. Charts are uPlot
// (vendored, see console/vendor.py); each has its data as a table for screen readers.
// The queue and its marks are in insights-queue.js.
"use strict";
window.Insights = (() => {
  const $ = (id) => document.getElementById(id);
  const OUTCOMES = ["answered", "referred", "fallback", "scam_warning", "guide"];
  const SHARED = ["answered", "referred", "fallback", "scam_warning"];  // the share chart
  const COLORS = {
    web: "#084a8c", wechat: "#1a6b34",
    answered: "#1a6b34", referred: "#084a8c", fallback: "#b34700", scam_warning: "#a3162b",
    guide: "#6a3d9a",
  };
  const SPARE = ["#00695c", "#8d4e00", "#37474f", "#880e4f"];
  const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  let api = null;
  let T = {};
  let charts = [];
  let seq = 0;

  const pct = (x) => `${Math.round(x * 1000) / 10}%`;
  const days = () => Number($("ins-days").value);
  const outcomeName = (o) => T[`outcome_${o}`] || o;
  const channelName = (c) => T[`channel_${c}`] || c;
  const topicName = (t) => (t ? window.INSIGHTS_TOPICS[t] || t : T.topic_none);

  const { el, fill } = window.ConsoleDom;

  function row(cells, header) {
    const tr = el("tr");
    cells.forEach((c, i) => {
      const cell = el(header || i === 0 ? "th" : "td");
      if (c instanceof Node) cell.append(c); else cell.textContent = c;
      if (header) cell.scope = "col"; else if (i === 0) cell.scope = "row";
      tr.append(cell);
    });
    return tr;
  }

  // --- summary -------------------------------------------------------------------------
  function summary(s) {
    const share = (n) => (s.messages ? pct(n / s.messages) : "—");
    const answers = s.outcomes.answered || 0;
    const items = [
      [T.messages, String(s.messages)],
      ...OUTCOMES.map((o) => [outcomeName(o), `${s.outcomes[o] || 0}（${share(s.outcomes[o] || 0)}）`]),
      [T.unhelpful, `${s.unhelpful}${answers ? `（${T.of_answers} ${pct(s.unhelpful / answers)}）` : ""}`],
    ];
    const dl = $("ins-summary");
    dl.replaceChildren();
    items.forEach(([k, v]) => {
      const div = el("div");
      div.append(el("dt", k), el("dd", v));
      dl.append(div);
    });
  }

  // --- charts --------------------------------------------------------------------------
  function destroyCharts() {
    charts.forEach((c) => c.destroy());
    charts = [];
    document.querySelectorAll("#tab-insights .chart-legend").forEach((n) => n.remove());
  }

  function legend(box, series) {
    const ul = el("ul", null, "chart-legend");
    series.forEach((s) => {
      const li = el("li");
      const swatch = el("span", null, "swatch");
      swatch.style.borderTopColor = s.color;
      li.append(swatch, ` ${s.name}`);
      ul.append(li);
    });
    box.after(ul);
  }

  // A line chart over the days (x = day index, labelled with the date).
  function draw(box, labels, series, yLabel, percent) {
    box.replaceChildren();
    if (!labels.length || typeof window.uPlot !== "function") return;
    const opts = {
      width: Math.max(box.clientWidth, 320),
      height: 240,
      scales: { x: { time: false }, y: percent ? { range: [0, 100] } : { range: (u, lo, hi) => [0, Math.max(hi, 1)] } },
      legend: { show: false },
      cursor: { show: false },
      axes: [
        { label: T.axis_day, stroke: "#1a1a1a", incrs: [1, 2, 7, 14, 30],
          values: (u, splits) => splits.map((i) => labels[i] || "") },
        { label: yLabel, stroke: "#1a1a1a", incrs: percent ? [10, 20, 25, 50] : WHOLE,
          values: (u, splits) => splits.map((v) => (percent ? `${v}%` : String(v))) },
      ],
      series: [{}, ...series.map((s) => ({
        label: s.name, stroke: s.color, width: 3, points: { show: labels.length <= 31, size: 6, fill: s.color },
      }))],
    };
    const xs = labels.map((_, i) => i);
    charts.push(new window.uPlot(opts, [xs, ...series.map((s) => s.values)], box));
    legend(box, series);
  }

  function dataTable(head, body, cols, rows) {
    $(head).replaceChildren(row(cols, true));
    $(body).replaceChildren(...rows.map((r) => row(r)));
  }

  const shortDay = (d) => d.slice(5);  // "2026-11-30" -> "11-30"

  function daily(d) {
    const list = d.days;
    const labels = list.map((x) => shortDay(x.day));
    const channels = [...new Set(list.flatMap((x) => Object.keys(x.by_channel)))].sort();
    const perChannel = channels.map((c, i) => ({
      name: channelName(c), color: COLORS[c] || SPARE[i % SPARE.length],
      values: list.map((x) => x.by_channel[c] || 0),
    }));
    const totals = list.map((x) => Object.values(x.by_channel).reduce((a, b) => a + b, 0));
    const sum = totals.reduce((a, b) => a + b, 0);
    $("ins-daily-desc").textContent = list.length
      ? fill(T.daily_desc, { n: list.length, total: sum, parts: perChannel.map((s) =>
        `${s.name} ${s.values.reduce((a, b) => a + b, 0)}`).join("，") })
      : T.none_yet;
    draw($("ins-daily-chart"), labels, perChannel, T.axis_questions, false);
    dataTable("ins-daily-head", "ins-daily-rows", [T.day, ...perChannel.map((s) => s.name), T.total],
      list.map((x, i) => [x.day, ...perChannel.map((s) => String(s.values[i])), String(totals[i])]));

    const share = (x, o) => {
      const n = OUTCOMES.reduce((a, k) => a + (x.outcomes[k] || 0), 0);
      return n ? Math.round(((x.outcomes[o] || 0) / n) * 1000) / 10 : 0;
    };
    const shares = SHARED.map((o) => ({
      name: outcomeName(o), color: COLORS[o], values: list.map((x) => share(x, o)),
    }));
    const answered = shares[0].values;
    $("ins-share-desc").textContent = list.length
      ? fill(T.share_desc, { first: `${answered[0]}%`, last: `${answered[answered.length - 1]}%` })
      : T.none_yet;
    draw($("ins-share-chart"), labels, shares, T.axis_share, true);
    dataTable("ins-share-head", "ins-share-rows", [T.day, ...OUTCOMES.map(outcomeName)],
      list.map((x) => [x.day, ...OUTCOMES.map((o) => `${x.outcomes[o] || 0}（${share(x, o)}%）`)]));
  }

  // --- 没用 rates ----------------------------------------------------------------------
  function bar(rate) {
    const wrap = el("span", null, "rate");
    const track = el("span", null, "rate-bar");
    track.setAttribute("aria-hidden", "true");
    const fillEl = el("span", null, "rate-fill");
    fillEl.style.width = `${Math.min(Math.max(rate, 0), 1) * 100}%`;
    track.append(fillEl);
    wrap.append(track, el("span", pct(rate)));
    return wrap;
  }

  function rates(u) {
    const topics = u.by_topic;
    $("ins-topic-rows").replaceChildren(...(topics.length
      ? topics.map((t) => row([topicName(t.topic), String(t.answers), String(t.unhelpful), bar(t.rate)]))
      : [emptyRow(4)]));
    const entries = u.by_entry;
    $("ins-entry-rows").replaceChildren(...(entries.length
      ? entries.map((e) => row([e.title || e.entry_id, e.entry_id, String(e.answers), String(e.unhelpful), bar(e.rate)]))
      : [emptyRow(5)]));
  }

  function emptyRow(span) {
    const tr = el("tr");
    const td = el("td", T.none_yet);
    td.colSpan = span;
    tr.append(td);
    return tr;
  }

  // --- loading -------------------------------------------------------------------------
  async function load() {
    const n = days();
    const mine = ++seq;
    $("ins-export").href = `/api/operator/insights/export.csv?days=${n}`;
    $("ins-status").textContent = T.loading;
    try {
      const [s, d, u] = await Promise.all([
        api("GET", `/api/operator/insights/summary?days=${n}`),
        api("GET", `/api/operator/insights/daily?days=${n}`),
        api("GET", `/api/operator/insights/unhelpful?days=${n}&min_answers=3`),
      ]);
      if (mine !== seq) return;
      summary(s);
      destroyCharts();
      daily(d);
      rates(u);
      await window.InsightsQueue.load(n);
      if (mine !== seq) return;
      $("ins-status").textContent = fill(T.loaded, { n });
      $("tab-insights").dataset.loaded = String(n);
    } catch (e) {
      if (mine === seq) $("ins-status").textContent = T.error + e.message;
    }
  }

  function init(options) {
    api = options.api;
    T = JSON.parse($("insights-texts").textContent);
    window.InsightsQueue.init({ api, texts: T, canMark: options.canMark });
    $("ins-days").addEventListener("change", load);
    $("ins-refresh").addEventListener("click", load);
  }

  return { init, open: load };
})();
