-- GET one page again and again as one signed-in member of staff (one cookie, one address, one
-- browser: the session's "strong" protection ties it to the address and the user agent).
-- Args: <path> <cookie> <client address> <user agent> <expected status>
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local req, expected
ok, bad = 0, 0

function init(args)
   expected = tonumber(args[5])
   req = wrk.format("GET", args[1], common.proxy_headers({
      ["Host"] = wrk.host,
      ["Cookie"] = args[2],
      ["User-Agent"] = args[4],
   }, args[3]))
end

function request()
   return req
end

function response(status, headers, body)
   if status == expected then ok = ok + 1 else bad = bad + 1 end
end
