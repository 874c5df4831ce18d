# shellcheck shell=bash
# scripts/lib/bench.sh — `scripts/dev bench`: an optimised build (no sanitizers) on a fresh
# stack in a temporary dir, the data set of bench/seed.sql, wrk through nginx over HTTPS
# (bench/webix.lua), and the numbers printed: requests/s, p50, p99, errors, ratio to
# /health/live, worker memory. Not a test: nothing here fails on a slow number.
# Sourced by scripts/dev after stack.sh; uses its build_tree, stack_up, test_teardown.

BENCH_PASSWORD='Bench-passw0rd-of-the-benchmark'
BENCH_HASH_EMAIL='bench-hash@example.com'

declare -gA BENCH_RPS=() BENCH_P50=() BENCH_P99=() BENCH_ERR=() BENCH_REQS=() BENCH_NOTE=() \
	BENCH_CPU=()
declare -ga BENCH_ORDER=()

bench_settings() {
	BENCH_SECONDS=${BENCH_SECONDS:-15}
	BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
	BENCH_THREADS=${BENCH_THREADS:-2}
	BENCH_TIMEOUT=${BENCH_TIMEOUT:-10}
	BENCH_MEMORY_REQUESTS=${BENCH_MEMORY_REQUESTS:-100000}
	BENCH_TOKENS=${BENCH_TOKENS:-10}
	BENCH_WARMUP=${BENCH_WARMUP:-3}
	[[ $BENCH_WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a number of seconds, not '$BENCH_WARMUP'"
	BENCH_RUNS=${BENCH_RUNS:-health list get get_hot public public_get list_half get_half login health}
	local k
	for k in BENCH_SECONDS BENCH_CONNECTIONS BENCH_THREADS BENCH_TIMEOUT BENCH_MEMORY_REQUESTS \
		BENCH_TOKENS; do
		[[ ${!k} =~ ^[0-9]+$ && ${!k} -gt 0 ]] || die "$k must be a positive number, not '${!k}'"
	done
	((BENCH_TOKENS <= 100)) || die "BENCH_TOKENS must be at most 100 (one per organization)"
	local r seen_health=0
	for r in $BENCH_RUNS; do
		[[ $r =~ ^(health|list|get|get_hot|public|public_get|login|list_half|get_half)$ ]] ||
			die "BENCH_RUNS: unknown scenario '$r' (health list get get_hot public public_get" \
				"login list_half get_half)"
		[[ $r != health ]] || seen_health=1
		[[ $r != *_half ]] || ((seen_health)) ||
			die "BENCH_RUNS: $r offers half the rate of /health/live: put a health run before it"
	done
}

# ---- the machine --------------------------------------------------------------------------

bench_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_cpu_busy — percent of all CPUs busy over one second (what else runs on the machine
# when measured with our stack idle).
bench_cpu_busy() {
	local a b
	read -r _ a < <(head -n1 /proc/stat)
	sleep 1
	read -r _ b < <(head -n1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		split(a, x, " "); split(b, y, " ");
		for (i in x) { t += y[i] - x[i] } ; idle = (y[4] - x[4]) + (y[5] - x[5]);
		printf "%d", (t > 0 ? 100 * (t - idle) / t + 0.5 : 0) }'
}

# bench_worker_rss — "pid=kB" for each worker (children of the webix-api master).
bench_worker_rss() {
	local master pid rss out=()
	master=$(read_pid "$API_PID")
	[[ -n $master ]] || { echo "(no master)"; return 0; }
	for pid in $(ps -o pid= --ppid "$master" | sort -n); do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
		[[ -n $rss ]] && out+=("$pid=$rss")
	done
	echo "${out[*]}"
}

# bench_jiffies PID — CPU time (clock ticks) of PID, its live children and its reaped ones.
bench_jiffies() {
	local m=$1 pid t=0 s f
	[[ -n $m && -r /proc/$m/stat ]] || { echo 0; return 0; }
	for pid in $m $(ps -o pid= --ppid "$m"); do
		s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		read -ra f <<<"${s##*) }" # f[0] is the state: utime f[11], stime f[12], cutime f[13], cstime f[14]
		t=$((t + f[11] + f[12]))
		[[ $pid != "$m" ]] || t=$((t + f[13] + f[14]))
	done
	echo "$t"
}

# bench_cpu_snapshot — "postgres api nginx redis busy all steal" in clock ticks: the stack's
# processes, then the whole machine's busy and total time (all CPUs), and the time the
# hypervisor gave to other guests while ours wanted to run (steal, counted in busy).
bench_cpu_snapshot() {
	local pm busy all steal
	pm=$(read_pid "$PGDATA/postmaster.pid")
	read -r busy all steal < <(head -n1 /proc/stat | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t, $9 + 0 }')
	echo "$(bench_jiffies "$pm") $(bench_jiffies "$(read_pid "$API_PID")")" \
		"$(bench_jiffies "$(read_pid "$RUN/nginx.pid")") $(bench_jiffies "$(read_pid "$RUN/redis.pid")")" \
		"$busy $all $steal"
}

# bench_children_ticks — KIDS_TICKS: CPU ticks of this shell's reaped children (the second
# line of bash's `times`). Not in a $(...): that would be another process's children.
bench_children_ticks() {
	local tf=$BENCH_DIR/times
	times >"$tf"
	KIDS_TICKS=$(awk -v hz="$(getconf CLK_TCK)" 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) {
		split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%d", t * hz + 0.5 }' "$tf")
}

# ---- data ---------------------------------------------------------------------------------

# bench_register_hash_user — one user through the API, whose Argon2id hash every seeded
# user then shares (hashing 10,000 passwords would take minutes).
bench_register_hash_user() {
	local code
	code=$(curl -sS -o "$BENCH_DIR/register.json" -w '%{http_code}' --cacert "$CA_PEM" \
		-H 'Content-Type: application/json' \
		--data "{\"email\":\"$BENCH_HASH_EMAIL\",\"password\":\"$BENCH_PASSWORD\",\"displayName\":\"Bench Hash\"}" \
		"$HTTPS_URL/api/auth/register") || die "register: curl failed"
	[[ $code == 201 ]] || { cat "$BENCH_DIR/register.json" >&2; die "register answered $code, not 201"; }
}

bench_seed() {
	local t0=$SECONDS
	log "seeding (100 organizations, 10,000 users, 5,000 webtoons, 100,000 episodes)"
	bench_register_hash_user
	psql -X -q -At "$OWNER_URL" -v orgs=100 -v users=10000 -v per_org=50 -v per_webtoon=20 \
		-v hash_email="$BENCH_HASH_EMAIL" -f "$REPO/bench/seed.sql" >"$BENCH_DIR/seed.out" ||
		die "seeding failed"
	log "$(tail -n1 "$BENCH_DIR/seed.out") in $((SECONDS - t0)) s"
}

# bench_login EMAIL — print the access token of EMAIL.
bench_login() {
	local out code token
	out=$BENCH_DIR/login.json
	code=$(curl -sS -o "$out" -w '%{http_code}' --cacert "$CA_PEM" \
		-H 'Content-Type: application/json' \
		--data "{\"email\":\"$1\",\"password\":\"$BENCH_PASSWORD\"}" \
		"$HTTPS_URL/api/auth/login") || die "login $1: curl failed"
	[[ $code == 200 ]] || { cat "$out" >&2; die "login $1 answered $code"; }
	token=$(grep -o '"accessToken" *: *"[^"]*"' "$out" | sed 's/.*"\([^"]*\)"$/\1/')
	[[ -n $token ]] || { cat "$out" >&2; die "login $1: no accessToken in the answer"; }
	printf '%s\n' "$token"
}

# bench_targets — $BENCH_DIR/targets: for organizations 1..BENCH_TOKENS, their admin's token
# and each published webtoon; then 200 users to log in.
bench_targets() {
	local n email token rows
	: >"$BENCH_DIR/targets"
	log "logging in $BENCH_TOKENS organization admins"
	for ((n = 1; n <= BENCH_TOKENS; n++)); do
		printf -v email 'bench%05d@example.com' "$n"
		token=$(bench_login "$email")
		rows=$(psql -X -q -At -F' ' "$OWNER_URL" -v n="$n" <<-'EOF'
			SELECT o.id, o.subdomain, w.id,
			       (SELECT e.id FROM episodes e WHERE e.webtoon_id = w.id AND e.status = 'published'
			        ORDER BY e.episode_number LIMIT 1)
			FROM organizations o JOIN webtoons w ON w.org_id = o.id
			WHERE o.subdomain = 'org' || lpad(:'n', 3, '0') AND w.status = 'published'
			ORDER BY w.created_at DESC;
		EOF
		) || die "cannot read the webtoons of organization $n"
		[[ -n $rows ]] || die "organization $n has no published webtoon"
		awk -v t="$token" '{ print $1, $2, t, $3, $4 }' <<<"$rows" >>"$BENCH_DIR/targets"
	done
	for ((n = 101; n <= 300; n++)); do
		printf 'login bench%05d@example.com %s\n' "$n" "$BENCH_PASSWORD" >>"$BENCH_DIR/targets"
	done
	chmod 0600 "$BENCH_DIR/targets"
}

# bench_check SCENARIO — one request of the scenario with curl must answer 2xx (a wrong
# URL would otherwise be measured as a fast error page).
bench_check() {
	local line org sub token wt url host=() code
	set -- "${1%_half}"
	read -r org sub token wt ep < <(grep -v '^login ' "$BENCH_DIR/targets" | head -n1)
	local auth=(-H "Authorization: Bearer $token")
	case $1 in
	health) url=/health/live auth=() ;;
	list) url="/api/webtoons/$org?limit=20" ;;
	get | get_hot) url="/api/webtoons/$org/$wt" ;;
	public) url="/api/public/webtoons/$wt/episodes" auth=()
		host=(-H "Host: $sub.${CFG[BASE_DOMAIN]}") ;;
	public_get) url="/api/public/webtoons/$wt/episodes/$ep" auth=()
		host=(-H "Host: $sub.${CFG[BASE_DOMAIN]}") ;;
	login) return 0 ;;
	esac
	code=$(curl -sS -o "$BENCH_DIR/check.json" -w '%{http_code}' --cacert "$CA_PEM" \
		"${auth[@]}" "${host[@]}" "$HTTPS_URL$url") || die "$1: curl failed"
	[[ $code == 2?? ]] || { cat "$BENCH_DIR/check.json" >&2; die "$1: GET $url answered $code"; }
}

