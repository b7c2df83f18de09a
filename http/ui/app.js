// hogar's monitoring page: polls the daemon's cluster snapshot, overlays live figures on the
// server-made Graphviz layout, lists nodes, recoveries and tuning, sends test requests and
// submits or removes graphs. Plain ES2020, no framework, no build step: hogard embeds this file.
//
// Safety rule for the whole file: every name or message that comes from the server or the user
// reaches the page through textContent or setAttribute (helpers `el` and `svgEl`), never as
// markup, because graph, operator and node names may hold <, >, quotes and &.
"use strict";

// We poll rather than use server-sent events: one small request per second per open page, it
// passes through any proxy, and the snapshot is cluster-wide anyway, so a stream would carry the
// same document.
const POLL_INTERVAL_MS = 1000;
const HISTORY_MS = 5 * 60 * 1000;
const RECOVERY_WINDOW_MS = 30 * 1000;
const FAILING_ERROR_SHARE = 0.01;
const LARGE_GRAPH_OPERATORS = 60;
const IMAGE_SIDE_MAX = 1024;
const HOSTED_SHOWN = 12;
const TOKEN_KEY = "hogar.token";
const SVG_NS = "http://www.w3.org/2000/svg";
const PX_PER_UNIT = 4 / 3; // Graphviz lays out in points

const state = {
  snapshot: null,
  previous: null,
  nowMs: 0,               // the snapshot's own clock, so ages do not depend on the browser's
  figures: new Map(),     // graph name -> Map operator -> figures of the last interval
  ingressRate: new Map(), // graph name -> accepted requests/s over the last interval
  history: new Map(),     // "graph\0operator" -> [{t, p50, p99}] for the last 5 minutes
  graph: "",              // graph shown in the graph view
  layout: null,           // {graph, operatorsKey, svg, nodes: Map, edges: [], base: {...}}
  zoom: 1,
  detailOperator: "",
  tab: "graph-view",
  removing: "",           // graph waiting for the in-page confirmation of its removal
  openHosted: new Set(),  // "node\0graph" of the folded replica lists the user opened
  graphsKey: "",
  requestMeta: null,      // KServe metadata of the graph chosen in the requests panel
  running: false,
};

// ---------------------------------------------------------------------------------------------
// DOM helpers and formatting

const $ = (id) => document.getElementById(id);

function appendChildren(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// An HTML element; attribute values and children strings are never parsed as markup.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  return appendChildren(node, children);
}

function svgEl(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return appendChildren(node, children);
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// Updates a table body or container in place: unchanged children keep their identity between
// polls, so hover, open <details> and a browser test holding a row stay valid. Rows with the
// same data-key are patched cell by cell.
function syncChildren(parent, fresh) {
  fresh.forEach((node, i) => {
    const current = parent.children[i];
    if (current?.isEqualNode(node)) return;
    if (!current) {
      parent.append(node);
    } else if (current.localName === "tr" && node.localName === "tr" &&
               current.getAttribute("data-key") === node.getAttribute("data-key") &&
               current.cells.length === node.cells.length) {
      for (const a of node.attributes) if (current.getAttribute(a.name) !== a.value) current.setAttribute(a.name, a.value);
      [...node.cells].forEach((cell, j) => { if (!current.cells[j].isEqualNode(cell)) current.cells[j].replaceWith(cell); });
    } else {
      current.replaceWith(node);
    }
  });
  while (parent.children.length > fresh.length) parent.lastElementChild.remove();
}

function formatMicros(us) {
  if (us === null || us === undefined || !Number.isFinite(us)) return "–";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

function formatRate(perSecond) {
  if (!Number.isFinite(perSecond)) return "–";
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k`;
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

function formatShare(share) {
  if (share === null || !Number.isFinite(share)) return "–";
  if (share === 0) return "0%";
  return share < 0.001 ? "<0.1%" : `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

function formatAgo(ms) {
  if (!Number.isFinite(ms)) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

function formatClock(unixMs) {
  return new Date(unixMs).toLocaleTimeString([], { hour12: false });
}

function formatValue(v) {
  if (typeof v !== "number") return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5)));
}

function formatConfig(config) {
  const entries = Object.entries(config || {});
  return entries.length ? entries.map(([k, v]) => `${k}=${formatValue(v)}`).join(" ") : "–";
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------------------------------------
// Server access and the token prompt

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...options, headers, cache: "no-store" });
  if (response.status === 401) showTokenForm();
  return response;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function errorOf(response, body) {
  return body && typeof body.error === "string" ? body.error : `HTTP ${response.status}`;
}

function showTokenForm() {
  const form = $("auth");
  if (!form.hidden) return;
  setText($("token-label"), sessionStorage.getItem(TOKEN_KEY)
    ? "The daemon refused the token: enter another." : "This daemon asks for a bearer token.");
  form.hidden = false;
  $("token-input").focus();
}

function saveToken(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
  $("token-input").value = "";
  $("auth").hidden = true;
  state.layout = null; // a layout refused with 401 is fetched again
  if (state.tab === "operations") loadModels();
}

// ---------------------------------------------------------------------------------------------
// Polling and the figures derived from two snapshots

// The next poll is due one interval after this one started, not after it ended: a snapshot
// that waits on a stopped node's replicas (up to a second) does not stretch the period.
async function poll() {
  const started = performance.now();
  let snapshot = null;
  try {
    const response = await api("/v2/dashboard.json");
    if (!response.ok) throw new Error(errorOf(response, await readJson(response)));
    snapshot = await response.json();
    setStale("");
  } catch (error) {
    setStale(error.message || "poll failed");
  }
  // The same snapshot twice (a daemon answering from its cache) would read as an idle interval.
  if (snapshot && snapshot.taken_at_ns !== state.snapshot?.taken_at_ns) {
    acceptSnapshot(snapshot);
    render();
  }
  setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
}

function acceptSnapshot(snapshot) {
  state.previous = state.snapshot;
  state.snapshot = snapshot;
  state.nowMs = snapshot.taken_at_ns / 1e6;
  const nodeStates = new Map((snapshot.nodes || []).map((n) => [n.name, n.state]));
  const previousGraphs = new Map((state.previous?.graphs || []).map((g) => [g.name, g]));
  const seconds = state.previous ? (snapshot.taken_at_ns - state.previous.taken_at_ns) / 1e9 : 0;
  state.figures = new Map();
  state.ingressRate = new Map();
  for (const graph of snapshot.graphs || []) {
    const before = previousGraphs.get(graph.name);
    state.figures.set(graph.name, graphFigures(graph, before, nodeStates));
    const accepted = before && seconds > 0 ? counterDelta(graph.ingress?.accepted, before.ingress?.accepted) : NaN;
    state.ingressRate.set(graph.name, accepted / seconds);
  }
  recordHistory();
}

// Counters are cumulative; a replica replaced by a recovery starts again from zero.
function counterDelta(now, before) {
  if (!Number.isFinite(now) || !Number.isFinite(before)) return NaN;
  return now >= before ? now - before : now;
}

function groupReplicas(graph) {
  const byOperator = new Map();
  for (const replica of graph.replicas || []) {
    if (!byOperator.has(replica.operator)) byOperator.set(replica.operator, []);
    byOperator.get(replica.operator).push(replica);
  }
  return byOperator;
}

