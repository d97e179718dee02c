// safecity dashboard: SVG district map, ranking table, drill-down, auto-refresh.
// Reads only the public aggregate endpoints under /api/v1/dashboard (no token, no CDN).
"use strict";

const API = "/api/v1/dashboard";
const SVG_NS = "http://www.w3.org/2000/svg";
const params = new URLSearchParams(window.location.search);
const REFRESH_S = Math.min(3600, Math.max(1, Number(params.get("refresh")) || 30));
// Colour scale: red (0 %) -> yellow (50 %) -> green (100 %), linear in between.
const STOPS = [
  [0.0, [215, 48, 39]],
  [0.5, [254, 224, 139]],
  [1.0, [26, 152, 80]],
];
const METRICS = {
  completion: { label: "completion", field: "completion_pct" },
  online: { label: "online rate", field: "online_rate_pct" },
};

const state = {
  metric: params.get("metric") === "online" ? "online" : "completion",
  progress: null,
  selected: null,
  refreshes: 0,
};

function colour(fraction) {
  const v = Math.min(1, Math.max(0, fraction));
  for (let i = 1; i < STOPS.length; i += 1) {
    const [hi, cHi] = STOPS[i];
    const [lo, cLo] = STOPS[i - 1];
    if (v <= hi) {
      const t = (v - lo) / (hi - lo);
      const rgb = cLo.map((c, k) => Math.round(c + t * (cHi[k] - c)));
      return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
    }
  }
  const last = STOPS[STOPS.length - 1][1];
  return `rgb(${last[0]}, ${last[1]}, ${last[2]})`;
}

function valueOf(row) {
  return row[METRICS[state.metric].field];
}