# ---- wrk ----------------------------------------------------------------------------------

# bench_error_codes N — "CODE:COUNT,…" of the answers >= 400 among nginx's last N log lines
# (wrk counts them; the access log says which they were).
bench_error_codes() {
	sleep 1.2   # nginx flushes its access log buffer every second
	tail -n "$1" "$LOGS/nginx-access.log" 2>/dev/null | awk '{
		for (i = 1; i < NF; i++) if ($i ~ /"$/ && $(i + 1) ~ /^[0-9][0-9][0-9]$/) {
			if ($(i + 1) >= 400) n[$(i + 1)]++; break } }
		END { s = ""; for (c in n) s = s (s == "" ? "" : ",") c ":" n[c]; print (s == "" ? "?" : s) }'
}

# bench_wrk NAME SCENARIO SECONDS — run wrk, parse its BENCH line into the result tables.
bench_wrk() {
	local name=$1 scenario=$2 secs=$3 out line busy
	out=$BENCH_DIR/wrk-$name.txt
	busy=$(bench_cpu_busy)
	log "wrk $name: ${secs}s, ${BENCH_CONNECTIONS} connections, ${BENCH_THREADS} threads" \
		"(load average $(bench_loadavg); CPU busy before: ${busy}%)"
	local cpu0 cpu1 kids0 kids1
	cpu0=$(bench_cpu_snapshot)
	bench_children_ticks
	kids0=$KIDS_TICKS
	WEBIX_BASE_DOMAIN=${CFG[BASE_DOMAIN]} BENCH_INTERVAL_MS=${BENCH_INTERVAL:-} \
		wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${secs}s" --timeout "${BENCH_TIMEOUT}s" \
		-s "$REPO/bench/webix.lua" "$HTTPS_URL" -- "${scenario%_half}" "$BENCH_DIR/targets" \
		>"$out" 2>&1 &
	CHILD=$!
	wait "$CHILD" || { CHILD=; cat "$out" >&2; die "wrk $name failed"; }
	CHILD=
	bench_children_ticks
	kids1=$KIDS_TICKS
	cpu1=$(bench_cpu_snapshot)
	line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "wrk $name printed no BENCH line"; }
	local k v kv
	declare -A wf=()
	for kv in ${line#BENCH }; do
		k=${kv%%=*} v=${kv#*=}
		wf[$k]=$v
	done
	BENCH_ORDER+=("$name")
	BENCH_REQS[$name]=${wf[requests]}
	BENCH_RPS[$name]=${wf[rps]}
	BENCH_P50[$name]=${wf[p50_ms]}
	BENCH_P99[$name]=${wf[p99_ms]}
	BENCH_ERR[$name]=$((wf[http_errors] + wf[socket_errors] + wf[timeouts]))
	BENCH_NOTE[$name]="busy-before=${busy}% load=$(bench_loadavg | cut -d' ' -f1)"
	[[ -z ${BENCH_INTERVAL:-} ]] || BENCH_NOTE[$name]+=" offered=${BENCH_OFFERED}/s"
	((wf[http_errors] == 0)) || BENCH_NOTE[$name]+=" statuses=$(bench_error_codes "${wf[requests]}")"
	((wf[socket_errors] + wf[timeouts] == 0)) ||
		BENCH_NOTE[$name]+=" socket-errors=${wf[socket_errors]} timeouts=${wf[timeouts]}"
	BENCH_CPU[$name]=$(awk -v a="$cpu0" -v b="$cpu1" -v w=$((kids1 - kids0)) \
		-v n="${wf[requests]}" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x, " "); split(b, y, " "); for (i = 1; i <= 7; i++) d[i] = y[i] - x[i];
		ms = 1000 / hz / (n > 0 ? n : 1); ours = d[1] + d[2] + d[3] + d[4] + w;
		others = d[5] - ours - d[7]; if (others < 0) others = 0;
		printf "%.3f %.3f %.3f %.3f %.3f %.0f %.0f %.1f", d[1] * ms, d[2] * ms, d[3] * ms,
			d[4] * ms, w * ms, 100 * d[5] / d[6], 100 * others / d[6], 100 * d[7] / d[6] }')
	log "  $line"
	log "  CPU ms/request: postgres api nginx redis wrk, machine busy %, others %, steal %:" \
		"${BENCH_CPU[$name]}"
}

