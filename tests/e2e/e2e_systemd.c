/* e2e_systemd.c — installing and running webix-api as a sysadmin would:
 *  - `webixctl check` against the test stack, right and wrong (password, unreachable
 *    servers, missing or weak settings, an application role that owns tables, a pending
 *    migration): each problem in words, exit status 1;
 *  - the units rendered from the templates in systemd/ pass `systemd-analyze verify` and
 *    its security review;
 *  - the sd_notify protocol, heard on a datagram socket of our own: READY=1 only once
 *    PostgreSQL and Redis answer, RELOADING=1/READY=1 around a SIGHUP roll, STOPPING=1;
 *  - the units run for real under systemd, PID 1 of a private pid/mount/ipc/uts namespace
 *    seeing only our units: socket activation, the hardening in force, "activating" while
 *    Redis is down, active once it answers, reload, stop, start on the first request.
 * The zero-failed-requests SIGHUP roll under load is e2e_faults' sighup_roll_under_load. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char work[256];          /* our temporary directory */
static char repo[1024] = ".";   /* the repository: systemd/ templates, sql/ */
static char bin_dir[512], api_bin[600], ctl_bin[600], base_conf[600];

/* ---- small helpers ---------------------------------------------------------------- */

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

/* The whole file (NUL-terminated, malloc'd), NULL when unreadable. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0, r;
	char *buf = malloc(cap + 1);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* The last `n` bytes of s, for failure messages. */
static const char *tail(const char *s, size_t n)
{
	size_t l = s ? strlen(s) : 0;
	return s == NULL ? "(none)" : l > n ? s + l - n : s;
}

/* Run argv (envp NULL: our environment) with stdout and stderr into out; at most
 * timeout_s seconds (then SIGKILL). Returns the exit status, -1 on failure to run. */
static int run(char *out, size_t outsz, int timeout_s, const char *const argv[],
    const char *const envp[])
{
	int p[2];
	size_t n = 0;
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		execvpe(argv[0], (char *const *)argv, envp ? (char *const *)envp : environ);
		_exit(127);
	}
	close(p[1]);
	long long until = h_now_ms() + timeout_s * 1000LL;
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		long left = (long)(until - h_now_ms());
		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		char tmp[4096];
		ssize_t k = read(p[0], tmp, sizeof(tmp));
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k && n + 1 < outsz; i++)
			out[n++] = tmp[i];
	}
	if (outsz)
		out[n < outsz ? n : outsz - 1] = '\0';
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A TCP port on 127.0.0.1 that nothing listens on (just closed). */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/*
 * The stack's webix.conf with changes, written to PATH (root:webix 0640). Each change is
 * "KEY=value" (replace or add) or "KEY" (remove). 0 or -1.
 */
static int conf_write(const char *path, const char *const *changes)
{
	char *base = read_file(base_conf);
	if (base == NULL)
		return -1;
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		free(base);
		return -1;
	}
	bool used[32] = { false };
	char *save = NULL;
	for (char *line = strtok_r(base, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t klen = strcspn(line, " =");
		bool replaced = false;
		for (int i = 0; changes && changes[i]; i++) {
			size_t cl = strcspn(changes[i], "=");
			if (cl == klen && strncmp(changes[i], line, klen) == 0 && line[0] != '#') {
				if (changes[i][cl] == '=')
					fprintf(f, "%.*s = %s\n", (int)cl, changes[i], changes[i] + cl + 1);
				used[i] = replaced = true;
			}
		}
		if (!replaced)
			fprintf(f, "%s\n", line);
	}
	for (int i = 0; changes && changes[i]; i++)
		if (!used[i] && strchr(changes[i], '='))
			fprintf(f, "%.*s = %s\n", (int)strcspn(changes[i], "="), changes[i],
			    strchr(changes[i], '=') + 1);
	free(base);
	if (fclose(f) != 0)
		return -1;
	struct group *g = getgrnam("webix");
	if (g)
		(void)!chown(path, 0, g->gr_gid);
	return chmod(path, 0640);
}

/* The value of KEY in the stack's webix.conf (static), "" when absent. */
static const char *conf_get(const char *key)
{
	static char val[1024];
	char *base = read_file(base_conf), *save = NULL;
	val[0] = '\0';
	for (char *l = base ? strtok_r(base, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, key, strlen(key)) == 0 && l[strlen(key)] == ' ') {
			char *v = strchr(l, '=');
			snprintf(val, sizeof(val), "%s", v ? v + 1 + strspn(v + 1, " ") : "");
		}
	free(base);
	return val;
}

static bool sanitizer_report(const char *s)
{
	return s && (strstr(s, "ERROR: AddressSanitizer") || strstr(s, "ERROR: LeakSanitizer") ||
	    strstr(s, "runtime error:"));
}

/* ---- a real redis-server of our own, on a port chosen by the test ---------------------- */

static int redis_answers(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char buf[16] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    write(fd, "PING\r\n", 6) == 6 && read(fd, buf, sizeof(buf) - 1) > 0)
		ok = strncmp(buf, "+PONG", 5) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Started and answering PING, or -1. */
