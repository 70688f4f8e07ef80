-- gate.lua - POST /v1/gates/check: may a random existing release go to
-- one of the seeded environments now? Every check is evaluated (the
-- answer is 200 whatever the verdict); nothing is written.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local releases
local envs = { "dev", "test", "staging", "preprod", "production" }

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	releases = common.read_lines(common.dir .. "/releases.txt")
	common.headers["Content-Type"] = "application/json"
end

function request()
	local r = releases[math.random(#releases)]
	local e = envs[math.random(#envs)]
	return wrk.format("POST", "/v1/gates/check", common.headers,
		string.format('{"release":"%s","environment":"%s"}', r, e))
end
