# shellcheck shell=bash
# scripts/lib/common.sh — small helpers for scripts/dev: messages, processes by PID,
# waiting with a deadline, free TCP ports, template rendering, Debian packages.
# Sourced, never executed.

# Every message goes to stderr: stdout is kept for `scripts/dev env` and test results.
log()  { printf 'dev: %s\n' "$*" >&2; }
warn() { printf 'dev: warning: %s\n' "$*" >&2; }
die()  { printf 'dev: error: %s\n' "$*" >&2; exit 1; }

# Print the last lines of a log file to stderr (for a failed start).
show_log() {
	local f=$1 n=${2:-40}
	if [[ -s $f ]]; then
		printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
		tail -n "$n" "$f" >&2
		printf -- '----- end of %s -----\n' "$f" >&2
	else
		printf -- '(%s is empty or missing)\n' "$f" >&2
	fi
}

# run_as_service_user CMD... — run CMD as the unprivileged service user, from /, without
# scripts/dev's lock (fd 9: daemons must not inherit it).
run_as_service_user() {
	(cd / && setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- "$@" 9>&-)
}

# read_pid FILE — print the PID in FILE (first line, digits only), or nothing.
read_pid() {
	local f=$1 line=
	[[ -r $f ]] || return 0
	IFS= read -r line <"$f" || true
	line=${line//[!0-9]/}
	[[ -n $line ]] && printf '%s\n' "$line"
	return 0
}

# pid_alive PID COMM — true if PID runs (not a zombie) and its name starts with COMM.
# The name check keeps a recycled PID from being mistaken for one of ours.
pid_alive() {
	local pid=$1 comm=$2 name stat state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	name=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[[ $name == "$comm"* ]] || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	state=${stat%% *}
	[[ $state != Z && $state != X ]]
}

# stop_pid PID COMM SIGNAL TIMEOUT [GROUP] — send SIGNAL, wait up to TIMEOUT seconds,
# then SIGKILL. With GROUP=group the whole process group PID is killed at the end.
stop_pid() {
	local pid=$1 comm=$2 sig=$3 timeout=$4 group=${5:-}
	pid_alive "$pid" "$comm" || return 0
	kill -s "$sig" "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + timeout))
	while pid_alive "$pid" "$comm" && ((SECONDS < deadline)); do
		sleep 0.1
	done
	if pid_alive "$pid" "$comm"; then
		warn "$comm (pid $pid) still running after ${timeout}s; sending SIGKILL"
		kill -s KILL "$pid" 2>/dev/null || true
	fi
	if [[ $group == group ]]; then
		kill -s KILL -- "-$pid" 2>/dev/null || true
	fi
	deadline=$((SECONDS + 5))
	while pid_alive "$pid" "$comm" && ((SECONDS < deadline)); do
		sleep 0.1
	done
	! pid_alive "$pid" "$comm"
}

# wait_for TIMEOUT WHAT CMD... — run CMD every 0.2 s until it succeeds or TIMEOUT
# seconds pass. Returns 1 on timeout.
wait_for() {
	local timeout=$1 what=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			warn "timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

# port_free PORT — true if nothing listens on TCP PORT (any address).
port_free() {
	local out
	if command -v ss >/dev/null 2>&1; then
		out=$(ss -Htln "sport = :$1" 2>/dev/null) || out=
		[[ -z $out ]]
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# pick_port VAR — set VAR to a free port below the kernel's ephemeral range, not
# already handed out by this process.
PICKED_PORTS=" "
pick_port() {
	local var=$1 p i lo=20000 hi=32000 range
	if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
		read -r range _ </proc/sys/net/ipv4/ip_local_port_range || true
		if [[ $range =~ ^[0-9]+$ ]] && ((range > lo + 1000)); then
			hi=$((range - 1))
		fi
	fi
	for ((i = 0; i < 500; i++)); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
		[[ $PICKED_PORTS == *" $p "* ]] && continue
		if port_free "$p"; then
			PICKED_PORTS+="$p "
			printf -v "$var" '%s' "$p"
			return 0
		fi
	done
	die "could not find a free TCP port"
}

# regex_quote STRING — STRING with PCRE metacharacters escaped (for nginx map keys).
regex_quote() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[.\\+*?\[\]^\$\(\)\{\}\|/]) out+="\\$c" ;;
		*) out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# geo_entries "a,b/8" — "a 1; b/8 1;" for an nginx geo block ("# none" if empty).
geo_entries() {
	local list=${1//,/ } a out=''
	for a in $list; do
		[[ $a =~ ^[0-9A-Fa-f:.]+(/[0-9]+)?$ ]] || die "not an address: $a"
		out+="$a 1; "
	done
	printf '%s' "${out:-# none}"
}

# render TEMPLATE OUTPUT KEY=VALUE... — replace every @KEY@ in TEMPLATE; refuse to
# write OUTPUT if a marker is left.
render() {
	local tpl=$1 out=$2 text kv key val left
	shift 2
	text=$(<"$tpl")
	shopt -u patsub_replacement 2>/dev/null || true
	for kv in "$@"; do
		key=${kv%%=*}
		val=${kv#*=}
		text=${text//"@$key@"/"$val"}
	done
	if [[ $text =~ @[A-Z][A-Z0-9_]*@ ]]; then
		left=${BASH_REMATCH[0]}
		die "render $tpl: no value for $left"
	fi
	printf '%s\n' "$text" >"$out.tmp.$$"
	mv -f "$out.tmp.$$" "$out"
}

# ensure_packages PKG... — install the Debian packages that are missing (apt-get update
# only when something is missing).
ensure_packages() {
	local p st missing=()
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
		[[ $st == "install ok installed" ]] || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install failed: ${missing[*]}"
}

# ensure_service_user — the system user/group the services run as.
ensure_service_user() {
	if ! getent group "$SVC_USER" >/dev/null; then
		groupadd --system "$SVC_USER" || die "groupadd $SVC_USER failed"
	fi
	if ! getent passwd "$SVC_USER" >/dev/null; then
		useradd --system --gid "$SVC_USER" --home-dir /nonexistent --no-create-home \
			--shell /usr/sbin/nologin "$SVC_USER" || die "useradd $SVC_USER failed"
	fi
}