static pid_t redis_start(int port)
{
	char portstr[16], log[512];
	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(log, sizeof(log), "%s/redis-%d.log", work, port);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--dir", work, "--logfile", log,
		    "--daemonize", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 100; i++) {
		if (redis_answers(port))
			return pid;
		h_sleep_ms(100);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static void redis_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/* ---- webixctl check --------------------------------------------------------------------- */

/* webixctl -c CONF check in a clean environment (the test's own DATABASE_URL etc. would
 * override the file). Output into out; returns the exit status. */
static int ctl_check(const char *conf, char *out, size_t outsz)
{
	const char *argv[] = { ctl_bin, "-c", conf, "check", NULL };
	const char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
	    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1",
	    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1", NULL };
	return run(out, outsz, 60, argv, envp);
}

/* Run check on the stack's configuration changed by CHANGES; expect exit status WANT and
 * every string of MUST in the output, and none of MUSTNOT. */
static void check_case(struct h_case *c, const char *const *changes, int want,
    const char *const *must, const char *const *mustnot)
{
	static int n;
	char conf[512], out[16384];
	snprintf(conf, sizeof(conf), "%s/check-%d.conf", work, ++n);
	CHECK(c, conf_write(conf, changes) == 0, "cannot write %s", conf);
	int rc = ctl_check(conf, out, sizeof(out));
	EXPECT(c, rc == want, "webixctl check exited %d, want %d; output:\n%s", rc, want, out);
	for (int i = 0; must && must[i]; i++)
		EXPECT(c, strstr(out, must[i]) != NULL, "output lacks \"%s\":\n%s", must[i], out);
	for (int i = 0; mustnot && mustnot[i]; i++)
		EXPECT(c, strstr(out, mustnot[i]) == NULL, "output has \"%s\":\n%s", mustnot[i], out);
	EXPECT(c, !sanitizer_report(out), "sanitizer report:\n%s", out);
}

static void t_check_ok(struct h_case *c)
{
	check_case(c, NULL, 0, (const char *const[]){ "ok: PostgreSQL: connected",
	    "owns nothing (row-level security applies)", "ok: migrations: all",
	    "answers PING", "configuration ok", NULL },
	    (const char *const[]){ "problem:", NULL });
}

static void t_check_wrong_password(struct h_case *c)
{
	char url[1024], *at;
	snprintf(url, sizeof(url), "DATABASE_URL=%s", conf_get("DATABASE_URL"));
	at = strchr(url + strlen("DATABASE_URL=postgresql://"), '@');
	CHECK(c, at != NULL && strstr(url, "webix_app:") != NULL, "no password in %s", url);
	char changed[1024];
	snprintf(changed, sizeof(changed), "DATABASE_URL=postgresql://webix_app:Wr0ngPassw0rd%s",
	    at);
	check_case(c, (const char *const[]){ changed, NULL }, 1,
	    (const char *const[]){ "problem: cannot connect to PostgreSQL",
	    "PostgreSQL refused the password: check the password in DATABASE_URL",
	    "1 problem found", NULL },
	    (const char *const[]){ "Wr0ngPassw0rd", NULL });
}

static void t_check_unreachable(struct h_case *c)
{
	char db[1024], rd[128], *colon;
	snprintf(db, sizeof(db), "DATABASE_URL=%s", conf_get("DATABASE_URL"));
	colon = strstr(db, "@127.0.0.1:");
	CHECK(c, colon != NULL, "unexpected DATABASE_URL %s", db);
	snprintf(colon, sizeof(db) - (size_t)(colon - db), "@127.0.0.1:%d/webix", closed_port());
	snprintf(rd, sizeof(rd), "REDIS_URL=redis://127.0.0.1:%d/0", closed_port());
	check_case(c, (const char *const[]){ db, rd, NULL }, 1,
	    (const char *const[]){ "nothing accepts connections there: is PostgreSQL running",
	    "nothing accepts connections there: is redis-server running", NULL }, NULL);
}

static void t_check_missing_and_weak_settings(struct h_case *c)
{
	/* every problem at once, and the stores are still checked */
	check_case(c, (const char *const[]){ "JWT_SECRET", "JWT_REFRESH_SECRET=short",
	    "WEBIX_WORKERS=0", NULL }, 1,
	    (const char *const[]){ "problem: JWT_SECRET is not set",
	    "JWT_REFRESH_SECRET is too short", "WEBIX_WORKERS = \"0\" is not valid",
	    "ok: PostgreSQL: connected", "ok: Redis", "3 problems found", NULL }, NULL);
}

static void t_check_owner_as_app_role(struct h_case *c)
{
	char db[1024];
	snprintf(db, sizeof(db), "DATABASE_URL=%s", conf_get("DATABASE_OWNER_URL"));
	check_case(c, (const char *const[]){ db, NULL }, 1,
	    (const char *const[]){ "the DATABASE_URL role webix_owner owns",
	    "owners bypass row-level security", NULL }, NULL);
}

static void t_check_pending_migration(struct h_case *c)
{
	char dir[512], cmd[4096], change[600];
	snprintf(dir, sizeof(dir), "%s/sql", work);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -r '%s/sql' '%s' && "
	    "echo 'SELECT 1;' > '%s/999_not_yet.sql'", dir, repo, dir, dir);
	CHECK(c, system(cmd) == 0, "cannot copy %s/sql", repo);
	snprintf(change, sizeof(change), "WEBIX_SQL_DIR=%s", dir);
	check_case(c, (const char *const[]){ change, NULL }, 1,
	    (const char *const[]){ "problem: migration 999_not_yet.sql is not applied: run "
	    "`webixctl migrate`", NULL }, NULL);
}

/* ---- the units: systemd-analyze ----------------------------------------------------------- */

