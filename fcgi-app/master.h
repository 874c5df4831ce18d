/* master.h — the prefork master: owns the socket, forks, respawns, drains and rolls. */
#ifndef WEBIX_MASTER_H
#define WEBIX_MASTER_H
#include "settings.h"

/* Runs until SIGTERM/SIGINT has drained every worker. Returns the process exit status. */
int master_run(const struct config *);
#endif
