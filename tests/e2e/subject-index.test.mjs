// A subject's grant index (the SubjectGrants Durable Object, issue 14) on the wasm build:
// registering a grant drops the subject's rows past their absolute end, not only listing
// does, and opening a grant stays two Durable Object requests (the index, then the grant).
// The index's rows are read from its SQLite file (Miniflare's durableObjectsPersist) with
// Python's sqlite3: no call of the index's own may be used, since listing prunes too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OK, objectFaultWorker } from "./faults.mjs";
import { GRANT_OBJECTS, OBJECTS_SCRIPT, startOrigin, startWorker } from "./harness.mjs";
import { bearer, mint, mintingBindings } from "./fixtures.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let origin, worker, issuer, persist;
// Requests the gate made to each Durable Object class, counted by the wrappers below.
const requests = {};

before(async () => {
  origin = await startOrigin();
  persist = mkdtempSync(join(tmpdir(), "portcullis-index-"));
  const counting = (className) =>
    objectFaultWorker({
      name: `count-${className}`,
      className,
      control(op) {
        requests[op] = (requests[op] ?? 0) + 1;
        return OK;
      },
    });
  worker = await startWorker({
    bindings: mintingBindings(origin.url),
    options: {
      durableObjectsPersist: persist,
      // The grant objects and the subject indexes only through the counting wrappers.
      durableObjects: { ...GRANT_OBJECTS, GRANTS: null, SUBJECT_GRANTS: null },
      wrappedBindings: { GRANTS: "count-GrantObject", SUBJECT_GRANTS: "count-SubjectGrants" },
    },
    extraWorkers: [counting("GrantObject"), counting("SubjectGrants")],
  });
  issuer = await mint({ sub: "login-app", scope: "portcullis:issue" });
});

after(async () => {
  await worker?.dispose();
  await origin?.close();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

async function openGrant(body) {
  const res = await worker.fetch("/_portcullis/grants", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(issuer) },
    body: JSON.stringify({ scope: "orders:read", ...body }),
  });
  const answer = await res.json();
  assert.equal(res.status, 200, JSON.stringify(answer));
  return JSON.parse(Buffer.from(answer.access_token.split(".")[1], "base64url")).sid;
}

/** The sids in the one subject index this suite writes, read from its SQLite file. */
function indexRows() {
  const dir = join(persist, `${OBJECTS_SCRIPT}-SubjectGrants`);
  assert.ok(existsSync(dir), `no SubjectGrants storage under ${persist}`);
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  assert.equal(files.length, 1, `one subject index expected: ${files}`);
  const read = "import json, sqlite3, sys; print(json.dumps([r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT k FROM kv ORDER BY k')]))";
  return JSON.parse(execFileSync("python3", ["-c", read, join(dir, files[0])], { encoding: "utf8" }));
}

test("registering a grant drops the subject's index rows past their absolute end", async () => {
  const short = await openGrant({ sub: "index-alice", absolute_s: 1, idle_s: 1 });
  assert.deepEqual(indexRows(), [short], "the grant is registered");
  await sleep(2100); // past its absolute end
  const next = await openGrant({ sub: "index-alice" });
  assert.deepEqual(indexRows(), [next], "the row past its absolute end is gone, with no listing");
});

test("opening a grant is two Durable Object requests: the subject index, then the grant", async () => {
  for (const k of Object.keys(requests)) delete requests[k];
  await openGrant({ sub: "index-alice" });
  assert.deepEqual(requests, { SubjectGrants: 1, GrantObject: 1 });
});
