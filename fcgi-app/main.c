/* main.c — webix-api: read the configuration, refuse to start on a bad one, run the master. */
#include "settings.h"
#include "log.h"
#include "master.h"
#include "worker.h"
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;

static void
usage(void)
{
	fputs("usage: webix-api [-c CONFIG] [-t]\n"
	    "  -c FILE  configuration file (default $WEBIX_CONFIG or /etc/webix/webix.conf)\n"
	    "  -t       check the configuration and exit\n"
	    "Environment variables override the file; see docs/configuration.md.\n", stderr);
}

/* `webix-api --worker LISTEN_FD READY_FD MASTER_PID [-c FILE]`: started by the master only. */
static int
worker_mode(int argc, char **argv)
{
	const char *path = argc >= 7 && strcmp(argv[5], "-c") == 0 ? argv[6] : NULL;
	int lfd = atoi(argv[2]), rfd = atoi(argv[3]);
	pid_t master = (pid_t)atol(argv[4]);
	char err[4096];
	if (config_load(&cfg, path, CFG_NEED_API, err, sizeof(err)) < 0) {
		char *save = NULL;
		for (char *line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			log_msg(LOG_FATAL, "configuration: %s", line);
		log_msg(LOG_FATAL, "worker did not start: fix the configuration above");
		return 78;
	}
	fcntl(rfd, F_SETFD, FD_CLOEXEC);
	worker_main(&cfg, lfd, rfd, master);
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	int opt, test_only = 0;
	log_set_program("webix-api");
	if (argc >= 5 && strcmp(argv[1], "--worker") == 0)
		return worker_mode(argc, argv);
	while ((opt = getopt(argc, argv, "c:th")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': test_only = 1; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	char err[4096];
	if (config_load(&cfg, path, CFG_NEED_API, err, sizeof(err)) < 0) {
		/* one log line per problem, then a plain summary for a human at a terminal */
		char *save = NULL;
		for (char *line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			log_msg(LOG_FATAL, "configuration: %s", line);
		log_msg(LOG_FATAL, "webix-api did not start: fix the configuration above");
		return 78; /* EX_CONFIG: systemd will not restart-loop on it (RestartPreventExitStatus) */
	}
	if (test_only) {
		printf("configuration ok\n");
		config_free(&cfg);
		return 0;
	}
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		log_errno(LOG_FATAL, "cannot find my own executable (/proc/self/exe)");
		return 1;
	}
	exe[n] = '\0';
	/* after an upgrade the old inode reads "… (deleted)": the path is what counts */
	char *del = strstr(exe, " (deleted)");
	if (del && del[10] == '\0')
		*del = '\0';
	char cfgpath[4096];
	if (path && path[0] != '/' && realpath(path, cfgpath) != NULL)
		path = cfgpath;
	int rc = master_run(&cfg, exe, path);
	config_free(&cfg);
	return rc;
}
