/* migrate.h — applies the numbered SQL files of sql/ in order, each once, under a lock. */
#ifndef WEBIX_MIGRATE_H
#define WEBIX_MIGRATE_H
#include <stdio.h>
#include <libpq-fe.h>

/*
 * Connect with `url` (the owner role), take an advisory lock, and apply every pending
 * sql_dir/NNN_*.sql in name order, each in its own transaction, recording name and
 * SHA-256. Refuses (changing nothing) if an applied file's checksum differs or an applied
 * file is missing. Progress goes to `out`. Returns 0, or -1 with a message in err.
 */
int migrate_run(const char *url, const char *sql_dir, FILE *out, char *err, size_t errsz);

/*
 * Read-only: compare sql_dir with schema_migrations as seen through `conn` (a role that may
 * read it). Appends one line per finding to report ("pending: 005_x.sql", "changed after
 * it was applied: ...", "applied but missing from DIR: ..."). Sets *applied and *files.
 * Returns the number of findings (0: up to date), or -1 with the reason in report.
 */
int migrate_check(PGconn *conn, const char *sql_dir, int *applied, int *files, char *report,
    size_t reportsz);
#endif
