-- release.lua - GET /v1/releases/<service>@<version>, a random existing one
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local releases

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	releases = common.read_lines(common.dir .. "/releases.txt")
end

function request()
	local r = releases[math.random(#releases)]
	return wrk.format("GET", "/v1/releases/" .. r, common.headers)
end
