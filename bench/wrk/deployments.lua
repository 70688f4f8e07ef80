-- deployments.lua - GET /v1/deployments?service=S&environment=E, a random
-- service and environment pair that has deployments (first page: 50)
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local pairs_

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	pairs_ = {}
	for _, line in ipairs(common.read_lines(common.dir .. "/pairs.txt")) do
		local s, e = line:match("^(%S+) (%S+)$")
		pairs_[#pairs_ + 1] = { s, e }
	end
end

function request()
	local p = pairs_[math.random(#pairs_)]
	return wrk.format("GET", "/v1/deployments?service=" .. common.q(p[1]) ..
		"&environment=" .. common.q(p[2]), common.headers)
end
