-- status_all.lua - GET /v1/status unfiltered: the first page of the
-- matrix (service x environment x target; see bench/README.md)
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

function init(args)
	common.init(args)
end

function request()
	return wrk.format("GET", "/v1/status", common.headers)
end
