-- Prints one machine-readable line when wrk finishes. There is deliberately no response() hook:
-- a per-response Lua call would slow wrk down and make it the bottleneck.
-- non2xx is wrk's own count of responses with status >= 400 (the endpoints measured never redirect).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
