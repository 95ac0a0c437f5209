// workerd's memory: RSS from /proc, and the JS heap after a forced full GC through the
// inspector.
import { readFileSync } from "node:fs";
import { attach } from "../../bench/js/inspector.mjs";

// What is live, as against what workerd holds: every SOAK_HEAP_EVERY_S the soak connects to the
// gate's V8 inspector, forces a full GC (a heap snapshot), reads the JS heap's used size and the RSS right after,
// and disconnects (a client left attached would make every console.log capture a stack trace,
// BENCHMARKS.md 3d). RSS alone grows in steps whenever V8 chooses not to collect yet; the
// post-GC figures are what a leak (JS objects, or wasm linear memory, which never shrinks and
// is part of RSS) would make climb.
// Off unless SOAK_HEAP_EVERY_S is set: with an inspector port open, workerd runs the gate's
// wasm far slower (about a sixth of the requests per second here), so a soak that samples the
// heap is not the same load as one that does not.
export const HEAP_EVERY_MS = Number(process.env.SOAK_HEAP_EVERY_S ?? 0) * 1000;
/** The JS heap's used size and ArrayBuffer backing stores right after a full GC, in bytes. */
export async function heapAfterGc(inspectorPort, workerName) {
  const inspector = await attach(inspectorPort, workerName);
  try {
    // workerd does not answer HeapProfiler.collectGarbage; a heap snapshot always starts
    // with a full GC (its chunks are discarded here).
    await inspector.send("HeapProfiler.enable");
    await inspector.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const usage = await inspector.send("Runtime.getHeapUsage");
    return { used: usage.result?.usedSize ?? NaN, backing: usage.result?.backingStorageSize ?? NaN };
  } finally {
    inspector.close();
  }
}

export const rssKiB = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]);
  } catch {
    return NaN;
  }
};
