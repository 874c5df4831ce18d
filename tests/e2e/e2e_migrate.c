/* e2e_migrate.c — `webixctl migrate` against the stack's PostgreSQL: idempotent, records
 * name and checksum, refuses a changed or missing applied file; the catalog facts the
 * foundation promises (application role without privileges, RLS forced on tenant tables). */
#include "harness.h"
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char sqlcopy[256];

/* Run webixctl migrate with --sql-dir dir; output into out; exit status. */
static int migrate(const char *dir, char *out, size_t outsz)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s/bin/webixctl' -c '%s/webix.conf' migrate --sql-dir '%s' 2>&1",
	    h_env.state, h_env.state, dir);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static PGresult *q(PGconn *c, const char *sql)
{
	return PQexec(c, sql);
}

static void t_migrate_again_applies_nothing(struct h_case *c)
{
	char out[4096];
	int rc = migrate(sqlcopy, out, sizeof(out));
	CHECK(c, rc == 0, "exit %d: %s", rc, out);
	EXPECT(c, strstr(out, "0 migrations applied") != NULL, "output: %s", out);
}

static void t_migrations_recorded(struct h_case *c)
{
	PGconn *db = PQconnectdb(h_env.database_url);
	CHECK(c, PQstatus(db) == CONNECTION_OK, "connect: %s", PQerrorMessage(db));
	PGresult *r = q(db, "SELECT count(*), bool_and(length(checksum) = 64) FROM schema_migrations");
	EXPECT(c, PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) >= 4 &&
	    PQgetvalue(r, 0, 1)[0] == 't', "schema_migrations: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(db);
}

static void t_changed_file_refused(struct h_case *c)
{
	char path[512], out[4096];
	snprintf(path, sizeof(path), "%s/001_roles_and_tenant_context.sql", sqlcopy);
	FILE *f = fopen(path, "a");
	CHECK(c, f != NULL, "cannot open %s", path);
	fputs("\n-- changed after it was applied\n", f);
	fclose(f);
	int rc = migrate(sqlcopy, out, sizeof(out));
	EXPECT(c, rc != 0, "exit 0 for a changed migration: %s", out);
	EXPECT(c, strstr(out, "was changed after it was applied") != NULL, "output: %s", out);
}

static void t_missing_file_refused(struct h_case *c)
{
	char path[512], out[4096], cmd[1024];
	/* put 001 back as it was, so only the missing file is wrong */
	snprintf(cmd, sizeof(cmd), "cp sql/001_roles_and_tenant_context.sql '%s/'", sqlcopy);
	CHECK(c, system(cmd) == 0, "cannot restore 001");
	snprintf(path, sizeof(path), "%s/002_core_tables.sql", sqlcopy);
	CHECK(c, unlink(path) == 0, "cannot remove %s", path);
	int rc = migrate(sqlcopy, out, sizeof(out));
	EXPECT(c, rc != 0, "exit 0 with an applied migration missing: %s", out);
	EXPECT(c, strstr(out, "missing") != NULL, "output: %s", out);
}

static void t_app_role_powerless(struct h_case *c)
{
	PGconn *db = PQconnectdb(h_env.database_url);
	CHECK(c, PQstatus(db) == CONNECTION_OK, "connect: %s", PQerrorMessage(db));
	PGresult *r = q(db, "SELECT rolsuper, rolbypassrls, "
	    "(SELECT count(*) FROM pg_class WHERE relowner = r.oid) + "
	    "(SELECT count(*) FROM pg_proc WHERE proowner = r.oid) + "
	    "(SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) "
	    "FROM pg_roles r WHERE rolname = 'webix_app'");
	CHECK(c, PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "no webix_app role");
	EXPECT(c, PQgetvalue(r, 0, 0)[0] == 'f', "webix_app is a superuser");
	EXPECT(c, PQgetvalue(r, 0, 1)[0] == 'f', "webix_app has BYPASSRLS");
	EXPECT(c, strcmp(PQgetvalue(r, 0, 2), "0") == 0, "webix_app owns %s objects",
	    PQgetvalue(r, 0, 2));
	PQclear(r);
	PQfinish(db);
}

