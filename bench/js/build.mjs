// Bundle the bench workers for workerd: bare imports (jose, @tsndr/...) resolved here, the
// wasm kept external so Miniflare loads it as CompiledWasm.
//   node bench/js/build.mjs      -> bench/out/{verify-worker.js, gate-workers.js, *.wasm}
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
export const OUT = join(here, "..", "out");
export const PKG = join(here, "..", "wasm", "pkg");
const GLUE = "portcullis_bench_wasm.js";
const WASM = "portcullis_bench_wasm_bg.wasm";

async function bundle(entry, outfile, pkgDir) {
  // Point the wasm-bindgen glue import at pkgDir (a profile variant's output, or the default).
  const glue = { name: "glue", setup: (b) => b.onResolve({ filter: /portcullis_bench_wasm\.js$/ }, () => ({ path: join(pkgDir, GLUE) })) };
  await build({
    entryPoints: [join(here, entry)], outfile, bundle: true, format: "esm", platform: "neutral", target: "es2022",
    conditions: ["workerd", "worker", "browser"], mainFields: ["module", "main"], external: ["*.wasm", "cloudflare:*"],
    plugins: [glue], logLevel: "warning",
  });
}

/** The verify worker against the glue + wasm in pkgDir, into outDir. */
export async function bundleVerifyWorker(pkgDir, outDir) {
  mkdirSync(outDir, { recursive: true });
  await bundle("verify-worker.mjs", join(outDir, "verify-worker.js"), pkgDir);
  copyFileSync(join(pkgDir, WASM), join(outDir, WASM));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await bundleVerifyWorker(PKG, OUT);
  await bundle("gate-workers.mjs", join(OUT, "gate-workers.js"), PKG);
}