function graphFigures(graph, before, nodeStates) {
  const previous = new Map((before?.replicas || []).map((r) => [`${r.operator}#${r.replica}`, r]));
  const result = new Map();
  for (const [name, replicas] of groupReplicas(graph)) {
    const figures = operatorFigures(name, replicas, previous);
    figures.state = operatorState(figures, graph.recoveries || [], nodeStates);
    result.set(name, figures);
  }
  return result;
}

// p50 and p99 are those of the worst replica (highest value among replicas that answered):
// the operator is as slow as its slowest replica for the requests routed there.
function operatorFigures(name, replicas, previous) {
  const f = {
    name, replicas, kind: replicas[0]?.kind || "", rps: 0, p50: NaN, p99: NaN, queue: 0, inFlight: 0,
    batchMean: NaN, skippedShare: null, errorShare: null, sloMs: 0, nodes: new Map(),
  };
  let batches = 0, batched = 0, calls = 0, skipped = 0, failed = 0, measured = false;
  for (const r of replicas) {
    f.rps += r.throughput_rps || 0;
    f.queue += r.queue_depth || 0;
    f.inFlight += r.in_flight || 0;
    f.sloMs = Math.max(f.sloMs, r.slo_ms || 0);
    f.nodes.set(r.node, (f.nodes.get(r.node) || 0) + 1);
    if (r.latency_p99_us > 0) {
      f.p50 = Math.max(Number.isNaN(f.p50) ? 0 : f.p50, r.latency_p50_us);
      f.p99 = Math.max(Number.isNaN(f.p99) ? 0 : f.p99, r.latency_p99_us);
    }
    if (r.batches > 0) {
      batches += r.batches;
      batched += r.batches * r.batch_size_mean;
    }
    const old = previous.get(`${r.operator}#${r.replica}`);
    if (old) {
      measured = true;
      calls += counterDelta(r.calls, old.calls) || 0;
      skipped += counterDelta(r.skipped, old.skipped) || 0;
      failed += counterDelta(r.failed, old.failed) || 0;
    }
  }
  if (batches > 0) f.batchMean = batched / batches;
  if (measured) {
    f.skippedShare = calls + skipped > 0 ? skipped / (calls + skipped) : 0;
    f.errorShare = calls > 0 || failed > 0 ? failed / Math.max(calls, failed) : 0;
  }
  return f;
}

// The order matters: a dead operator is not also "slow", a recovering one not also "failing".
function operatorState(f, recoveries, nodeStates) {
  const nodeState = (r) => nodeStates.get(r.node);
  if (f.replicas.every((r) => nodeState(r) === "dead")) return "dead";
  const waiting = recoveries.some((c) => c.operator === f.name && !c.first_answer_unix_ms &&
    state.nowMs - c.detected_unix_ms <= RECOVERY_WINDOW_MS);
  const restarting = f.replicas.some((r) => r.state === "lost" && nodeState(r) !== "dead");
  if (waiting || restarting) return "recovering";
  // A replica that did not answer the snapshot in time (a stopped or overloaded node): its
  // figures are unknown, not zero; the other operators keep updating.
  if (f.replicas.some((r) => r.state === "unreachable" && nodeState(r) !== "dead")) return "unknown";
  if (!f.replicas.some((r) => r.state === "running" && nodeState(r) !== "dead")) return "dead";
  if (f.errorShare !== null && f.errorShare > FAILING_ERROR_SHARE) return "failing";
  if (f.sloMs > 0 && f.p99 > f.sloMs * 1000) return "slow";
  return "healthy";
}

function recordHistory() {
  const live = new Set();
  for (const [graph, operators] of state.figures) {
    for (const [name, f] of operators) {
      const key = `${graph}\0${name}`;
      live.add(key);
      if (!state.history.has(key)) state.history.set(key, []);
      const points = state.history.get(key);
      points.push({ t: state.nowMs, p50: f.p50, p99: f.p99 });
      while (points.length && points[0].t < state.nowMs - HISTORY_MS) points.shift();
    }
  }
  for (const key of state.history.keys()) if (!live.has(key)) state.history.delete(key);
}

// ---------------------------------------------------------------------------------------------
// Header, tabs and the per-poll render

function setStale(reason) {
  const stale = $("stale");
  stale.hidden = !reason;
  if (reason) {
    stale.textContent = "stale";
    stale.title = `The last poll failed: ${reason}. Still polling.`;
  }
  document.body.classList.toggle("is-stale", Boolean(reason));
}

function render() {
  const snapshot = state.snapshot;
  setText($("node-name"), snapshot.node || "?");
  setText($("updated"), formatClock(Date.now()));
  $("updated").title = `snapshot taken ${formatClock(state.nowMs)} by the node's clock`;
  $("updated").dataset.snapshotNs = String(snapshot.taken_at_ns);
  fillGraphSelect($("graph-select"), state.graph);
  fillGraphSelect($("req-graph"), $("req-graph").value);
  if (state.tab === "graph-view") renderGraphView();
  if (state.tab === "cluster") renderCluster();
  if (state.tab === "operations") renderGraphsTable();
  if (state.tab === "requests" && state.requestMeta?.graph !== $("req-graph").value) loadRequestMeta();
}

function graphNames() {
  return (state.snapshot?.graphs || []).map((g) => g.name);
}

function findGraph(name) {
  return (state.snapshot?.graphs || []).find((g) => g.name === name);
}

function fillGraphSelect(select, wanted) {
  const names = graphNames();
  const current = [...select.options].map((o) => o.value);
  if (current.join("\0") !== names.join("\0")) {
    select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
  }
  select.value = names.includes(wanted) ? wanted : names[0] || "";
  if (select.id === "graph-select") state.graph = select.value;
}

function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("#tabs [data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== tab;
  history.replaceState(null, "", `#${tab}`);
  if (tab === "operations") loadModels();
  if (tab === "requests") loadRequestMeta();
  if (state.snapshot) render();
}

// ---------------------------------------------------------------------------------------------
// Graph view: the server's SVG layout with live figures on top

function operatorsKey(graph) {
  return [...new Set((graph.replicas || []).map((r) => r.operator))].sort().join("\n");
}

function renderGraphView() {
  const graph = findGraph(state.graph);
  const canvas = $("graph-canvas");
  if (!graph) {
    canvas.replaceChildren(el("p", { class: "empty" }, "No graph is served."));
    state.layout = null;
    return;
  }
  const key = operatorsKey(graph);
  if (!state.layout || state.layout.graph !== graph.name || state.layout.operatorsKey !== key) {
    loadLayout(graph.name, key);
    return;
  }
  if (!state.layout.svg) return; // still loading, or failed (message shown)
  updateOverlay(graph);
  applyZoom();
  if (state.detailOperator) renderDetail();
}

async function loadLayout(name, key) {
  if (state.layout && state.layout.graph !== name) {
    state.detailOperator = ""; // it named an operator of the other graph
    $("op-detail").hidden = true;
  }
  const layout = { graph: name, operatorsKey: key, svg: null };
  state.layout = layout;
  const canvas = $("graph-canvas");
  try {
    const response = await api(`/v2/ui/graphs/${encodeURIComponent(name)}/layout.svg`);
    if (!response.ok) throw new Error(errorOf(response, await readJson(response)));
    const svg = sanitizeSvg(await response.text());
    if (state.layout !== layout) return; // the user chose another graph meanwhile
    indexLayout(layout, svg);
    canvas.replaceChildren(svg);
    fillOperatorNames(layout);
    // A large graph fitted to the width is unreadable: start at a readable zoom on its inputs.
    const large = layout.nodes.size > LARGE_GRAPH_OPERATORS;
    $("compact-toggle").checked = large;
    $("fit-toggle").checked = !large;
    state.zoom = large ? 0.6 : 1;
    addOverlay(layout);
    renderGraphView();
    const firstInput = layout.ports.values().next().value;
    centerOn(firstInput ? shapeBox(firstInput) : { x0: 0, x1: 0, y0: 0, y1: 0 }, false);
  } catch (error) {
    if (state.layout !== layout) return;
    canvas.replaceChildren(el("p", { class: "empty" }, `No layout for this graph: ${error.message}`));
    // Try again a little later instead of on every poll.
    setTimeout(() => { if (state.layout === layout) state.layout = null; }, 10000);
  }
}

