// The queue of unanswered questions: referrals and fallbacks clustered by similarity,
// largest first. An admin marks a cluster "需要新条目", "已由条目回答" (an entry id) or
// "不在范围"; the mark is saved (and audited) by the server and the cluster leaves the queue.
// Editors see the queue without the buttons.
"use strict";
window.InsightsQueue = (() => {
  const $ = (id) => document.getElementById(id);
  let api = null;
  let T = {};
  let canMark = () => false;
  let days = 7;


  const { el, fill } = window.ConsoleDom;

  function button(label, onClick, cls) {
    const b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function outcomes(counts) {
    return Object.entries(counts || {})
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${T[`outcome_${o}`] || o} ${n}`)
      .join("，");
  }

  async function mark(cluster, node, kind, entryId) {
    const error = node.querySelector(".error");
    error.textContent = "";
    node.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      await api("POST", "/api/operator/insights/marks",
        { cluster_key: cluster.key, mark: kind, entry_id: entryId || null });
      $("ins-queue-status").textContent = fill(T[`marked_${kind}`], { n: cluster.size, entry: entryId || "" });
      node.remove();
      if (!$("ins-queue").children.length) $("ins-queue").append(el("li", T.queue_empty, "muted"));
    } catch (e) {
      error.textContent = T.error + e.message;
      node.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  }

  // The "answered by" form: an entry id, typed or picked from the nearest entries.
  function answeredByForm(cluster, node, index) {
    const form = el("form", null, "answered-by");
    form.hidden = true;
    const listId = `ins-near-${index}`;
    const label = el("label", T.entry_id);
    const input = el("input");
    input.name = "entry_id"; input.maxLength = 80; input.required = true;
    input.setAttribute("list", listId); input.autocomplete = "off";
    input.value = cluster.nearest_entries.length ? cluster.nearest_entries[0].entry_id : "";
    label.append(" ", input);
    const list = el("datalist");
    list.id = listId;
    cluster.nearest_entries.forEach((e) => {
      const o = el("option", e.title); o.value = e.entry_id; list.append(o);
    });
    const ok = el("button", T.confirm, "primary"); ok.type = "submit";
    form.append(label, list, ok, button(T.cancel, () => { form.hidden = true; }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const id = input.value.trim();
      if (id) mark(cluster, node, "answered_by", id);
    });
    return form;
  }

  function clusterNode(cluster, index) {
    const node = el("li", null, "cluster");
    node.dataset.key = cluster.key;
    const head = el("h3", fill(T.cluster_head, { i: index + 1, n: cluster.size }));
    head.id = `ins-cluster-${index}`;
    node.setAttribute("aria-labelledby", head.id);
    node.append(head);
    const mix = outcomes(cluster.outcome_counts);
    if (mix) node.append(el("p", fill(T.cluster_outcomes, { mix }), "muted"));
    const examples = el("ul", null, "examples");
    examples.setAttribute("aria-label", T.examples);
    cluster.examples.forEach((x) => examples.append(el("li", `“${x}”`)));
    node.append(examples);
    const near = el("p", null, "near");
    near.append(el("span", T.nearest, "label"), " ",
      cluster.nearest_entries.length
        ? cluster.nearest_entries.map((e) => `${e.title}（${e.entry_id}）`).join("；")
        : T.none);
    node.append(near);
    if (canMark()) {
      const form = answeredByForm(cluster, node, index);
      const actions = el("div", null, "actions");
      actions.append(
        button(T.mark_new_entry, () => mark(cluster, node, "new_entry")),
        button(T.mark_answered_by, () => { form.hidden = false; form.querySelector("input").focus(); }),
        button(T.mark_out_of_scope, () => mark(cluster, node, "out_of_scope")),
      );
      node.append(actions, form);
    }
    node.append(el("p", null, "error"));
    node.lastChild.setAttribute("role", "alert");
    return node;
  }

  async function load(n) {
    days = n;
    const q = await api("GET", `/api/operator/insights/queue?days=${days}`);
    const list = $("ins-queue");
    list.replaceChildren(...q.clusters.map(clusterNode));
    if (!q.clusters.length) list.append(el("li", T.queue_empty, "muted"));
    $("ins-queue-count").textContent = fill(T.queue_count, { n: q.clusters.length });
  }

  function init(options) {
    api = options.api;
    T = options.texts;
    canMark = options.canMark;
  }

  return { init, load };
})();
