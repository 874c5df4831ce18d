# shellcheck shell=bash
# scripts/lib/valgrind.sh — `scripts/dev valgrind` (and `make valgrind`): a temporary stack
# whose webix-api runs under valgrind's memcheck (master and every worker), a sample of
# requests through nginx, a SIGTERM drain, then no error and no definite or indirect leak
# may be reported. Sourced by scripts/dev after common.sh and stack.sh.

VG_PID=     # the valgrind'd master (its comm is valgrind's, not webix-api)
VG_FAILS=0
VG_CASES=0

# Every request's answer goes here; a wrong status is a failure (the sample must really
# have run through registration, login, refresh, logout and the error paths).
vg_req() { # vg_req WHAT EXPECTED_STATUS curl-args...
	local what=$1 want=$2 code
	shift 2
	VG_CASES=$((VG_CASES + 1))
	code=$(curl -sS -o "$VG_BODY" -w '%{http_code}' --max-time 120 --cacert "$CA_PEM" "$@") || code=000
	if [[ $code != "$want" ]]; then
		printf 'FAIL valgrind/%s: status %s, expected %s: %s\n' "$what" "$code" "$want" \
			"$(head -c 300 "$VG_BODY" 2>/dev/null)"
		VG_FAILS=$((VG_FAILS + 1))
		return 1
	fi
}

vg_json() { # vg_json KEY — the string value of "KEY" in the last answer
	grep -o "\"$1\": *\"[^\"]*\"" "$VG_BODY" | head -n1 | sed 's/^"[^"]*": *"//; s/"$//' || true
}

vg_api_start() {
	local envs=() deadline
	mapfile -t envs <"$STATE/api.env"
	rm -f "$API_SOCK" "$API_PID"
	log "starting webix-api under valgrind (2 workers; logs: $LOGS/valgrind.<pid>.log)"
	# valgrind follows the master's exec of each worker (--trace-children)
	env -i "${envs[@]}" WEBIX_WORKERS=2 setsid setpriv --reuid="$SVC_USER" \
		--regid="$SVC_USER" --init-groups -- \
		valgrind --tool=memcheck --trace-children=yes --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --track-origins=yes --num-callers=30 \
		--log-file="$LOGS/valgrind.%p.log" \
		"$STATE/bin/webix-api" -c "$STATE/webix.conf" \
		</dev/null >>"$LOGS/webix-api.log" 2>&1 9>&- &
	VG_PID=$!
	deadline=$((SECONDS + 180))
	until curl -sf -o /dev/null --max-time 30 --cacert "$CA_PEM" "$HTTPS_URL/health/ready"; do
		if ! kill -0 "$VG_PID" 2>/dev/null; then
			show_log "$LOGS/webix-api.log"
			die "webix-api under valgrind exited during start-up"
		fi
		((SECONDS < deadline)) || die "webix-api under valgrind not ready after 180 s"
		sleep 1
	done
}

# SIGTERM: the workers finish and exit normally, so valgrind writes every summary.
vg_api_stop() {
	local deadline=$((SECONDS + 180))
	[[ -n $VG_PID ]] || return 0
	log "SIGTERM to webix-api (pid $VG_PID); waiting for the drain"
	kill -TERM "$VG_PID" 2>/dev/null || true
	while kill -0 "$VG_PID" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.5
	done
	if kill -0 "$VG_PID" 2>/dev/null; then
		printf 'FAIL valgrind/drain: webix-api did not stop within 180 s of SIGTERM\n'
		VG_FAILS=$((VG_FAILS + 1))
		kill -KILL -- "-$VG_PID" 2>/dev/null || true
	fi
	wait "$VG_PID" 2>/dev/null || true
	VG_PID=
}

vg_cleanup() {
	[[ -z $VG_PID ]] || kill -KILL -- "-$VG_PID" 2>/dev/null || true
	VG_PID=
	test_teardown
}