// The layout is made by our own server, but we still strip anything active before it joins the
// page: scripts, foreign HTML, event handlers, links and animations that could set them.
function sanitizeSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (doc.getElementsByTagName("parsererror").length || root.localName !== "svg" ||
      root.namespaceURI !== SVG_NS) {
    throw new Error("the server's layout is not SVG");
  }
  const banned = new Set(["script", "foreignObject", "iframe", "embed", "object", "set", "animate",
    "animateMotion", "animateTransform", "handler", "listener"]);
  for (const node of [...root.querySelectorAll("*")]) {
    if (banned.has(node.localName)) {
      node.remove();
      continue;
    }
    for (const attribute of [...node.attributes]) {
      const name = attribute.localName.toLowerCase();
      if (name.startsWith("on") || name === "href" || name === "style") node.removeAttributeNode(attribute);
    }
  }
  for (const attribute of [...root.attributes]) {
    if (attribute.localName.toLowerCase().startsWith("on")) root.removeAttributeNode(attribute);
  }
  return document.importNode(root, true);
}

// Finds the operator groups and the edges between them, and the graph's coordinate frame.
function indexLayout(layout, svg) {
  layout.svg = svg;
  layout.nodes = new Map();
  layout.ports = new Map(); // "in:x" and "out:y" groups
  const titles = new Set();
  for (const group of svg.querySelectorAll("g.node")) {
    const title = group.querySelector("title")?.textContent || "";
    titles.add(title);
    if (title.startsWith("op:")) {
      const name = title.slice(3);
      group.setAttribute("data-operator", name);
      group.setAttribute("tabindex", "0");
      // Graphviz writes "name" then "kind": compact figures take the kind's place.
      const texts = group.querySelectorAll("text");
      const kind = texts.length >= 2 ? texts[texts.length - 1] : null;
      kind?.classList.add("op-kind");
      layout.nodes.set(name, { group, box: shapeBox(group), kind, figures: null, lines: [] });
    } else {
      layout.ports.set(title, group);
    }
  }
  layout.edges = [];
  for (const group of svg.querySelectorAll("g.edge")) {
    const ends = splitEdgeTitle(group.querySelector("title")?.textContent || "", titles);
    if (!ends) continue;
    group.setAttribute("data-from", ends[0]);
    group.setAttribute("data-to", ends[1]);
    layout.edges.push({ group, from: ends[0], to: ends[1], label: null });
  }
  const viewBox = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
  const frame = svg.querySelector("g.graph")?.getAttribute("transform") || "";
  const translate = /translate\(\s*([-\d.]+)[\s,]+([-\d.]+)\s*\)/.exec(frame);
  layout.base = {
    x: viewBox[0], y: viewBox[1], width: viewBox[2], height: viewBox[3],
    dx: translate ? Number(translate[1]) : 0, dy: translate ? Number(translate[2]) : 0,
  };
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.classList.add("layout");
}

// "op:a->op:b": names may themselves hold "->", so take the split whose two sides are nodes.
function splitEdgeTitle(title, titles) {
  for (let i = title.indexOf("->"); i >= 0; i = title.indexOf("->", i + 1)) {
    const from = title.slice(0, i), to = title.slice(i + 2);
    if (titles.has(from) && titles.has(to)) return [from, to];
  }
  return null;
}