function el(tag, attrs = {}, text = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function drawMap() {
  const map = await getJSON(`${API}/map`);
  const svg = document.getElementById("map");
  svg.setAttribute("viewBox", `0 0 ${map.width} ${map.height}`);
  const labels = [];
  for (const d of map.districts) {
    const path = el("path", {
      d: d.path,
      class: "district",
      id: `district-${d.name}`,
      "data-district": d.name,
      "fill-rule": "evenodd",
      fill: "#ccc",
    }, null, SVG_NS);
    path.appendChild(el("title", {}, `${d.name} ${d.name_zh}`, SVG_NS));
    path.addEventListener("click", () => select(d.name));
    svg.appendChild(path);
    labels.push(el("text", { x: d.label_x, y: d.label_y }, d.name, SVG_NS));
  }
  labels.forEach((label) => svg.appendChild(label));
}

function drawLegend() {
  const svg = document.getElementById("legend");
  svg.replaceChildren();
  const defs = el("defs", {}, null, SVG_NS);
  const gradient = el("linearGradient", { id: "scale" }, null, SVG_NS);
  for (const [offset] of STOPS) {
    gradient.appendChild(
      el("stop", { offset: `${offset * 100}%`, "stop-color": colour(offset) }, null, SVG_NS),
    );
  }
  defs.appendChild(gradient);
  svg.appendChild(defs);
  svg.appendChild(el("rect", { x: 0, y: 0, width: 300, height: 14, fill: "url(#scale)" }, null, SVG_NS));
  const label = METRICS[state.metric].label;
  svg.appendChild(el("text", { x: 0, y: 28 }, `0 % ${label}`, SVG_NS));
  svg.appendChild(el("text", { x: 300, y: 28, "text-anchor": "end" }, "100 %", SVG_NS));
}

function ranked(rows) {
  return [...rows].sort((a, b) => valueOf(b) - valueOf(a) || a.district.localeCompare(b.district));
}

function paint() {
  const { progress } = state;
  if (!progress) return;
  for (const row of progress.districts) {
    const path = document.getElementById(`district-${row.district}`);
    if (!path) continue;
    path.setAttribute("fill", colour(valueOf(row) / 100));
    path.setAttribute("data-value", String(valueOf(row)));
    path.classList.toggle("selected", row.district === state.selected);
  }
  const body = document.querySelector("#ranking tbody");
  body.replaceChildren();
  ranked(progress.districts).forEach((row, index) => {
    const tr = el("tr", { "data-district": row.district });
    tr.classList.toggle("selected", row.district === state.selected);
    tr.appendChild(el("td", {}, String(index + 1)));
    const name = el("td");
    const swatch = el("span", { class: "swatch" });
    swatch.style.backgroundColor = colour(valueOf(row) / 100);
    name.append(swatch, row.district);
    tr.appendChild(name);
    tr.appendChild(el("td", { class: "completion" }, row.completion_pct.toFixed(1)));
    tr.appendChild(el("td", { class: "online" }, row.online_rate_pct.toFixed(1)));
    tr.appendChild(el("td", { class: "installed" }, `${row.installed} / ${row.target}`));
    tr.addEventListener("click", () => select(row.district));
    body.appendChild(tr);
  });
  const city = progress.city;
  document.getElementById("summary").textContent =
    `${progress.period ?? "no period"}: ${city.installed} of ${city.target} installed ` +
    `(${city.completion_pct.toFixed(1)} %), ${city.online_rate_pct.toFixed(1)} % online`;
  document.getElementById("ranking-metric").textContent = METRICS[state.metric].label;
  document.querySelectorAll(".toggle button").forEach((button) => {
    button.classList.toggle("active", button.dataset.metric === state.metric);
  });
}

function sparkline(points) {
  const svg = document.getElementById("detail-trend");
  svg.replaceChildren();
  if (points.length < 2) return;
  const values = points.map((p) => p.installed);
  const top = Math.max(1, ...values);
  const coords = values.map((v, i) => `${(i * 300) / (values.length - 1)},${76 - (v / top) * 72}`);
  svg.appendChild(el("polyline", { points: coords.join(" ") }, null, SVG_NS));
}

async function showDetail(name) {
  const detail = await getJSON(`${API}/districts/${encodeURIComponent(name)}`);
  if (state.selected !== name) return;
  const p = detail.progress;
  document.getElementById("detail-name").textContent = p.district;
  const figures = document.getElementById("detail-figures");
  figures.replaceChildren();
  const rows = [
    ["Target", p.target],
    ["Planned", p.planned],
    ["Installed", p.installed],
    ["Online", p.online],
    ["Degraded", p.degraded],
    ["Down", p.down],
    ["Not yet monitored", p.unknown],
    ["Completion", `${p.completion_pct.toFixed(1)} %`],
    ["Online rate", `${p.online_rate_pct.toFixed(1)} %`],
  ];
  for (const [term, value] of rows) {
    figures.append(el("dt", {}, term), el("dd", { "data-field": term.toLowerCase() }, String(value)));
  }
  const pub = detail.published;
  document.getElementById("detail-published").textContent = pub
    ? `Published assessment ${pub.period}: rank ${pub.rank} of ${pub.of}, score ` +
      `${pub.score.toFixed(1)}, ${pub.vetoed ? "one-vote veto" : pub.flag}`
    : "No published assessment yet.";
  sparkline(detail.trend);
  document.getElementById("detail").hidden = false;
}

function select(name) {
  state.selected = name;
  paint();
  showDetail(name).catch((error) => {
    document.getElementById("detail-published").textContent = `detail failed: ${error.message}`;
  });
}

async function refresh() {
  try {
    state.progress = await getJSON(`${API}/progress`);
    state.refreshes += 1;
    paint();
    if (state.selected) await showDetail(state.selected);
    document.body.dataset.refreshes = String(state.refreshes);
    document.getElementById("updated").textContent =
      `updated ${new Date().toLocaleTimeString()} · every ${REFRESH_S} s`;
  } catch (error) {
    document.getElementById("updated").textContent = `update failed: ${error.message}`;
  }
}

async function main() {
  document.querySelectorAll(".toggle button").forEach((button) => {
    button.addEventListener("click", () => {
      state.metric = button.dataset.metric;
      drawLegend();
      paint();
    });
  });
  drawLegend();
  await drawMap();
  await refresh();
  window.setInterval(refresh, REFRESH_S * 1000);
}

main();
