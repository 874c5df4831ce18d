/* migrate.h — applies the numbered SQL files of sql/ in order, each once, under a lock. */
#ifndef WEBIX_MIGRATE_H
#define WEBIX_MIGRATE_H
#include <stdio.h>

/*
 * Connect with `url` (the owner role), take an advisory lock, and apply every pending
 * sql_dir/NNN_*.sql in name order, each in its own transaction, recording name and
 * SHA-256. Refuses (changing nothing) if an applied file's checksum differs or an applied
 * file is missing. Progress goes to `out`. Returns 0, or -1 with a message in err.
 */
int migrate_run(const char *url, const char *sql_dir, FILE *out, char *err, size_t errsz);
#endif