# bench_warmup SCENARIO — BENCH_WARMUP seconds of the scenario, not measured: caches
# (the read cache, PostgreSQL's buffers, TLS sessions) reach their steady state first.
bench_warmup() {
	((BENCH_WARMUP > 0)) && [[ $1 != login ]] || return 0
	log "wrk warm-up: $1, ${BENCH_WARMUP}s (not measured)"
	WEBIX_BASE_DOMAIN=${CFG[BASE_DOMAIN]} BENCH_INTERVAL_MS=${BENCH_INTERVAL:-} \
		wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_WARMUP}s" \
		--timeout "${BENCH_TIMEOUT}s" -s "$REPO/bench/webix.lua" "$HTTPS_URL" -- "${1%_half}" \
		"$BENCH_DIR/targets" >"$BENCH_DIR/warmup-$1.txt" 2>&1 &
	CHILD=$!
	wait "$CHILD" || { CHILD=; cat "$BENCH_DIR/warmup-$1.txt" >&2; die "wrk warm-up $1 failed"; }
	CHILD=
}

# bench_pace SCENARIO — for list_half and get_half: BENCH_INTERVAL, the milliseconds between
# two requests of one wrk thread, so that the threads together offer half the rate of the
# first /health/live run (bench/webix.lua keeps each thread on that schedule). Unset for
# every other scenario.
bench_pace() {
	BENCH_INTERVAL='' BENCH_OFFERED=''
	[[ $1 == *_half ]] || return 0
	BENCH_OFFERED=$(awk -v h="${BENCH_RPS[health]}" 'BEGIN { printf "%.0f", h / 2 }')
	BENCH_INTERVAL=$(awk -v t="$BENCH_THREADS" -v r="$BENCH_OFFERED" \
		'BEGIN { printf "%.4f", 1000 * t / r }')
}

