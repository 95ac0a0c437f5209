// The console's live panel: the gate's own counters from the admin API's /stats (decisions
// allowed and denied by reason, the revocation list's version and age), polled while signed
// in, with a small SVG chart of decisions per interval. No library.
//
// /stats answers for the isolate that takes the request. On a deployment with many
// isolates, consecutive polls may reach different ones: a counter that goes down is shown
// as a reset, never as a negative bar.

const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 5_000;
const SAMPLES = 30; // bars kept in the chart

let timer = null;
let previous = null; // the last /stats decisions
let samples = []; // [{ allowed, denied, reset }] per poll, oldest first

/** Decisions between two /stats answers; `reset` when a counter went down (another isolate). */
export function interval(prev, next) {
  if (!prev) return null;
  const allowed = next.allowed_total - prev.allowed_total;
  const denied = next.denied_total - prev.denied_total;
  if (allowed < 0 || denied < 0) return { allowed: 0, denied: 0, reset: true };
  return { allowed, denied, reset: false };
}

/** "3m 5s" style: the two largest units. */
function ago(ms) {
  let s = Math.round(ms / 1000);
  const parts = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join(" ") || "0s";
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Bars of allowed (bottom) and denied (stacked on top) per poll, scaled to the largest. */
function drawChart(chart) {
  const width = 300;
  const height = 80;
  const slot = width / SAMPLES;
  const max = Math.max(1, ...samples.map((s) => s.allowed + s.denied));
  chart.replaceChildren(svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }));
  samples.forEach((s, i) => {
    const x = (SAMPLES - samples.length + i) * slot + 1;
    const hA = (s.allowed / max) * (height - 4);
    const hD = (s.denied / max) * (height - 4);
    const title = svg("title", {});
    title.textContent = s.reset ? "counters reset (another isolate answered)" : `${s.allowed} allowed, ${s.denied} denied`;
    const group = svg("g", { class: s.reset ? "poll reset" : "poll" });
    group.append(title);
    if (s.reset) group.append(svg("rect", { x, y: 0, width: slot - 2, height, class: "reset" }));
    if (hA > 0) group.append(svg("rect", { x, y: height - hA, width: slot - 2, height: hA, class: "allowed" }));
    if (hD > 0) group.append(svg("rect", { x, y: height - hA - hD, width: slot - 2, height: hD, class: "denied" }));
    chart.append(group);
  });
  chart.setAttribute("aria-label", `decisions per ${POLL_MS / 1000} s, last ${samples.length} polls, up to ${max} per poll`);
}

function rows(body, counts, kind) {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => {
      const tr = document.createElement("tr");
      tr.dataset.reason = reason;
      for (const [label, text, cls] of [["Decision", kind, `chip ${kind === "allowed" ? "good" : "bad"}`], ["Reason", reason, "mono"], ["Count", String(n), "num"]]) {
        const td = document.createElement("td");
        td.dataset.label = label;
        if (label === "Decision") {
          const chip = document.createElement("span");
          chip.className = cls;
          chip.textContent = text;
          td.append(chip);
        } else {
          td.className = cls;
          td.textContent = text;
        }
        tr.append(td);
      }
      body.append(tr);
      return tr;
    });
}

function render(stats) {
  const d = stats.decisions;
  document.getElementById("live-allowed").textContent = String(d.allowed_total);
  document.getElementById("live-denied").textContent = String(d.denied_total);
  const body = document.getElementById("live-body");
  body.replaceChildren();
  rows(body, d.allowed, "allowed");
  rows(body, d.denied, "denied");
  if (!body.children.length) {
    const td = document.createElement("td");
    td.colSpan = 3;
    td.className = "empty";
    td.textContent = "no decisions yet on this isolate";
    const tr = document.createElement("tr");
    tr.append(td);
    body.append(tr);
  }
  const list = document.getElementById("live-list");
  const s = stats.snapshot;
  if (!s) {
    list.textContent = "not loaded on this isolate yet (it loads with the first token check)";
  } else {
    // The writer's version counts changes; built_at says when the snapshot was published.
    const built = new Date(s.built_at * 1000);
    const when = Number.isNaN(built.getTime()) ? String(s.built_at) : built.toISOString().replace(".000Z", "Z");
    list.textContent = `version ${s.version} (built ${when}, ${ago(Date.now() - s.built_at * 1000)} ago), ${s.entries} entries, copy confirmed current ${ago(s.age_ms)} ago`;
  }
  drawChart(document.getElementById("live-chart"));
}

async function poll(api, explain) {
  const status = document.getElementById("live-status");
  let stats;
  try {
    stats = await api("GET", "/stats");
  } catch (err) {
    status.textContent = `could not load: ${explain(err)}`;
    return;
  }
  const step = interval(previous, stats.decisions);
  if (step) samples = [...samples, step].slice(-SAMPLES);
  previous = stats.decisions;
  render(stats);
  status.textContent = `this isolate · updated ${new Date().toLocaleTimeString()}`;
}

/** Starts polling with the console's `api(method, endpoint)` and error `explain(err)`. */
export function startLive(api, explain) {
  stopLive();
  const refresh = document.getElementById("live-refresh");
  refresh.onclick = () => poll(api, explain);
  poll(api, explain);
  timer = setInterval(() => poll(api, explain), POLL_MS);
}

/** Stops polling and forgets what was shown. */
export function stopLive() {
  clearInterval(timer);
  timer = null;
  previous = null;
  samples = [];
  for (const id of ["live-body", "live-chart"]) document.getElementById(id)?.replaceChildren();
}
