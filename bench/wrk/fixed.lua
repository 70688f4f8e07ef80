-- fixed.lua - the nginx baseline: GET / answered with a fixed 200 JSON
-- body; same headers as the shiplog scripts.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

function init(args)
	common.init(args)
end

function request()
	return wrk.format("GET", "/v1/releases/fixed", common.headers)
end
