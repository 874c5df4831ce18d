/* master.c — php-fpm style master: opens (or inherits from systemd) the unix socket, forks
 * WEBIX_WORKERS workers, respawns any that dies, drains them on SIGTERM and replaces them
 * one at a time on SIGHUP (a new worker is ready before an old one is asked to stop).
 * Tells systemd READY=1 once a worker accepts and PostgreSQL and Redis answer. */
#include "master.h"
#include "log.h"
#include "notify.h"
#include "reach.h"
#include "util.h"
#include "worker.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 512

struct wslot {
	pid_t    pid;
	int      ready_fd;      /* read end; -1 once ready */
	unsigned gen;           /* generation: bumped by each SIGHUP */
	bool     stopping;
	uint64_t stop_at_us;    /* when SIGTERM was first sent */
	uint64_t started_us;
};

static struct wslot slots[MAX_WORKERS];
static int sigpipe_fd[2] = { -1, -1 };
static const struct config *cfg;
static int listen_fd = -1;
static bool own_socket;
static pid_t master_pid;
static const char *self_exe, *self_config;

static void
on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;
	if (write(sigpipe_fd[1], &c, 1) < 0) { /* pipe full: a signal is already pending */ }
	errno = e;
}

/* systemd socket activation: LISTEN_PID == us and LISTEN_FDS >= 1 → fd 3.
 * -1: none passed; -2: passed but not a listening stream socket. */
