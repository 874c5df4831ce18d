/* master.h — the prefork master: owns the socket, forks, respawns, drains and rolls. */
#ifndef WEBIX_MASTER_H
#define WEBIX_MASTER_H
#include "settings.h"

/*
 * Runs until SIGTERM/SIGINT has drained every worker. Returns the process exit status.
 * Workers are started by executing `exe` again in worker mode (see main.c), so a reload
 * (SIGHUP) picks up a new binary and a new configuration file. config_path may be NULL.
 */
int master_run(const struct config *, const char *exe, const char *config_path);
#endif