static void t_rls_forced_on_tenant_tables(struct h_case *c)
{
	PGconn *db = PQconnectdb(h_env.database_url);
	CHECK(c, PQstatus(db) == CONNECTION_OK, "connect: %s", PQerrorMessage(db));
	PGresult *r = q(db, "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity "
	    "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' "
	    "JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1");
	CHECK(c, PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 2, "catalog: %s",
	    PQresultErrorMessage(r));
	for (int i = 0; i < PQntuples(r); i++)
		EXPECT(c, PQgetvalue(r, i, 1)[0] == 't' && PQgetvalue(r, i, 2)[0] == 't',
		    "table %s: RLS enabled=%s forced=%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 2));
	PQclear(r);
	PQfinish(db);
}

/* The registry of tenants has no org_id but is a tenant table too: RLS enabled and forced,
 * every tenant table has a policy, and the app role cannot delete an organization (only
 * `webixctl org purge`, as the owner, does). */
static void t_organizations_rls(struct h_case *c)
{
	PGconn *db = PQconnectdb(h_env.database_url);
	CHECK(c, PQstatus(db) == CONNECTION_OK, "connect: %s", PQerrorMessage(db));
	PGresult *r = q(db, "SELECT c.relrowsecurity, c.relforcerowsecurity, "
	    "has_table_privilege('webix_app', c.oid, 'DELETE'), "
	    "has_table_privilege('webix_app', c.oid, 'TRUNCATE') "
	    "FROM pg_class c WHERE c.oid = 'public.organizations'::regclass");
	CHECK(c, PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "catalog: %s",
	    PQresultErrorMessage(r));
	EXPECT(c, PQgetvalue(r, 0, 0)[0] == 't' && PQgetvalue(r, 0, 1)[0] == 't',
	    "organizations: RLS enabled=%s forced=%s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	EXPECT(c, PQgetvalue(r, 0, 2)[0] == 'f' && PQgetvalue(r, 0, 3)[0] == 'f',
	    "webix_app may DELETE (%s) or TRUNCATE (%s) organizations", PQgetvalue(r, 0, 2),
	    PQgetvalue(r, 0, 3));
	PQclear(r);
	/* forced RLS without a policy hides everything: every tenant table has one for the app */
	r = q(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.relname = 'organizations' OR "
	    "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' "
	    "AND NOT a.attisdropped)) AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = "
	    "c.oid AND (p.polroles = '{0}' OR (SELECT oid FROM pg_roles WHERE rolname = 'webix_app') "
	    "= ANY (p.polroles)))");
	CHECK(c, PQresultStatus(r) == PGRES_TUPLES_OK, "catalog: %s", PQresultErrorMessage(r));
	for (int i = 0; i < PQntuples(r); i++)
		EXPECT(c, 0, "table %s has no policy for the application role", PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(db);
}

int main(void)
{
	if (h_init() != 0)
		return 1;
	char cmd[1024];
	snprintf(sqlcopy, sizeof(sqlcopy), "/tmp/webix-e2e-sql.%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -r '%s/sql' '%s'", sqlcopy,
	    getenv("WEBIX_REPO") ? getenv("WEBIX_REPO") : ".", sqlcopy);
	if (system(cmd) != 0) {
		printf("FAIL setup: cannot copy sql/ (run from the repository root)\n");
		return 1;
	}
	h_run("migrate_again_applies_nothing", t_migrate_again_applies_nothing);
	h_run("migrations_recorded_with_checksum", t_migrations_recorded);
	h_run("migrate_refuses_changed_file", t_changed_file_refused);
	h_run("migrate_refuses_missing_file", t_missing_file_refused);
	h_run("app_role_not_superuser_no_bypassrls_owns_nothing", t_app_role_powerless);
	h_run("rls_enabled_and_forced_on_every_org_id_table", t_rls_forced_on_tenant_tables);
	h_run("organizations_rls_forced_app_cannot_delete", t_organizations_rls);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sqlcopy);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", sqlcopy);
	return h_finish();
}
