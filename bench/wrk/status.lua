-- status.lua - GET /v1/status?service=<random service>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local reqs = {}

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	for _, s in ipairs(common.read_lines(common.dir .. "/services.txt")) do
		reqs[#reqs + 1] = wrk.format("GET", "/v1/status?service=" .. common.q(s), common.headers)
	end
end

function request()
	return common.pick(reqs)
end