// The bounding box of a node's shape, from its coordinates rather than getBBox(): the layout may
// be built while its tab is hidden, where the browser reports empty boxes.
function shapeBox(group) {
  const xs = [], ys = [];
  for (const shape of group.querySelectorAll("polygon, polyline, path, ellipse")) {
    if (shape.localName === "ellipse") {
      const [cx, cy, rx, ry] = ["cx", "cy", "rx", "ry"].map((a) => Number(shape.getAttribute(a)));
      xs.push(cx - rx, cx + rx);
      ys.push(cy - ry, cy + ry);
      continue;
    }
    const points = pathPoints(shape.getAttribute("points") || shape.getAttribute("d") || "");
    for (const [x, y] of points) { xs.push(x); ys.push(y); }
  }
  if (!xs.length) return { x0: 0, y0: 0, x1: 0, y1: 0 };
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

function pathPoints(text) {
  const numbers = (text.match(/-?\d*\.?\d+(?:e[-+]?\d+)?/gi) || []).map(Number);
  const points = [];
  for (let i = 0; i + 1 < numbers.length; i += 2) points.push([numbers[i], numbers[i + 1]]);
  return points;
}

// Graphviz edges are "M p0 C p1 p2 p3 C ...": the midpoint of the middle Bézier piece.
function edgeMidpoint(group) {
  const points = pathPoints(group.querySelector("path")?.getAttribute("d") || "");
  if (points.length < 4) return points[0] || [0, 0];
  const pieces = Math.floor((points.length - 1) / 3);
  const k = Math.floor(pieces / 2) * 3;
  const [p0, p1, p2, p3] = points.slice(k, k + 4);
  const at = (i) => 0.125 * p0[i] + 0.375 * p1[i] + 0.375 * p2[i] + 0.125 * p3[i];
  return [at(0), at(1)];
}

// Full figures go to the right of each operator (three lines); compact ones (one line, for large
// graphs where neighbours are close) replace the kind line inside the operator's shape.
function addOverlay(layout) {
  const compact = $("compact-toggle").checked;
  layout.svg.classList.toggle("compact", compact);
  for (const node of layout.nodes.values()) {
    node.figures?.remove();
    if (compact) {
      const x = node.kind ? node.kind.getAttribute("x") : (node.box.x0 + node.box.x1) / 2;
      const y = node.kind ? node.kind.getAttribute("y") : node.box.y1 + 10;
      node.lines = [svgEl("tspan", {})];
      node.figures = svgEl("text", { class: "op-figures", x, y, "text-anchor": "middle" }, ...node.lines);
    } else {
      node.lines = [0, 1, 2].map((i) => svgEl("tspan", { x: node.box.x1 + 5, dy: i === 0 ? 0 : "1.15em" }));
      node.figures = svgEl("text", { class: "op-figures", x: node.box.x1 + 5, y: node.box.y0 + 9 }, ...node.lines);
    }
    node.group.append(node.figures);
  }
  for (const edge of layout.edges) {
    if (edge.label) continue;
    // Below Graphviz's own label ("yes", "no") when the edge has one, else at its middle.
    const own = edge.group.querySelector("text");
    const [x, y] = own
      ? [Number(own.getAttribute("x")), Number(own.getAttribute("y")) + 11]
      : edgeMidpoint(edge.group).map((v, i) => v + (i === 0 ? 4 : 3));
    edge.label = svgEl("text", { class: "edge-rate", x, y, "text-anchor": own ? "middle" : "start" });
    edge.group.append(edge.label);
  }
  // Room on the right for the figures of the rightmost operators.
  const figuresWidth = compact ? 0 : 215;
  let right = layout.base.x + layout.base.width;
  for (const node of layout.nodes.values()) right = Math.max(right, node.box.x1 + layout.base.dx + figuresWidth);
  layout.viewWidth = right - layout.base.x;
  layout.svg.setAttribute("viewBox",
    `${layout.base.x} ${layout.base.y} ${layout.viewWidth} ${layout.base.height}`);
}

function nodesLine(f) {
  const nodes = [...f.nodes].map(([node, count]) => (count > 1 ? `${node}(${count})` : node)).join(", ");
  const text = `×${f.replicas.length} ${nodes}`;
  return text.length > 36 ? `${text.slice(0, 35)}…` : text;
}

function updateOverlay(graph) {
  const layout = state.layout;
  const figures = state.figures.get(graph.name) || new Map();
  for (const [name, node] of layout.nodes) {
    const f = figures.get(name);
    const opState = f ? f.state : "dead";
    if (node.group.getAttribute("data-state") !== opState) node.group.setAttribute("data-state", opState);
    node.group.classList.toggle("selected", name === state.detailOperator);
    const lines = f ? figureLines(f, node.lines.length === 1) : ["no replica"];
    node.lines.forEach((tspan, i) => setText(tspan, lines[i] || ""));
  }
  // When the first graph stood complete with its figures, ms after the page started to load
  // (bench/monitor reads it: the first-render target).
  if (!document.body.dataset.firstRenderMs)
    document.body.dataset.firstRenderMs = String(Math.round(performance.now()));
  const ingress = state.ingressRate.get(graph.name);
  // What flows along an edge is what its source produced and its consumer took: a branch not
  // taken (a dashed `when` edge) carries the consumer's rate, an input its producer skipped
  // carries the producer's. A graph output takes whatever its source produces.
  const rateOf = (end) => end.startsWith("op:") ? figures.get(end.slice(3))?.rps ?? NaN
    : end.startsWith("in:") ? ingress : NaN;
  for (const edge of layout.edges) {
    const produced = rateOf(edge.from);
    const taken = edge.to.startsWith("op:") ? rateOf(edge.to) : produced;
    const rate = Math.min(produced, taken);
    setText(edge.label, Number.isFinite(rate) ? `${formatRate(rate)}/s` : "");
  }
}

function figureLines(f, compact) {
  const rate = `${formatRate(f.rps)}/s`;
  if (compact) return [`${rate} · ${formatMicros(f.p99)}`];
  const batch = Number.isNaN(f.batchMean) ? "" : ` · b ${f.batchMean.toFixed(1)}`;
  return [
    nodesLine(f),
    `${rate} · p50 ${formatMicros(f.p50)} · p99 ${formatMicros(f.p99)}`,
    `q ${f.queue} · in ${f.inFlight}${batch} · skip ${formatShare(f.skippedShare)} · err ${formatShare(f.errorShare)}`,
  ];
}

// Pixel size from the zoom factor, or the canvas width when fitting (never past the natural
// size, which only blurs small graphs).
function applyZoom() {
  const layout = state.layout;
  if (!layout?.svg) return;
  const canvas = $("graph-canvas");
  let scale = state.zoom;
  if ($("fit-toggle").checked) scale = Math.min(1, (canvas.clientWidth - 24) / (layout.viewWidth * PX_PER_UNIT));
  const width = Math.max(50, Math.round(layout.viewWidth * PX_PER_UNIT * scale));
  const height = Math.max(50, Math.round(layout.base.height * PX_PER_UNIT * scale));
  if (layout.svg.getAttribute("width") !== String(width)) {
    layout.svg.setAttribute("width", width);
    layout.svg.setAttribute("height", height);
  }
}

// Keeps the point at the centre of the view where it was.
function zoomBy(factor) {
  const layout = state.layout;
  if (!layout?.svg) return;
  const canvas = $("graph-canvas");
  const width = Number(layout.svg.getAttribute("width"));
  const height = Number(layout.svg.getAttribute("height"));
  const cx = (canvas.scrollLeft + canvas.clientWidth / 2) / width;
  const cy = (canvas.scrollTop + canvas.clientHeight / 2) / height;
  if ($("fit-toggle").checked) {
    state.zoom = width / (layout.viewWidth * PX_PER_UNIT);
    $("fit-toggle").checked = false;
  }
  state.zoom = Math.min(4, Math.max(0.05, state.zoom * factor));
  applyZoom();
  canvas.scrollLeft = cx * Number(layout.svg.getAttribute("width")) - canvas.clientWidth / 2;
  canvas.scrollTop = cy * Number(layout.svg.getAttribute("height")) - canvas.clientHeight / 2;
}

// Scrolls the canvas (not the page) so a box in graph coordinates is in view.
function centerOn(box, vertically) {
  const layout = state.layout;
  const canvas = $("graph-canvas");
  const scale = Number(layout.svg.getAttribute("width")) / layout.viewWidth;
  const x = ((box.x0 + box.x1) / 2 + layout.base.dx - layout.base.x) * scale;
  const y = ((box.y0 + box.y1) / 2 + layout.base.dy - layout.base.y) * scale;
  canvas.scrollLeft = x - canvas.clientWidth / 2;
  if (vertically) canvas.scrollTop = y - canvas.clientHeight / 2;
}

function fillOperatorNames(layout) {
  $("op-names").replaceChildren(...[...layout.nodes.keys()].sort().map((n) => el("option", { value: n })));
}

function findOperator() {
  const name = $("op-find").value;
  const node = state.layout?.nodes.get(name);
  if (!node) return;
  openDetail(name);
  centerOn(node.box, true);
}

function onCanvasClick(event) {
  const group = event.target.closest?.("g.node[data-operator]");
  if (group) openDetail(group.getAttribute("data-operator"));
}

// ---------------------------------------------------------------------------------------------
// Operator detail panel

function openDetail(name) {
  state.detailOperator = name;
  $("op-detail").hidden = false;
  renderGraphView();
}

function closeDetail() {
  state.detailOperator = "";
  $("op-detail").hidden = true;
  if (state.snapshot) renderGraphView();
}

function renderDetail() {
  const f = state.figures.get(state.graph)?.get(state.detailOperator);
  setText($("op-detail-title"), `${state.detailOperator}${f?.kind ? ` (${f.kind})` : ""}`);
  const panel = $("op-detail");
  panel.setAttribute("data-operator", state.detailOperator);
  panel.setAttribute("data-state", f ? f.state : "dead");
  if (!f) {
    setText($("op-detail-summary"), "No replica of this operator is reported.");
    renderReplicaTable([]);
    return;
  }
  setText($("op-detail-summary"), `${f.state} · ${formatRate(f.rps)} requests/s · worst replica ` +
    `p50 ${formatMicros(f.p50)}, p99 ${formatMicros(f.p99)}` +
    `${f.sloMs > 0 ? ` (SLO ${f.sloMs} ms)` : ""} · failed ${formatShare(f.errorShare)}, ` +
    `skipped ${formatShare(f.skippedShare)} over the last poll`);
  renderReplicaTable(f.replicas);
  renderSettings(f);
  renderLatencyChart($("op-latency-chart"), state.history.get(`${state.graph}\0${f.name}`) || [], f.sloMs);
  renderHistogram($("op-histogram"), f.replicas);
}

// One column per replica and one row per figure: fifteen figures side by side do not fit the panel.
const REPLICA_FIELDS = [
  ["node", (r) => r.node],
  ["state", (r) => r.state],
  ["device", (r) => r.device || "–"],
  ["versions", (r) => r.versions || "–"],
  ["calls", (r) => r.calls],
  ["failed", (r) => r.failed],
  ["skipped", (r) => r.skipped],
  ["queue", (r) => r.queue_depth],
  ["in flight", (r) => r.in_flight],
  ["p50", (r) => (r.latency_p99_us > 0 ? formatMicros(r.latency_p50_us) : "–")],
  ["p99", (r) => (r.latency_p99_us > 0 ? formatMicros(r.latency_p99_us) : "–")],
  ["batch size mean", (r) => (r.batches > 0 ? r.batch_size_mean.toFixed(2) : "–")],
  ["batch limits", (r) => (r.batch_size_max > 1 ? `≤ ${r.batch_size_max} · ≤ ${formatMicros(r.batch_delay_max_us)}` : "no batching")],
  ["role", (r) => r.role || "–"],
];

function renderReplicaTable(replicas) {
  const table = $("op-replicas");
  syncChildren(table.tHead, [el("tr", {}, el("th", {}, "replica"),
    ...replicas.map((r) => el("th", { "data-replica": r.replica }, `#${r.replica}`)))]);
  syncChildren(table.tBodies[0], REPLICA_FIELDS.map(([label, value]) => el("tr", { "data-field": label, "data-key": label },
    el("th", {}, label),
    ...replicas.map((r) => el("td", {
      "data-replica": r.replica,
      class: label === "state" && r.state !== "running" ? "replica-other" : null,
    }, value(r))))));
}

function renderSettings(f) {
  const unique = (values) => [...new Set(values.filter(Boolean))].join("; ") || "–";
  const rows = [
    ["batch size max", unique(f.replicas.map((r) => String(r.batch_size_max)))],
    ["batch delay max", unique(f.replicas.map((r) => (r.batch_size_max > 1 ? formatMicros(r.batch_delay_max_us) : "no batching")))],
    ["batches run", f.replicas.reduce((sum, r) => sum + (r.batches || 0), 0)],
    ["mean batch", Number.isNaN(f.batchMean) ? "–" : f.batchMean.toFixed(2)],
    ["model versions", unique(f.replicas.map((r) => r.versions))],
    ["device", unique(f.replicas.map((r) => r.device))],
    ["latency objective", f.sloMs > 0 ? `${f.sloMs} ms` : "none"],
  ];
  const tuning = f.replicas.find((r) => r.tuning)?.tuning;
  if (tuning) rows.push(["tuning", `${tuning.policy || "none"}: ${formatConfig(tuning.config)}`]);
  syncChildren($("op-settings"), rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// ---------------------------------------------------------------------------------------------
// Charts. Debian's libjs-chart.js would be one more package to install and ship inside hogard;
// these two small charts (bars and two lines) take about a hundred lines of plain SVG.

const CHART = { width: 380, height: 150, left: 52, right: 8, top: 10, bottom: 34 };

function chartFrame(label) {
  return svgEl("svg", {
    class: "chart-svg", viewBox: `0 0 ${CHART.width} ${CHART.height}`, role: "img", "aria-label": label,
  });
}

function yAxis(svg, maxValue, format) {
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  for (const fraction of [0, 0.5, 1]) {
    const y = CHART.top + plotHeight * (1 - fraction);
    svg.append(svgEl("line", { class: "grid", x1: CHART.left, x2: CHART.width - CHART.right, y1: y, y2: y }));
    svg.append(svgEl("text", { class: "axis", x: CHART.left - 4, y: y + 3, "text-anchor": "end" },
      format(maxValue * fraction)));
  }
}

// bars: [{label, value, title}]
function renderBars(container, bars, format, label) {
  const svg = chartFrame(label);
  const maxValue = Math.max(1, ...bars.map((b) => b.value));
  yAxis(svg, maxValue, format);
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const step = plotWidth / Math.max(1, bars.length);
  const labelEvery = Math.ceil(bars.length / 8);
  bars.forEach((bar, i) => {
    const h = (bar.value / maxValue) * plotHeight;
    const x = CHART.left + i * step;
    svg.append(svgEl("rect", { class: "bar", x: x + 1, y: CHART.top + plotHeight - h, width: Math.max(1, step - 2), height: h },
      svgEl("title", {}, bar.title)));
    if (i % labelEvery === 0) {
      svg.append(svgEl("text", { class: "axis", x: x + step / 2, y: CHART.height - CHART.bottom + 12, "text-anchor": "middle" }, bar.label));
    }
  });
  container.replaceChildren(svg);
}

function renderHistogram(container, replicas) {
  const withHistogram = replicas.filter((r) => r.latency_histogram?.counts?.length);
  if (!withHistogram.length) {
    container.replaceChildren(el("p", { class: "empty" }, "The server sends no latency histogram for this operator."));
    return;
  }
  const bounds = withHistogram[0].latency_histogram.upper_bounds_us;
  const counts = bounds.map(() => 0);
  for (const r of withHistogram) {
    const h = r.latency_histogram;
    if (h.upper_bounds_us.join() !== bounds.join()) continue; // replicas with other buckets: left out
    h.counts.forEach((c, i) => { if (i < counts.length) counts[i] += c; });
  }
  // Trim empty buckets at both ends so the shape is readable.
  let first = counts.findIndex((c) => c > 0), last = counts.length - 1;
  while (last > first && counts[last] === 0) last--;
  if (first < 0) first = 0;
  const bars = [];
  for (let i = first; i <= last; i++) {
    const upper = bounds[i] === null ? "+∞" : formatMicros(bounds[i]);
    const lower = i === 0 ? "0" : formatMicros(bounds[i - 1]);
    bars.push({ label: bounds[i] === null ? `> ${lower}` : `≤ ${upper}`, value: counts[i], title: `${lower} – ${upper}: ${counts[i]} calls` });
  }
  renderBars(container, bars, (v) => String(Math.round(v)), "latency histogram");
}

function renderLatencyChart(container, points, sloMs) {
  const valid = points.filter((p) => Number.isFinite(p.p99));
  if (valid.length < 2) {
    container.replaceChildren(el("p", { class: "empty" }, "Collecting: the chart fills from the page's polls."));
    return;
  }
  const svg = chartFrame("p50 and p99 latency over the last 5 minutes");
  const maxValue = Math.max(...valid.map((p) => p.p99), sloMs * 1000) * 1.1;
  yAxis(svg, maxValue, formatMicros);
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  // The axis spans what the page has seen, up to 5 minutes, so a fresh page shows a line too.
  const spanMs = Math.max(10000, Math.min(HISTORY_MS, state.nowMs - valid[0].t));
  const x = (t) => CHART.left + plotWidth * (1 - (state.nowMs - t) / spanMs);
  const y = (v) => CHART.top + plotHeight * (1 - v / maxValue);
  if (sloMs > 0) {
    svg.append(svgEl("line", { class: "slo", x1: CHART.left, x2: CHART.width - CHART.right, y1: y(sloMs * 1000), y2: y(sloMs * 1000) }));
  }
  for (const key of ["p99", "p50"]) {
    const line = valid.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
    svg.append(svgEl("polyline", { class: `line-${key}`, points: line }));
  }
  const base = CHART.height - CHART.bottom + 12;
  const span = spanMs >= 60000 ? `${Math.round(spanMs / 60000)} min` : `${Math.round(spanMs / 1000)} s`;
  svg.append(svgEl("text", { class: "axis", x: CHART.left, y: base }, `−${span}`));
  svg.append(svgEl("text", { class: "axis", x: CHART.width - CHART.right, y: base, "text-anchor": "end" }, "now"));
  svg.append(svgEl("text", { class: "key-p99", x: CHART.left + 80, y: base + 14 }, "— p99"));
  svg.append(svgEl("text", { class: "key-p50", x: CHART.left + 140, y: base + 14 }, "— p50"));
  if (sloMs > 0) svg.append(svgEl("text", { class: "key-slo", x: CHART.left + 200, y: base + 14 }, "-- SLO"));
  container.replaceChildren(svg);
}

// ---------------------------------------------------------------------------------------------
// Cluster view: nodes, recoveries, tuning

function renderCluster() {
  const snapshot = state.snapshot;
  const hosted = new Map(); // node -> [{graph, text, kind}]
  const note = (node, item) => {
    if (!hosted.has(node)) hosted.set(node, []);
    hosted.get(node).push(item);
  };
  const nodeStates = new Map((snapshot.nodes || []).map((n) => [n.name, n.state]));
  for (const graph of snapshot.graphs || []) {
    for (const r of graph.replicas || []) {
      const lost = nodeStates.get(r.node) === "dead";
      note(r.node, { graph: graph.name, text: `${r.operator}#${r.replica}${lost ? " (lost)" : ""}`, kind: lost ? "lost" : "" });
    }
    for (const c of graph.recoveries || []) {
      note(c.failed_node, { graph: graph.name, text: `${c.operator}#${c.replica} → ${c.new_node}`, kind: "moved" });
    }
  }
  const rows = (snapshot.nodes || []).map((n) => nodeRow(n, hosted.get(n.name) || []));
  syncChildren($("nodes-table").tBodies[0], rows);
  renderRecoveries();
  renderTuning();
}

function nodeRow(n, items) {
  const since = Number.isFinite(n.state_since_unix_ms) ? formatAgo(state.nowMs - n.state_since_unix_ms) : "–";
  const byGraph = new Map();
  for (const item of items) {
    if (!byGraph.has(item.graph)) byGraph.set(item.graph, []);
    byGraph.get(item.graph).push(item);
  }
  const hostedCell = el("td", { class: "hosted" });
  for (const [graph, list] of byGraph) {
    const names = el("span", {});
    list.forEach((item, i) => {
      if (i) names.append(", ");
      names.append(el("span", { class: item.kind ? `replica-${item.kind}` : null }, item.text));
    });
    // A node of a large graph hosts hundreds of replicas: fold them.
    const key = `${n.name}\0${graph}`;
    hostedCell.append(list.length > HOSTED_SHOWN
      ? el("details", { "data-key": key, open: state.openHosted.has(key) },
        el("summary", {}, el("span", { class: "graph-name" }, graph), `: ${list.length} replicas`), names)
      : el("div", {}, el("span", { class: "graph-name" }, graph), ": ", names));
  }
  if (!items.length) hostedCell.append("–");
  return el("tr", { "data-node": n.name, "data-state": n.state, "data-key": n.name },
    el("td", {}, n.name),
    el("td", {}, el("span", { class: `node-state state-${n.state}` }, n.state)),
    el("td", { title: Number.isFinite(n.state_since_unix_ms) ? formatClock(n.state_since_unix_ms) : null }, since),
    el("td", { class: "nowrap" }, n.host, el("br"), el("small", {}, `actors ${n.actor_port} · http ${n.http_port}`)),
    el("td", { class: "num" }, n.cpu_threads), el("td", { class: "num" }, n.gpus),
    el("td", {}, (n.labels || []).join(", ") || "–"), hostedCell);
}

function sinceDetected(c, unixMs) {
  if (!unixMs) return "waiting";
  const ms = unixMs - c.detected_unix_ms;
  return `${formatClock(unixMs)} (+${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`})`;
}

function renderRecoveries() {
  const blocks = [];
  for (const graph of state.snapshot.graphs || []) {
    if (!graph.recoveries?.length && !graph.recoveries_total) continue;
    const ordered = [...(graph.recoveries || [])].sort((a, b) => b.detected_unix_ms - a.detected_unix_ms);
    blocks.push(el("div", { class: "block", "data-graph": graph.name },
      el("h3", {}, graph.name),
      el("p", { class: "summary" }, `${graph.recoveries_total} recoveries in all · ${graph.replayed_messages} requests replayed · epoch ${graph.epoch}`),
      el("table", { class: "data" },
        el("thead", {}, el("tr", {}, ...["operator", "failed on", "moved to", "reason", "detected", "replaced", "first answer", "backup"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...ordered.map((c) => el("tr", {},
          el("td", {}, `${c.operator}#${c.replica}`), el("td", {}, c.failed_node), el("td", {}, c.new_node),
          el("td", {}, c.reason),
          el("td", { class: "nowrap" }, `${formatClock(c.detected_unix_ms)} (${formatAgo(state.nowMs - c.detected_unix_ms)})`),
          el("td", { class: "nowrap" }, sinceDetected(c, c.replaced_unix_ms)),
          el("td", { class: c.first_answer_unix_ms ? "nowrap" : "waiting" }, sinceDetected(c, c.first_answer_unix_ms)),
          el("td", {}, c.backup ? "yes" : "no")))))));
  }
  syncChildren($("recoveries"), (blocks.length ? blocks : [el("p", { class: "empty" }, "No recoveries.")]));
}

