-- status.lua - GET /v1/status?service=<random service>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local services

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	services = common.read_lines(common.dir .. "/services.txt")
end

function request()
	local s = services[math.random(#services)]
	return wrk.format("GET", "/v1/status?service=" .. common.q(s), common.headers)
end
