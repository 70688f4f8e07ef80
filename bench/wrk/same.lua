-- same.lua - the nginx baselines: GET of one fixed path, with the same
-- headers as the shiplog scripts. /v1/releases/fixed is nginx's fixed 200;
-- /same/<size>-<figure>.json is a file holding a real answer of the daemon
-- (the same bytes as the figure it is compared with).
-- Started as: wrk ... -s same.lua URL -- <dir> <token> <path>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local req

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	req = wrk.format("GET", args[3], common.headers)
end

function request()
	return req
end