static int
inherited_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	if (atoi(fds) > 1)
		log_msg(LOG_WARN, "systemd passed %d sockets; webix-api uses the first one only",
		    atoi(fds));
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
	    (len = sizeof(listening), getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) < 0 ||
	    !listening) {
		log_msg(LOG_FATAL, "the file descriptor 3 passed by systemd is not a listening stream "
		    "socket: webix-api.socket needs ListenStream= (e.g. /run/webix/webix-api.sock)");
		return -2;
	}
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static int
open_socket(void)
{
	int fd = inherited_socket();
	if (fd == -2)
		return -1;
	if (fd >= 0) {
		log_msg(LOG_INFO, "using the socket passed by systemd (WEBIX_SOCKET is ignored)");
		return fd;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(cfg->socket_path) >= sizeof(sa.sun_path)) {
		log_msg(LOG_FATAL, "WEBIX_SOCKET %s is too long for a unix socket path",
		    cfg->socket_path);
		return -1;
	}
	strcpy(sa.sun_path, cfg->socket_path);
	struct stat st;
	if (lstat(cfg->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_msg(LOG_FATAL, "WEBIX_SOCKET %s exists and is not a socket", cfg->socket_path);
			return -1;
		}
		/* refuse to steal the socket of a running instance */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			log_msg(LOG_FATAL, "another webix-api is already listening on %s",
			    cfg->socket_path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(cfg->socket_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		log_errno(LOG_FATAL, "socket");
		return -1;
	}
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		log_errno(LOG_FATAL, "cannot bind %s (does its directory exist and is it writable?)",
		    cfg->socket_path);
		close(fd);
		return -1;
	}
	umask(old);
	own_socket = true;
	if (chmod(cfg->socket_path, (mode_t)cfg->socket_mode) < 0)
		log_errno(LOG_WARN, "chmod %s", cfg->socket_path);
	if (cfg->socket_group && *cfg->socket_group) {
		struct group *g = getgrnam(cfg->socket_group);
		if (g == NULL) {
			log_msg(LOG_FATAL, "WEBIX_SOCKET_GROUP: no group named %s", cfg->socket_group);
			close(fd);
			return -1;
		}
		if (chown(cfg->socket_path, (uid_t)-1, g->gr_gid) < 0) {
			log_errno(LOG_FATAL, "cannot give %s to group %s (the user running webix-api must "
			    "be a member of it)", cfg->socket_path, cfg->socket_group);
			close(fd);
			return -1;
		}
	}
	if (listen(fd, 1024) < 0) {
		log_errno(LOG_FATAL, "listen");
		close(fd);
		return -1;
	}
	return fd;
}

static int
count_live(void)
{
	int n = 0;
	for (int i = 0; i < MAX_WORKERS; i++)
		n += slots[i].pid > 0;
	return n;
}

static struct wslot *
find_slot(pid_t pid)
{
	for (int i = 0; i < MAX_WORKERS; i++)
		if (slots[i].pid == pid)
			return &slots[i];
	return NULL;
}

static struct wslot *
spawn(unsigned gen)
{
	struct wslot *s = find_slot(0);
	int p[2];
	if (s == NULL || pipe2(p, O_CLOEXEC) < 0) {
		log_errno(LOG_ERROR, "cannot start a worker");
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_errno(LOG_ERROR, "fork");
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		close(sigpipe_fd[0]);
		close(sigpipe_fd[1]);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		/* a fresh image: the binary and configuration as they are now on disk */
		char lfd[16], rfd[16], mpid[24];
		snprintf(lfd, sizeof(lfd), "%d", listen_fd);
		snprintf(rfd, sizeof(rfd), "%d", p[1]);
		snprintf(mpid, sizeof(mpid), "%ld", (long)master_pid);
		fcntl(p[1], F_SETFD, 0);
		fcntl(listen_fd, F_SETFD, 0);
		char *argv[] = { "webix-api", "--worker", lfd, rfd, mpid,
		    self_config ? "-c" : NULL, (char *)self_config, NULL };
		execv(self_exe, argv);
		log_errno(LOG_FATAL, "cannot execute %s", self_exe);
		_exit(127);
	}
	close(p[1]);
	s->pid = pid;
	s->ready_fd = p[0];
	s->gen = gen;
	s->stopping = false;
	s->started_us = util_now_us();
	return s;
}

static void
stop_worker(struct wslot *s)
{
	if (!s->stopping) {
		s->stopping = true;
		s->stop_at_us = util_now_us();
	}
	kill(s->pid, SIGTERM);
}

/* ---- readiness for systemd: a worker accepts, and PostgreSQL and Redis answer ---- */

static struct {
	pid_t    pid;            /* the running check, 0 when none */
	int      fd;             /* its report (read end of a pipe), -1 when none */
	uint64_t next_us;        /* no new check before this (monotonic) */
	unsigned failures;
	bool     stores_ok;      /* the last check reached both */
	char     last[2200];     /* the last reason logged: each new one is logged once */
} probe = { 0, -1, 0, 0, false, "" };

/* In a child of the master: reach PostgreSQL (as the application role, DATABASE_URL) and
 * Redis with fresh connections; write what failed, in words, to fd; exit 0 when both
 * answered. SIGALRM ends a check that hangs. */
static void __attribute__((noreturn))
probe_child(int fd)
{
	char why[1024], out[sizeof(probe.last)];
	int n = 0, bad = 0;
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned)(2 * cfg->db_connect_timeout + cfg->redis_timeout_ms / 500 + 5));
	out[0] = '\0';
	PGconn *c = reach_postgres("DATABASE_URL", cfg->database_url, cfg->db_connect_timeout,
	    why, sizeof(why));
	if (c == NULL) {
		n += snprintf(out, sizeof(out), "%s", why);
		bad++;
	}
	PQfinish(c);
	if (reach_redis(cfg->redis_url, cfg->redis_timeout_ms, why, sizeof(why)) < 0) {
		snprintf(out + n, sizeof(out) - (size_t)n, "%s%s", bad ? "; " : "", why);
		bad++;
	}
	if (bad && write(fd, out, strlen(out)) < 0) { /* the master then says "failed" */ }
	_exit(bad ? 1 : 0);
}

static void
probe_start(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_errno(LOG_ERROR, "cannot check PostgreSQL and Redis (pipe)");
		probe.next_us = util_now_us() + 1000000;
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_errno(LOG_ERROR, "cannot check PostgreSQL and Redis (fork)");
		close(p[0]);
		close(p[1]);
		probe.next_us = util_now_us() + 1000000;
		return;
	}
	if (pid == 0) {
		close(p[0]);
		close(sigpipe_fd[0]);
		close(sigpipe_fd[1]);
		close(listen_fd);
		notify_close();
		probe_child(p[1]);
	}
	close(p[1]);
	probe.pid = pid;
	probe.fd = p[0];
}

/* The check exited: read its report; if it failed, say why (once per new reason), and
 * try again after 1, 2, 4, then every 5 seconds. */
