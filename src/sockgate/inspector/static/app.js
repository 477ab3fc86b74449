// The sockgate inspector: one snapshot (GET api/state), then server-sent events (api/events).
// No build step, no library. Text from clients and handlers only ever goes in as textContent.
"use strict";

const API = "api/";
const S = {
  history: 1000, conns: new Map(), frames: [], invocations: [], batches: [], overview: null,
  streamTotals: {}, tab: "overview", selectedConn: null, selectedInv: null,
  table: null, describe: null, lastKey: null, items: [], selectedItem: null, itemView: "plain",
};

// -- small helpers --------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (sel) => document.querySelector(sel);
const time = (ms) => ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) + "." + String(ms % 1000).padStart(3, "0") : "";
const ago = (ms) => { const s = Math.max(0, (Date.now() - ms) / 1000); return s < 60 ? `${s.toFixed(0)} s ago` : `${(s / 60).toFixed(1)} min ago`; };
const pretty = (v) => JSON.stringify(v, null, 2);
const short = (id) => id ? String(id).slice(0, 14) : "";
const bytes = (n) => n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
function trim(list) { if (list.length > S.history) list.splice(0, list.length - S.history); }
async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const reply = await fetch(API + path, init);
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(data.message || data.Message || data.__type || `HTTP ${reply.status}`);
  return data;
}

// -- live data -------------------------------------------------------------------------------
async function load() {
  const st = await call("GET", "state");
  S.history = st.history;
  S.conns = new Map(st.connections.map((c) => [c.id, c]));
  S.frames = st.frames; S.invocations = st.invocations; S.batches = st.batches;
  S.streamTotals = st.streamTotals; S.overview = st.overview;
  renderAll();
}

function listen() {
  const source = new EventSource(API + "events");
  const live = $("#live");
  source.onopen = () => { live.textContent = "live"; live.className = "on"; };
  source.onerror = () => { live.textContent = "reconnecting…"; live.className = ""; };
  const on = (kind, fn) => source.addEventListener(kind, (e) => { fn(JSON.parse(e.data)); schedule(kind); });
  on("connection", (c) => S.conns.set(c.id, c));
  on("frame", (f) => {
    S.frames.push(f); trim(S.frames);
    const c = S.conns.get(f.connectionId);
    if (c) { c.lastActivity = f.t; c.frames = (c.frames || 0) + 1; if (f.route) c.routes.push({ t: f.t, route: f.route }); }
  });
  on("invocation", (i) => { S.invocations.push(i); trim(S.invocations); });
  on("batch", (b) => { S.batches.push(b); trim(S.batches); });
  on("overview", (o) => { S.overview = o; S.streamTotals = o.streamTotals; });
  source.addEventListener("reset", () => load());
}

// At most five renders a second, whatever the message rate: the page stays light.
let pending = new Set(), timer = 0;
function schedule(kind) {
  pending.add(kind);
  if (!timer) timer = setTimeout(() => { timer = 0; const kinds = pending; pending = new Set(); render(kinds); }, 200);
}
function render(kinds) {
  counts();
  const t = S.tab;
  if (t === "overview" && kinds.has("overview")) renderOverview();
  if (t === "connections" && (kinds.has("connection") || kinds.has("frame"))) renderConnections();
  if (t === "invocations" && kinds.has("invocation")) renderInvocations();
  if (t === "streams" && (kinds.has("batch") || kinds.has("overview"))) renderStreams();
}
function renderAll() { counts(); renderOverview(); renderConnections(); renderInvocations(); renderStreams(); }
function counts() {
  const open = [...S.conns.values()].filter((c) => c.open).length;
  $("#count-connections").textContent = open;
  $("#count-invocations").textContent = S.invocations.length;
  $("#count-batches").textContent = S.batches.length;
}

