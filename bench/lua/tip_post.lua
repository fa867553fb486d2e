-- The tip form's POST, each with the hidden fields (CSRF token, ...) and cookie of a form page
-- fetched beforehand (bench/run.py), a new submission id and a new client address.
-- Args: <pages file: cookie TAB url-encoded hidden fields, one line each> <url-encoded answers>
--       <run number> <form path> <expected status>
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local pages, answers, run, path, expected
local n = 0
ok, bad = 0, 0

function init(args)
   pages = {}
   for line in io.lines(args[1]) do
      local cookie, hidden = line:match("^([^\t]*)\t(.*)$")
      table.insert(pages, { cookie = cookie, hidden = hidden })
   end
   answers, run, path, expected = args[2], tonumber(args[3]), args[4], tonumber(args[5])
end

function request()
   n = n + 1
   local page = pages[(n * 7 + tid) % #pages + 1]
   local id = string.format("bench-r%03d-t%02d-n%09d", run, tid, n)
   local body = page.hidden .. "&submission_id=" .. id .. "&" .. answers
   return wrk.format("POST", path, common.proxy_headers({
      ["Host"] = wrk.host,
      ["Cookie"] = page.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "tuanyuan-bench",
   }, common.client_address(run * 65536, tid, n), path), body)
end

function response(status, headers, body)
   if status == expected then ok = ok + 1 else bad = bad + 1 end
end