/* Render systemd/NAME.in into DIR/NAME with the install paths given. 0 or -1. */
static int render_unit(const char *name, const char *dir, const char *sbindir,
    const char *sysconfdir, char *why, size_t whysz)
{
	char src[1200], dst[600];
	snprintf(src, sizeof(src), "%s/systemd/%s.in", repo, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	char *in = read_file(src);
	if (in == NULL) {
		snprintf(why, whysz, "cannot read %s", src);
		return -1;
	}
	const char *from[] = { "@sbindir@", "@bindir@", "@sysconfdir@", "@docdir@" };
	const char *to[] = { sbindir, sbindir, sysconfdir, "/usr/share/doc/webix" };
	size_t cap = strlen(in) * 2 + 4096, n = 0;
	char *out = malloc(cap);
	for (const char *p = in; *p && n + 1024 < cap;) {
		size_t k;
		for (k = 0; k < 4; k++)
			if (strncmp(p, from[k], strlen(from[k])) == 0)
				break;
		if (k < 4) {
			n += (size_t)snprintf(out + n, cap - n, "%s", to[k]);
			p += strlen(from[k]);
		} else
			out[n++] = *p++;
	}
	out[n] = '\0';
	int rc = 0;
	const char *ph = out;
	while ((ph = strchr(ph, '@')) != NULL && !(ph[1] >= 'a' && ph[1] <= 'z' &&
	    ph[1 + strspn(ph + 1, "abcdefghijklmnopqrstuvwxyz_")] == '@'))
		ph++;
	if (ph != NULL) {
		snprintf(why, whysz, "%s: a placeholder this test does not know: %.40s", src, ph);
		rc = -1;
	} else if (write_file(dst, out, 0644) < 0) {
		snprintf(why, whysz, "cannot write %s", dst);
		rc = -1;
	}
	free(in);
	free(out);
	return rc;
}

static int render_units(const char *dir, const char *sbindir, const char *sysconfdir,
    char *why, size_t whysz)
{
	mkdir(dir, 0755);
	return render_unit("webix-api.service", dir, sbindir, sysconfdir, why, whysz) < 0 ||
	    render_unit("webix-api.socket", dir, sbindir, sysconfdir, why, whysz) < 0 ||
	    render_unit("webix-maintenance.service", dir, sbindir, sysconfdir, why, whysz) < 0 ||
	    render_unit("webix-maintenance.timer", dir, sbindir, sysconfdir, why, whysz) < 0 ?
	    -1 : 0;
}


/* Rendered with paths that exist here (the stack's binaries), so verify can check them. */
static void t_units_verify(struct h_case *c)
{
	char dir[512], etc[512], sock[600], svc[600], msvc[600], mtimer[600], why[512], out[8192];
	snprintf(dir, sizeof(dir), "%s/verify", work);
	snprintf(etc, sizeof(etc), "%s/etc", work);
	CHECK(c, render_units(dir, bin_dir, etc, why, sizeof(why)) == 0, "%s", why);
	snprintf(sock, sizeof(sock), "%s/webix-api.socket", dir);
	snprintf(svc, sizeof(svc), "%s/webix-api.service", dir);
	snprintf(msvc, sizeof(msvc), "%s/webix-maintenance.service", dir);
	snprintf(mtimer, sizeof(mtimer), "%s/webix-maintenance.timer", dir);
	int rc = run(out, sizeof(out), 60, (const char *const[]){ "systemd-analyze", "verify",
	    "--man=no", sock, svc, msvc, mtimer, NULL }, NULL);
	EXPECT(c, rc == 0, "systemd-analyze verify exited %d:\n%s", rc, out);
	/* warnings (an unknown key, a bad value) do not change the exit status: none allowed */
	EXPECT(c, out[0] == '\0', "systemd-analyze verify said:\n%s", out);
}

/* systemd's own exposure score (0 = locked down, 10 = unprotected): at most 1.5, for the
 * api and for the daily clean-up. */
static void t_units_security(struct h_case *c)
{
	static const char *const units[] = { "webix-api.service", "webix-maintenance.service" };
	for (size_t i = 0; i < 2; i++) {
		char svc[600], out[16384];
		snprintf(svc, sizeof(svc), "%s/verify/%s", work, units[i]);
		CHECK(c, access(svc, R_OK) == 0, "%s was not rendered (see units_verify)", svc);
		int rc = run(out, sizeof(out), 60, (const char *const[]){ "systemd-analyze",
		    "security", "--offline=yes", "--threshold=15", "--no-pager", svc, NULL }, NULL);
		const char *overall = strstr(out, "Overall exposure level");
		EXPECT(c, rc == 0 && overall != NULL, "%s: exposure above 1.5 (exit %d): %s",
		    units[i], rc, overall ? overall : tail(out, 1500));
		fprintf(stderr, "units_security: %s: %s", units[i], overall ? overall :
		    "(no score)\n");
	}
}

/* ---- sd_notify, heard on a datagram socket of our own --------------------------------- */

struct notify_rx {
	int fd;
	char env[200];          /* NOTIFY_SOCKET=... */
	char msg[64][1200];     /* every message received, in order */
	int n;
};

/* A datagram socket: abstract ("@webix-e2e-...") or a path in work/. 0 or -1. */
static int notify_open(struct notify_rx *rx, bool abstract)
{
	static int serial;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len;
	memset(rx, 0, sizeof(*rx));
	rx->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx->fd < 0)
		return -1;
	if (abstract) {
		int k = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "webix-e2e-notify-%ld-%d",
		    (long)getpid(), ++serial);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)k);
		snprintf(rx->env, sizeof(rx->env), "NOTIFY_SOCKET=@%s", a.sun_path + 1);
	} else {
		if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/notify-%d.sock", work,
		    ++serial) >= sizeof(a.sun_path))
			return -1;
		unlink(a.sun_path);
		len = sizeof(a);
		snprintf(rx->env, sizeof(rx->env), "NOTIFY_SOCKET=%s", a.sun_path);
	}
	return bind(rx->fd, (struct sockaddr *)&a, len);
}

/* Receive until a message containing NEEDLE arrives after message index FROM (returns its
 * index), at most timeout_ms; -1 on timeout. Every message is kept in rx->msg. */
static int notify_wait(struct notify_rx *rx, int from, const char *needle, long timeout_ms)
{
	long long until = h_now_ms() + timeout_ms;
	for (int i = from; i < rx->n; i++)
		if (strstr(rx->msg[i], needle))
			return i;
	while (h_now_ms() < until && rx->n < 64) {
		struct pollfd pf = { .fd = rx->fd, .events = POLLIN };
		if (poll(&pf, 1, (int)(until - h_now_ms())) <= 0)
			continue;
		ssize_t k = recv(rx->fd, rx->msg[rx->n], sizeof(rx->msg[0]) - 1, 0);
		if (k < 0)
			continue;
		rx->msg[rx->n][k] = '\0';
		if (rx->n++ >= from && strstr(rx->msg[rx->n - 1], needle))
			return rx->n - 1;
	}
	return -1;
}

static int notify_count(const struct notify_rx *rx, int upto, const char *needle)
{
	int n = 0;
	for (int i = 0; i < upto && i < rx->n; i++)
		n += strstr(rx->msg[i], needle) != NULL;
	return n;
}

