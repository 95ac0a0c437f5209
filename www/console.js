// Portcullis operator console. Plain module, no dependencies.
//
// The admin token lives in one module variable: never in localStorage, sessionStorage,
// cookies or the URL. Reloading the page or signing out forgets it. The API prefix comes
// from the page's own location (<prefix>/console/...), so a custom admin prefix just works.

import { span, utc } from "./time.js";
import { startLive, stopLive } from "./live.js";

const PREFIX = location.pathname.replace(/\/console(\/[^/]*)?$/, "");
const REFRESH_MS = 10_000;

let adminToken = null;
let refreshTimer = null;
let inspected = null; // { token, header, claims } of the token in the inspector
let ringKids = []; // the gate's key ids, from /keys at sign-in
let revocationList = []; // the active revocations, from the last /revocations

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- helpers

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

function show(node, on = true) {
  node.hidden = !on;
}

export function message(node, text, kind = "error") {
  node.textContent = text;
  node.className = `msg ${kind}`;
  show(node, Boolean(text));
}

const nowS = () => Math.floor(Date.now() / 1000);

/** A NumericDate as words relative to now, for a claim's meaning (see `phrases`): the same
 * spans as the core's formatter (www/time.js). */
function relative(epoch, phrases) {
  const d = epoch - nowS();
  return d > 0 ? `${phrases[0]} in ${span(d)}` : d < 0 ? `${phrases[1]} ${span(d)} ago` : `${phrases[1]} now`;
}

const isoDate = (epoch) => utc(epoch) ?? String(epoch);

/** A <time> whose relative text the clock keeps current. */
export function timeNode(epoch, phrases) {
  const node = el("span", { class: "time" });
  const iso = el("time", { dateTime: isoDate(epoch), textContent: isoDate(epoch) });
  const rel = el("span", { class: "rel", "data-epoch": String(epoch), "data-phrases": phrases.join("|") });
  rel.textContent = relative(epoch, phrases);
  node.append(iso, " ", rel);
  return node;
}

function tick() {
  for (const node of document.querySelectorAll("[data-epoch]")) {
    node.textContent = relative(Number(node.dataset.epoch), node.dataset.phrases.split("|"));
  }
}

// ---------------------------------------------------------------- local decoding