static void
probe_done(int status)
{
	char msg[sizeof(probe.last)];
	size_t n = 0;
	ssize_t k;
	while (n + 1 < sizeof(msg) && (k = read(probe.fd, msg + n, sizeof(msg) - 1 - n)) > 0)
		n += (size_t)k;
	msg[n] = '\0';
	close(probe.fd);
	probe.fd = -1;
	probe.pid = 0;
	probe.stores_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (probe.stores_ok)
		return;
	if (n == 0)
		snprintf(msg, sizeof(msg), "the check of PostgreSQL and Redis %s",
		    WIFSIGNALED(status) ? "took too long and was stopped" : "failed");
	probe.failures++;
	probe.next_us = util_now_us() +
	    (probe.failures <= 3 ? (1000000u << (probe.failures - 1)) : 5000000u);
	if (strcmp(msg, probe.last) != 0) {
		log_msg(LOG_WARN, "not ready yet: %s; checking again until both answer", msg);
		snprintf(probe.last, sizeof(probe.last), "%s", msg);
	}
	notify_send("STATUS=waiting for PostgreSQL and Redis: %.900s", msg);
}

static bool
any_worker_ready(void)
{
	for (int i = 0; i < MAX_WORKERS; i++)
		if (slots[i].pid > 0 && slots[i].ready_fd < 0 && !slots[i].stopping)
			return true;
	return false;
}