vg_sample_requests() {
	local u=$HTTPS_URL email pw='valgrind secret 1' at rt at2 rt2 j='Content-Type: application/json'
	email="vg-$(date +%s)-$$@example.com"
	vg_req live 200 "$u/health/live"
	vg_req ready 200 "$u/health/ready"
	vg_req api_health 200 "$u/api/health"
	vg_req register 201 -H "$j" -d "{\"email\":\"$email\",\"password\":\"$pw\",\"displayName\":\"Val Grind\"}" \
		"$u/api/auth/register"
	vg_req register_duplicate 409 -H "$j" \
		-d "{\"email\":\"$email\",\"password\":\"$pw\",\"displayName\":\"Val Grind\"}" "$u/api/auth/register"
	vg_req login 200 -H "$j" -d "{\"email\":\"$email\",\"password\":\"$pw\"}" "$u/api/auth/login"
	at=$(vg_json accessToken) rt=$(vg_json refreshToken)
	vg_req login_wrong_password 401 -H "$j" -d "{\"email\":\"$email\",\"password\":\"nope nope\"}" \
		"$u/api/auth/login"
	vg_req profile 200 -H "Authorization: Bearer $at" "$u/api/auth/profile"
	vg_req me 200 -H "Authorization: Bearer $at" "$u/api/auth/me"
	vg_req verify 200 -H "Authorization: Bearer $at" "$u/api/auth/verify"
	vg_req refresh 200 -H "$j" -d "{\"refreshToken\":\"$rt\"}" "$u/api/auth/refresh"
	at2=$(vg_json accessToken) rt2=$(vg_json refreshToken)
	vg_req refresh_reuse_in_grace 200 -H "$j" -d "{\"refreshToken\":\"$rt\"}" "$u/api/auth/refresh"
	vg_req organizations 200 -H "Authorization: Bearer $at2" "$u/api/organizations"
	vg_req change_password 200 -H "$j" -H "Authorization: Bearer $at2" \
		-d "{\"currentPassword\":\"$pw\",\"newPassword\":\"$pw 2\"}" "$u/api/auth/change-password"
	vg_req forgot_password 200 -H "$j" -d "{\"email\":\"$email\"}" "$u/api/auth/forgot-password"
	vg_req logout 200 -X POST -H "Authorization: Bearer $at2" "$u/api/auth/logout"
	vg_req profile_after_logout 401 -H "Authorization: Bearer $at2" "$u/api/auth/profile"
	vg_req refresh_after_logout 401 -H "$j" -d "{\"refreshToken\":\"$rt2\"}" "$u/api/auth/refresh"
	# bad inputs
	vg_req bad_json 400 -H "$j" -d '{"email":' "$u/api/auth/login"
	vg_req deep_json 400 -H "$j" -d '[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]' "$u/api/auth/login"
	vg_req bad_utf8 400 -H "$j" --data-binary $'{"email":"\xff"}' "$u/api/auth/login"
	vg_req validation 400 -H "$j" -d '{"email":"x","password":"","extra":1}' "$u/api/auth/register"
	vg_req wrong_type 415 -H 'Content-Type: text/plain' -d 'hello' "$u/api/auth/login"
	vg_req bad_token 401 -H 'Authorization: Bearer a.b.c' "$u/api/auth/profile"
	vg_req alg_none 401 -H 'Authorization: Bearer eyJhbGciOiJub25lIn0.eyJ1c2VySWQiOiJ4In0.' \
		"$u/api/auth/profile"
	vg_req no_token 401 "$u/api/auth/profile"
	vg_req not_found 404 "$u/api/nowhere"
	vg_req method_not_allowed 405 -X DELETE "$u/api/auth/login"
	vg_req bad_uuid 400 -H "Authorization: Bearer $at" "$u/api/organizations/not-a-uuid"
	vg_req refresh_garbage 401 -H "$j" -d '{"refreshToken":"garbage"}' "$u/api/auth/refresh"
	# content: the read cache (a miss, then hits), a write that invalidates it, views
	# queued in Redis and written by a worker's flush
	local org wt sub="vg$RANDOM$RANDOM" a
	vg_req login_new_password 200 -H "$j" -d "{\"email\":\"$email\",\"password\":\"$pw 2\"}" \
		"$u/api/auth/login"
	a=(-H "Authorization: Bearer $(vg_json accessToken)")
	vg_req org_create 201 -H "$j" "${a[@]}" -d "{\"name\":\"Valgrind\",\"subdomain\":\"$sub\"}" \
		"$u/api/organizations"
	org=$(vg_json _id)
	vg_req webtoon_create 201 -H "$j" "${a[@]}" -d '{"title":"Val","tags":["a"]}' \
		"$u/api/webtoons/$org"
	wt=$(vg_json _id)
	local i
	for i in 1 2 3; do
		vg_req "webtoon_list_$i" 200 "${a[@]}" "$u/api/webtoons/$org?limit=5"
		vg_req "webtoon_get_$i" 200 "${a[@]}" "$u/api/webtoons/$org/$wt"
	done
	vg_req webtoon_update 200 -X PUT -H "$j" "${a[@]}" -d '{"title":"Val 2"}' \
		"$u/api/webtoons/$org/$wt"
	vg_req webtoon_get_after_update 200 "${a[@]}" "$u/api/webtoons/$org/$wt"
	vg_req webtoon_head 200 -I "${a[@]}" "$u/api/webtoons/$org/$wt"
	vg_req webtoon_missing 404 "${a[@]}" "$u/api/webtoons/$org/00000000-0000-4000-8000-000000000000"
	sleep 3 # VIEWS_FLUSH_MS: a worker writes the queued views
	vg_req webtoon_list_after_flush 200 "${a[@]}" "$u/api/webtoons/$org?limit=5&sort=views"
	# the public reads on the tenant host: the tenant's organization noted, then the answers
	# kept, then hits (the organization made active by hand: no super admin here)
	local host="Host: $sub.${CFG[BASE_DOMAIN]}"
	psql -X -q "$OWNER_URL" -c "UPDATE organizations SET status = 'active' WHERE id = '$org'" \
		>/dev/null || die "valgrind: cannot activate the organization"
	vg_req webtoon_publish 200 -X POST -H "$j" "${a[@]}" -d '{}' "$u/api/webtoons/$org/$wt/publish"
	for i in 1 2 3; do
		vg_req "public_list_$i" 200 -H "$host" "$u/api/public/webtoons"
		vg_req "public_episodes_$i" 200 -H "$host" "$u/api/public/webtoons/$wt/episodes"
		vg_req "public_webtoon_$i" 200 -H "$host" "$u/api/public/webtoons/$wt"
	done
	vg_req public_list_search 200 -H "$host" "$u/api/public/webtoons?search=Val"
}

