/* migrate.c — the migration runner behind `webixctl migrate`. */
#include "migrate.h"
#include "util.h"
#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "7426138411"   /* pg_advisory_lock key, arbitrary but fixed */

struct mfile { char *name; char *sql; char sum[65]; };

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct mfile *)a)->name, ((const struct mfile *)b)->name);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 8192, n = 0, r;
	char *buf = malloc(cap + 1);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL) { free(buf); buf = NULL; break; }
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Files named like 001_name.sql; sorted. */
static int
load_files(const char *dir, struct mfile **out, size_t *count, char *err, size_t errsz)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errsz, "cannot open migrations directory %s (set WEBIX_SQL_DIR or "
		    "--sql-dir)", dir);
		return -1;
	}
	struct dirent *e;
	size_t n = 0, cap = 16;
	struct mfile *v = calloc(cap, sizeof(*v));
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 8 || strcmp(e->d_name + l - 4, ".sql") != 0 ||
		    !(e->d_name[0] >= '0' && e->d_name[0] <= '9') || e->d_name[3] != '_')
			continue;
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
		}
		char path[4096];
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		v[n].name = strdup(e->d_name);
		v[n].sql = slurp(path, &len);
		if (v[n].sql == NULL) {
			snprintf(err, errsz, "cannot read %s", path);
			free(v[n].name);
			closedir(d);
			*out = v;
			*count = n;
			return -1;
		}
		unsigned char md[SHA256_DIGEST_LENGTH];
		SHA256((const unsigned char *)v[n].sql, len, md);
		util_hex(md, sizeof(md), v[n].sum);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*count = n;
	return 0;
}

static int
exec_ok(PGconn *c, const char *sql, int n, const char *const *p, char *err, size_t errsz,
    const char *what)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errsz, "%s: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

int
migrate_run(const char *url, const char *sql_dir, FILE *out, char *err, size_t errsz)
{
	struct mfile *files = NULL;
	size_t nfiles = 0;
	int rc = -1, applied = 0;
	PGconn *c = NULL;
	PGresult *r = NULL;

	if (load_files(sql_dir, &files, &nfiles, err, errsz) < 0)
		goto out;
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errsz, "cannot connect to PostgreSQL with DATABASE_OWNER_URL: %s",
		    PQerrorMessage(c));
		goto out;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	if (exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, err, errsz,
	    "taking the migration lock") < 0)
		goto out;
	if (exec_ok(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " name text PRIMARY KEY, checksum text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, err, errsz,
	    "creating schema_migrations") < 0)
		goto out;
	r = PQexec(c, "SELECT name, checksum FROM schema_migrations ORDER BY name");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errsz, "reading schema_migrations: %s", PQresultErrorMessage(r));
		goto out;
	}
	/* every applied migration must still exist, unchanged */
	for (int i = 0; i < PQntuples(r); i++) {
		const char *name = PQgetvalue(r, i, 0), *sum = PQgetvalue(r, i, 1);
		struct mfile key = { (char *)name, NULL, "" };
		struct mfile *f = bsearch(&key, files, nfiles, sizeof(*files), cmp_names);
		if (f == NULL) {
			snprintf(err, errsz, "migration %s was applied but its file is missing from %s; "
			    "refusing to continue", name, sql_dir);
			goto out;
		}
		if (strcmp(f->sum, sum) != 0) {
			snprintf(err, errsz, "migration %s was changed after it was applied (checksum "
			    "%.12s… recorded, %.12s… now); restore the original file and put the change "
			    "in a new migration", name, sum, f->sum);
			goto out;
		}
		f->sum[64] = '\0';
		free(f->sql);
		f->sql = NULL; /* marks applied */
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].sql == NULL)
			continue;
		if (exec_ok(c, "BEGIN", 0, NULL, err, errsz, "BEGIN") < 0)
			goto out;
		PGresult *x = PQexec(c, files[i].sql);
		if (PQresultStatus(x) != PGRES_COMMAND_OK && PQresultStatus(x) != PGRES_TUPLES_OK) {
			snprintf(err, errsz, "migration %s failed: %s", files[i].name,
			    PQresultErrorMessage(x));
			PQclear(x);
			PQclear(PQexec(c, "ROLLBACK"));
			goto out;
		}
		PQclear(x);
		const char *p[2] = { files[i].name, files[i].sum };
		if (exec_ok(c, "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", 2, p,
		    err, errsz, "recording migration") < 0 ||
		    exec_ok(c, "COMMIT", 0, NULL, err, errsz, "COMMIT") < 0) {
			PQclear(PQexec(c, "ROLLBACK"));
			goto out;
		}
		fprintf(out, "applied %s\n", files[i].name);
		applied++;
	}
	fprintf(out, "%d migration%s applied, %zu in total\n", applied, applied == 1 ? "" : "s",
	    nfiles);
	rc = 0;
out:
	PQclear(r);
	if (c)
		PQfinish(c);
	for (size_t i = 0; i < nfiles; i++) {
		free(files[i].name);
		free(files[i].sql);
	}
	free(files);
	return rc;
}

static void __attribute__((format(printf, 3, 4)))
report_add(char *report, size_t sz, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(report);
	if (n + 1 >= sz)
		return;
	va_start(ap, fmt);
	vsnprintf(report + n, sz - n, fmt, ap);
	va_end(ap);
}

int
migrate_check(PGconn *conn, const char *sql_dir, int *applied, int *files, char *report,
    size_t reportsz)
{
	struct mfile *v = NULL;
	size_t nv = 0;
	int findings = -1;
	PGresult *r = NULL;
	*applied = *files = 0;
	report[0] = '\0';
	if (load_files(sql_dir, &v, &nv, report, reportsz) < 0)
		goto out;
	*files = (int)nv;
	r = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(report, reportsz, "%s", PQresultErrorMessage(r));
		goto out;
	}
	bool exists = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	r = NULL;
	findings = 0;
	if (exists) {
		r = PQexec(conn, "SELECT name, checksum FROM schema_migrations ORDER BY name");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			snprintf(report, reportsz, "reading schema_migrations: %s",
			    PQresultErrorMessage(r));
			findings = -1;
			goto out;
		}
		*applied = PQntuples(r);
		for (int i = 0; i < PQntuples(r); i++) {
			struct mfile key = { PQgetvalue(r, i, 0), NULL, "" };
			struct mfile *f = bsearch(&key, v, nv, sizeof(*v), cmp_names);
			if (f == NULL) {
				report_add(report, reportsz, "applied but missing from %s: %s\n", sql_dir,
				    key.name);
				findings++;
				continue;
			}
			if (strcmp(f->sum, PQgetvalue(r, i, 1)) != 0) {
				report_add(report, reportsz, "changed after it was applied: %s\n",
				    f->name);
				findings++;
			}
			free(f->sql);
			f->sql = NULL; /* marks applied */
		}
	}
	for (size_t i = 0; i < nv; i++)
		if (v[i].sql != NULL) {
			report_add(report, reportsz, "pending: %s\n", v[i].name);
			findings++;
		}
out:
	PQclear(r);
	for (size_t i = 0; i < nv; i++) {
		free(v[i].name);
		free(v[i].sql);
	}
	free(v);
	return findings;
}
