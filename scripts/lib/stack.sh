# shellcheck shell=bash
# scripts/lib/stack.sh — one webix stack in a state directory: its settings, the local CA,
# and start/stop of each service (postgres, redis, api, nginx) by PID file.
# Sourced by scripts/dev after common.sh; expects REPO, STATE and SVC_USER to be set.

PG_BIN=${WEBIX_PG_BIN:-/usr/lib/postgresql/15/bin}
NCHAN_SO=/usr/lib/nginx/modules/ngx_nchan_module.so
# shellcheck disable=SC2034 # used by scripts/dev
SERVICES=(postgres redis api nginx) # start order; stop in reverse

declare -gA CFG=()

# ---- settings ---------------------------------------------------------------------------
# <state>/stack.conf (KEY=VALUE, no quoting: every value is a port, a word or hex) holds
# what must survive between commands: ports, passwords, secrets, mode.

cfg_load() {
	local k v
	CFG=()
	[[ -r $STATE/stack.conf ]] || return 1
	while IFS='=' read -r k v; do
		[[ $k =~ ^[A-Z_][A-Z0-9_]*$ ]] && CFG[$k]=$v
	done <"$STATE/stack.conf"
	return 0
}

cfg_save() {
	local k
	umask 077
	for k in $(printf '%s\n' "${!CFG[@]}" | sort); do
		printf '%s=%s\n' "$k" "${CFG[$k]}"
	done >"$STATE/stack.conf.tmp"
	umask 022
	mv -f "$STATE/stack.conf.tmp" "$STATE/stack.conf"
}

# Paths and URLs derived from the state dir and CFG.
stack_paths() {
	PGDATA=$STATE/pg/data
	RUN=$STATE/run
	LOGS=$STATE/logs
	CA_PEM=$STATE/ca/ca.pem
	TLS_CERT=$STATE/ca/server.pem
	TLS_KEY=$STATE/ca/server.key
	API_SOCK=$RUN/webix-api.sock
	API_PID=$RUN/webix-api.pid
	OWNER_URL="postgresql://webix_owner:${CFG[OWNER_PW]:-}@127.0.0.1:${CFG[PG_PORT]:-}/webix"
	APP_URL="postgresql://webix_app:${CFG[APP_PW]:-}@127.0.0.1:${CFG[PG_PORT]:-}/webix"
	REDIS_URL_="redis://127.0.0.1:${CFG[REDIS_PORT]:-}/0"
	# webix-api talks to Redis over its unix socket (cheaper per round trip than TCP on
	# loopback, docs/performance.md); REDIS_URL_ (TCP) stays for tools like redis-cli -u
	REDIS_SOCK=$RUN/redis.sock
	REDIS_API_URL="unix:$REDIS_SOCK?db=0"
	HTTPS_URL="https://localhost:${CFG[HTTPS_PORT]:-}"
}

stack_require() {
	[[ -d $STATE ]] || die "no stack in $STATE (run: scripts/dev up)"
	cfg_load || die "no stack in $STATE ($STATE/stack.conf missing; run: scripts/dev up)"
	stack_paths
}

# ---- state directory --------------------------------------------------------------------

