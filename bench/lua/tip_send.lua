-- "Send report" on the tip journey's check page: one POST per prepared draft, each draft used
-- once (a draft already sent would only redirect). Lines are shared out between threads by
-- stride, so no two threads send the same draft; a thread that runs out counts "wrapped".
-- Args: <file: Cookie header TAB url-encoded hidden fields (CSRF token), one line per draft>
--       <run number> <path> <expected status> <number of threads>
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local lines, run, path, expected, stride
local n = 0
ok, bad, wrapped = 0, 0, 0

function init(args)
   lines = {}
   for line in io.lines(args[1]) do
      local cookie, hidden = line:match("^([^\t]*)\t(.*)$")
      table.insert(lines, { cookie = cookie, hidden = hidden })
   end
   run, path, expected, stride = tonumber(args[2]), args[3], tonumber(args[4]), tonumber(args[5])
end

function request()
   local i = n * stride + tid + 1
   n = n + 1
   if i > #lines then
      wrapped = wrapped + 1
      i = (i - 1) % #lines + 1
   end
   local line = lines[i]
   return wrk.format("POST", path, common.proxy_headers({
      ["Host"] = wrk.host,
      ["Cookie"] = line.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "tuanyuan-bench",
   }, common.client_address(run * 65536, tid, n), path), line.hidden)
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"] or ""
   if status == expected and location:find("/tips/confirmation", 1, true) then ok = ok + 1 else bad = bad + 1 end
end