// An operator counts as tuned when its tuner has a policy or has changed its configuration;
// the others only report their measuring windows.
function renderTuning() {
  const blocks = [];
  for (const graph of state.snapshot.graphs || []) {
    for (const r of graph.replicas || []) {
      const t = r.tuning;
      if (!t || (!t.policy && !t.changes?.length)) continue;
      const changes = [...(t.changes || [])].reverse();
      blocks.push(el("div", { class: "block", "data-graph": graph.name, "data-operator": r.operator },
        el("h3", {}, `${graph.name} / ${r.operator}#${r.replica}`),
        el("p", { class: "summary" }, `policy ${t.policy || "none"} · ${t.tried ?? t.configurations_tried ?? 0} configurations tried · ${t.windows ?? 0} windows`),
        el("dl", { class: "settings" },
          el("dt", {}, "current"), el("dd", {}, formatConfig(t.config)),
          el("dt", {}, "best"), el("dd", {}, formatConfig(t.best))),
        el("table", { class: "data" },
          el("thead", {}, el("tr", {}, el("th", {}, "time"), el("th", {}, "reason"), el("th", {}, "configuration"))),
          el("tbody", {}, ...changes.map((c) => el("tr", {},
            el("td", { class: "nowrap" }, `${formatClock(c.unix_ms)} (${formatAgo(state.nowMs - c.unix_ms)})`),
            el("td", {}, c.reason), el("td", {}, formatConfig(c.config))))))));
    }
  }
  syncChildren($("tuning"), (blocks.length ? blocks : [el("p", { class: "empty" }, "No tuned operator.")]));
}

