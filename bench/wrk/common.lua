-- common.lua - shared by the wrk scripts of bench/run.
--
-- Each script is started as
--   wrk ... -s bench/wrk/<name>.lua URL -- <data dir> <token>
-- and reads its list (services, releases, ...) from the data dir written
-- by bench/seed. Every request carries the Authorization header. done()
-- prints one machine-readable line that bench/run parses:
--   BENCH requests=N duration_us=N rps=R p50_us=N p99_us=N non2xx=N
--         socket_errors=N bytes=N

local common = {}

local thread_counter = 0

function common.setup(thread)
	thread_counter = thread_counter + 1
	thread:set("thread_id", thread_counter)
end

function common.read_lines(path)
	local t = {}
	local f = assert(io.open(path, "r"), "cannot open " .. path)
	for line in f:lines() do
		if #line > 0 then
			t[#t + 1] = line
		end
	end
	f:close()
	assert(#t > 0, path .. " is empty")
	return t
end

function common.init(args)
	common.dir = args[1]
	common.token = args[2]
	common.headers = {
		["Authorization"] = "Bearer " .. common.token,
		["Accept"] = "application/json",
	}
	local tid = thread_id or 0
	math.randomseed(os.time() * 1000 + tid * 7919)
end

-- Requests are formatted once, in init(), and request() picks one at
-- random: formatting each one in Lua costs the load generator about as much
-- as a cached answer costs the daemon, and wrk must not be what a figure
-- measures.
function common.pick(reqs)
	return reqs[math.random(#reqs)]
end

-- percent-encoding for query values (service names are slugs, but keep
-- the scripts honest)
function common.q(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

function common.done(summary, latency, requests)
	local e = summary.errors
	local dur = summary.duration
	io.write(string.format(
		"BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d" ..
		" non2xx=%d socket_errors=%d bytes=%d mean_us=%.0f max_us=%d\n",
		summary.requests, dur, summary.requests / (dur / 1e6),
		latency:percentile(50), latency:percentile(99), e.status,
		e.connect + e.read + e.write + e.timeout, summary.bytes,
		latency.mean, latency.max))
end

return common