bench_runs() {
	local r name
	declare -A times=()
	for r in $BENCH_RUNS; do
		bench_check "$r"
		bench_pace "$r"
		bench_warmup "$r"
		times[$r]=$((${times[$r]:-0} + 1))
		name=$r
		((times[$r] == 1)) || name="$r#${times[$r]}"
		bench_wrk "$name" "$r" "$BENCH_SECONDS"
	done
	BENCH_INTERVAL='' BENCH_OFFERED=''
}

# bench_memory — RSS of each worker, then at least BENCH_MEMORY_REQUESTS requests of the
# mixed scenario (list, get, public episodes, /health/live) in runs of wrk (the first one
# 10 s long), then RSS again.
bench_memory() {
	local done_reqs=0 rate secs i=0 name
	MEM_BEFORE=$(bench_worker_rss)
	log "memory check: worker RSS (kB) before: $MEM_BEFORE"
	rate=
	while ((done_reqs < BENCH_MEMORY_REQUESTS)); do
		i=$((i + 1))
		# the first run measures the mix's rate; the next one is sized to reach the count
		secs=10
		[[ -z $rate ]] || secs=$(awk -v n=$((BENCH_MEMORY_REQUESTS - done_reqs)) -v r="$rate" \
			'BEGIN { s = int(n / (r > 1 ? r : 1) * 1.05) + 2; print (s > 600 ? 600 : s) }')
		name="memory#$i"
		bench_wrk "$name" mix "$secs"
		done_reqs=$((done_reqs + ${BENCH_REQS[$name]}))
		rate=${BENCH_RPS[$name]}
		((i < 20)) || break
	done
	MEM_REQUESTS=$done_reqs
	MEM_AFTER=$(bench_worker_rss)
	log "memory check: $done_reqs requests; worker RSS (kB) after: $MEM_AFTER"
}