// ---------------------------------------------------------------------------------------------
// Requests panel: generated, image or pasted inputs sent with bounded concurrency

async function loadRequestMeta() {
  const name = $("req-graph").value;
  if (!name) return;
  const meta = { graph: name, inputs: findGraph(name)?.inputs || [] };
  state.requestMeta = meta;
  try {
    const response = await api(`/v2/models/${encodeURIComponent(name)}`);
    const body = await readJson(response);
    if (response.ok && Array.isArray(body?.inputs)) meta.inputs = body.inputs;
  } catch {
    // The dashboard's declared inputs serve as well.
  }
  if (state.requestMeta !== meta) return;
  const image = imageInput(meta.inputs);
  $("req-input-image").disabled = !image;
  if (!image && inputMode() === "image") document.querySelector('input[name="req-input"][value="random"]').checked = true;
  showInputFields();
  setText($("req-inputs"), `Inputs: ${meta.inputs.map((i) => `${i.name} ${i.datatype} [${(i.shape || []).join(", ")}]`).join("; ") || "none declared"}`);
}

function inputMode() {
  return document.querySelector('input[name="req-input"]:checked').value;
}

function showInputFields() {
  const mode = inputMode();
  $("req-image").hidden = mode !== "image";
  $("req-json").hidden = mode !== "json";
  if (mode === "json" && !$("req-json").value.trim() && state.requestMeta) {
    $("req-json").value = JSON.stringify(randomBody(state.requestMeta.inputs));
  }
}

