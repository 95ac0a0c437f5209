// A subject's sessions: the grants it holds (GET <prefix>/grants?sub=…), each ended by its
// `sid` (POST <prefix>/revocations {"sid"}), or all at once (POST <prefix>/grants/revoke).
// The gate lists only active grants and never a secret; this page shows what it answers.
import { api, confirmAction, el, explain, message, refreshRevocations, timeNode } from "./console.js";

const $ = (id) => document.getElementById(id);
let shown = null; // the subject whose grants are on screen

const time = (epoch, phrases) => (typeof epoch === "number" ? timeNode(epoch, phrases) : "—");

function row(g) {
  const end = el("button", { type: "button", class: "danger", textContent: "End", title: `end session ${g.sid}` });
  end.setAttribute("aria-label", `End session ${g.sid}`);
  end.addEventListener("click", () => endOne(g));
  return el(
    "tr",
    { "data-sid": g.sid },
    el("td", { class: "mono", "data-label": "Session", textContent: g.sid }),
    el("td", { "data-label": "Client", textContent: g.client_id ?? "—" }),
    el("td", { "data-label": "Scope" }, ...String(g.scope).split(" ").map((s) => el("span", { class: "chip", textContent: s }))),
    el("td", { "data-label": "Opened" }, time(g.created_at, ["opens", "opened"])),
    el("td", { "data-label": "Last refresh" }, time(g.last_refresh_at, ["", "refreshed"])),
    el("td", { "data-label": "Idle expiry" }, time(g.idle_expires_at, ["idles out", "idled out"])),
    el("td", { "data-label": "Expires" }, time(g.expires_at, ["expires", "expired"])),
    el("td", { "data-label": "Action" }, end),
  );
}

async function load(sub) {
  const answer = await api("GET", `/grants?sub=${encodeURIComponent(sub)}`);
  shown = sub;
  const grants = answer?.grants ?? [];
  const body = $("sessions-body");
  body.replaceChildren(...grants.map(row));
  if (!grants.length) body.append(el("tr", {}, el("td", { colSpan: 8, class: "empty", textContent: "no active grant" })));
  $("sessions-status").textContent = `${grants.length} active for “${sub}”`;
  $("sessions-end-all").disabled = grants.length === 0;
  $("sessions-result").hidden = false;
}

async function show(event) {
  event.preventDefault();
  const sub = $("sessions-sub").value.trim();
  message($("sessions-msg"), "");
  if (!sub) return;
  try {
    await load(sub);
  } catch (err) {
    $("sessions-result").hidden = true;
    message($("sessions-msg"), `could not list: ${explain(err)}`);
  }
}

async function after(text) {
  await load(shown).catch(() => {});
  await refreshRevocations();
  message($("sessions-msg"), text, "ok");
}

async function endOne(g) {
  const what = `session ${g.sid} (client ${g.client_id ?? "unnamed"})`;
  if (!(await confirmAction(`End ${what}? Its refresh tokens stop working at once and its access tokens are refused within seconds.`))) return;
  try {
    await api("POST", "/revocations", { sid: g.sid, reason: "admin" });
  } catch (err) {
    return message($("sessions-msg"), `not ended: ${explain(err)}`);
  }
  await after(`ended ${what}`);
}

async function endAll() {
  const sub = shown;
  if (!sub) return;
  if (!(await confirmAction(`End every session of “${sub}”? Each grant's refresh tokens stop working at once and its access tokens are refused within seconds.`))) return;
  let answer;
  try {
    answer = await api("POST", "/grants/revoke", { sub });
  } catch (err) {
    return message($("sessions-msg"), `not ended: ${explain(err)}`);
  }
  await after(`ended ${answer?.revoked?.length ?? 0} sessions of “${sub}”`);
}

$("sessions-form").addEventListener("submit", show);
$("sessions-end-all").addEventListener("click", endAll);
