-- wrk -s bench/js/latency.lua: after the run, one line with the tail percentiles wrk's
-- --latency table leaves out (p99.9, max), in microseconds, for throughput-bench.mjs.
done = function(summary, latency, requests)
  io.write(string.format("TAIL p50=%d p99=%d p999=%d max=%d\n",
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