// A graph takes an image when its single input is UINT8 [H, W, 3] (H and W fixed or -1).
function imageInput(inputs) {
  if (inputs.length !== 1) return null;
  const input = inputs[0];
  const shape = input.shape || [];
  return input.datatype === "UINT8" && shape.length === 3 && shape[2] === 3 ? input : null;
}

function randomValue(datatype) {
  switch (datatype) {
    case "UINT8": return Math.floor(Math.random() * 256);
    case "INT8": return Math.floor(Math.random() * 256) - 128;
    case "BOOL": return Math.random() < 0.5;
    case "FP16": case "FP32": case "FP64": case "BF16": return Number(Math.random().toFixed(6));
    default: return Math.floor(Math.random() * 10); // INT64 and the other integers: 0..9
  }
}

function randomBody(inputs) {
  return {
    inputs: inputs.map((input) => {
      const looksLikeImage = Boolean(imageInput([input]));
      const shape = (input.shape || []).map((d) => (d >= 0 ? d : looksLikeImage ? 64 : 1));
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: size }, () => randomValue(input.datatype));
      return { name: input.name, datatype: input.datatype, shape, data };
    }),
  };
}

// Decodes the picture to RGB, height x width x 3 bytes, resized to the declared size when fixed;
// a free size keeps the picture's own, capped so the JSON body stays reasonable.
async function imageBody(file, input) {
  const bitmap = await createImageBitmap(file);
  let [height, width] = input.shape;
  if (!(height > 0 && width > 0)) {
    const scale = Math.min(1, IMAGE_SIDE_MAX / Math.max(bitmap.width, bitmap.height));
    height = height > 0 ? height : Math.round(bitmap.height * scale);
    width = width > 0 ? width : Math.round(bitmap.width * scale);
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, width, height);
  const rgba = context.getImageData(0, 0, width, height).data;
  const data = new Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4) {
    data[q++] = rgba[p];
    data[q++] = rgba[p + 1];
    data[q++] = rgba[p + 2];
  }
  return { inputs: [{ name: input.name, datatype: "UINT8", shape: [height, width, 3], data }] };
}

// Returns a function giving the body of request k, or throws with a message for the user.
async function requestBodies(meta) {
  const mode = inputMode();
  if (mode === "random") return () => JSON.stringify(randomBody(meta.inputs));
  if (mode === "image") {
    const file = $("req-image").files[0];
    if (!file) throw new Error("choose an image file first");
    const body = JSON.stringify(await imageBody(file, imageInput(meta.inputs)));
    return () => body;
  }
  const text = $("req-json").value;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new Error(`the pasted JSON does not parse: ${error.message}`);
  }
  return () => text;
}

