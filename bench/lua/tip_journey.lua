-- A tipster's whole submission: GET the form (cookie and hidden fields such as the CSRF token),
-- then POST it with the answers, from a new client address each time. Run with one connection
-- per thread (-t N -c N): the two steps of a connection share this thread's state.
-- Args: <url-encoded answers> <run number> <form path> <expected status of the POST>
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local answers, run, path, expected
local n = 0
local step = "get"
local cookie, hidden = "", ""
ok, bad = 0, 0

function init(args)
   answers, run, path, expected = args[1], tonumber(args[2]), args[3], tonumber(args[4])
end

local function headers(extra, referer_path)
   local h = { ["Host"] = wrk.host, ["User-Agent"] = "tuanyuan-bench" }
   for k, v in pairs(extra) do h[k] = v end
   return common.proxy_headers(h, common.client_address(run * 65536, tid, n), referer_path)
end

function request()
   if step == "get" then
      n = n + 1
      return wrk.format("GET", path, headers({}))
   end
   return wrk.format("POST", path, headers({
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, path), hidden .. "&" .. answers)
end

local function hidden_fields(html)
   local parts = {}
   for input in html:gmatch("<input[^>]-type=\"hidden\"[^>]->") do
      local name = input:match('name="([^"]*)"')
      local value = input:match('value="([^"]*)"') or ""
      if name then table.insert(parts, common.urlencode(name) .. "=" .. common.urlencode(value)) end
   end
   return table.concat(parts, "&")
end

function response(status, hdrs, body)
   if step == "get" then
      local set_cookie = hdrs["Set-Cookie"] or hdrs["set-cookie"]
      if status == 200 and set_cookie then
         cookie = set_cookie:match("^([^;]*)")
         hidden = hidden_fields(body)
         step = "post"
      else
         bad = bad + 1
      end
   else
      if status == expected then ok = ok + 1 else bad = bad + 1 end
      step = "get"
   end
end