# ---- report -------------------------------------------------------------------------------

bench_report() {
	local name ceiling='' h n=0 sum=0
	for name in "${BENCH_ORDER[@]}"; do
		if [[ $name == health* ]]; then
			sum=$(awk -v a="$sum" -v b="${BENCH_RPS[$name]}" 'BEGIN { print a + b }')
			n=$((n + 1))
		fi
	done
	((n == 0)) || ceiling=$(awk -v s="$sum" -v n="$n" 'BEGIN { printf "%.1f", s / n }')
	printf '\nwebix benchmark — %s, %s cores, %s workers, wrk %s threads / %s connections, %s s per run\n' \
		"$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "${CFG[WORKERS]}" "$BENCH_THREADS" \
		"$BENCH_CONNECTIONS" "$BENCH_SECONDS"
	printf 'build: build/bench (CFLAGS=-O2 -g, no sanitizers); load average now: %s\n' "$(bench_loadavg)"
	[[ -z $ceiling ]] || printf '/health/live ceiling (mean of %s runs): %s req/s\n' "$n" "$ceiling"
	printf '\n%-16s %10s %9s %9s %8s %9s  %s\n' scenario 'req/s' 'p50 ms' 'p99 ms' errors \
		'vs live' 'notes'
	for name in "${BENCH_ORDER[@]}"; do
		h='-'
		[[ -z $ceiling ]] || h=$(awk -v a="${BENCH_RPS[$name]}" -v c="$ceiling" \
			'BEGIN { printf "%.0f%%", 100 * a / c }')
		printf '%-16s %10s %9s %9s %8s %9s  %s\n' "$name" "${BENCH_RPS[$name]}" \
			"${BENCH_P50[$name]}" "${BENCH_P99[$name]}" "${BENCH_ERR[$name]}" "$h" \
			"${BENCH_NOTE[$name]:-}"
	done
	printf '\nCPU time per request (ms) by process; the machine during the run (%% of %s cores: all\n' \
		"$(nproc)"
	printf 'busy, busy with processes not ours, and stolen: the hypervisor ran other guests while\n'
	printf 'ours waited); "cpu-bound" = %s cores / the sum, the rate\n' "$(nproc)"
	printf 'the stack would reach alone on the machine, and its ratio to /health/live likewise:\n'
	printf '%-12s %8s %9s %7s %7s %7s %7s %6s %7s %6s %10s %7s\n' scenario postgres webix-api \
		nginx redis wrk sum busy% others% steal% cpu-bound 'vs live'
	local est_live
	est_live=$(for name in "${BENCH_ORDER[@]}"; do
		if [[ $name == health* ]]; then printf '%s\n' "${BENCH_CPU[$name]}"; fi
	done | awk -v c="$(nproc)" '{ s = $1 + $2 + $3 + $4 + $5; if (s > 0) { r += 1000 * c / s; n++ } }
		END { if (n) printf "%.0f", r / n }')
	for name in "${BENCH_ORDER[@]}"; do
		awk -v n="$name" -v c="$(nproc)" -v live="${est_live:-0}" '{
			s = $1 + $2 + $3 + $4 + $5; r = s > 0 ? 1000 * c / s : 0;
			printf "%-12s %8.3f %9.3f %7.3f %7.3f %7.3f %7.3f %6d %7d %6.1f %10.0f %6.0f%%\n",
				n, $1, $2, $3, $4, $5, s, $6, $7, $8, r, (live > 0 ? 100 * r / live : 0) }' \
			<<<"${BENCH_CPU[$name]}"
	done
	printf '\nscenarios: health = GET /health/live; list = GET /api/webtoons/:org?limit=20 (%s orgs);\n' \
		"$BENCH_TOKENS"
	printf '  get = GET /api/webtoons/:org/:id (counts a view: queued in Redis, written in batches), spread over %s webtoons;\n' \
		"$(grep -vc '^login ' "$BENCH_DIR/targets")"
	printf '  get_hot = the same on one webtoon; public = GET /api/public/webtoons/:id/episodes on\n'
	printf '  <sub>.%s; public_get = GET /api/public/webtoons/:id/episodes/:episodeId there (a\n' \
		"${CFG[BASE_DOMAIN]}"
	printf '  reader opening an episode: counts a view); login = POST /api/auth/login (Argon2id\n'
	printf '  verify, by design slow);\n'
	printf '  list_half, get_half = list and get sent on a schedule at half the rate of the first\n'
	printf '  health run (not as fast as the stack answers): p50 and p99 at half load;\n'
	printf '  memory = list, get, public and health interleaved;\n'
	printf '  errors = answers >= 400 + socket errors + timeouts\n'
	printf '\nworker RSS (kB), pid=kB:\n'
	printf '  fresh workers (before any request):         %s\n' "$RSS_FRESH"
	printf '  after seeding and %s logins (Argon2id):     %s\n' "$BENCH_TOKENS" "$RSS_START"
	printf '  before the memory runs:                     %s\n' "$MEM_BEFORE"
	printf '  after %s more requests:                 %s\n' "$MEM_REQUESTS" "$MEM_AFTER"
	bench_rss_verdict
	[[ -z $ceiling ]] || bench_targets_verdict "$ceiling"
}