/* Every message, for failure output (static). */
static const char *notify_dump(const struct notify_rx *rx)
{
	static char buf[8192];
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < rx->n && n + 200 < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  [%d] %.160s\n", i, rx->msg[i]);
	return rx->n ? buf : "  (no message)\n";
}

/* webix-api -c CONF with NOTIFY_SOCKET, its log in LOG. Dies with us (PDEATHSIG). */
static pid_t api_spawn(const char *conf, const char *notify_env, const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int in = open("/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		const char *asan = getenv("ASAN_OPTIONS"), *ubsan = getenv("UBSAN_OPTIONS");
		char a[512], u[512];
		snprintf(a, sizeof(a), "ASAN_OPTIONS=%s", asan ? asan : "");
		snprintf(u, sizeof(u), "UBSAN_OPTIONS=%s", ubsan ? ubsan : "");
		char *const envp[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", a, u,
		    (char *)notify_env, NULL };
		execle(api_bin, "webix-api", "-c", conf, (char *)NULL, envp);
		_exit(127);
	}
	return pid;
}

/* SIGTERM and wait (at most 40 s): the exit status, -1 if it had to be killed. */
static int api_stop(pid_t pid)
{
	int st;
	kill(pid, SIGTERM);
	for (int i = 0; i < 400; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		h_sleep_ms(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* A configuration for a second webix-api beside the stack's: its own socket, one worker,
 * no pid file, and the given REDIS_URL/DATABASE_URL change (NULL: none). */
static int instance_conf(const char *path, const char *name, const char *change)
{
	char sock[600];
	snprintf(sock, sizeof(sock), "WEBIX_SOCKET=%s/%s.sock", work, name);
	return conf_write(path, (const char *const[]){ sock, "WEBIX_WORKERS=1", "WEBIX_PID_FILE",
	    "WEBIX_SOCKET_GROUP=", change ? change : "NODE_ENV=test", NULL });
}

/*
 * Redis is down when webix-api starts: it says why in STATUS= and keeps checking (at
 * least twice) without READY=1; a redis-server started on that port makes it READY=1.
 * Then SIGHUP gives RELOADING=1 and READY=1 again once the roll is done; SIGTERM gives
 * STOPPING=1 and a clean exit. Abstract NOTIFY_SOCKET (@name).
 */
static void t_notify_ready_waits_for_redis(struct h_case *c)
{
	struct notify_rx rx;
	char conf[512], log[512], redis[128];
	int port = closed_port();
	snprintf(conf, sizeof(conf), "%s/notify-redis.conf", work);
	snprintf(log, sizeof(log), "%s/notify-redis.log", work);
	snprintf(redis, sizeof(redis), "REDIS_URL=redis://127.0.0.1:%d/0", port);
	CHECK(c, instance_conf(conf, "notify-redis", redis) == 0, "cannot write %s", conf);
	CHECK(c, notify_open(&rx, true) == 0, "cannot bind the notify socket");
	pid_t api = api_spawn(conf, rx.env, log);
	CHECK(c, api > 0, "fork failed");

	int waiting = notify_wait(&rx, 0, "STATUS=waiting for PostgreSQL and Redis", 20000);
	int again = waiting < 0 ? -1 : notify_wait(&rx, waiting + 1, "STATUS=waiting", 20000);
	EXPECT(c, waiting >= 0 && again >= 0, "no two STATUS=waiting... while Redis is down:\n%s",
	    notify_dump(&rx));
	EXPECT(c, waiting < 0 || (strstr(rx.msg[waiting], "Redis") &&
	    strstr(rx.msg[waiting], "nothing accepts connections")),
	    "STATUS does not say what is wrong with Redis: %s", rx.msg[waiting]);
	EXPECT(c, notify_count(&rx, rx.n, "READY=1") == 0, "READY=1 while Redis is down:\n%s",
	    notify_dump(&rx));
	int before = rx.n;

	pid_t rs = redis_start(port);
	EXPECT(c, rs > 0, "redis-server did not start on port %d", port);
	int ready = rs > 0 ? notify_wait(&rx, before, "READY=1", 20000) : -1;
	EXPECT(c, ready >= 0, "no READY=1 within 20 s of Redis answering:\n%s", notify_dump(&rx));
	EXPECT(c, ready < 0 || strstr(rx.msg[ready], "STATUS=serving with 1 workers"),
	    "READY=1 without the serving STATUS: %s", ready >= 0 ? rx.msg[ready] : "");
	EXPECT(c, notify_count(&rx, before, "READY=1") == 0, "READY=1 before Redis answered");

	if (ready >= 0) {
		kill(api, SIGHUP);
		int rl = notify_wait(&rx, ready + 1, "RELOADING=1", 20000);
		int back = rl < 0 ? -1 : notify_wait(&rx, rl + 1, "READY=1", 20000);
		EXPECT(c, rl >= 0 && strstr(rx.msg[rl], "MONOTONIC_USEC="),
		    "no RELOADING=1 with MONOTONIC_USEC after SIGHUP:\n%s", notify_dump(&rx));
		EXPECT(c, back >= 0 && strstr(rx.msg[back], "(reloaded)"),
		    "no READY=1 after the roll:\n%s", notify_dump(&rx));
	}
	int from = rx.n;
	int st = api_stop(api);
	EXPECT(c, notify_wait(&rx, from, "STOPPING=1", 5000) >= 0, "no STOPPING=1:\n%s",
	    notify_dump(&rx));
	EXPECT(c, st == 0, "webix-api exited with %d after SIGTERM", st);
	redis_stop(rs);
	close(rx.fd);
	char *text = read_file(log);
	EXPECT(c, !sanitizer_report(text), "sanitizer report in %s:\n%s", log, tail(text, 3000));
	EXPECT(c, text && strstr(text, "\"not ready yet: ") && strstr(text, "\"ready: "),
	    "the log does not say why it waited and when it became ready:\n%s", tail(text, 3000));
	free(text);
}

/* PostgreSQL unreachable at start-up: STATUS names PostgreSQL, no READY=1 however long it
 * checks, and SIGTERM still stops it cleanly. NOTIFY_SOCKET as a path. */
static void t_notify_ready_waits_for_postgres(struct h_case *c)
{
	struct notify_rx rx;
	char conf[512], log[512], db[1024], *at;
	snprintf(conf, sizeof(conf), "%s/notify-pg.conf", work);
	snprintf(log, sizeof(log), "%s/notify-pg.log", work);
	snprintf(db, sizeof(db), "DATABASE_URL=%s", conf_get("DATABASE_URL"));
	at = strstr(db, "@127.0.0.1:");
	CHECK(c, at != NULL, "unexpected DATABASE_URL %s", db);
	snprintf(at, sizeof(db) - (size_t)(at - db), "@127.0.0.1:%d/webix", closed_port());
	CHECK(c, instance_conf(conf, "notify-pg", db) == 0, "cannot write %s", conf);
	CHECK(c, notify_open(&rx, false) == 0, "cannot bind the notify socket");
	pid_t api = api_spawn(conf, rx.env, log);
	CHECK(c, api > 0, "fork failed");
	int first = notify_wait(&rx, 0, "STATUS=waiting for PostgreSQL and Redis", 20000);
	int third = first;
	for (int i = 0; i < 2 && third >= 0; i++)
		third = notify_wait(&rx, third + 1, "STATUS=waiting", 20000);
	EXPECT(c, third >= 0, "fewer than three checks while PostgreSQL is down:\n%s",
	    notify_dump(&rx));
	EXPECT(c, first < 0 || (strstr(rx.msg[first], "cannot connect to PostgreSQL") &&
	    strstr(rx.msg[first], "DATABASE_URL") && !strstr(rx.msg[first], "Redis at")),
	    "STATUS does not name PostgreSQL (alone): %s", first >= 0 ? rx.msg[first] : "");
	EXPECT(c, notify_count(&rx, rx.n, "READY=1") == 0, "READY=1 while PostgreSQL is down:\n%s",
	    notify_dump(&rx));
	int from = rx.n;
	int st = api_stop(api);
	EXPECT(c, notify_wait(&rx, from, "STOPPING=1", 5000) >= 0, "no STOPPING=1:\n%s",
	    notify_dump(&rx));
	EXPECT(c, st == 0, "webix-api exited with %d after SIGTERM while waiting", st);
	close(rx.fd);
	char *text = read_file(log);
	EXPECT(c, !sanitizer_report(text), "sanitizer report in %s:\n%s", log, tail(text, 3000));
	free(text);
}

/* ---- a FastCGI request straight to webix-api's socket (what nginx does) ------------------ */

static void fcgi_record(char *buf, size_t *n, int type, const char *body, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
	    (unsigned char)(len & 0xff), 0, 0 };
	memcpy(buf + *n, h, 8);
	memcpy(buf + *n + 8, body, len);
	*n += 8 + len;
}

static void fcgi_param(char *buf, size_t *n, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	buf[(*n)++] = (char)nl;
	buf[(*n)++] = (char)vl;
	memcpy(buf + *n, name, nl);
	memcpy(buf + *n + nl, value, vl);
	*n += nl + vl;
}

/* GET URI over the unix socket SOCK: the CGI response (headers and body) into out.
 * 0, or -1 with the reason in out. */
static int fcgi_get(const char *sock, const char *uri, char *out, size_t outsz)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char req[2048], params[1024];
	size_t n = 0, pn = 0, got = 0;
	struct timeval tv = { 15, 0 };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(out, outsz, "connect %s: %s", sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcgi_record(req, &n, 1, "\0\1\0\0\0\0\0\0", 8);          /* BEGIN_REQUEST, responder */
	fcgi_param(params, &pn, "REQUEST_METHOD", "GET");
	fcgi_param(params, &pn, "REQUEST_URI", uri);
	fcgi_param(params, &pn, "DOCUMENT_URI", uri);
	fcgi_param(params, &pn, "QUERY_STRING", "");
	fcgi_param(params, &pn, "SERVER_NAME", "localhost");
	fcgi_param(params, &pn, "REMOTE_ADDR", "127.0.0.1");
	fcgi_param(params, &pn, "WEBIX_REQUEST_ID", "e2e-systemd");
	fcgi_record(req, &n, 4, params, pn);                      /* PARAMS */
	fcgi_record(req, &n, 4, "", 0);
	fcgi_record(req, &n, 5, "", 0);                           /* empty STDIN */
	if (write(fd, req, n) != (ssize_t)n) {
		snprintf(out, outsz, "write: %s", strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		unsigned char h[8];
		char body[65536 + 256];
		if (recv(fd, h, 8, MSG_WAITALL) != 8)
			break;
		size_t len = ((size_t)h[4] << 8 | h[5]) + h[6];
		if (len && recv(fd, body, len, MSG_WAITALL) != (ssize_t)len)
			break;
		if (h[1] == 3) {                                  /* END_REQUEST */
			out[got < outsz ? got : outsz - 1] = '\0';
			close(fd);
			return 0;
		}
		if (h[1] == 6)                                    /* STDOUT */
			for (size_t i = 0; i < len - h[6] && got + 1 < outsz; i++)
				out[got++] = body[i];
	}
	snprintf(out, outsz, "the connection ended before END_REQUEST (%s)", strerror(errno));
	close(fd);
	return -1;
}

/* ---- the units under a real systemd: PID 1 of private namespaces ---------------------- */

static const char BOOT_SH[] =
	"#!/bin/sh\n"
	"# systemd as PID 1 of private pid/mount/ipc/uts namespaces, seeing only the units of\n"
	"# $1; $2 is copied to /run/wxtest. What it mounts, removes (RemoveIPC=) or sets stays\n"
	"# inside: /run, /dev/shm, /var/lib, /var/log are its own, /proc/sys is read-only.\n"
	"set -e\n"
	"mount --make-rprivate /\n"
	"mount --bind /proc/sys /proc/sys\n"
	"mount -o remount,bind,ro /proc/sys\n"
	"for d in /run /dev/shm /var/lib /var/log /etc/systemd/system /lib/systemd/system \\\n"
	"    /usr/lib/systemd/system /usr/local/lib/systemd/system /lib/systemd/system-generators \\\n"
	"    /usr/lib/systemd/system-generators /etc/systemd/system-generators \\\n"
	"    /usr/lib/systemd/system-preset /etc/systemd/system.conf.d; do\n"
	"  if [ -d \"$d\" ]; then mount -t tmpfs -o mode=0755 tmpfs \"$d\"; fi\n"
	"done\n"
	"mkdir -p /run/systemd/system /run/wxtest\n"
	"cp -R \"$1\"/. /run/systemd/system/\n"
	"cp -a \"$2\"/. /run/wxtest/\n"
	"exec env -i container=webix-e2e PATH=/usr/sbin:/usr/bin:/sbin:/bin \\\n"
	"  /lib/systemd/systemd --system --unit=wxtest.target --log-target=console \\\n"
	"  --log-level=notice --show-status=no\n";

static const char DROPIN[] =
	"# e2e only: the test build has AddressSanitizer, whose leak check needs ptrace, which\n"
	"# the unit's SystemCallFilter forbids; no journald here, so the log goes to a file.\n"
	"[Service]\n"
	"Environment=ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1\n"
	"Environment=UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1\n"
	"StandardOutput=append:/run/wxtest/webix-api.log\n"
	"StandardError=inherit\n";

static struct {
	pid_t unshare, pid1;
	char pid1s[16];
	char cg[3][300];
	int ncg;
} ns;

/* systemctl ARGS... inside the namespace. Output into out, exit status returned. */
static int ns_systemctl(char *out, size_t outsz, const char *const args[])
{
	const char *argv[24] = { "nsenter", "-t", ns.pid1s, "-m", "-p", "systemctl" };
	int n = 6;
	for (int i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run(out, outsz, 60, argv, NULL);
}

/* The value of one property of webix-api.service (static: the last four stay valid). */
static const char *ns_prop(const char *prop)
{
	static char bufs[4][2048];
	static int k;
	char *out = bufs[k = (k + 1) % 4], p[64];
	snprintf(p, sizeof(p), "--property=%s", prop);
	ns_systemctl(out, sizeof(bufs[0]), (const char *const[]){ "show", p, "--value",
	    "webix-api.service", NULL });
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* Wait (at most timeout_ms) until property PROP contains WANT. */
static bool ns_wait_prop(const char *prop, const char *want, long timeout_ms)
{
	long long until = h_now_ms() + timeout_ms;
	do {
		if (strstr(ns_prop(prop), want))
			return true;
		h_sleep_ms(100);
	} while (h_now_ms() < until);
	return false;
}

/* A file inside the namespace, seen from here. */
static const char *ns_path(const char *inside)
{
	static char p[2][512];
	static int k;
	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "/proc/%s/root%s", ns.pid1s, inside);
	return p[k];
}

static void ns_teardown(void)
{
	if (ns.pid1 > 0)
		kill(ns.pid1, SIGKILL);
	if (ns.unshare > 0) {
		kill(ns.unshare, SIGKILL);
		waitpid(ns.unshare, NULL, 0);
	}
	ns.pid1 = ns.unshare = 0;
	for (int i = 0; i < ns.ncg; i++) {
		char cmd[1600];
		/* the killed processes leave their cgroups a moment later */
		snprintf(cmd, sizeof(cmd), "for t in 1 2 3 4 5 6 7 8 9 10; do find '%s' -depth "
		    "-type d -exec rmdir {} + 2>/dev/null; [ -d '%s' ] || exit 0; sleep 0.2; done; "
		    "exit 1", ns.cg[i], ns.cg[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not remove the cgroup %s\n", ns.cg[i]);
	}
	ns.ncg = 0;
}

static void on_fatal_signal(int sig)
{
	if (ns.pid1 > 0)
		kill(ns.pid1, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Payload (binary, configuration), units and drop-in; then boot. 0, or -1 with why. */
static int ns_boot(int redis_port, char *why, size_t whysz)
{
	char payload[512], units[512], path[700], redis[128], cmd[4096];
	snprintf(payload, sizeof(payload), "%s/ns-payload", work);
	snprintf(units, sizeof(units), "%s/ns-units", work);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' && install -d -m 0755 '%s/bin' '%s' && "
	    "install -d -m 0750 -o root -g webix '%s/etc/webix' && "
	    "install -m 0755 '%s' '%s/bin/webix-api'", payload, units, payload, units, payload,
	    api_bin, payload);
	if (system(cmd) != 0) {
		snprintf(why, whysz, "cannot prepare %s", payload);
		return -1;
	}
	chmod(payload, 0755);
	snprintf(path, sizeof(path), "%s/etc/webix/webix.conf", payload);
	snprintf(redis, sizeof(redis), "REDIS_URL=redis://127.0.0.1:%d/0", redis_port);
	if (conf_write(path, (const char *const[]){ redis, "WEBIX_WORKERS=2", "WEBIX_PID_FILE",
	    "WEBIX_SOCKET", "WEBIX_SOCKET_GROUP", "MEDIA_DIR", NULL }) < 0) {
		snprintf(why, whysz, "cannot write %s", path);
		return -1;
	}
	if (render_units(units, "/run/wxtest/bin", "/run/wxtest/etc", why, whysz) < 0)
		return -1;
	const char *targets[] = { "sysinit", "basic", "sockets", "shutdown", "multi-user",
	    "network", "network-online", "local-fs", "paths", "timers", "slices", "default",
	    "wxtest" };
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		char t[128];
		snprintf(path, sizeof(path), "%s/%s.target", units, targets[i]);
		snprintf(t, sizeof(t), "[Unit]\nDescription=%s (e2e)\n", targets[i]);
		write_file(path, t, 0644);
	}
	snprintf(path, sizeof(path), "%s/webix-api.service.d", units);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/webix-api.service.d/e2e.conf", units);
	write_file(path, DROPIN, 0644);
	char boot[600], bootlog[600];
	snprintf(boot, sizeof(boot), "%s/boot.sh", work);
	snprintf(bootlog, sizeof(bootlog), "%s/systemd-boot.log", work);
	write_file(boot, BOOT_SH, 0755);

	/* our own cgroups, so that this systemd manages nothing else */
	const char *roots[] = { "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", roots[i]);
		if (access(path, W_OK) != 0)
			continue;
		snprintf(ns.cg[ns.ncg], sizeof(ns.cg[0]), "%s/webix-e2e-%ld", roots[i], (long)getpid());
		if (mkdir(ns.cg[ns.ncg], 0755) == 0 || errno == EEXIST)
			ns.ncg++;
	}
	signal(SIGTERM, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
	ns.unshare = fork();
	if (ns.unshare == 0) {
		char procs[400], me[16];
		snprintf(me, sizeof(me), "%ld", (long)getpid());
		for (int i = 0; i < ns.ncg; i++) {
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", ns.cg[i]);
			write_file(procs, me, 0644);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(bootlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("unshare", "unshare", "--pid", "--fork", "--kill-child", "--mount", "--ipc",
		    "--uts", "--mount-proc", "/bin/sh", boot, units, payload, (char *)NULL);
		_exit(127);
	}
	/* PID 1 of the namespace: the child of unshare, once it is systemd */
	char children[600], comm[600];
	snprintf(children, sizeof(children), "/proc/%ld/task/%ld/children", (long)ns.unshare,
	    (long)ns.unshare);
	for (int i = 0; i < 200 && ns.pid1 <= 0; i++, h_sleep_ms(50)) {
		char *ch = read_file(children);
		long p = ch ? atol(ch) : 0;
		free(ch);
		snprintf(comm, sizeof(comm), "/proc/%ld/comm", p);
		char *cm = p > 0 ? read_file(comm) : NULL;
		if (cm && strncmp(cm, "systemd", 7) == 0)
			ns.pid1 = (pid_t)p;
		free(cm);
	}
	snprintf(ns.pid1s, sizeof(ns.pid1s), "%ld", (long)ns.pid1);
	char out[2048];
	for (int i = 0; i < 300 && ns.pid1 > 0; i++, h_sleep_ms(100)) {
		ns_systemctl(out, sizeof(out), (const char *const[]){ "is-system-running", NULL });
		if (strncmp(out, "running", 7) == 0 || strncmp(out, "degraded", 8) == 0)
			return 0;
	}
	char *log = read_file(bootlog);
	snprintf(why, whysz, "systemd did not come up in the namespace (pid 1 = %ld): %s",
	    (long)ns.pid1, tail(log, 1500));
	free(log);
	return -1;
}

/* The pids of webix-api's workers (children of MAIN, a pid inside the namespace). */
static int ns_children(const char *main, long *pids, int max)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/%s/task/%s/children", main, main);
	char *ch = read_file(ns_path(path)), *p = ch, *end;
	int n = 0;
	while (p && n < max && (pids[n] = strtol(p, &end, 10)) > 0 && end != p) {
		n++;
		p = end;
	}
	free(ch);
	return n;
}

static void t_units_under_systemd(struct h_case *c)
{
	char why[2048], out[8192], resp[16384];
	int port = closed_port();
	pid_t rs = -1;
	if (ns_boot(port, why, sizeof(why)) < 0) {
		EXPECT(c, 0, "%s", why);
		ns_teardown();
		return;
	}
	char sock[512], log[512], state[64];
	char *text = NULL;
	snprintf(sock, sizeof(sock), "%s", ns_path("/run/webix/webix-api.sock"));
	snprintf(log, sizeof(log), "%s", ns_path("/run/wxtest/webix-api.log"));

	/* the socket unit: the socket exists before webix-api runs, 0660, group www-data */
	int rc = ns_systemctl(out, sizeof(out), (const char *const[]){ "start", "webix-api.socket", NULL });
	EXPECT(c, rc == 0, "systemctl start webix-api.socket: %d %s", rc, out);
	struct stat st;
	struct group *www = getgrnam("www-data");
	EXPECT(c, stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660 &&
	    www && st.st_gid == www->gr_gid, "%s is not a socket, mode 0660, group www-data", sock);

	/* Redis down: activating, STATUS says why; READY (active) once Redis answers */
	rc = ns_systemctl(out, sizeof(out), (const char *const[]){ "start", "--no-block",
	    "webix-api.service", NULL });
	EXPECT(c, rc == 0, "systemctl start --no-block webix-api.service: %d %s", rc, out);
	bool waiting = ns_wait_prop("StatusText", "cannot reach Redis", 30000);
	snprintf(state, sizeof(state), "%s", ns_prop("ActiveState"));
	EXPECT(c, waiting && strcmp(state, "activating") == 0,
	    "with Redis down: ActiveState=%s, StatusText=%s", state, ns_prop("StatusText"));
	rs = redis_start(port);
	EXPECT(c, rs > 0, "redis-server did not start on port %d", port);
	bool active = rs > 0 && ns_wait_prop("ActiveState", "active", 30000) &&
	    strcmp(ns_prop("ActiveState"), "active") == 0;
	EXPECT(c, active, "not active within 30 s of Redis answering: ActiveState=%s StatusText=%s",
	    ns_prop("ActiveState"), ns_prop("StatusText"));
	if (!active)
		goto out;
	EXPECT(c, strstr(ns_prop("StatusText"), "serving with 2 workers") != NULL,
	    "StatusText=%s", ns_prop("StatusText"));
	rc = fcgi_get(sock, "/health/ready", resp, sizeof(resp));
	EXPECT(c, rc == 0 && strstr(resp, "Status: 200") && strstr(resp, "\"ready\""),
	    "GET /health/ready through the systemd socket: %s", resp);

	/* the hardening, as the kernel sees the running master */
	char mainpid[32], status_path[64];
	snprintf(mainpid, sizeof(mainpid), "%s", ns_prop("MainPID"));
	snprintf(status_path, sizeof(status_path), "/proc/%s/status", mainpid);
	char *status = read_file(ns_path(status_path));
	struct passwd *pw = getpwnam("webix");
	char uid[64];
	snprintf(uid, sizeof(uid), "Uid:\t%ld\t", pw ? (long)pw->pw_uid : -1L);
	EXPECT(c, status && strstr(status, uid), "master %s does not run as the user webix:\n%s",
	    mainpid, status ? status : "(unreadable)");
	EXPECT(c, status && strstr(status, "CapEff:\t0000000000000000") &&
	    strstr(status, "CapBnd:\t0000000000000000") && strstr(status, "NoNewPrivs:\t1") &&
	    strstr(status, "Seccomp:\t2"), "master %s: capabilities, no_new_privs or seccomp "
	    "not in force:\n%s", mainpid, status ? status : "(unreadable)");
	free(status);

	/* reload: same master, every worker replaced, READY again, no restart */
	long before[16], after[16];
	int nb = ns_children(mainpid, before, 16), na = 0;
	rc = ns_systemctl(out, sizeof(out), (const char *const[]){ "reload", "webix-api.service", NULL });
	EXPECT(c, rc == 0, "systemctl reload: %d %s", rc, out);
	bool rolled = false;
	for (int i = 0; i < 300 && !rolled; i++, h_sleep_ms(100)) {
		na = ns_children(mainpid, after, 16);
		int common = 0;
		for (int x = 0; x < nb; x++)
			for (int y = 0; y < na; y++)
				common += before[x] == after[y];
		rolled = na == 2 && common == 0 && strstr(ns_prop("StatusText"), "(reloaded)");
	}
	EXPECT(c, nb == 2 && rolled, "the workers were not all replaced (before %d, now %d; "
	    "StatusText=%s)", nb, na, ns_prop("StatusText"));
	EXPECT(c, strcmp(ns_prop("MainPID"), mainpid) == 0 && strcmp(ns_prop("NRestarts"), "0") == 0
	    && strcmp(ns_prop("ActiveState"), "active") == 0, "after reload: MainPID %s (was %s), "
	    "NRestarts %s", ns_prop("MainPID"), mainpid, ns_prop("NRestarts"));
	rc = fcgi_get(sock, "/health/live", resp, sizeof(resp));
	EXPECT(c, rc == 0 && strstr(resp, "Status: 200"), "GET /health/live after reload: %s", resp);

	/* stop: a clean exit; the socket stays, and the next request starts webix-api again */
	rc = ns_systemctl(out, sizeof(out), (const char *const[]){ "stop", "webix-api.service", NULL });
	EXPECT(c, rc == 0 && strcmp(ns_prop("ActiveState"), "inactive") == 0 &&
	    strcmp(ns_prop("Result"), "success") == 0, "systemctl stop: %d, ActiveState=%s "
	    "Result=%s", rc, ns_prop("ActiveState"), ns_prop("Result"));
	rc = fcgi_get(sock, "/health/live", resp, sizeof(resp));
	EXPECT(c, rc == 0 && strstr(resp, "Status: 200"),
	    "a request to the socket did not start webix-api: %s", resp);
	EXPECT(c, ns_wait_prop("ActiveState", "active", 30000) &&
	    strcmp(ns_prop("ActiveState"), "active") == 0, "not active after socket activation: %s",
	    ns_prop("ActiveState"));
	rc = ns_systemctl(out, sizeof(out), (const char *const[]){ "stop", "webix-api.service",
	    "webix-api.socket", NULL });
	EXPECT(c, rc == 0 && strcmp(ns_prop("Result"), "success") == 0, "final stop: %d %s", rc, out);
out:
	text = read_file(log);
	EXPECT(c, text && strstr(text, "using the socket passed by systemd"),
	    "webix-api did not use the socket from systemd; its log:\n%s", tail(text, 3000));
	EXPECT(c, !sanitizer_report(text), "sanitizer report in webix-api's log:\n%s",
	    tail(text, 3000));
	free(text);
	ns_teardown();
	redis_stop(rs);
}

int main(void)
{
	if (h_init() != 0)
		return 1;
	const char *r = getenv("WEBIX_REPO");
	if (r && *r)
		snprintf(repo, sizeof(repo), "%s", r);
	if (h_env.state == NULL) {
		printf("FAIL setup: WEBIX_STATE is not set\n");
		return 1;
	}
	snprintf(bin_dir, sizeof(bin_dir), "%s/bin", h_env.state);
	snprintf(api_bin, sizeof(api_bin), "%s/webix-api", bin_dir);
	snprintf(ctl_bin, sizeof(ctl_bin), "%s/webixctl", bin_dir);
	snprintf(base_conf, sizeof(base_conf), "%s/webix.conf", h_env.state);
	snprintf(work, sizeof(work), "/tmp/webix-e2e-systemd.XXXXXX");
	if (mkdtemp(work) == NULL || chmod(work, 0755) != 0) {
		printf("FAIL setup: cannot create %s\n", work);
		return 1;
	}
	h_run("check_ok", t_check_ok);
	h_run("check_wrong_password", t_check_wrong_password);
	h_run("check_unreachable_servers", t_check_unreachable);
	h_run("check_missing_and_weak_settings", t_check_missing_and_weak_settings);
	h_run("check_owner_as_app_role", t_check_owner_as_app_role);
	h_run("check_pending_migration", t_check_pending_migration);
	h_run("units_verify", t_units_verify);
	h_run("units_security", t_units_security);
	h_run("notify_ready_waits_for_redis", t_notify_ready_waits_for_redis);
	h_run("notify_ready_waits_for_postgres", t_notify_ready_waits_for_postgres);
	h_run("units_under_systemd", t_units_under_systemd);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	if (getenv("WEBIX_KEEP_STATE") == NULL && system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", work);
	return h_finish();
}
