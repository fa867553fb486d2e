-- POST requests prepared beforehand (bench/run.py signs each with twilio's RequestValidator, each
-- with its own MessageSid), each sent once. Should the file run out, it starts again and counts
-- "wrapped" (repeats are duplicates, answered faster): bench/run.py then flags the figure.
-- Args: <file: signature TAB url-encoded body, one line each> <path> <signature header>
--       <expected status> <number of threads>
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local lines, path, header, expected
local n = 0
ok, bad, wrapped = 0, 0, 0
local stride  -- the number of threads: thread t sends lines t+1, t+1+stride, ...

function init(args)
   lines = {}
   for line in io.lines(args[1]) do table.insert(lines, line) end
   path, header, expected, stride = args[2], args[3], tonumber(args[4]), tonumber(args[5])
end

function request()
   local i = n * stride + tid + 1
   n = n + 1
   if i > #lines then
      wrapped = wrapped + 1
      i = (i - 1) % #lines + 1
   end
   local signature, body = lines[i]:match("^([^\t]*)\t(.*)$")
   return wrk.format("POST", path, common.proxy_headers({
      ["Host"] = wrk.host,
      [header] = signature,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "TwilioProxy/1.1",
   }, common.client_address(0, tid, n)), body)
end

function response(status, headers, body)
   if status == expected then ok = ok + 1 else bad = bad + 1 end
end
