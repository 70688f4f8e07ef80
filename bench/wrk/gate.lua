-- gate.lua - POST /v1/gates/check: may a random existing release go to
-- one of the seeded environments now? Every check is evaluated (the
-- answer is 200 whatever the verdict); nothing is written.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local reqs = {}
local envs = { "dev", "test", "staging", "preprod", "production" }

setup = common.setup
done = common.done

function init(args)
	common.init(args)
	common.headers["Content-Type"] = "application/json"
	for _, r in ipairs(common.read_lines(common.dir .. "/releases.txt")) do
		for _, e in ipairs(envs) do
			reqs[#reqs + 1] = wrk.format("POST", "/v1/gates/check", common.headers,
				string.format('{"release":"%s","environment":"%s"}', r, e))
		end
	end
end

function request()
	return common.pick(reqs)
end
