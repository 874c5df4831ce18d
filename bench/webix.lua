-- bench/webix.lua — wrk scenarios for scripts/dev bench: requests spread over the seeded
-- organizations and webtoons, one summary line. There is no response() callback: with one,
-- wrk copies every answer's headers and body into Lua, which cost the client a quarter of
-- its CPU on a 14 kB list (docs/performance.md); wrk counts answers >= 400 by itself.
--
-- wrk -s bench/webix.lua URL -- SCENARIO TARGETS
--   SCENARIO  health | list | get | get_hot | public | public_get | login | mix
--   TARGETS   file written by scripts/lib/bench.sh; one line per published webtoon:
--             "<org id> <subdomain> <access token> <webtoon id> <episode id>" (its first
--             published episode), and for login lines "login <email> <password>"
-- done() prints: BENCH requests=N seconds=S rps=R p50_ms=A p99_ms=B mean_ms=M
--                http_errors=C socket_errors=D timeouts=T
--   (http_errors: answers with a status >= 400; scripts/lib/bench.sh names their codes
--   from nginx's access log)

local base_domain = os.getenv("WEBIX_BASE_DOMAIN") or "webix.localhost"

-- per-thread state (each wrk thread runs this file in its own Lua state)
local reqs = {}
local next_req = 0

local function get(path, token, host)
	local h = { ["Accept"] = "application/json" }
	if token then h["Authorization"] = "Bearer " .. token end
	if host then h["Host"] = host end
	return wrk.format("GET", path, h)
end

local function load_targets(file)
	local t, logins = {}, {}
	for line in io.lines(file) do
		local a, b, c, d, e = line:match("^(%S+) (%S+) (%S+) ?(%S*) ?(%S*)$")
		if a == "login" then
			logins[#logins + 1] = { email = b, password = c }
		elseif a then
			t[#t + 1] = { org = a, sub = b, token = c, webtoon = d, episode = e }
		end
	end
	return t, logins
end

local builders = {
	health = function(t) return { get("/health/live") } end,
	list = function(t)
		local r, done = {}, {}
		for _, x in ipairs(t) do
			if not done[x.org] then
				done[x.org] = true
				r[#r + 1] = get("/api/webtoons/" .. x.org .. "?limit=20", x.token)
			end
		end
		return r
	end,
	get = function(t)
		local r = {}
		for _, x in ipairs(t) do
			r[#r + 1] = get("/api/webtoons/" .. x.org .. "/" .. x.webtoon, x.token)
		end
		return r
	end,
	get_hot = function(t)
		local x = t[1]
		return { get("/api/webtoons/" .. x.org .. "/" .. x.webtoon, x.token) }
	end,
	public = function(t)
		local r = {}
		for _, x in ipairs(t) do
			r[#r + 1] = get("/api/public/webtoons/" .. x.webtoon .. "/episodes",
				nil, x.sub .. "." .. base_domain)
		end
		return r
	end,
	public_get = function(t)
		local r = {}
		for _, x in ipairs(t) do
			if x.episode ~= "" then
				r[#r + 1] = get("/api/public/webtoons/" .. x.webtoon .. "/episodes/" .. x.episode,
					nil, x.sub .. "." .. base_domain)
			end
		end
		return r
	end,
	login = function(t, logins)
		local r = {}
		for _, l in ipairs(logins) do
			local body = string.format('{"email":"%s","password":"%s"}', l.email, l.password)
			r[#r + 1] = wrk.format("POST", "/api/auth/login",
				{ ["Content-Type"] = "application/json", ["Accept"] = "application/json" }, body)
		end
		return r
	end,
}

-- the memory run: list, get and public episodes interleaved, plus /health/live
builders.mix = function(t, logins)
	local parts = { builders.list(t), builders.get(t), builders.public(t), builders.health(t) }
	local r, n = {}, 0
	for _, p in ipairs(parts) do n = math.max(n, #p) end
	for k = 1, n do
		for _, p in ipairs(parts) do
			r[#r + 1] = p[(k - 1) % #p + 1]
		end
	end
	return r
end

function init(args)
	local scenario, file = args[1], args[2]
	local b = builders[scenario]
	if not b then error("unknown scenario " .. tostring(scenario)) end
	local t, logins = {}, {}
	if file then t, logins = load_targets(file) end
	reqs = b(t, logins)
	if #reqs == 0 then error("scenario " .. scenario .. ": no targets in " .. tostring(file)) end
	-- threads start at different places so they do not walk the rows in step
	math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
	next_req = math.random(#reqs) - 1
end

-- Paced runs: BENCH_INTERVAL_MS (set by scripts/lib/bench.sh) is the time between two
-- requests of one wrk thread. Each thread then sends at a fixed rate, on a schedule, as
-- long as one of its connections is free: delay() gives each finished connection the next
-- free slot of the schedule (none when the thread is behind). The clock is
-- clock_gettime(CLOCK_MONOTONIC) through LuaJIT's FFI. delay() is defined only when
-- pacing, because wrk schedules a timer for every request once it exists.
local interval = tonumber(os.getenv("BENCH_INTERVAL_MS") or "")
if interval and interval > 0 then
	local ffi = require("ffi")
	ffi.cdef [[
		typedef struct { long sec; long nsec; } webix_bench_ts;
		int clock_gettime(int clock, webix_bench_ts *ts);
	]]
	local ts = ffi.new("webix_bench_ts")
	local function now_ms()
		ffi.C.clock_gettime(1, ts)   -- CLOCK_MONOTONIC
		return tonumber(ts.sec) * 1000 + tonumber(ts.nsec) / 1e6
	end
	local slot
	function delay()
		local now = now_ms()
		slot = slot and slot + interval or now
		if slot < now then slot = now end   -- behind: no catching up in a burst
		return math.floor(slot - now)
	end
end

function request()
	next_req = next_req % #reqs + 1
	return reqs[next_req]
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		"BENCH requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f mean_ms=%.2f " ..
		"http_errors=%d socket_errors=%d timeouts=%d\n",
		summary.requests, secs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
		e.status,
		e.connect + e.read + e.write, e.timeout))
end
