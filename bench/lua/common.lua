-- Shared by the benchmark's wrk scripts: thread bookkeeping, form encoding, and one JSON line of
-- results (BENCH_JSON {...}) that bench/run.py reads. Each script counts, per thread, the
-- responses it expected ("ok") and the others ("bad"); wrk itself counts only 4xx/5xx.
local common = {}
local threads = {}

function common.setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function common.urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

-- A distinct client address for request number n of this thread, as a proxy would pass it on in
-- X-Forwarded-For: every request looks like another visitor to the rate limits. Each address
-- is used once per run and a run lasts seconds, far below the limits' per-address budgets.
function common.client_address(base, tid, n)
   local k = (base + tid * 1048576 + n) % 16777216
   return string.format("10.%d.%d.%d", math.floor(k / 65536) % 256, math.floor(k / 256) % 256, k % 256)
end

-- The headers a TLS-terminating proxy adds, for the portal's public host (bench/prepare.py), and
-- the Referer a browser sends with a form posted from a page of that host (Flask-WTF checks it
-- on https requests).
local public_host = os.getenv("BENCH_PUBLIC_HOST") or "portal.bench.invalid"

function common.proxy_headers(headers, client_address, referer_path)
   headers["X-Forwarded-For"] = client_address
   headers["X-Forwarded-Proto"] = "https"
   headers["X-Forwarded-Host"] = public_host
   if referer_path then headers["Referer"] = "https://" .. public_host .. referer_path end
   return headers
end

function common.done(summary, latency, requests)
   local ok, bad, wrapped = 0, 0, 0
   for _, t in ipairs(threads) do
      ok = ok + (t:get("ok") or 0)
      bad = bad + (t:get("bad") or 0)
      wrapped = wrapped + (t:get("wrapped") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"ok":%d,"bad":%d,"wrapped":%d,' ..
      '"socket_errors":%d,"status_errors":%d,"timeouts":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
      summary.requests, summary.duration, ok, bad, wrapped,
      e.connect + e.read + e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end

return common