# bench_targets_verdict CEILING — issue 6's targets for the authenticated list and get,
# against this run: rate >= 50 % of /health/live, p99 <= 10 ms, zero errors.
bench_targets_verdict() {
	local name
	printf '
targets (list and get with 32 connections): >= 50%% of /health/live, p99 <= 10 ms, no errors
'
	for name in list get; do
		[[ -n ${BENCH_RPS[$name]:-} ]] || continue
		awk -v n="$name" -v r="${BENCH_RPS[$name]}" -v c="$1" -v p="${BENCH_P99[$name]}" \
			-v e="${BENCH_ERR[$name]}" -v cpu="${BENCH_CPU[$name]}" 'BEGIN {
			ratio = 100 * r / c; split(cpu, f, " ");
			printf "  %-5s %5.0f%% %-6s p99 %6.2f ms %-6s errors %d %-6s (steal %.1f%%)\n", n,
				ratio, (ratio >= 50 ? "met" : "missed"), p, (p <= 10 ? "met" : "missed"), e,
				(e == 0 ? "met" : "missed"), f[8] }'
	done
	printf '  (the hypervisor'"'"'s steal inflates p99: compare runs at under ~2%% steal; docs/performance.md)\n'
}

# Per worker: growth over the memory runs; the largest RSS against the 16 MB target.
bench_rss_verdict() {
	awk -v a="$MEM_BEFORE" -v b="$MEM_AFTER" 'BEGIN {
		n = split(a, x, " "); m = split(b, y, " ");
		for (i = 1; i <= n; i++) { split(x[i], p, "="); before[p[1]] = p[2] }
		max = 0; grow = 0; same = 0;
		for (i = 1; i <= m; i++) {
			split(y[i], p, "="); if (p[2] > max) max = p[2];
			if (p[1] in before) { same++; d = p[2] - before[p[1]]; if (d > grow) grow = d }
		}
		printf "  largest worker: %.1f MB (target <= 16 MB); largest growth of one worker over the memory runs: %d kB", max / 1024, grow;
		if (same < m) printf " (%d of %d workers are new: a worker was replaced)", m - same, m;
		printf "\n" }'
}

