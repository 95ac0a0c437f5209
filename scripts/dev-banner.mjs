// The `make dev` banner, built from the configuration the gate runs with (the JSON of
// `portcullis check-config --json`, on stdin): for each protected rule an allowed and a
// refused curl line, each public rule, the admin API, the console URL, and how to mint more
// tokens. Each curl line follows a comment that starts with the status it gets
// (`# 200: ...`); tests/e2e/dev-loop.test.mjs runs every line against `make dev` and checks.
//
//   portcullis check-config --json ... | node scripts/dev-banner.mjs
// Environment: GATE (http://127.0.0.1:8787), DEMO (yes: the demo origin answers 200 to all),
// TOKEN, OTHER_TOKEN, EXPIRED_TOKEN, ADMIN_TOKEN (the tokens, printed as exports),
// TOKEN_SCOPES (what TOKEN carries), TTL_S (their lifetime, seconds), MINT (how to run the
// CLI), DEV_VARS (the dotenv file).
import { readFileSync } from "node:fs";
import { span } from "../www/time.js";

const checked = JSON.parse(readFileSync(0, "utf8"));
const c = checked.config;
const env = process.env;
const gate = env.GATE;
const demo = env.DEMO === "yes";
const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// curl for a method and path; HEAD needs -I (curl -X HEAD waits for a body).
function curl(example, auth) {
  const method = example.method === "GET" ? "" : example.method === "HEAD" ? " -I" : ` -X ${example.method}`;
  const header = auth ? ` -H "Authorization: Bearer $${auth}"` : "";
  const flag = example.method === "HEAD" ? "" : " -i";
  return `curl${flag}${method}${header} ${gate}${example.path}`;
}

const allowed = demo ? "200" : "2xx";
const out = [];
const line = (s = "") => out.push(s);
line("");
line("=".repeat(80));
line(`Portcullis is running at ${gate}`);
line(demo ? `in front of the demo origin at ${c.origin}, which echoes what it receives.` : `in front of ORIGIN_URL=${c.origin}.`);
line(`Tokens (key ring from .dev.vars; ${span(Number(env.TTL_S))} each${c.audience ? `, audience ${c.audience}` : ""}${c.issuer ? `, issuer ${c.issuer}` : ""}):`);
line("");
line(`export TOKEN=${quote(env.TOKEN)}          # scopes: ${env.TOKEN_SCOPES || "(none)"}`);
line(`export OTHER_TOKEN=${quote(env.OTHER_TOKEN)}    # valid, no scopes`);
line(`export EXPIRED_TOKEN=${quote(env.EXPIRED_TOKEN)}`);
line(`export ADMIN_TOKEN=${quote(env.ADMIN_TOKEN)}    # scope portcullis:admin`);
line("");
line("# The routes, from PORTCULLIS_ROUTES (first match wins). The origin sees X-Portcullis-Subject,");
line("# -Scopes, -Token-Id and -Assertion, and never the Authorization header.");
let firstProtected = null;
for (const rule of c.rules) {
  const ex = rule.example;
  if (!ex) {
    line(`# rule ${rule.index} \`${rule.match}\`: no example request reaches it`);
    continue;
  }
  if (rule.public) {
    line(`# ${allowed}: rule ${rule.index} \`${rule.match}\` is public, no token needed`);
    line(curl(ex));
    continue;
  }
  firstProtected ??= ex;
  const needs = rule.scopes.length ? `needs ${rule.scopes.join(" ")}` : "any valid token";
  line(`# ${allowed}: rule ${rule.index} \`${rule.match}\` (${needs}), TOKEN has it`);
  line(curl(ex, "TOKEN"));
  if (rule.scopes.length) {
    line(`# 403: the same with a valid token without the scopes`);
    line(curl(ex, "OTHER_TOKEN"));
  } else {
    line(`# 401: the same without a token`);
    line(curl(ex));
  }
}
if (firstProtected) {
  line("# 401: an expired token");
  line(curl(firstProtected, "EXPIRED_TOKEN"));
}
if (c.unrouted_example) {
  line("# 403: no rule matches (no_route)");
  line(curl({ method: "GET", path: c.unrouted_example }));
}
line("");
line(`# 200: the admin API (${c.admin_prefix}, scope portcullis:admin): the key ids in use`);
line(`curl -s -H "Authorization: Bearer $ADMIN_TOKEN" ${gate}${c.admin_prefix}/keys`);
line(`# 200: fire the cron handler (rebuilds the revocation snapshot)`);
line(`curl -s ${gate}/__scheduled`);
line("");
line(`Console: ${gate}${c.admin_prefix}/console/  (sign in with $ADMIN_TOKEN)`);
const claims = `${c.audience ? ` --aud ${quote(c.audience)}` : ""}${c.issuer ? ` --iss ${quote(c.issuer)}` : ""}`;
line(`More tokens: ${env.MINT} mint --dev-vars ${env.DEV_VARS} --sub NAME --scope 'SCOPES' --ttl 15m${claims}`);
line("Ctrl-C stops the gate and the demo origin.");
line("=".repeat(80));
line("");
process.stdout.write(out.join("\n") + "\n");