static void
write_pid_file(void)
{
	if (cfg->pid_file == NULL || *cfg->pid_file == '\0')
		return;
	FILE *f = fopen(cfg->pid_file, "w");
	if (f == NULL) {
		log_errno(LOG_WARN, "cannot write WEBIX_PID_FILE %s", cfg->pid_file);
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

int
master_run(const struct config *c, const char *exe, const char *config_path)
{
	cfg = c;
	self_exe = exe;
	self_config = config_path;
	master_pid = getpid();
	log_set_program("webix-api");
	if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_errno(LOG_FATAL, "pipe");
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	bool notifying = notify_init();
	listen_fd = open_socket();
	if (listen_fd < 0)
		return 1;
	write_pid_file();

	unsigned gen = 1;
	for (long i = 0; i < cfg->workers; i++)
		spawn(gen);
	log_msg(LOG_INFO, "master started with %ld workers on %s%s", cfg->workers, cfg->socket_path,
	    notifying ? "; systemd hears READY=1 once PostgreSQL and Redis answer" : "");
	notify_send("STATUS=starting %ld workers; checking PostgreSQL and Redis", cfg->workers);
	bool ready_sent = false;

	bool shutting = false;
	bool rolling = false;
	struct wslot *fresh = NULL;     /* new worker of a roll, waiting to be ready */
	pid_t retiring = 0;             /* old worker of a roll, asked to stop */
	uint64_t fresh_since = 0;
	int crashes = 0;
	uint64_t crash_window = util_now_us();

	for (;;) {
		struct pollfd pf[MAX_WORKERS + 1];
		struct wslot *pslot[MAX_WORKERS + 1];
		int n = 0;
		pf[n].fd = sigpipe_fd[0];
		pf[n].events = POLLIN;
		pslot[n++] = NULL;
		for (int i = 0; i < MAX_WORKERS; i++)
			if (slots[i].pid > 0 && slots[i].ready_fd >= 0) {
				pf[n].fd = slots[i].ready_fd;
				pf[n].events = POLLIN;
				pslot[n++] = &slots[i];
			}
		int pr = poll(pf, (nfds_t)n, 200);
		if (pr < 0 && errno != EINTR) {
			log_errno(LOG_ERROR, "poll");
			continue;
		}
		bool got_term = false, got_hup = false;
		if (pr > 0 && (pf[0].revents & POLLIN)) {
			unsigned char buf[64];
			ssize_t k;
			while ((k = read(sigpipe_fd[0], buf, sizeof(buf))) > 0)
				for (ssize_t j = 0; j < k; j++) {
					got_term |= buf[j] == SIGTERM || buf[j] == SIGINT;
					got_hup |= buf[j] == SIGHUP;
				}
		}
		for (int i = 1; pr > 0 && i < n; i++)
			if (pf[i].revents & (POLLIN | POLLHUP)) {
				char b;
				(void)!read(pslot[i]->ready_fd, &b, 1);
				close(pslot[i]->ready_fd);
				pslot[i]->ready_fd = -1;
			}

		/* reap */
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == probe.pid) {
				probe_done(status);
				continue;
			}
			struct wslot *s = find_slot(pid);
			if (s == NULL)
				continue;
			bool expected = s->stopping || shutting;
			if (s->ready_fd >= 0)
				close(s->ready_fd);
			if (s == fresh) {
				fresh = NULL;
				if (s->ready_fd >= 0 && rolling) {
					/* the new image does not start: keep serving with the old workers */
					rolling = false;
					log_msg(LOG_ERROR, "reload failed: a new worker exited before it was "
					    "ready (see its log lines); the running workers stay");
					if (ready_sent)
						notify_send("READY=1\nSTATUS=reload failed: a new worker did not "
						    "start (see the log); the old workers serve");
					memset(s, 0, sizeof(*s));
					s->ready_fd = -1;
					continue;
				}
			}
			memset(s, 0, sizeof(*s));
			s->ready_fd = -1;
			if (pid == retiring)
				retiring = 0;
			if (expected)
				continue;
			if (WIFSIGNALED(status))
				log_msg(LOG_ERROR, "worker %ld killed by signal %d; starting another",
				    (long)pid, WTERMSIG(status));
			else
				log_msg(LOG_ERROR, "worker %ld exited with status %d; starting another",
				    (long)pid, WEXITSTATUS(status));
			uint64_t now = util_now_us();
			if (now - crash_window > 10000000) {
				crash_window = now;
				crashes = 0;
			}
			if (++crashes > 20) {
				log_msg(LOG_ERROR, "workers keep dying; waiting a second before respawning");
				sleep(1);
			}
			spawn(gen);
		}

		if (got_term && !shutting) {
			shutting = true;
			log_msg(LOG_INFO, "stopping: draining workers");
			notify_send("STOPPING=1\nSTATUS=stopping: draining the workers");
			if (probe.pid > 0) {        /* a check in progress no longer matters */
				kill(probe.pid, SIGKILL);
				waitpid(probe.pid, NULL, 0);
				close(probe.fd);
				probe.fd = -1;
				probe.pid = 0;
			}
			for (int i = 0; i < MAX_WORKERS; i++)
				if (slots[i].pid > 0)
					stop_worker(&slots[i]);
		}
		if (shutting) {
			if (count_live() == 0)
				break;
		} else if (got_hup && !rolling) {
			rolling = true;
			gen++;
			log_msg(LOG_INFO, "reloading: replacing workers one at a time");
			if (ready_sent)
				notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading: replacing "
				    "the workers one at a time", (unsigned long long)util_now_us());
		}

		/* READY=1 once: a worker accepts, and PostgreSQL and Redis answered a check */
		if (!shutting && !ready_sent) {
			if (probe.pid == 0 && !probe.stores_ok && util_now_us() >= probe.next_us)
				probe_start();
			if (probe.stores_ok && any_worker_ready()) {
				ready_sent = true;
				log_msg(LOG_INFO, "ready: workers accept requests, PostgreSQL and Redis "
				    "answer");
				notify_send("READY=1\nSTATUS=serving with %ld workers", cfg->workers);
			}
		}

		/* the roll: start one new worker, wait until it is ready, retire one old one */
		if (rolling && !shutting) {
			struct wslot *old = NULL;
			for (int i = 0; i < MAX_WORKERS && old == NULL; i++)
				if (slots[i].pid > 0 && slots[i].gen < gen && !slots[i].stopping)
					old = &slots[i];
			if (retiring == 0 && fresh == NULL && old != NULL) {
				fresh = spawn(gen);
				fresh_since = util_now_us();
			} else if (fresh != NULL && retiring == 0 && old != NULL &&
			    (fresh->ready_fd < 0 || util_now_us() - fresh_since > 10000000)) {
				retiring = old->pid;
				stop_worker(old);
				fresh = NULL;
			} else if (old == NULL && retiring == 0) {
				rolling = false;
				fresh = NULL;
				log_msg(LOG_INFO, "reload complete");
				if (ready_sent)
					notify_send("READY=1\nSTATUS=serving with %ld workers (reloaded)",
					    cfg->workers);
			}
		}

		/* stopping workers: repeat SIGTERM (it may have missed accept()), kill after drain */
		uint64_t now = util_now_us();
		for (int i = 0; i < MAX_WORKERS; i++) {
			struct wslot *s = &slots[i];
			if (s->pid <= 0 || !s->stopping)
				continue;
			if (now - s->stop_at_us > (uint64_t)cfg->drain_timeout * 1000000u) {
				log_msg(LOG_WARN, "worker %ld did not finish in %lds; killing it",
				    (long)s->pid, cfg->drain_timeout);
				kill(s->pid, SIGKILL);
			} else
				kill(s->pid, SIGTERM);
		}
	}
	if (own_socket)
		unlink(cfg->socket_path);
	if (cfg->pid_file && *cfg->pid_file)
		unlink(cfg->pid_file);
	log_msg(LOG_INFO, "master stopped");
	notify_close();
	return 0;
}