function base64urlDecode(segment) {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error("not base64url");
  const padded = segment.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((segment.length + 3) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** Header and claims of a compact JWS, decoded here in the browser. Verifies nothing. */
export function decodeLocally(token) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error(`a compact JWT has 3 dot-separated parts; this has ${parts.length}`);
  const json = (segment, name) => {
    let value;
    try {
      value = JSON.parse(base64urlDecode(segment));
    } catch {
      throw new Error(`the ${name} is not base64url-encoded JSON`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error(`the ${name} is not a JSON object`);
    return value;
  };
  return { header: json(parts[0], "header"), claims: json(parts[1], "claims") };
}

// ---------------------------------------------------------------- the admin API

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = String(this.problem.type || "").replace("urn:portcullis:problem:", "");
  }
}

/** What to tell the operator about a failed call, from the problem document. */
export function explain(err) {
  if (!(err instanceof ApiError)) return `the gate could not be reached: ${err.message}`;
  if (err.status === 401) return `token invalid or expired: ${err.problem.detail || err.code || "no detail"}`;
  if (err.status === 403 && err.code === "insufficient_scope") return "token lacks the portcullis:admin scope";
  return `${err.problem.title || `HTTP ${err.status}`}: ${err.problem.detail || "no detail"}`;
}

export async function api(method, endpoint, body, token = adminToken) {
  const res = await fetch(PREFIX + endpoint, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    // an empty or non-JSON body: the status says enough
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    // The admin token stopped working (expired, revoked): back to the sign-in form.
    if (err.status === 401 && token === adminToken && adminToken !== null) signOut(explain(err));
    throw err;
  }
  return data;
}

// ---------------------------------------------------------------- sign in / out

async function signIn(event) {
  event.preventDefault();
  const input = $("admin-token");
  const token = input.value.trim();
  const msg = $("sign-in-msg");
  if (!token) return message(msg, "paste an admin token first");
  message(msg, "checking the token…", "info");
  try {
    const keys = await api("GET", "/keys", null, token);
    adminToken = token;
    input.value = "";
    message(msg, "");
    show($("sign-in"), false);
    show($("signed-in"), true);
    show($("who"), true);
    ringKids = (keys?.keys || []).map((k) => k.kid);
    renderKeys(keys);
    refreshRevocations();
    refreshTimer = setInterval(refreshRevocations, REFRESH_MS);
    startLive(api, explain);
    $("inspect-token").focus();
  } catch (err) {
    message(msg, explain(err));
    input.focus();
  }
}

function signOut(why = "") {
  adminToken = null;
  inspected = null;
  ringKids = [];
  revocationList = [];
  clearInterval(refreshTimer);
  refreshTimer = null;
  stopLive();
  $("inspect-token").value = "";
  show($("inspect-result"), false);
  message($("inspect-msg"), "");
  $("revocations-body").replaceChildren();
  $("keys-body").replaceChildren();
  $("sessions-body").replaceChildren();
  show($("sessions-result"), false);
  show($("signed-in"), false);
  show($("who"), false);
  show($("sign-in"), true);
  message($("sign-in-msg"), why, why ? "error" : "info");
  $("admin-token").focus();
}

// ---------------------------------------------------------------- inspector

// The gate answers an inactive token with exactly {"active": false} (RFC 7662 2.2): it
// never says why. The console works out the likely reason itself, from what it already
// holds: the decoded token, the key ring and the revocation list.
const HINTS = {
  alg_none: ["unsigned (alg none)", "the token is not signed"],
  unknown_kid: ["unknown kid", "its kid is not in this gate's key ring"],
  missing_kid: ["no kid", "it names no kid and the key ring holds several keys"],
  revoked: ["revoked", "a revocation in the list below covers it"],
  expired: ["expired", "its exp claim is in the past (checked here, by this browser's clock)"],
  not_yet_valid: ["not yet valid", "its nbf claim is in the future (checked here, by this browser's clock)"],
  inactive: ["", "the gate does not say why: a bad signature, another audience or issuer, or another check"],
};

/** The likely reason an inactive token is inactive: a key of HINTS. */
export function inactiveHint(header, claims, kids, revocations, now = nowS()) {
  if (typeof header.alg === "string" && header.alg.toLowerCase() === "none") return "alg_none";
  if (typeof header.kid === "string" && kids.length > 0 && !kids.includes(header.kid)) return "unknown_kid";
  if (header.kid === undefined && kids.length > 1) return "missing_kid";
  const covers = (e) =>
    (e.kind === "jti" && e.jti === claims.jti) ||
    (e.kind === "kid" && e.kid === header.kid) ||
    (e.kind === "sid" && e.sid === claims.sid) ||
    (e.kind === "sub" && e.sub === claims.sub && !(typeof claims.iat === "number" && claims.iat >= e.before));
  if (revocations.some(covers)) return "revoked";
  if (typeof claims.exp === "number" && claims.exp <= now) return "expired";
  if (typeof claims.nbf === "number" && claims.nbf > now) return "not_yet_valid";
  return "inactive";
}

/**
 * What a token is bound to (its `cnf`, RFC 7800), as the gate reads it: `{ kind, text }` with
 * kind "none", "dpop" (RFC 9449 `jkt`), "mtls" (RFC 8705 `x5t#S256`) or "unsupported".
 */
export function bindingOf(claims) {
  const cnf = claims.cnf;
  if (cnf === undefined) return { kind: "none", text: "none (a bearer token)" };
  const members = cnf !== null && typeof cnf === "object" && !Array.isArray(cnf) ? Object.keys(cnf) : [];
  const digest = (v) => typeof v === "string" && /^[A-Za-z0-9_-]{43}$/.test(v);
  if (members.length === 1 && digest(cnf.jkt)) {
    return { kind: "dpop", text: `DPoP key, jkt ${cnf.jkt} (Authorization: DPoP with a proof by that key)` };
  }
  if (members.length === 1 && digest(cnf["x5t#S256"])) {
    return { kind: "mtls", text: `mTLS client certificate, x5t#S256 ${cnf["x5t#S256"]}` };
  }
  return { kind: "unsupported", text: "unsupported cnf (the gate refuses this token)" };
}

function renderClaims(header, claims) {
  const dl = $("claims");
  dl.replaceChildren();
  const row = (name, ...value) => dl.append(el("dt", { textContent: name }), el("dd", {}, ...value));
  const text = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  const times = { iat: ["issued", "issued"], nbf: ["valid", "valid since"], exp: ["expires", "expired"] };

  row("alg / kid", `${text(header.alg ?? "—")} / ${text(header.kid ?? "—")}`);
  for (const name of ["sub", "iss", "aud", "jti"]) {
    if (name in claims) row(name, text(claims[name]));
  }
  for (const [name, phrases] of Object.entries(times)) {
    if (!(name in claims)) continue;
    row(name, typeof claims[name] === "number" ? timeNode(claims[name], phrases) : text(claims[name]));
  }
  if ("scope" in claims) {
    const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
    const list = el("ul", { class: "chips", ariaLabel: "scopes" });
    for (const s of scopes) list.append(el("li", { class: "chip", textContent: s }));
    row("scope", scopes.length ? list : text(claims.scope));
  }
  const binding = bindingOf(claims);
  row("binding", el("span", { class: `binding binding-${binding.kind}`, textContent: binding.text }));
  const known = new Set(["sub", "iss", "aud", "jti", "iat", "nbf", "exp", "scope", "cnf"]);
  for (const [name, value] of Object.entries(claims)) {
    if (!known.has(name)) row(name, text(value));
  }
  $("raw-header").textContent = JSON.stringify(header, null, 2);
  $("raw-claims").textContent = JSON.stringify(claims, null, 2);
}

function renderVerdict(answer, header, claims) {
  const box = $("verdict");
  box.replaceChildren();
  if (answer?.active === true) {
    box.className = "verdict good";
    box.dataset.verdict = "valid";
    box.append(el("strong", { textContent: "Gate verdict: valid" }));
    return;
  }
  const hint = inactiveHint(header, claims, ringKids, revocationList);
  const [label, why] = HINTS[hint];
  box.className = "verdict bad";
  box.dataset.verdict = hint;
  box.append(el("strong", { textContent: `Gate verdict: inactive${label ? ` (${label})` : ""}` }));
  box.append(el("span", { class: "detail", textContent: why }));
}

async function inspect(event) {
  event?.preventDefault();
  const token = $("inspect-token").value.trim();
  const msg = $("inspect-msg");
  message(msg, "");
  if (!token) return message(msg, "paste a token to inspect");
  let decoded;
  try {
    decoded = decodeLocally(token);
  } catch (err) {
    show($("inspect-result"), false);
    return message(msg, `cannot decode this token: ${err.message}`);
  }
  inspected = { token, ...decoded };
  renderClaims(decoded.header, decoded.claims);
  $("verdict").replaceChildren("asking the gate…");
  $("verdict").className = "verdict";
  delete $("verdict").dataset.verdict;
  $("revoke-token").disabled = typeof decoded.claims.jti !== "string";
  $("revoke-token").title = $("revoke-token").disabled ? "this token has no jti: revoke its subject instead" : "";
  $("revoke-subject").disabled = typeof decoded.claims.sub !== "string";
  // Only a grant's access tokens carry `sid`; ending the session also ends its refresh tokens.
  show($("revoke-session"), typeof decoded.claims.sid === "string");
  show($("inspect-result"), true);
  try {
    const answer = await api("POST", "/introspect", { token });
    // An inactive token may have been revoked since the list was last loaded.
    if (answer?.active !== true) await refreshRevocations();
    renderVerdict(answer, decoded.header, decoded.claims);
  } catch (err) {
    $("verdict").replaceChildren(`the gate did not answer: ${explain(err)}`);
  }
}

/** An in-page confirmation; resolves true only on the Revoke button. */
export function confirmAction(text) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

/** Revokes the inspected token by `by`: "token" (its jti), "subject" or "session" (its sid). */
async function revoke(by) {
  if (!inspected) return;
  const { claims, token } = inspected;
  const what = {
    subject: `every token for subject “${claims.sub}” issued until now`,
    token: `this token (jti “${claims.jti}”)`,
    session: `its session (sid “${claims.sid}”): the grant's refresh tokens and every access token it issued`,
  }[by];
  const body = { subject: { sub: claims.sub }, token: { token }, session: { sid: claims.sid, reason: "admin" } }[by];
  if (!(await confirmAction(`Revoke ${what}? The gate refuses it from now on; this cannot be undone here.`))) return;
  const msg = $("inspect-msg");
  try {
    await api("POST", "/revocations", body);
    message(msg, `revoked ${what}`, "ok");
  } catch (err) {
    message(msg, `not revoked: ${explain(err)}`);
    return;
  }
  await refreshRevocations();
  await inspect().catch(() => {});
  message(msg, `revoked ${what}`, "ok");
}

// ---------------------------------------------------------------- lists

export async function refreshRevocations() {
  if (!adminToken) return;
  const status = $("revocations-status");
  let data;
  try {
    data = await api("GET", "/revocations");
  } catch (err) {
    status.textContent = `could not load: ${explain(err)}`;
    return;
  }
  revocationList = data?.revocations || [];
  const body = $("revocations-body");
  const entries = [...revocationList].sort((a, b) => (b.at || 0) - (a.at || 0));
  body.replaceChildren(
    ...entries.map((e) =>
      el(
        "tr",
        {},
        el("td", { "data-label": "Kind" }, el("span", { class: "chip", textContent: e.kind })),
        el("td", { class: "mono", "data-label": "Target", textContent: e.target }),
        el("td", { "data-label": "Reason" }, el("span", { class: `chip reason-${e.reason || "admin"}`, textContent: e.reason || "admin" })),
        el("td", { "data-label": "Revoked" }, typeof e.at === "number" ? timeNode(e.at, ["revoked", "revoked"]) : "—"),
        el("td", { "data-label": "Expires" }, typeof e.expires_at === "number" ? timeNode(e.expires_at, ["expires", "expired"]) : "never"),
      ),
    ),
  );
  if (!entries.length) body.append(el("tr", {}, el("td", { colSpan: 5, class: "empty", textContent: "nothing revoked" })));
  status.replaceChildren(`${entries.length} active · `, timeNode(nowS(), ["updated", "updated"]));
}

function renderKeys(data) {
  const body = $("keys-body");
  body.replaceChildren(
    ...(data?.keys || []).map((k) =>
      el(
        "tr",
        {},
        el("td", { class: "mono", "data-label": "Kid", textContent: k.kid }),
        el("td", { "data-label": "Alg", textContent: k.alg }),
        el("td", { "data-label": "Role" }, el("span", { class: k.signs ? "chip good" : "chip", textContent: k.signs ? "signs new tokens" : "verifies only" })),
      ),
    ),
  );
}

// ---------------------------------------------------------------- wiring

function start() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("inspect-form").addEventListener("submit", inspect);
  $("revoke-token").addEventListener("click", () => revoke("token"));
  $("revoke-session").addEventListener("click", () => revoke("session"));
  $("revoke-subject").addEventListener("click", () => revoke("subject"));
  $("revocations-refresh").addEventListener("click", refreshRevocations);
  $("confirm-ok").addEventListener("click", () => $("confirm").close("ok"));
  $("confirm-cancel").addEventListener("click", () => $("confirm").close("cancel"));
  setInterval(tick, 1000);
  $("admin-token").focus();
}

start();