// -- overview ---------------------------------------------------------------------------------
function renderOverview() {
  const o = S.overview; if (!o) return;
  const svc = o.service;
  $("#service").textContent = `${svc.name} · ${svc.stage} · ${svc.region}`;
  const routes = $("#routes tbody"); routes.replaceChildren();
  for (const r of svc.routes) routes.append(h("tr", {}, h("td", { class: "mono" }, r.route + (r.twoWay ? " (two-way)" : "")), h("td", {}, r.function)));
  for (const r of svc.http) routes.append(h("tr", {}, h("td", { class: "mono" }, `${r.method} ${r.path}`), h("td", {}, r.function)));
  for (const r of svc.streams) routes.append(h("tr", {}, h("td", { class: "mono" }, `stream ${r.type}`), h("td", {}, r.function)));
  const pools = $("#pools tbody"); pools.replaceChildren();
  for (const [fn, p] of Object.entries(o.pools)) {
    pools.append(h("tr", {}, h("td", {}, fn), h("td", {}, p.busy), h("td", {}, p.idle), h("td", {}, p.starting), h("td", {}, p.waiting), h("td", {}, p.limit), h("td", {}, `${(svc.functions[fn] || {}).memorySize || ""} MB`)));
  }
  const s = o.series;
  chart("#chart-rate", [[s.rate, "var(--accent)"]], "#axis-rate", s);
  chart("#chart-latency", [[s.p50, "var(--accent)"], [s.p99, "var(--warn)"]], "#axis-latency", s);
}
function chart(sel, lines, axisSel, s) {
  const svg = $(sel); const n = s.rate.length;
  const max = Math.max(1, ...lines.flatMap(([v]) => v.filter((x) => x !== null)));
  const parts = [];
  for (const [values, color] of lines) {
    // Gaps (no invocation in a step) split the line; a lone point is drawn as a short dash.
    let run = [];
    const flush = () => {
      if (run.length === 1) run.unshift(`${Number(run[0].split(",")[0]) - 3},${run[0].split(",")[1]}`);
      if (run.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" vector-effect="non-scaling-stroke" points="${run.join(" ")}"/>`);
      run = [];
    };
    values.forEach((v, i) => { if (v === null) flush(); else run.push(`${(i / Math.max(1, n - 1)) * 300},${78 - (v / max) * 74}`); });
    flush();
  }
  svg.innerHTML = `<line x1="0" y1="78" x2="300" y2="78" stroke="#e2e5eb"/>` + parts.join("");
  const axis = $(axisSel);
  axis.replaceChildren(h("span", {}, `-${n * s.step} s`), h("span", {}, `max ${max.toFixed(max < 10 ? 1 : 0)}`), h("span", {}, "now"));
}

// -- connections ------------------------------------------------------------------------------
function renderConnections() {
  const body = $("#connection-list tbody"); body.replaceChildren();
  const showClosed = $("#show-closed").checked;
  const conns = [...S.conns.values()].filter((c) => c.open || showClosed).reverse();
  for (const c of conns) {
    const state = c.open ? h("span", { class: "ok" }, "open") : h("span", { class: "muted" }, `closed ${c.closeCode}`);
    body.append(h("tr", { class: `conn-row ${c.open ? "" : "closed"} ${c.id === S.selectedConn ? "selected" : ""}`, "data-id": c.id, onclick: () => { S.selectedConn = c.id; renderConnections(); } },
      h("td", { class: "id" }, c.id), h("td", {}, time(c.connectedAt)), h("td", {}, ago(c.lastActivity)),
      h("td", {}, c.sourceIp), h("td", { class: "mono" }, c.query || ""), h("td", {}, c.frames), h("td", {}, state)));
  }
  renderConnectionDetail();
}
function renderConnectionDetail() {
  const box = $("#connection-detail"); const c = S.conns.get(S.selectedConn);
  if (!c) return;
  const info = h("dl", {},
    h("dt", {}, "connection"), h("dd", { class: "mono" }, c.id),
    h("dt", {}, "connected"), h("dd", {}, new Date(c.connectedAt).toLocaleString()),
    h("dt", {}, "last activity"), h("dd", {}, `${time(c.lastActivity)} (${ago(c.lastActivity)})`),
    h("dt", {}, "source IP"), h("dd", {}, c.sourceIp),
    h("dt", {}, "user agent"), h("dd", {}, c.userAgent || "—"),
    h("dt", {}, "query"), h("dd", { class: "mono" }, c.query || "—"),
    h("dt", {}, "authorizer"), h("dd", { class: "mono" }, c.authorizer ? JSON.stringify(c.authorizer) : "—"),
    h("dt", {}, "routes"), h("dd", { class: "mono" }, c.routes.map((r) => r.route).join(" → ")),
    c.open ? null : [h("dt", {}, "closed"), h("dd", {}, `${c.closeCode} ${c.closeReason || ""} at ${time(c.closedAt)}`),
      h("dt", {}, "$disconnect"), h("dd", {}, c.disconnect ? (c.disconnect.ok ? h("span", { class: "ok" }, `ok ${JSON.stringify(c.disconnect.payload)}`) : h("span", { class: "err" }, JSON.stringify(c.disconnect.error))) : "—")]);
  const frames = h("div", { id: "frames" });
  for (const f of S.frames) {
    if (f.connectionId !== c.id) continue;
    const what = f.dir === "in" ? (f.route ? `route ${f.route}` : "no route") : f.label;
    frames.append(h("div", { class: `frame ${f.dir}`, "data-seq": f.seq },
      h("span", { class: "dir" }, f.dir === "in" ? "→" : "←"),
      h("span", { class: "meta" }, time(f.t)),
      h("span", { class: "meta" }, bytes(f.size)),
      h("div", {}, h("div", { class: `meta ${what === "Forbidden" || what === "Internal server error" ? "err" : ""}` }, what), h("div", { class: "text" }, f.text + (f.truncated ? " …" : "")))));
  }
  // The send box stays as it is while frames arrive (typing keeps its focus).
  const same = box.dataset.id === c.id && box.dataset.open === String(c.open);
  if (same) { box.children[0].replaceWith(info); box.children[3].replaceWith(frames); return; }
  box.dataset.id = c.id; box.dataset.open = String(c.open);
  const actions = c.open ? h("div", {},
    h("h2", {}, "Send a frame (PostToConnection)"),
    h("textarea", { id: "send-input", rows: 3, placeholder: '{"message": "hello from the inspector"}' }),
    h("div", { class: "actions" },
      h("button", { id: "send-button", onclick: () => send(c.id) }, "Send"),
      h("button", { id: "disconnect-button", class: "danger", onclick: () => disconnect(c.id) }, "Disconnect (DeleteConnection)"),
      h("span", { id: "send-status", class: "hint" }))) : null;
  box.replaceChildren(info, actions || h("div"), h("h2", {}, "Frames (→ from the client, ← to it)"), frames);
}
async function send(id) {
  const status = $("#send-status");
  try { await call("POST", `connections/${encodeURIComponent(id)}`, { data: $("#send-input").value }); status.textContent = "sent"; status.className = "ok"; $("#send-input").value = ""; }
  catch (e) { status.textContent = e.message; status.className = "err"; }
}
async function disconnect(id) {
  try { await call("DELETE", `connections/${encodeURIComponent(id)}`); }
  catch (e) { const s = $("#send-status"); s.textContent = e.message; s.className = "err"; }
}

// -- invocations ------------------------------------------------------------------------------
function renderInvocations() {
  const fnSel = $("#filter-function");
  const known = new Set([...fnSel.options].map((o) => o.value));
  for (const fn of Object.keys(S.overview ? S.overview.service.functions : {})) if (!known.has(fn)) fnSel.append(h("option", { value: fn }, fn));
  const fn = fnSel.value, conn = $("#filter-connection").value.trim(), errorsOnly = $("#filter-errors").checked;
  const body = $("#invocation-list tbody"); body.replaceChildren();
  const rows = S.invocations.filter((i) => (!fn || i.function === fn) && (!conn || (i.connectionId || "").startsWith(conn)) && (!errorsOnly || !i.ok));
  for (const i of rows.slice(-500).reverse()) {
    const result = i.ok ? h("span", { class: "ok" }, "ok") : h("span", { class: "err" }, (i.error && i.error.errorType) || "error");
    body.append(h("tr", { class: `inv-row ${i.seq === S.selectedInv ? "selected" : ""}`, "data-seq": i.seq, "data-function": i.function, onclick: () => { S.selectedInv = i.seq; renderInvocations(); } },
      h("td", {}, time(i.t)), h("td", {}, i.function), h("td", { class: "mono" }, i.source), h("td", { class: "id" }, short(i.connectionId)),
      h("td", {}, `${i.durationMs} ms`), h("td", {}, `${i.billedMs} ms`), h("td", {}, i.memoryUsedMb ? `${i.memoryUsedMb}/${i.memorySize} MB` : ""),
      h("td", {}, i.cold ? h("span", { class: "tag cold" }, "cold") : h("span", { class: "tag" }, "warm")), h("td", {}, result)));
  }
  renderInvocationDetail();
}
const details = new Map(); // seq -> the invocation in full (event, result, logs), fetched once
async function renderInvocationDetail() {
  const seq = S.selectedInv; const box = $("#invocation-detail");
  if (seq === null || box.dataset.seq === String(seq)) return; // keep an event being edited
  let i = details.get(seq);
  if (!i) {
    try { i = await call("GET", `invocations/${seq}`); } catch (e) { box.replaceChildren(h("p", { class: "err" }, e.message)); return; }
    details.set(seq, i);
    if (details.size > 50) details.delete(details.keys().next().value);
  }
  if (S.selectedInv !== seq || box.dataset.seq === String(seq)) return;
  box.dataset.seq = seq;
  box.replaceChildren(
    h("dl", {}, h("dt", {}, "function"), h("dd", {}, i.function), h("dt", {}, "route / source"), h("dd", {}, i.source),
      h("dt", {}, "request id"), h("dd", { class: "mono" }, i.requestId), h("dt", {}, "connection"), h("dd", { class: "mono" }, i.connectionId || "—"),
      h("dt", {}, "started"), h("dd", {}, time(i.t)),
      h("dt", {}, "duration"), h("dd", {}, `${i.durationMs} ms (billed ${i.billedMs} ms)${i.cold ? `, cold start, init ${i.initMs} ms` : ", warm"}`),
      h("dt", {}, "memory"), h("dd", {}, `${i.memoryUsedMb || "?"} MB used of ${i.memorySize} MB`)),
    h("h2", {}, i.ok ? "Result" : "Error"), h("pre", { class: i.ok ? "" : "err" }, pretty(i.ok ? i.payload : i.error)),
    h("h2", {}, "Logs"), h("pre", { id: "inv-logs" }, (i.logs || []).join("\n")),
    h("h2", {}, "Event (edit and run again)"), h("textarea", { id: "event-input", rows: 14 }, pretty(i.event)),
    h("div", { class: "actions" }, h("button", { id: "rerun-button", onclick: () => rerun(i) }, "Run again"), h("span", { id: "rerun-status", class: "hint" })));
}
async function rerun(i) {
  const status = $("#rerun-status");
  try {
    const event = JSON.parse($("#event-input").value);
    const reply = await call("POST", "invoke", { function: i.function, event });
    if (reply.invocation) { details.set(reply.invocation.seq, reply.invocation); S.selectedInv = reply.invocation.seq; }
    renderInvocations(); // shows the new invocation (a new #rerun-status with it)
    const shown = $("#rerun-status");
    shown.textContent = reply.ok ? "ran: ok" : "ran: error"; shown.className = reply.ok ? "ok" : "err";
  } catch (e) { status.textContent = e.message; status.className = "err"; }
}

// -- streams ----------------------------------------------------------------------------------
function renderStreams() {
  const box = $("#stream-list"); const streams = S.overview ? S.overview.streams : [];
  if (!streams.length) return;
  box.replaceChildren();
  for (const m of streams) {
    const t = S.streamTotals[m.mapping] || {};
    const shards = h("table", {}, h("thead", {}, h("tr", {}, ["shard", "checkpoint", "last read", "lag (records)", "lag (age)", ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, m.shards.map((s) => h("tr", {}, h("td", { class: "mono" }, s.shard), h("td", { class: "mono" }, s.checkpoint || "—"), h("td", { class: "mono" }, s.lastRead || "—"),
        h("td", {}, s.lagRecords), h("td", {}, `${s.lagSeconds.toFixed(1)} s`), h("td", {}, s.finished ? "finished" : "")))));
    const batches = h("table", { class: "batches" }, h("thead", {}, h("tr", {}, ["time", "records", "size", "changes", "outcome", "acked", "to onFailure", "request"].map((x) => h("th", {}, x)))), h("tbody", {},
      S.batches.filter((b) => b.mapping === m.mapping).slice(-200).reverse().map((b) => h("tr", { class: "batch-row", "data-seq": b.seq },
        h("td", {}, time(b.t)), h("td", {}, b.records), h("td", {}, bytes(b.bytes)), h("td", { class: "mono" }, summarize(b.eventNames)),
        h("td", { class: b.outcome === "success" ? "ok" : "err" }, b.outcome + (b.retry ? " · retry" : "") + (b.bisected ? " · bisected" : "")),
        h("td", {}, b.acked), h("td", {}, b.discarded ? `${b.discarded} (${b.condition})` : ""), h("td", { class: "id" }, short(b.requestId))))));
    box.append(h("div", { class: "card" },
      h("h2", {}, `${m.function} ← ${m.stream}`),
      h("div", { class: "hint" }, `batch size ${m.batchSize}, ${m.startingPosition}${m.destination ? `, onFailure ${m.destination}` : ""}`),
      h("p", { class: "totals" }, [["batches", t.batches], ["records", t.records], ["failures", t.failures], ["partial", t.partial], ["retries", t.retries], ["bisections", t.bisections], ["to onFailure", t.discarded]].map(([k, v]) => h("span", {}, `${k} `, h("b", {}, v || 0)))),
      shards, h("h2", {}, "Batches"), batches));
  }
}
function summarize(names) { const n = {}; for (const x of names) n[x] = (n[x] || 0) + 1; return Object.entries(n).map(([k, v]) => `${v} ${k}`).join(", "); }

// -- tables -----------------------------------------------------------------------------------
const table = (op, params) => call("POST", `tables/${op}`, params);
function unmarshal(v) {
  const [t, x] = Object.entries(v)[0];
  switch (t) {
    case "S": case "B": return x; case "N": return Number(x); case "BOOL": return x; case "NULL": return null;
    case "M": return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, unmarshal(y)]));
    case "L": return x.map(unmarshal); case "SS": case "BS": return x; case "NS": return x.map(Number);
  }
  return x;
}
function marshal(v) {
  if (v === null) return { NULL: true };
  if (typeof v === "string") return { S: v };
  if (typeof v === "number") return { N: String(v) };
  if (typeof v === "boolean") return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(marshal) };
  return { M: Object.fromEntries(Object.entries(v).map(([k, y]) => [k, marshal(y)])) };
}
const plainItem = (item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, unmarshal(v)]));
async function loadTables() {
  const sel = $("#table-select");
  try {
    const { TableNames } = await table("ListTables", {});
    sel.replaceChildren(...TableNames.map((n) => h("option", { value: n }, n)));
    if (TableNames.length) await chooseTable(TableNames[0]);
    else $("#table-info").textContent = "No table.";
  } catch (e) { $("#table-info").textContent = e.message; }
}
async function chooseTable(name) {
  S.table = name; S.lastKey = null;
  const { Table } = await table("DescribeTable", { TableName: name });
  S.describe = Table;
  const idx = $("#index-select");
  idx.replaceChildren(h("option", { value: "" }, "table"), ...[...(Table.GlobalSecondaryIndexes || []), ...(Table.LocalSecondaryIndexes || [])].map((i) => h("option", { value: i.IndexName }, `index ${i.IndexName}`)));
  keyHints();
  await runTable(false);
}
function keySchema() {
  const name = $("#index-select").value; const T = S.describe;
  if (!name) return T.KeySchema;
  return [...(T.GlobalSecondaryIndexes || []), ...(T.LocalSecondaryIndexes || [])].find((i) => i.IndexName === name).KeySchema;
}
function keyHints() {
  const ks = keySchema(); const hash = ks.find((k) => k.KeyType === "HASH"), range = ks.find((k) => k.KeyType === "RANGE");
  $("#pk-value").placeholder = hash.AttributeName; $("#sk-value").placeholder = range ? range.AttributeName : "(no sort key)";
  $("#table-info").textContent = `${S.describe.TableName}: ${S.describe.ItemCount ?? "?"} items; key ${ks.map((k) => `${k.AttributeName} (${k.KeyType})`).join(", ")}`;
}
function attrType(name) { const a = (S.describe.AttributeDefinitions || []).find((d) => d.AttributeName === name); return a ? a.AttributeType : "S"; }
function keyValue(name, text) { const t = attrType(name); return { [t]: t === "N" ? String(Number(text)) : text }; }
async function runTable(next) {
  const params = { TableName: S.table, Limit: 25 };
  const index = $("#index-select").value; if (index) params.IndexName = index;
  if (next && S.lastKey) params.ExclusiveStartKey = S.lastKey;
  const names = {}, values = {};
  let op = "Scan";
  if ($("#table-mode").value === "query") {
    op = "Query";
    const ks = keySchema(); const hash = ks.find((k) => k.KeyType === "HASH"), range = ks.find((k) => k.KeyType === "RANGE");
    names["#pk"] = hash.AttributeName; values[":pk"] = keyValue(hash.AttributeName, $("#pk-value").value);
    let cond = "#pk = :pk";
    const skOp = $("#sk-op").value;
    if (range && skOp && $("#sk-value").value) {
      names["#sk"] = range.AttributeName; values[":sk"] = keyValue(range.AttributeName, $("#sk-value").value);
      cond += skOp === "=" ? " AND #sk = :sk" : " AND begins_with(#sk, :sk)";
    }
    params.KeyConditionExpression = cond;
  }
  const filter = $("#scan-filter").value.trim();
  if (filter) {
    params.FilterExpression = filter;
    const raw = $("#scan-values").value.trim();
    if (raw) for (const [k, v] of Object.entries(JSON.parse(raw))) values[k] = marshal(v);
  }
  if (Object.keys(names).length) params.ExpressionAttributeNames = names;
  if (Object.keys(values).length) params.ExpressionAttributeValues = values;
  try {
    const reply = await table(op, params);
    S.items = reply.Items || []; S.lastKey = reply.LastEvaluatedKey || null;
    $("#table-next").disabled = !S.lastKey;
    renderItems();
  } catch (e) { $("#table-info").textContent = e.message; }
}
function renderItems() {
  const keys = S.describe.KeySchema.map((k) => k.AttributeName);
  const cols = [...keys];
  for (const it of S.items) for (const k of Object.keys(it)) if (!cols.includes(k) && cols.length < 8) cols.push(k);
  $("#items thead").replaceChildren(h("tr", {}, cols.map((c) => h("th", {}, c))));
  $("#items tbody").replaceChildren(...S.items.map((it, n) => h("tr", { class: "item-row", onclick: () => { S.selectedItem = it; renderItem(); } },
    cols.map((c) => { const v = it[c] === undefined ? "" : unmarshal(it[c]); return h("td", { class: "mono" }, typeof v === "object" ? JSON.stringify(v).slice(0, 60) : String(v).slice(0, 60)); }))));
}
function renderItem(editing) {
  const it = S.selectedItem; const box = $("#item-detail");
  const text = it ? (S.itemView === "plain" ? pretty(plainItem(it)) : pretty(it)) : pretty(S.itemView === "plain" ? {} : {});
  box.replaceChildren(
    h("div", { class: "actions" },
      h("label", {}, h("input", { type: "radio", name: "view", checked: S.itemView === "plain", onchange: () => { S.itemView = "plain"; renderItem(); } }), " plain JSON"),
      h("label", {}, h("input", { type: "radio", name: "view", checked: S.itemView === "dynamodb", onchange: () => { S.itemView = "dynamodb"; renderItem(); } }), " DynamoDB JSON")),
    h("textarea", { id: "item-input", rows: 18 }, text),
    h("div", { class: "actions" },
      h("button", { id: "item-save", onclick: saveItem }, it ? "Save (PutItem)" : "Create (PutItem)"),
      it ? h("button", { id: "item-delete", class: "danger", onclick: deleteItem }, "Delete (DeleteItem)") : null,
      h("span", { id: "item-status", class: "hint" })));
}
async function saveItem() {
  const status = $("#item-status");
  try {
    const value = JSON.parse($("#item-input").value);
    const Item = S.itemView === "plain" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, marshal(v)])) : value;
    await table("PutItem", { TableName: S.table, Item });
    status.textContent = "saved"; status.className = "ok"; S.selectedItem = Item;
    await runTable(false);
  } catch (e) { status.textContent = e.message; status.className = "err"; }
}
async function deleteItem() {
  const it = S.selectedItem; const status = $("#item-status");
  const Key = Object.fromEntries(S.describe.KeySchema.map((k) => [k.AttributeName, it[k.AttributeName]]));
  try { await table("DeleteItem", { TableName: S.table, Key }); S.selectedItem = null; $("#item-detail").replaceChildren(h("p", { class: "hint" }, "Deleted.")); await runTable(false); }
  catch (e) { status.textContent = e.message; status.className = "err"; }
}

// -- wiring ------------------------------------------------------------------------------------
function show(tab) {
  S.tab = tab;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === tab);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === tab);
  if (tab === "tables" && !S.table) loadTables();
  if (tab === "tables" && S.table) runTable(false);
  renderAll();
  history.replaceState(null, "", `#${tab}`);
}
for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.tab));
$("#show-closed").addEventListener("change", renderConnections);
for (const id of ["#filter-function", "#filter-errors"]) $(id).addEventListener("change", renderInvocations);
$("#filter-connection").addEventListener("input", renderInvocations);
$("#table-select").addEventListener("change", (e) => chooseTable(e.target.value));
$("#index-select").addEventListener("change", () => { keyHints(); S.lastKey = null; });
$("#table-run").addEventListener("click", () => runTable(false));
$("#table-next").addEventListener("click", () => runTable(true));
$("#item-new").addEventListener("click", () => { S.selectedItem = null; renderItem(); });
setInterval(() => { if (S.tab === "connections") schedule("connection"); }, 5000); // "… s ago" labels, while the page is open

load().then(listen).then(() => { const tab = location.hash.slice(1); if (tab) show(tab); });
