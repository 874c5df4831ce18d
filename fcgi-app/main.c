/* main.c — webix-api: read the configuration, refuse to start on a bad one, run the master. */
#include "settings.h"
#include "log.h"
#include "master.h"
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

int
main(int argc, char **argv)
{
	const char *path = NULL;
	int opt, test_only = 0;
	log_set_program("webix-api");
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
	int rc = master_run(&cfg);
	config_free(&cfg);
	return rc;
}
