// Load and CPU accounting shared by the throughput and slope benches: wrk against one URL,
// and the workerd processes this process spawned with their CPU time.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";

/**
 * wrk, one thread, `connections` connections, for `seconds`; `headers` are "Name: value"
 * lines. Runs as a child process, asynchronously: the origin lives in this process's event
 * loop. Parses its --latency output ("Requests/sec: N", percentile lines "50%  1.23ms", the
 * non-2xx count) and the tail line of bench/js/latency.lua (p99.9, max).
 */
export async function wrk({ url, seconds, connections, headers = [] }) {
  const lua = new URL("./latency.lua", import.meta.url).pathname;
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", lua];
  for (const h of headers) args.push("-H", h);
  const { stdout: out } = await promisify(execFile)("wrk", [...args, url], { encoding: "utf8" });
  const ms = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(out)?.[0] ?? null;
  const tail = /TAIL p50=(\d+) p99=(\d+) p999=(\d+) max=(\d+)/.exec(out);
  const tailMs = (i) => (tail ? Number(tail[i]) / 1000 : NaN);
  return { rps, p50_ms: ms(50), p99_ms: ms(99), p999_ms: tailMs(3), max_ms: tailMs(4), requests, non_2xx: bad, socket_errors: errors };
}

/**
 * The workerd processes this process spawned. Their CPU time (user + system, clock ticks of
 * 10 ms on Linux) per request is a measure the other jobs on the machine disturb far less
 * than requests/s.
 */
export function workerdPids() {
  const pids = new Set();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(workerd)") && Number(fields[1]) === process.pid) pids.add(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * CPU time of `pids` in ms, to the nanosecond: the sum over their threads of
 * /proc/<pid>/task/<tid>/schedstat's first field (ns on a CPU). Clock ticks (cpuTicks) are
 * 10 ms, too coarse for one request.
 */
export function threadsCpuMs(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tids = [];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { /* gone */ }
    for (const tid of tids) {
      try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]); } catch { /* thread gone */ }
    }
  }
  return ns / 1e6;
}

/** utime + stime of `pid`, in clock ticks. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch { return NaN; }
}
export const TICK_US = 10_000;

/** Starts the contender `start()` returns and records which workerd processes are its own. */
export async function startCounted(start) {
  const had = workerdPids();
  const c = await start();
  c.pids = [...workerdPids()].filter((p) => !had.has(p));
  return c;
}

/** One wrk run against a contender, with its workerd CPU per request. */
export async function measured(contender, opts) {
  const t0 = contender.pids.reduce((a, p) => a + cpuTicks(p), 0);
  const w = await wrk(opts);
  const ticks = contender.pids.reduce((a, p) => a + cpuTicks(p), 0) - t0;
  // No answer in the whole run: no CPU per request (NaN), not a division by zero.
  w.workerd_cpu_us_per_req = w.requests > 0 ? Math.round((ticks * TICK_US * 10) / w.requests) / 10 : NaN;
  return w;
}
