// Bench worker (bundled by bench/js/build.mjs, run in workerd via Miniflare):
//   GET /run?c=<contender>&n=<count>   run n verifications of the x-token header's token
//                                      (c=gate:<step>: n runs of a gate-path step in wasm)
// Answers { ok, inner_ms }. The driver times each request from Node; inner_ms is workerd's
// own clock, which only advances at I/O: it is read before the batch and again after an
// awaited timer, so it covers the batch (see BENCHMARKS.md).
import wasmModule from "./portcullis_bench_wasm_bg.wasm";
import { makeContenders, runBatch, runLoop, selfCheck } from "./contenders.mjs";

let ready;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const token = request.headers.get("x-token");
    ready ??= (async () => {
      const made = await makeContenders({
        wasmModule, jwks: JSON.parse(env.JWKS), issuer: env.ISSUER, audience: env.AUDIENCE,
        maxTtl: Number(env.MAX_TTL),
      });
      await selfCheck(made.contenders, token);
      return made;
    })();
    const made = await ready;
    const name = url.searchParams.get("c");
    const n = Number(url.searchParams.get("n"));
    await new Promise((r) => setTimeout(r, 0));
    const t0 = performance.now();
    const ok = runLoop(made, name, token, n) ?? (await runBatch(made.contenders[name], token, n));
    await new Promise((r) => setTimeout(r, 0));
    const inner_ms = performance.now() - t0;
    return Response.json({ ok, inner_ms });
  },
};
