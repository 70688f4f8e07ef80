-- deployments.lua - GET /v1/deployments?service=S&environment=E, a random
-- service and environment pair that has deployments (first page: 50)
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local reqs = {}

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	for _, line in ipairs(common.read_lines(common.dir .. "/pairs.txt")) do
		local s, e = line:match("^(%S+) (%S+)$")
		reqs[#reqs + 1] = wrk.format("GET", "/v1/deployments?service=" .. common.q(s) ..
			"&environment=" .. common.q(e), common.headers)
	end
end

function request()
	return common.pick(reqs)
end
