// Operator console: search with keyboard, scam check, alerts, audit log.
// The alert officers' publish check and delivery dashboard are in dashboard.js; the
// insights (admins and editors) in insights.js and insights-queue.js.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("texts").textContent);
  let me = null;
  let hits = [];
  let selected = -1;
  let searchSeq = 0;
  let timer = null;

  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    if (r.status === 401 && path !== "/api/operator/login") { showLogin(); throw new Error("401"); }
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) { const e = new Error((data && data.detail) || r.status); e.status = r.status; throw e; }
    return data;
  }

  const { el } = window.ConsoleDom;

  // --- session ---------------------------------------------------------------------------
  function showLogin() {
    me = null;
    $("login").hidden = false;
    $("tabs").hidden = true; $("logout").hidden = true; $("who").textContent = "";
    document.querySelectorAll(".tab-panel").forEach((p) => { p.hidden = true; });
    $("username").focus();
  }

  function showApp(user) {
    me = user;
    $("login").hidden = true;
    $("tabs").hidden = false; $("logout").hidden = false;
    $("who").textContent = `${user.username} · ${user.role}`;
    document.querySelectorAll("[data-roles]").forEach((e) => {
      e.hidden = !e.dataset.roles.split(" ").includes(user.role);
    });
    openTab("search");
  }

  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      const user = await api("POST", "/api/operator/login",
        { username: $("username").value, password: $("password").value });
      $("password").value = "";
      showApp(user);
    } catch (e) {
      $("login-error").textContent = e.status === 429 ? T.login_throttled : T.login_failed;
    }
  });

  $("logout").addEventListener("click", async () => {
    await api("POST", "/api/operator/logout").catch(() => {});
    showLogin();
  });

  // --- tabs ------------------------------------------------------------------------------
  function openTab(name) {
    document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
    document.querySelectorAll(".tab-panel").forEach((p) => { p.hidden = p.id !== `tab-${name}`; });
    if (name === "search") $("q").focus();
    if (name === "scam") loadScamOptions();
    if (name === "alerts") loadAlerts();
    if (name === "audit") loadAudit();
    if (name === "insights") Insights.open();
  }
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => openTab(b.dataset.tab)));

  // --- search ----------------------------------------------------------------------------
  function render() {
    const list = $("results");
    list.replaceChildren();
    if (!hits.length && $("q").value.trim()) { list.append(el("li", T.no_results, "muted")); return; }
    hits.forEach((h, i) => {
      const node = $("result-template").content.firstElementChild.cloneNode(true);
      node.id = `hit-${i}`;
      node.dataset.index = i;
      node.querySelector(".kind").textContent = h.kind === "entry" ? T.kind_entry : T.kind_clause;
      node.querySelector(".title").textContent = h.title;
      node.querySelector(".script").textContent = h.script;
      node.querySelector(".clauses").textContent = h.clauses.map((c) => `${c.id} ${c.title}`).join("；") || T.none;
      node.querySelector(".departments").textContent = h.departments.join("、") || T.none;
      node.querySelector(".clause-body").textContent = h.clauses.map((c) => `【${c.id}】${c.text}`).join("\n\n");
      node.querySelector(".clause-text").hidden = !h.clauses.length || h.kind === "clause";
      node.querySelector(".sources").textContent = h.sources
        .map((s) => `[${s.id}] ${s.title}${s.date && !s.title.includes(s.date) ? `（${T.source_date} ${s.date}）` : ""}`).join("　");
      node.querySelector(".copy").addEventListener("click", () => { select(i); copy(i); });
      node.addEventListener("click", () => select(i));
      list.append(node);
    });
    select(hits.length ? 0 : -1, false);
  }

  function select(i, scroll = true) {
    selected = i;
    document.querySelectorAll(".result").forEach((n) => {
      const on = Number(n.dataset.index) === i;
      n.classList.toggle("selected", on);
      if (on) n.setAttribute("aria-current", "true"); else n.removeAttribute("aria-current");
      if (on && scroll) n.scrollIntoView({ block: "nearest" });
    });
  }

  async function copy(i) {
    const h = hits[i];
    if (!h) return;
    try {
      await navigator.clipboard.writeText(h.script);
    } catch (_) {
      const area = el("textarea"); area.value = h.script; document.body.append(area);
      area.select(); document.execCommand("copy"); area.remove();
    }
    const toast = $("copied");
    toast.hidden = false;
    clearTimeout(toast._t);
    toast._t = setTimeout(() => { toast.hidden = true; }, 1500);
    api("POST", "/api/operator/copied", { document_id: h.id }).catch(() => {});
  }

  async function search() {
    const q = $("q").value.trim();
    const seq = ++searchSeq;
    if (!q) { hits = []; render(); $("took").textContent = ""; return; }
    const started = performance.now();
    try {
      const data = await api("GET", `/api/operator/search?q=${encodeURIComponent(q)}`);
      if (seq !== searchSeq) return;
      hits = data.hits;
      $("took").textContent = `${Math.round(performance.now() - started)} ${T.ms}`;
      render();
    } catch (_) { /* shown by login or ignored */ }
  }

  $("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 80); });
  $("q").addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { ev.preventDefault(); if (hits.length) select(Math.min(selected + 1, hits.length - 1)); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); if (hits.length) select(Math.max(selected - 1, 0)); }
    else if (ev.key === "Enter") { ev.preventDefault(); if (selected >= 0) copy(selected); else search(); }
    else if (ev.key === "Escape") { $("q").value = ""; search(); }
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "/" && me && document.activeElement !== $("q") &&
        !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
      ev.preventDefault(); openTab("search");
    }
  });

  // --- scam check ------------------------------------------------------------------------
  let scamLoaded = false;
  async function loadScamOptions() {
    if (scamLoaded) return;
    const opts = await api("GET", "/api/operator/scam-check/options");
    const mk = (box, items, type, name) => items.forEach((o) => {
      const label = el("label");
      const input = el("input"); input.type = type; input.name = name; input.value = o.value;
      label.append(input, ` ${o.label}`);
      box.append(label);
    });
    mk($("scam-channels"), opts.channels, "radio", "channel");
    mk($("scam-asked"), opts.asked, "checkbox", "asked");
    scamLoaded = true;
  }
  $("scam-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const channel = document.querySelector("input[name=channel]:checked");
    const body = {
      paid: $("scam-paid").checked,
      channel: channel ? channel.value : null,
      asked: [...document.querySelectorAll("input[name=asked]:checked")].map((i) => i.value),
    };
    const r = await api("POST", "/api/operator/scam-check", body);
    const box = $("scam-result");
    box.replaceChildren(el("p", T[`level_${r.level}`], `level-${r.level}`));
    r.texts.forEach((t) => box.append(el("p", t)));
    box.hidden = false;
  });

  // --- alerts ----------------------------------------------------------------------------
  let meta = null;
  async function loadAlerts() {
    if (!meta) {
      meta = await api("GET", "/api/operator/alerts/meta");
      Object.entries(meta.scam_types).forEach(([k, label]) => {
        const o = el("option", label); o.value = k; $("alert-type").append(o);
      });
      meta.districts.forEach((d) => {
        const label = el("label"); const input = el("input"); input.type = "checkbox"; input.value = d;
        input.name = "district"; label.append(input, ` ${d}`); $("alert-districts").append(label);
      });
      const soon = new Date(Date.now() + 3 * 86400000);
      soon.setMinutes(soon.getMinutes() - soon.getTimezoneOffset());
      $("alert-expiry").value = soon.toISOString().slice(0, 16);
    }
    const rows = await api("GET", "/api/operator/alerts");
    const body = $("alert-rows");
    body.replaceChildren();
    rows.forEach((a) => {
      const tr = el("tr");
      const counts = Object.entries(a.deliveries).map(([kind, by]) =>
        `${kind}: ` + Object.entries(by).map(([s, n]) => `${T[`delivery_${s}`] || s} ${n}`).join("，")).join("；");
      tr.append(el("td", a.public_code), el("td", a.title), el("td", T[`status_${a.status}`] || a.status),
        el("td", `${a.created_by} / ${a.approved_by || "—"}`), el("td", counts || "—"));
      const actions = el("td");
      const add = (label, fn) => { const b = el("button", label); b.type = "button"; b.addEventListener("click", fn); actions.append(b, " "); };
      if (me.role === "alert_officer") {
        if (a.status === "draft") add(T.approve, () => step(a.id, "approve"));
        if (a.status === "approved") {
          add(T.publish, () => Dashboard.checkPublish(a, async () => {
            if (await step(a.id, "publish")) await Dashboard.showReport(a);
          }).catch((e) => window.alert(T.error + e.message)));
        }
        if (a.status === "published") add(T.retract, () => {
          const note = window.prompt(T.retract_note, "");
          if (note !== null) step(a.id, "retract", { note });
        });
      }
      if (a.status === "published" || a.status === "retracted") {
        add(T.report, () => Dashboard.showReport(a).catch((e) => window.alert(T.error + e.message)));
      }
      add(T.detail, () => showDeliveries(a.id));
      tr.append(actions);
      body.append(tr);
    });
  }
  async function step(id, action, body) {
    let ok = true;
    try { await api("POST", `/api/operator/alerts/${id}/${action}`, body); }
    catch (e) { ok = false; window.alert(T.error + e.message); }
    loadAlerts();
    return ok;
  }
  async function showDeliveries(id) {
    const rows = await api("GET", `/api/operator/alerts/${id}/deliveries?limit=200`);
    const box = $("deliveries");
    const table = el("table"); table.className = "grid";
    rows.forEach((d) => {
      const tr = el("tr");
      tr.append(el("td", d.subscriber), el("td", d.kind), el("td", T[`delivery_${d.status}`] || d.status),
        el("td", String(d.attempts)), el("td", d.delivered_at || ""), el("td", d.last_error || ""));
      table.append(tr);
    });
    box.replaceChildren(table); box.hidden = false;
  }
  $("alert-body").addEventListener("input", () => { $("alert-count").textContent = `${$("alert-body").value.length}/200`; });
  $("alert-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("alert-error").textContent = "";
    try {
      await api("POST", "/api/operator/alerts", {
        title: $("alert-title").value, body: $("alert-body").value, scam_type: $("alert-type").value,
        districts: [...document.querySelectorAll("input[name=district]:checked")].map((i) => i.value),
        expires_at: new Date($("alert-expiry").value).toISOString(),
      });
      $("alert-form").reset();
      loadAlerts();
    } catch (e) { $("alert-error").textContent = T.error + e.message; }
  });

  // --- audit -----------------------------------------------------------------------------
  async function loadAudit() {
    const rows = await api("GET", "/api/operator/audit?limit=200");
    const body = $("audit-rows");
    body.replaceChildren();
    rows.forEach((r) => {
      const tr = el("tr");
      tr.append(el("td", (r.at || "").replace("T", " ").slice(0, 19)), el("td", `${r.actor} (${r.role})`),
        el("td", r.action), el("td", r.target), el("td", JSON.stringify(r.detail)));
      body.append(tr);
    });
  }

  // --- start -----------------------------------------------------------------------------
  Dashboard.init({ api, texts: T });
  Insights.init({ api, canMark: () => Boolean(me && me.role === "admin") });
  api("GET", "/api/operator/me").then(showApp).catch(() => {});
})();
