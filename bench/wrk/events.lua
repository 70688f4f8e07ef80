-- events.lua - durable POST /v1/deployments/{id}/events on in-progress
-- canary deployments: half traffic milestones (traffic_percent, valid on
-- canary), half message-only events; every message is unique
-- ("bench <run> <thread>-<n>"), so bench/run can count them in the store
-- afterwards. Each must answer 201; anything else is counted in non2xx.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local ids
local n = 0
local run_id

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	run_id = args[3] or "run"
	ids = common.read_lines(common.dir .. "/events.txt")
	common.headers["Content-Type"] = "application/json"
end

function request()
	n = n + 1
	local id = ids[math.random(#ids)]
	local msg = string.format("bench %s %d-%d", run_id, thread_id or 0, n)
	local body
	if n % 2 == 0 then
		body = string.format('{"traffic_percent":%d,"message":"%s"}',
			math.random(0, 100), msg)
	else
		body = string.format('{"message":"%s","source":"api"}', msg)
	end
	return wrk.format("POST", "/v1/deployments/" .. id .. "/events",
		common.headers, body)
end