async function sendRequests(event) {
  event.preventDefault();
  if (state.running) return;
  const meta = state.requestMeta;
  const count = Math.max(1, Number($("req-count").value) || 20);
  const concurrency = Math.max(1, Number($("req-concurrency").value) || 4);
  $("req-results").replaceChildren();
  $("req-histogram").replaceChildren();
  if (!meta) {
    setText($("req-summary"), "No graph to send to.");
    return;
  }
  let bodyFor;
  try {
    bodyFor = await requestBodies(meta);
  } catch (error) {
    setText($("req-summary"), `Not sent: ${error.message}`);
    return;
  }
  state.running = true;
  $("req-send").disabled = true;
  const times = [];
  let next = 1, ok = 0;
  const path = `/v2/models/${encodeURIComponent(meta.graph)}/infer`;
  const worker = async () => {
    while (next <= count) {
      const number = next++;
      const answer = await sendOne(path, bodyFor(number));
      times.push(answer.ms);
      if (answer.ok) ok++;
      insertAnswer(answerRow(number, answer), number);
      updateRunSummary(times, ok, count);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  renderRunHistogram(times);
  state.running = false;
  $("req-send").disabled = false;
}

async function sendOne(path, body) {
  const start = performance.now();
  try {
    const response = await api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    const answer = await readJson(response);
    return { ok: response.ok, status: response.status, ms: performance.now() - start, body: answer };
  } catch (error) {
    return { ok: false, status: 0, ms: performance.now() - start, body: { error: error.message } };
  }
}

// Answers arrive out of order; rows stay in request order (searching from the end, where a new
// answer almost always belongs).
function insertAnswer(row, number) {
  const rows = $("req-results").rows;
  let i = rows.length;
  while (i > 0 && Number(rows[i - 1].getAttribute("data-request")) > number) i--;
  $("req-results").insertBefore(row, rows[i] || null);
}

function answerRow(number, answer) {
  const body = answer.body || {};
  const servedBy = body.parameters?.served_by || [];
  const served = servedBy.map((s) => `${s.operator}: ${s.model} v${s.version}`).join(", ") || "–";
  // The operators behind a `when` that ran for this request ("none": every branch skipped).
  const branches = answer.ok ? (body.parameters?.branches || []).join(", ") || "none" : "–";
  const outputs = answer.ok
    ? (body.outputs || []).map(outputSummary)
    : [body.error || `HTTP ${answer.status}`];
  return el("tr", { class: `answer ${answer.ok ? "ok" : "failed"}`, "data-request": number },
    el("td", { class: "num" }, number),
    el("td", {}, answer.status || "network error"),
    el("td", { class: "num" }, `${answer.ms.toFixed(1)} ms`),
    el("td", {}, served),
    el("td", { class: "branches" }, branches),
    el("td", { class: "outputs" }, ...outputs.map((line) => el("div", {}, line))));
}

function outputSummary(output) {
  const data = Array.isArray(output.data) ? output.data : [];
  const shown = data.slice(0, 6).map(formatValue).join(", ");
  const more = data.length > 6 ? `, … ${data.length} values` : "";
  return `${output.name} ${output.datatype}[${(output.shape || []).join(", ")}] {${shown}${more}}`;
}

function updateRunSummary(times, ok, count) {
  const sorted = [...times].sort((a, b) => a - b);
  const pending = count - times.length;
  setText($("req-summary"), `${times.length} answered, ${ok} ok` +
    `${times.length - ok ? `, ${times.length - ok} failed` : ""}, p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
    `p99 ${percentile(sorted, 99).toFixed(1)} ms${pending ? ` (${pending} to go)` : ""}`);
}

function renderRunHistogram(times) {
  if (!times.length) return;
  const low = Math.min(...times), high = Math.max(...times);
  const buckets = Math.min(20, Math.max(5, Math.ceil(Math.sqrt(times.length))));
  const width = Math.max(0.1, (high - low) / buckets);
  const counts = new Array(buckets).fill(0);
  for (const t of times) counts[Math.min(buckets - 1, Math.floor((t - low) / width))]++;
  const bars = counts.map((c, i) => ({
    label: `${(low + i * width).toFixed(0)}`, value: c,
    title: `${(low + i * width).toFixed(1)}–${(low + (i + 1) * width).toFixed(1)} ms: ${c} requests`,
  }));
  renderBars($("req-histogram"), bars, (v) => String(Math.round(v)), "response times of this run, ms");
  $("req-histogram").append(el("p", { class: "axis-note" }, "response time, ms (measured in the page)"));
}

// ---------------------------------------------------------------------------------------------
// Operations: submit and remove graphs, load and unload models

function readSubmitFile() {
  const file = $("submit-file").files[0];
  if (!file) return;
  $("submit-name").value = file.name;
  file.text().then((text) => { $("submit-text").value = text; });
}

async function submitGraph(event) {
  event.preventDefault();
  const name = $("submit-name").value.trim() || "graph.yaml";
  const errors = $("submit-errors");
  errors.replaceChildren();
  setText($("submit-result"), "Submitting…");
  $("submit-result").className = "result";
  try {
    const response = await api(`/v2/ui/graphs?file=${encodeURIComponent(name)}`, {
      method: "POST", headers: { "Content-Type": "text/yaml" }, body: $("submit-text").value,
    });
    const body = await readJson(response);
    if (response.ok) {
      setText($("submit-result"), `Graph ${body.graph} submitted: ${body.operators} operators, ${body.replicas} replicas.`);
      $("submit-result").className = "result ok";
      return;
    }
    // Several errors come as a list: the line above only counts them.
    const list = Array.isArray(body?.errors) ? body.errors : [];
    setText($("submit-result"), list.length > 1
      ? `Not submitted: ${list.length} errors in ${name}.`
      : errorOf(response, body));
    $("submit-result").className = "result failed";
    errors.replaceChildren(...list.map((line) => el("li", {}, line)));
  } catch (error) {
    setText($("submit-result"), `Not submitted: ${error.message}`);
    $("submit-result").className = "result failed";
  }
}

// Rebuilt only when the graph list or the pending confirmation changes, so a poll does not
// replace the buttons under the user's pointer.
function renderGraphsTable() {
  const graphs = state.snapshot?.graphs || [];
  const key = `${graphs.map((g) => `${g.name}\0${g.operators}\0${g.replica_count}`).join("\n")}\n${state.removing}`;
  if (key === state.graphsKey) return;
  state.graphsKey = key;
  $("graphs-table").tBodies[0].replaceChildren(...graphs.map((g) => {
    const action = el("td", { class: "actions" });
    if (state.removing === g.name) {
      action.append(`Remove ${g.name}? `,
        el("button", { type: "button", class: "danger", "data-action": "remove-confirm" }, "Remove"), " ",
        el("button", { type: "button", "data-action": "remove-cancel" }, "Cancel"));
    } else {
      action.append(el("button", { type: "button", "data-action": "remove" }, "Remove…"));
    }
    return el("tr", { "data-graph": g.name }, el("td", {}, g.name), el("td", {}, g.file || "–"),
      el("td", { class: "num" }, g.operators), el("td", { class: "num" }, g.replica_count), action);
  }));
}

async function onGraphsTableClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const name = button.closest("tr").getAttribute("data-graph");
  const action = button.getAttribute("data-action");
  if (action === "remove") state.removing = name;
  if (action === "remove-cancel") state.removing = "";
  if (action === "remove-confirm") {
    state.removing = "";
    try {
      const response = await api(`/v2/ui/graphs/${encodeURIComponent(name)}`, { method: "DELETE" });
      const body = await readJson(response);
      setText($("remove-result"), response.ok ? `Removed ${body?.removed ?? name}.` : `Not removed: ${errorOf(response, body)}`);
    } catch (error) {
      setText($("remove-result"), `Not removed: ${error.message}`);
    }
  }
  renderGraphsTable();
}

async function loadModels() {
  try {
    const response = await api("/v2/repository/index", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
    });
    const body = await readJson(response);
    if (!response.ok || !Array.isArray(body)) throw new Error(errorOf(response, body));
    $("models-table").tBodies[0].replaceChildren(...body.map((m) => el("tr", { "data-model": m.name, "data-state": m.state },
      el("td", {}, m.name), el("td", {}, m.version ?? "–"),
      el("td", {}, el("span", { class: `model-state state-${m.state === "READY" ? "ready" : "unavailable"}` }, m.state)),
      el("td", {}, m.reason || ""),
      el("td", { class: "actions" }, ...["load", "unload", "reload"].map((a) =>
        el("button", { type: "button", "data-action": a }, a))))));
  } catch (error) {
    setText($("models-result"), `Model repository: ${error.message}`);
  }
}

async function onModelsTableClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const model = button.closest("tr").getAttribute("data-model");
  const action = button.getAttribute("data-action");
  setText($("models-result"), `${action} ${model}…`);
  try {
    const response = await api(`/v2/repository/models/${encodeURIComponent(model)}/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
    });
    const body = await readJson(response);
    setText($("models-result"), response.ok ? `${action} ${model}: done` : `${action} ${model}: ${errorOf(response, body)}`);
  } catch (error) {
    setText($("models-result"), `${action} ${model}: ${error.message}`);
  }
  loadModels();
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  $("auth").addEventListener("submit", saveToken);
  for (const button of document.querySelectorAll("#tabs [data-tab]")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  $("graph-select").addEventListener("change", () => {
    state.graph = $("graph-select").value;
    closeDetail();
  });
  $("graph-canvas").addEventListener("click", onCanvasClick);
  // "toggle" does not bubble: listen in the capture phase.
  $("nodes-table").addEventListener("toggle", (event) => {
    const key = event.target.getAttribute("data-key");
    if (event.target.open) state.openHosted.add(key);
    else state.openHosted.delete(key);
  }, true);
  $("graph-canvas").addEventListener("keydown", (e) => { if (e.key === "Enter") onCanvasClick(e); });
  $("op-detail-close").addEventListener("click", closeDetail);
  $("op-find").addEventListener("change", findOperator);
  $("zoom-in").addEventListener("click", () => zoomBy(1.25));
  $("zoom-out").addEventListener("click", () => zoomBy(0.8));
  $("fit-toggle").addEventListener("change", applyZoom);
  $("compact-toggle").addEventListener("change", () => {
    if (!state.layout?.svg) return;
    addOverlay(state.layout);
    renderGraphView();
  });
  window.addEventListener("resize", applyZoom);
  $("req-form").addEventListener("submit", sendRequests);
  $("req-graph").addEventListener("change", () => { $("req-json").value = ""; loadRequestMeta(); });
  for (const radio of document.querySelectorAll('input[name="req-input"]')) radio.addEventListener("change", showInputFields);
  $("submit-file").addEventListener("change", readSubmitFile);
  $("submit-form").addEventListener("submit", submitGraph);
  $("graphs-table").addEventListener("click", onGraphsTableClick);
  $("models-table").addEventListener("click", onModelsTableClick);
  $("models-refresh").addEventListener("click", loadModels);
  const tab = location.hash.slice(1);
  showTab(document.querySelector(`#tabs [data-tab="${CSS.escape(tab)}"]`) ? tab : "graph-view");
  poll();
}

document.addEventListener("DOMContentLoaded", start);