stack_dirs() {
	install -d -o root -g "$SVC_USER" -m 0750 "$STATE"
	install -d -o "$SVC_USER" -g "$SVC_USER" -m 0750 "$STATE/run" "$STATE/logs" \
		"$STATE/redis" "$STATE/media"
	install -d -o "$SVC_USER" -g "$SVC_USER" -m 0700 "$STATE/pg"
	install -d -o root -g "$SVC_USER" -m 0750 "$STATE/bin" "$STATE/ca"
	install -d -o root -g root -m 0755 "$STATE/nginx" "$STATE/nginx/snippets"
	install -d -o "$SVC_USER" -g "$SVC_USER" -m 0700 "$STATE/nginx/tmp"
	# logs the services open themselves, as the service user
	local f
	for f in postgres pg_ctl redis; do
		[[ -e $STATE/logs/$f.log ]] || install -m 0640 -o "$SVC_USER" -g "$SVC_USER" /dev/null "$STATE/logs/$f.log"
	done
	if ! run_as_service_user test -w "$STATE/run"; then
		die "the user $SVC_USER cannot reach $STATE (a parent directory is not searchable);" \
			"use a state dir elsewhere, e.g. WEBIX_STATE=/var/tmp/webix-dev scripts/dev up"
	fi
	# unix socket paths are limited to 107 bytes
	local longest="$STATE/run/.s.PGSQL.65535"
	((${#longest} < 100)) || die "state dir path too long for unix sockets: $STATE"
}

# ---- local CA and the server certificate --------------------------------------------------

stack_pki() {
	local ca=$STATE/ca base=${CFG[BASE_DOMAIN]} want san
	if [[ ! -s $ca/ca.pem || ! -s $ca/ca.key ]]; then
		log "creating a local CA in $ca"
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$ca/ca.key" -out "$ca/ca.pem" -days 3650 -sha256 \
			-subj "/O=webix development/CN=webix dev CA $(hostname) $(date -u +%Y%m%d%H%M%S)" \
			-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$ca/openssl.log" ||
			{ show_log "$ca/openssl.log"; die "cannot create the CA"; }
		chmod 0600 "$ca/ca.key"
		chmod 0644 "$ca/ca.pem"
		rm -f "$ca/server.pem"
	fi
	san="DNS:localhost,DNS:$base,DNS:*.$base,IP:127.0.0.1,IP:::1"
	want=$(printf '%s\n' "$san" | sha256sum | cut -c1-16)
	if [[ -s $ca/server.pem && -s $ca/server.key && -s $ca/server.san &&
		$(<"$ca/server.san") == "$want" ]] &&
		openssl x509 -in "$ca/server.pem" -noout -checkend 2592000 >/dev/null 2>&1; then
		return 0
	fi
	log "issuing the TLS certificate for localhost, $base, *.$base"
	cat >"$ca/server.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature
		extendedKeyUsage = serverAuth
		subjectAltName = $san
	EOF
	if ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$ca/server.key" -out "$ca/server.csr" -subj "/CN=localhost" \
		2>"$ca/openssl.log"; then
		show_log "$ca/openssl.log"
		die "cannot create the server key"
	fi
	if ! openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
		-set_serial "0x$(openssl rand -hex 16)" -days 397 -sha256 \
		-extfile "$ca/server.ext" -out "$ca/server.pem" 2>>"$ca/openssl.log"; then
		show_log "$ca/openssl.log"
		die "cannot issue the server certificate"
	fi
	chmod 0600 "$ca/server.key"
	chmod 0644 "$ca/server.pem"
	printf '%s\n' "$want" >"$ca/server.san"
	rm -f "$ca/server.csr"
}

# ---- configuration files ----------------------------------------------------------------

# The api's environment, one NAME=VALUE per line (<state>/api.env), used by svc api start.
# The same settings go to <state>/webix.conf; the environment overrides the file.
stack_api_env() {
	local leaks=0
	[[ ${CFG[DETECT_LEAKS]:-0} == 1 ]] && leaks=1
	{
		printf '%s\n' \
			"PATH=/usr/local/bin:/usr/bin:/bin" \
			"LANG=C.UTF-8" \
			"HOME=/nonexistent" \
			"WEBIX_CONFIG=$STATE/webix.conf" \
			"ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=0:halt_on_error=1" \
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
		stack_settings
	} >"$STATE/api.env.tmp"
	chmod 0640 "$STATE/api.env.tmp"
	chgrp "$SVC_USER" "$STATE/api.env.tmp"
	mv -f "$STATE/api.env.tmp" "$STATE/api.env"
	{
		printf '# webix.conf of the %s stack in %s (written by scripts/dev)\n' \
			"${CFG[MODE]}" "$STATE"
		stack_settings | sed 's/=/ = /'
	} >"$STATE/webix.conf.tmp"
	chmod 0640 "$STATE/webix.conf.tmp"
	chgrp "$SVC_USER" "$STATE/webix.conf.tmp"
	mv -f "$STATE/webix.conf.tmp" "$STATE/webix.conf"
}

stack_node_env() {
	if [[ ${CFG[MODE]:-dev} == test ]]; then echo test; else echo development; fi
}

# The webix-api settings of docs/dev-contract.md, NAME=VALUE.
stack_settings() {
	local node_env
	node_env=$(stack_node_env)
	printf '%s\n' \
		"DATABASE_URL=$APP_URL" \
		"DATABASE_OWNER_URL=$OWNER_URL" \
		"REDIS_URL=$REDIS_API_URL" \
		"JWT_SECRET=${CFG[JWT_SECRET]}" \
		"JWT_REFRESH_SECRET=${CFG[JWT_REFRESH_SECRET]}" \
		"CLIENT_URL=${CFG[CLIENT_URL]}" \
		"NODE_ENV=$node_env" \
		"WEBIX_SOCKET=$API_SOCK" \
		"WEBIX_SOCKET_GROUP=$SVC_USER" \
		"WEBIX_WORKERS=${CFG[WORKERS]}" \
		"WEBIX_PID_FILE=$API_PID" \
		"WEBIX_BASE_DOMAIN=${CFG[BASE_DOMAIN]}" \
		"MEDIA_DIR=$STATE/media" \
		"WEBIX_MAX_BODY=${CFG[MAX_BODY]}" \
		"WEBIX_SQL_DIR=$REPO/sql" \
		"RATE_LIMIT_EXEMPT=${CFG[LIMIT_EXEMPT]}" \
		"DB_STATEMENT_TIMEOUT_MS=${CFG[STATEMENT_TIMEOUT_MS]:-5000}" \
		"VIEWS_FLUSH_MS=${CFG[VIEWS_FLUSH_MS]:-1000}" \
		"WEBIX_TEST_ROUTES=$([[ ${CFG[MODE]:-dev} == test ]] && echo 1 || echo 0)"
}

# <state>/env: what `scripts/dev env` prints and `scripts/dev test` exports to e2e tests.
stack_env_file() {
	local k v
	{
		printf '# webix %s stack in %s (written by scripts/dev)\n' "${CFG[MODE]}" "$STATE"
		while IFS='=' read -r k v; do
			printf 'export %s=%q\n' "$k" "$v"
		done <<-EOF
			WEBIX_URL=$HTTPS_URL
			WEBIX_CA=$CA_PEM
			WEBIX_BASE_DOMAIN=${CFG[BASE_DOMAIN]}
			WEBIX_HTTPS_PORT=${CFG[HTTPS_PORT]}
			WEBIX_HTTP_PORT=${CFG[HTTP_PORT]}
			DATABASE_URL=$OWNER_URL
			DATABASE_OWNER_URL=$OWNER_URL
			WEBIX_APP_DATABASE_URL=$APP_URL
			REDIS_URL=$REDIS_URL_
			WEBIX_REDIS_SOCKET=$REDIS_SOCK
			WEBIX_STATE=$STATE
			WEBIX_DEV=$REPO/scripts/dev
			WEBIX_CTL=$STATE/bin/webixctl
			WEBIX_CONFIG=$STATE/webix.conf
			WEBIX_SOCKET=$API_SOCK
			WEBIX_PG_PORT=${CFG[PG_PORT]}
			WEBIX_PG_SOCKET_DIR=$RUN
			WEBIX_REDIS_PORT=${CFG[REDIS_PORT]}
			WEBIX_MEDIA_DIR=$STATE/media
			CLIENT_URL=${CFG[CLIENT_URL]}
			NODE_ENV=$(stack_node_env)
			JWT_SECRET=${CFG[JWT_SECRET]}
			JWT_REFRESH_SECRET=${CFG[JWT_REFRESH_SECRET]}
		EOF
	} >"$STATE/env.tmp"
	chmod 0640 "$STATE/env.tmp"
	chgrp "$SVC_USER" "$STATE/env.tmp"
	mv -f "$STATE/env.tmp" "$STATE/env"
}

# nginx.conf, the site and the snippets, rendered into <state>/nginx/.
stack_nginx_conf() {
	local n=$STATE/nginx load_nchan="# nchan: $NCHAN_SO not installed"
	[[ -f $NCHAN_SO ]] && load_nchan="load_module $NCHAN_SO;"
	local common=(
		"STATE=$STATE"
		"SNIPPETS_DIR=$n/snippets"
	)
	render "$REPO/nginx/nginx-dev.conf.in" "$n/nginx.conf" "${common[@]}" \
		"LOAD_NCHAN=$load_nchan" "USER=$SVC_USER" "GROUP=$SVC_USER" "NGINX_WORKERS=2"
	render "$REPO/nginx/webix-site.conf.in" "$n/webix-site.conf" "${common[@]}" \
		"BASE_DOMAIN=${CFG[BASE_DOMAIN]}" \
		"BASE_DOMAIN_RE=$(regex_quote "${CFG[BASE_DOMAIN]}")" \
		"CLIENT_URL_RE=$(regex_quote "${CFG[CLIENT_URL]}")" \
		"RATE_GENERAL=${CFG[RATE_GENERAL]}" "BURST_GENERAL=${CFG[BURST_GENERAL]}" \
		"RATE_AUTH=${CFG[RATE_AUTH]}" "BURST_AUTH=${CFG[BURST_AUTH]}" \
		"LIMIT_EXEMPT=$(geo_entries "${CFG[LIMIT_EXEMPT]}")" \
		"CLIENT_HEADER_TIMEOUT=${CFG[HEADER_TIMEOUT]:-10}s" \
		"CLIENT_BODY_TIMEOUT=${CFG[BODY_TIMEOUT]:-10}s" \
		"SOCKET=$API_SOCK" \
		"HTTP_LISTEN=127.0.0.1:${CFG[HTTP_PORT]}" \
		"HTTPS_LISTEN=127.0.0.1:${CFG[HTTPS_PORT]}" \
		"HTTPS_LISTEN_V6=# IPv6: the dev stack listens on 127.0.0.1 only" \
		"HTTP_LISTEN_V6=# IPv6: the dev stack listens on 127.0.0.1 only" \
		"HTTPS_PORT_SUFFIX=:${CFG[HTTPS_PORT]}" \
		"ACCESS_LOG=$LOGS/nginx-access.log" \
		"TLS_CERT=$TLS_CERT" "TLS_KEY=$TLS_KEY" \
		"MEDIA_DIR=$STATE/media"
	render "$REPO/nginx/webix-errors.conf.in" "$n/snippets/webix-errors.conf" "${common[@]}"
	install -m 0644 "$REPO/nginx/webix-headers.conf" "$REPO/nginx/webix-fastcgi.conf" \
		"$n/snippets/"
}

# ---- postgres -----------------------------------------------------------------------------

pg_psql() { # pg_psql DB [psql args...] — as the superuser "postgres", over the unix socket
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "${CFG[PG_PORT]}" -U postgres -d "$db" "$@"
}

pg_init() {
	if [[ ! -s $PGDATA/PG_VERSION ]]; then
		log "initdb $PGDATA"
		install -d -o "$SVC_USER" -g "$SVC_USER" -m 0700 "$PGDATA"
		run_as_service_user "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 \
			--locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
			>"$LOGS/initdb.log" 2>&1 || { show_log "$LOGS/initdb.log"; die "initdb failed"; }
		printf "\ninclude = 'webix-stack.conf'\n" >>"$PGDATA/postgresql.conf"
	fi
	local durable="# durable (dev stack)"
	if [[ ${CFG[MODE]} == test ]]; then
		durable="fsync = off
synchronous_commit = off
full_page_writes = off"
	fi
	cat >"$PGDATA/webix-stack.conf" <<-EOF
		# written by scripts/dev on every start
		listen_addresses = '127.0.0.1'
		port = ${CFG[PG_PORT]}
		unix_socket_directories = '$RUN'
		unix_socket_permissions = 0770
		max_connections = 100
		password_encryption = scram-sha-256
		timezone = 'UTC'
		log_timezone = 'UTC'
		log_line_prefix = '%m [%p] %q%u@%d '
		log_min_messages = warning
		# dynamic shared memory in the data dir, not /dev/shm: a systemd unit with
		# RemoveIPC=yes running as the same user would delete it under a live server
		dynamic_shared_memory_type = mmap
		$durable
	EOF
	cat >"$PGDATA/pg_hba.conf" <<-EOF
		# written by scripts/dev: superuser only through the socket in $RUN (mode 0750),
		# every TCP login by password
		local all all trust
		host  all all 127.0.0.1/32 scram-sha-256
		host  all all ::1/128      scram-sha-256
	EOF
	chown "$SVC_USER:$SVC_USER" "$PGDATA/webix-stack.conf" "$PGDATA/pg_hba.conf"
}

pg_start() {
	local pid
	pid=$(read_pid "$RUN/postgres.pid")
	if pid_alive "$pid" postgres; then
		log "postgres already running (pid $pid)"
		return 0
	fi
	port_free "${CFG[PG_PORT]}" || die "postgres: port ${CFG[PG_PORT]} is in use"
	log "starting postgres on 127.0.0.1:${CFG[PG_PORT]}"
	if ! run_as_service_user "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" \
		-w -t 60 -s start >>"$LOGS/pg_ctl.log" 2>&1; then
		show_log "$LOGS/pg_ctl.log"
		show_log "$LOGS/postgres.log"
		die "postgres did not start"
	fi
	read_pid "$PGDATA/postmaster.pid" >"$RUN/postgres.pid"
	if ! wait_for 30 "postgres" pg_isready -q -h 127.0.0.1 -p "${CFG[PG_PORT]}" -t 2; then
		show_log "$LOGS/postgres.log"
		die "postgres does not answer on port ${CFG[PG_PORT]}"
	fi
}

# pg_stop [fast|immediate]
pg_stop() {
	local mode=${1:-fast} pid
	pid=$(read_pid "$RUN/postgres.pid")
	[[ -n $pid ]] || pid=$(read_pid "$PGDATA/postmaster.pid")
	if ! pid_alive "$pid" postgres; then
		rm -f "$RUN/postgres.pid"
		return 0
	fi
	log "stopping postgres (pid $pid, $mode)"
	run_as_service_user "$PG_BIN/pg_ctl" -D "$PGDATA" -m "$mode" -w -t 60 -s stop \
		>>"$LOGS/pg_ctl.log" 2>&1 || stop_pid "$pid" postgres QUIT 10 || true
	rm -f "$RUN/postgres.pid"
}

# The two roles of docs/dev-contract.md and the database; idempotent, resets the passwords.
pg_roles() {
	pg_psql postgres -v owner_pw="${CFG[OWNER_PW]}" -v app_pw="${CFG[APP_PW]}" <<-'EOF' ||
		SELECT 'CREATE ROLE webix_owner' WHERE NOT EXISTS
		  (SELECT FROM pg_roles WHERE rolname = 'webix_owner') \gexec
		SELECT 'CREATE ROLE webix_app' WHERE NOT EXISTS
		  (SELECT FROM pg_roles WHERE rolname = 'webix_app') \gexec
		ALTER ROLE webix_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
		  NOBYPASSRLS PASSWORD :'owner_pw';
		ALTER ROLE webix_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
		  NOBYPASSRLS PASSWORD :'app_pw';
		SELECT 'CREATE DATABASE webix OWNER webix_owner TEMPLATE template0 ENCODING ''UTF8'''
		  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'webix') \gexec
		REVOKE ALL ON DATABASE webix FROM PUBLIC;
		GRANT CONNECT, TEMPORARY ON DATABASE webix TO webix_app;
	EOF
		die "cannot create the roles and the database"
}

# The application role must not be able to bypass row-level security: not superuser, not
# BYPASSRLS, owner of nothing in the database.
pg_check_app_role() {
	local out
	out=$(pg_psql webix -At <<-'EOF'
		SELECT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'webix_app')
		    OR EXISTS (SELECT FROM pg_class WHERE relowner = 'webix_app'::regrole)
		    OR EXISTS (SELECT FROM pg_namespace WHERE nspowner = 'webix_app'::regrole)
		    OR EXISTS (SELECT FROM pg_proc WHERE proowner = 'webix_app'::regrole)
		    OR EXISTS (SELECT FROM pg_type WHERE typowner = 'webix_app'::regrole);
	EOF
	) || die "cannot check the webix_app role"
	[[ $out == f ]] || die "webix_app can bypass row-level security (superuser, BYPASSRLS or owns objects)"
}

# ---- redis ----------------------------------------------------------------------------------

redis_conf() {
	cat >"$STATE/redis/redis.conf" <<-EOF
		# written by scripts/dev: local only, AOF on, never evicts (queues live here)
		bind 127.0.0.1
		port ${CFG[REDIS_PORT]}
		unixsocket $REDIS_SOCK
		unixsocketperm 770
		protected-mode yes
		daemonize yes
		pidfile $RUN/redis.pid
		logfile $LOGS/redis.log
		dir $STATE/redis
		appendonly yes
		appendfsync everysec
		save ""
		maxmemory 256mb
		maxmemory-policy noeviction
	EOF
	chown "$SVC_USER:$SVC_USER" "$STATE/redis/redis.conf"
}

redis_ping() {
	local out
	out=$(redis-cli -h 127.0.0.1 -p "${CFG[REDIS_PORT]}" ping 2>/dev/null) && [[ $out == PONG ]]
}

redis_start() {
	local pid
	pid=$(read_pid "$RUN/redis.pid")
	if pid_alive "$pid" redis-server; then
		log "redis already running (pid $pid)"
		return 0
	fi
	rm -f "$RUN/redis.pid"
	port_free "${CFG[REDIS_PORT]}" || die "redis: port ${CFG[REDIS_PORT]} is in use"
	log "starting redis on 127.0.0.1:${CFG[REDIS_PORT]}"
	run_as_service_user redis-server "$STATE/redis/redis.conf" >>"$LOGS/redis.log" 2>&1 ||
		{ show_log "$LOGS/redis.log"; die "redis did not start"; }
	if ! wait_for 20 "redis" redis_ping; then
		show_log "$LOGS/redis.log"
		die "redis does not answer on port ${CFG[REDIS_PORT]}"
	fi
	wait_for 5 "redis pid file" test -s "$RUN/redis.pid" || true
}

# redis_stop [TERM|KILL]
redis_stop() {
	local sig=${1:-TERM} pid
	pid=$(read_pid "$RUN/redis.pid")
	if pid_alive "$pid" redis-server; then
		log "stopping redis (pid $pid, SIG$sig)"
		stop_pid "$pid" redis-server "$sig" 20 || warn "redis (pid $pid) did not stop"
	fi
	rm -f "$RUN/redis.pid"
}

# ---- webix-api ------------------------------------------------------------------------------

# Copy the built programs into <state>/bin so the service user can run them wherever the
# repository lives.
api_install() {
	local build=$1 prog
	for prog in webix-api webixctl; do
		[[ -x $build/fcgi-app/$prog ]] || die "$build/fcgi-app/$prog was not built"
		install -m 0750 -o root -g "$SVC_USER" "$build/fcgi-app/$prog" "$STATE/bin/.$prog.new"
		mv -f "$STATE/bin/.$prog.new" "$STATE/bin/$prog"
	done
}

api_pid() {
	local pid
	pid=$(read_pid "$API_PID")
	pid_alive "$pid" webix-api || pid=$(read_pid "$RUN/webix-api.launch.pid")
	pid_alive "$pid" webix-api && printf '%s\n' "$pid"
	return 0
}

api_alive() { [[ -n $(api_pid) ]]; }

# webixctl with the api's settings (as root; it is a client only). Output to stderr and
# logs/webixctl.log.
api_ctl() {
	local envs=()
	mapfile -t envs <"$STATE/api.env"
	env -i "${envs[@]}" "$STATE/bin/webixctl" "$@" 2>&1 | tee -a "$LOGS/webixctl.log" >&2
	return "${PIPESTATUS[0]}"
}

api_start() {
	local pid envs=()
	pid=$(api_pid)
	if [[ -n $pid ]]; then
		log "webix-api already running (pid $pid)"
		return 0
	fi
	[[ -x $STATE/bin/webix-api ]] || die "$STATE/bin/webix-api missing (build first)"
	rm -f "$API_SOCK" "$API_PID"
	mapfile -t envs <"$STATE/api.env"
	log "starting webix-api (${CFG[WORKERS]} workers) on $API_SOCK"
	# setsid: its own session and process group (killed as a group as a last resort);
	# setpriv: the service user. Both exec, so $! is the master's pid.
	env -i "${envs[@]}" setsid setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups \
		-- "$STATE/bin/webix-api" -c "$STATE/webix.conf" \
		</dev/null >>"$LOGS/webix-api.log" 2>&1 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"$RUN/webix-api.launch.pid"
	local deadline=$((SECONDS + 30))
	until [[ -S $API_SOCK ]]; do
		if ! pid_alive "$pid" ""; then
			show_log "$LOGS/webix-api.log"
			die "webix-api exited during start-up"
		fi
		if ((SECONDS >= deadline)); then
			show_log "$LOGS/webix-api.log"
			die "webix-api did not create $API_SOCK within 30s"
		fi
		sleep 0.2
	done
}

# api_stop [TERM|KILL]
api_stop() {
	local sig=${1:-TERM} pid
	pid=$(api_pid)
	if [[ -n $pid ]]; then
		log "stopping webix-api (pid $pid, SIG$sig)"
		stop_pid "$pid" webix-api "$sig" 30 group || warn "webix-api (pid $pid) did not stop"
	fi
	rm -f "$RUN/webix-api.launch.pid" "$API_PID"
}

# ---- nginx --------------------------------------------------------------------------------

nginx_cmd() {
	nginx -p "$STATE/nginx/" -c "$STATE/nginx/nginx.conf" -e "$LOGS/nginx-error.log" "$@" 9>&-
}

nginx_check() {
	if ! nginx_cmd -t -q >"$LOGS/nginx-t.log" 2>&1; then
		show_log "$LOGS/nginx-t.log"
		die "the nginx configuration in $STATE/nginx is invalid"
	fi
}

nginx_start() {
	local pid
	nginx_check
	pid=$(read_pid "$RUN/nginx.pid")
	if pid_alive "$pid" nginx; then
		log "nginx already running (pid $pid)"
		return 0
	fi
	rm -f "$RUN/nginx.pid"
	port_free "${CFG[HTTPS_PORT]}" || die "nginx: port ${CFG[HTTPS_PORT]} is in use (set WEBIX_HTTPS_PORT)"
	port_free "${CFG[HTTP_PORT]}" || die "nginx: port ${CFG[HTTP_PORT]} is in use (set WEBIX_HTTP_PORT)"
	log "starting nginx on https 127.0.0.1:${CFG[HTTPS_PORT]}, http 127.0.0.1:${CFG[HTTP_PORT]}"
	nginx_cmd >>"$LOGS/nginx-error.log" 2>&1 || { show_log "$LOGS/nginx-error.log"; die "nginx did not start"; }
	if ! wait_for 15 "nginx" nginx_answers; then
		show_log "$LOGS/nginx-error.log"
		die "nginx does not answer on port ${CFG[HTTPS_PORT]}"
	fi
}

nginx_answers() {
	curl -sS -o /dev/null --max-time 2 --cacert "$CA_PEM" "$HTTPS_URL/"
}

# nginx_stop [QUIT|TERM|KILL]
nginx_stop() {
	local sig=${1:-QUIT} pid
	pid=$(read_pid "$RUN/nginx.pid")
	if pid_alive "$pid" nginx; then
		log "stopping nginx (pid $pid, SIG$sig)"
		stop_pid "$pid" nginx "$sig" 15 || warn "nginx (pid $pid) did not stop"
	fi
	rm -f "$RUN/nginx.pid"
}

# ---- the whole stack ------------------------------------------------------------------------

health_ok() {
	local code
	code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA_PEM" \
		"$HTTPS_URL/api/health") && [[ $code == 200 ]]
}

stack_wait_health() {
	if ! wait_for 30 "GET $HTTPS_URL/api/health to answer 200" health_ok; then
		curl -sS --max-time 5 --cacert "$CA_PEM" "$HTTPS_URL/api/health" >&2 || true
		echo >&2
		show_log "$LOGS/webix-api.log"
		show_log "$LOGS/nginx-error.log" 10
		die "webix-api is not healthy"
	fi
}

svc_do() { # svc_do NAME start|stop|restart|kill|status
	local name=$1 action=$2
	case $name:$action in
	postgres:start) pg_init && pg_start ;;
	postgres:stop) pg_stop fast ;;
	postgres:kill) pg_stop immediate ;;
	redis:start) redis_start ;;
	redis:stop) redis_stop TERM ;;
	redis:kill) redis_stop KILL ;;
	api:start) api_start ;;
	api:stop) api_stop TERM ;;
	api:kill) api_stop KILL ;;
	nginx:start) nginx_start ;;
	nginx:stop) nginx_stop QUIT ;;
	nginx:kill) nginx_stop KILL ;;
	*:restart) svc_do "$name" stop && svc_do "$name" start ;;
	*:status) svc_status "$name" ;;
	*) die "usage: scripts/dev svc postgres|redis|api|nginx start|stop|restart|kill|status" ;;
	esac
}

svc_status() {
	local name=$1 pid=
	case $name in
	postgres) pid=$(read_pid "$RUN/postgres.pid"); pid_alive "$pid" postgres || pid= ;;
	redis) pid=$(read_pid "$RUN/redis.pid"); pid_alive "$pid" redis-server || pid= ;;
	api) pid=$(api_pid) ;;
	nginx) pid=$(read_pid "$RUN/nginx.pid"); pid_alive "$pid" nginx || pid= ;;
	*) die "unknown service $name" ;;
	esac
	if [[ -n $pid ]]; then
		printf '%-8s running (pid %s)\n' "$name" "$pid"
	else
		printf '%-8s stopped\n' "$name"
		return 3
	fi
}

stack_stop_all() {
	[[ -d $STATE/run ]] || return 0
	nginx_stop QUIT
	api_stop TERM
	redis_stop TERM
	[[ -d $PGDATA ]] && pg_stop fast
	return 0
}
