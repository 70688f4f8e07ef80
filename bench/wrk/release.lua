-- release.lua - GET /v1/releases/<service>@<version>, a random existing one
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local reqs = {}

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	for _, r in ipairs(common.read_lines(common.dir .. "/releases.txt")) do
		reqs[#reqs + 1] = wrk.format("GET", "/v1/releases/" .. r, common.headers)
	end
end

function request()
	return common.pick(reqs)
end
