#include "http/dashboard.hpp"

namespace hogar::http {

namespace {

// The page knows no schema beyond "an object of named sections": every top-level member that
// is an array of objects (nodes, graphs, operators, ...) becomes a table whose columns are the
// union of its objects' keys, and every other member is shown as a key/value line. The
// backend's snapshot can grow fields without this page changing. Text is inserted with
// textContent, never innerHTML, so names from the snapshot cannot inject markup.
constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hogar</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; }
  h2 { font-size: 1.1em; margin: 1.4em 0 .4em; text-transform: capitalize; }
  #status { color: #666; margin-bottom: 1em; }
  #status.stale { color: #b00; }
  table { border-collapse: collapse; background: #fff; min-width: 30em; }
  th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
  th { background: #f0f0f0; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
  dt { font-weight: 600; }
  dd { margin: 0; }
</style>
</head>
<body>
<h1>hogar</h1>
<div id="status">loading /v2/dashboard.json ...</div>
<div id="sections"></div>
<script>
"use strict";
const statusLine = document.getElementById("status");
const sections = document.getElementById("sections");

function cellText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function table(rows) {
  const columns = [];
  for (const row of rows)
    for (const key of Object.keys(row))
      if (!columns.includes(key)) columns.push(key);
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const c of columns) {
    const th = document.createElement("th");
    th.textContent = c;
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of columns) {
      const td = tr.insertCell();
      td.textContent = cellText(row[c]);
      if (typeof row[c] === "number") td.className = "num";
    }
  }
  return t;
}

function render(snapshot) {
  const fragment = document.createDocumentFragment();
  const scalars = document.createElement("dl");
  for (const [name, value] of Object.entries(snapshot)) {
    if (Array.isArray(value) && value.every(v => v !== null && typeof v === "object")) {
      const h = document.createElement("h2");
      h.textContent = name + " (" + value.length + ")";
      fragment.appendChild(h);
      fragment.appendChild(value.length ? table(value) : document.createTextNode("none"));
    } else {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = cellText(value);
      scalars.append(dt, dd);
    }
  }
  if (scalars.childElementCount) fragment.prepend(scalars);
  sections.replaceChildren(fragment);
}

async function refresh() {
  try {
    const response = await fetch("/v2/dashboard.json", {cache: "no-store"});
    if (!response.ok) throw new Error("HTTP " + response.status);
    const snapshot = await response.json();
    render(snapshot);
    statusLine.className = "";
    statusLine.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    statusLine.className = "stale";
    statusLine.textContent = "cannot reach the node (" + e.message + "); showing the last snapshot";
  }
}

refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)html";

} // namespace

std::string_view dashboard_html() noexcept {
  return page;
}

} // namespace hogar::http