# Every valgrind log of the run must end with "ERROR SUMMARY: 0 errors" (definite and
# indirect leaks count as errors); a log without a summary is a process that was killed.
vg_check_logs() {
	local f n=0 sum pid
	for f in "$LOGS"/valgrind.*.log; do
		[[ -e $f ]] || continue
		n=$((n + 1))
		pid=${f##*/valgrind.}
		pid=${pid%.log}
		# exec'd helpers (none expected) and the master before its exec share the file
		sum=$(grep -E 'ERROR SUMMARY: [0-9]+ errors' "$f" | tail -n1)
		VG_CASES=$((VG_CASES + 1))
		if [[ -z $sum ]]; then
			printf 'FAIL valgrind/pid-%s: no ERROR SUMMARY (killed?): %s\n' "$pid" "$f"
			VG_FAILS=$((VG_FAILS + 1))
		elif [[ $sum != *'ERROR SUMMARY: 0 errors'* ]]; then
			printf 'FAIL valgrind/pid-%s: %s (%s)\n' "$pid" "${sum#*== }" "$f"
			grep -E 'definitely lost|indirectly lost|Invalid|uninitialised|by 0x|at 0x' "$f" |
				head -n 60 >&2
			VG_FAILS=$((VG_FAILS + 1))
		else
			printf 'PASS valgrind/pid-%s: %s\n' "$pid" "$(grep -E 'definitely lost|All heap blocks' "$f" |
				tail -n1 | sed 's/^==[0-9]*== *//')"
		fi
	done
	if ((n < 3)); then
		printf 'FAIL valgrind/logs: %d valgrind logs, expected the master and 2 workers\n' "$n"
		VG_FAILS=$((VG_FAILS + 1))
	fi
}

cmd_valgrind() {
	need_root valgrind "$@"
	take_lock valgrind
	ensure_packages "${PACKAGES[@]}"
	ensure_service_user
	local build=${WEBIX_VALGRIND_BUILD:-} rc
	if [[ -z $build ]]; then
		build_tree valgrind
		build=$REPO/build/valgrind
	fi
	[[ -x $build/fcgi-app/webix-api ]] || die "$build/fcgi-app/webix-api was not built"
	if grep -qE '^WEBIX_CFLAGS = .*-fsanitize' "$build/Makefile" 2>/dev/null; then
		die "$build was configured with --enable-sanitizers: valgrind and ASan do not mix" \
			"(scripts/dev valgrind builds its own build/valgrind)"
	fi
	TEST_STATE=$(mktemp -d /tmp/webix-valgrind.XXXXXX)
	STATE=$TEST_STATE
	trap vg_cleanup EXIT
	trap 'exit 130' INT TERM
	log "valgrind stack in $STATE"
	set +e
	(
		set -e
		stack_up valgrind "$build"
	)
	rc=$?
	set -e
	cfg_load || true
	stack_paths
	((rc == 0)) || die "the valgrind stack did not start"
	api_stop TERM
	VG_BODY=$STATE/last-body
	vg_api_start
	vg_sample_requests
	vg_api_stop
	vg_check_logs
	if ((VG_FAILS > 0)); then
		show_log "$LOGS/webix-api.log" 30
	fi
	printf '%s passed, %s failed\n' "$((VG_CASES - VG_FAILS))" "$VG_FAILS"
	((VG_FAILS == 0))
}
