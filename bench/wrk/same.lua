-- same.lua - the size-matched nginx baseline: GET of one fixed path that
-- nginx serves from a file holding a real answer of the daemon (same
-- bytes as the figure it is compared with); same headers as the shiplog
-- scripts. Started as: wrk ... -s same.lua URL -- <dir> <token> <path>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local path

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	path = args[3]
end

function request()
	return wrk.format("GET", path, common.headers)
end