# ---- the command --------------------------------------------------------------------------

cmd_bench() {
	need_root bench "$@"
	take_lock bench
	bench_settings
	ensure_packages "${PACKAGES[@]}"
	ensure_service_user
	local build=$REPO/build/bench
	# optimised, no sanitizers: what production runs
	build_tree bench "CFLAGS=-O2 -g"

	TEST_STATE=$(mktemp -d /tmp/webix-bench.XXXXXX)
	STATE=$TEST_STATE
	trap test_teardown EXIT
	trap on_signal INT TERM
	log "benchmark stack in $STATE (WEBIX_KEEP_STATE=1 keeps it)"
	# the load generator's address is exempt from nginx's and the api's rate limits
	export WEBIX_RATE_LIMIT_EXEMPT=127.0.0.1
	stack_up bench "$build"
	BENCH_DIR=$STATE/bench
	install -d -m 0700 "$BENCH_DIR"

	RSS_FRESH=$(bench_worker_rss)
	bench_seed
	bench_targets
	RSS_START=$(bench_worker_rss)
	log "worker RSS (kB) at start: $RSS_START"
	bench_runs
	bench_memory
	bench_report | tee "$BENCH_DIR/report.txt"
	mkdir -p "$REPO/build"
	cp "$BENCH_DIR/report.txt" "$REPO/build/bench-report.txt"
	log "report also in build/bench-report.txt"
}
