// Fault wrappers for the gate's bindings, shared by the e2e tests and scripts/soak.mjs. Each
// is a Miniflare worker whose module Miniflare loads in place of a binding
// (`wrappedBindings`): in front of a real KV namespace (REVOCATIONS) or of a real Durable
// Object class of the objects script (REVOCATION_WRITER, GRANTS, ...). Before every
// operation it asks `control(op)`, a function in Node, what to do; the answer is
//   "ok"         pass the call through;
//   "slow:<ms>"  wait that long, then pass it through;
//   "fail"       throw, as a failing KV or an unreachable Durable Object would.
// So Node counts every call the gate makes, calls that never reach KV or the object too.
//
//   const workers = [kvFaultWorker({ name: "kv-fault", namespace, control: (op) => "ok" }),
//                    objectFaultWorker({ name: "writer-fault", className: WRITER_CLASS, control: () => FAIL })];
//   // the gate: wrappedBindings: { REVOCATIONS: "kv-fault", REVOCATION_WRITER: "writer-fault" }
import { OBJECTS_SCRIPT } from "./harness.mjs";

/** The fault answers `control` may give. */
export const OK = "ok";
export const FAIL = "fail";
export const slow = (ms) => `slow:${ms}`;

// Asks Node (the CONTROL service) about one operation; throws or waits as it answers.
const FAULT = `
async function fault(env, op, failure) {
  const answer = await (await env.CONTROL.fetch("http://control/" + op)).text();
  if (answer === "fail") throw new Error(failure + " (fault wrapper)");
  if (answer.startsWith("slow:")) await new Promise((r) => setTimeout(r, Number(answer.slice(5))));
}`;

const KV_SCRIPT = `${FAULT}
class Wrapped {
  constructor(env) { this.env = env; }
  async call(op, args) { await fault(this.env, op, "KV unavailable"); return this.env.KV[op](...args); }
  get(...a) { return this.call("get", a); }
  getWithMetadata(...a) { return this.call("getWithMetadata", a); }
  put(...a) { return this.call("put", a); }
  list(...a) { return this.call("list", a); }
  delete(...a) { return this.call("delete", a); }
}
export default function (env) { return new Wrapped(env); }
`;

// The class name is what workers-rs checks a Durable Object namespace binding by.
const OBJECT_SCRIPT = `${FAULT}
class DurableObjectNamespace {
  constructor(env) { this.env = env; }
  getByName(name) {
    const stub = this.env.DO.getByName(name);
    const env = this.env;
    return {
      async fetch(...a) {
        await fault(env, env.CLASS, "Durable Object unreachable");
        return stub.fetch(...a);
      },
    };
  }
}
export default function (env) { return new DurableObjectNamespace(env); }
`;

const controlService = (control) => (request) => new Response(control(new URL(request.url).pathname.slice(1)));

/**
 * The worker behind a wrapped KV binding: the KV namespace `namespace` (an id; the same id
 * elsewhere is the same namespace, reachable from Node as its binding `KV` in this worker),
 * each operation first asking `control(op)`, op one of get, getWithMetadata, put, list,
 * delete.
 */
export function kvFaultWorker({ name, namespace, control }) {
  return {
    name,
    modules: true,
    script: KV_SCRIPT,
    kvNamespaces: { KV: namespace },
    serviceBindings: { CONTROL: controlService(control) },
  };
}

/**
 * The worker behind a wrapped Durable Object namespace binding (REVOCATION_WRITER, GRANTS,
 * ...): the objects script's class `className`, each request to one of its objects first
 * asking `control(className)`.
 */
export function objectFaultWorker({ name, className, control }) {
  return {
    name,
    modules: true,
    script: OBJECT_SCRIPT,
    bindings: { CLASS: className },
    durableObjects: { DO: { className, scriptName: OBJECTS_SCRIPT, useSQLite: true } },
    serviceBindings: { CONTROL: controlService(control) },
  };
}
