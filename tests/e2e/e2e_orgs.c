/* e2e_orgs.c — end-to-end tests of organizations, members and tenant isolation
 * (/api/organizations, issue 4) through nginx: every org and member route with every role
 * (admin, moderator, user, viewer, non-member, super admin, no token), the BOLA suite (two
 * organizations with content; B's ids with A's token and A's path, A's lists, tenant
 * hosts), row-level security through the request path (the test-only probes of
 * fcgi-app/testroutes.c, on every worker's connection), subdomain rules and the create
 * race, settings merge, status, suspension, soft delete and `webixctl org purge`, the
 * admin rules of members, audit rows, validation, pagination and literal search.
 *
 * Subdomains and emails carry a per-run tag, so the program can run again against the
 * same database; boundary cases that cannot carry the tag are deleted after they pass.
 *
 * Links with: libcurl json-c libpq pthread. */
#include "harness.h"

#include <ctype.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UA "webix-e2e-orgs/1.0"
#define PASSWORD "secret-e2e-orgs"

/* Replace every "{key}" of TEMPLATE by its value: subst(t, "org", id, "target", uid, NULL). */
static const char *subst(const char *t, ...)
{
	const char *keys[8], *vals[8];
	size_t n = 0, cap = strlen(t) + 1;
	va_list ap;

	va_start(ap, t);
	for (const char *k; n < 8 && (k = va_arg(ap, const char *)) != NULL; n++) {
		keys[n] = k;
		vals[n] = va_arg(ap, const char *);
		cap += 8 * (vals[n] ? strlen(vals[n]) : 0);
	}
	va_end(ap);
	char *out = malloc(cap), *o = out;
	if (out == NULL)
		return h_keep(NULL);
	while (*t) {
		size_t i;

		for (i = 0; i < n; i++) {
			size_t kl = strlen(keys[i]);

			if (t[0] == '{' && strncmp(t + 1, keys[i], kl) == 0 && t[1 + kl] == '}') {
				size_t vl = vals[i] ? strlen(vals[i]) : 0;

				memcpy(o, vals[i] ? vals[i] : "", vl);
				o += vl;
				t += kl + 2;
				break;
			}
		}
		if (i == n)
			*o++ = *t++;
	}
	*o = '\0';
	return h_keep(out);
}

/* ---- the stack's settings (webix.conf, then api.env, which overrides it) ---- */

static struct { char *k, *v; } confv[256];
static size_t nconf;

static void conf_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *eq, *ke, *v, *ve;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0' || (eq = strchr(p, '=')) == NULL)
			continue;
		for (ke = eq; ke > p && isspace((unsigned char)ke[-1]); ke--)
			;
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (ve = v + strlen(v); ve > v && isspace((unsigned char)ve[-1]); ve--)
			;
		size_t i;
		for (i = 0; i < nconf; i++)
			if (strlen(confv[i].k) == (size_t)(ke - p) && strncmp(confv[i].k, p,
			    (size_t)(ke - p)) == 0)
				break;
		if (i == sizeof(confv) / sizeof(confv[0]))
			continue;
		if (i == nconf) {
			confv[i].k = h_keep(strndup(p, (size_t)(ke - p)));
			nconf++;
		}
		confv[i].v = h_keep(strndup(v, (size_t)(ve - v)));
	}
	fclose(f);
}

static long conf_long(const char *k, long dflt)
{
	for (size_t i = 0; i < nconf; i++)
		if (strcmp(confv[i].k, k) == 0) {
			char *end;
			long n = strtol(confv[i].v, &end, 10);

			return *confv[i].v && *end == '\0' ? n : dflt;
		}
	return dflt;
}

static char tag[16];     /* per run: lower-case hex */
static long org_limit;   /* ORG_LIMIT_PER_USER */
static long workers;     /* WEBIX_WORKERS */

/* ---- responses of the current case (freed by run()) ---- */

static struct h_resp **resps;
static size_t nresps;
static CURL *curl;       /* one connection for the main thread's requests */

static void resps_free(void)
{
	for (size_t i = 0; i < nresps; i++) {
		h_resp_free(resps[i]);
		free(resps[i]);
	}
	free(resps);
	resps = NULL;
	nresps = 0;
}

static void run(const char *name, h_case_fn *fn)
{
	h_run(name, fn);
	resps_free();
}

static void run_with(const char *name, h_case_arg_fn *fn, const void *arg)
{
	h_run_with(name, fn, arg);
	resps_free();
}

/* ---- requests ---- */

struct rq {
	const char *method;   /* default GET, or POST with a body */
	const char *host;     /* default localhost; a tenant: "<sub>.<base domain>" */
	const char *path;
	const char *token;    /* Authorization: Bearer <token> */
	const char *body;     /* JSON */
	const char *ctype;    /* default application/json with a body */
};

/* One request on handle H into R (caller-owned). */
static void perform(CURL *h, const struct rq *q, struct h_resp *r)
{
	const char *hdrs[3];
	char *authz = NULL;
	int n = 0;

	hdrs[n++] = "User-Agent: " UA;
	if (q->token != NULL && asprintf(&authz, "Authorization: Bearer %s", q->token) > 0)
		hdrs[n++] = authz;
	hdrs[n] = NULL;
	h_perform(h, &(struct h_req){ .method = q->method ? q->method : q->body ? "POST" : "GET",
	    .host = q->host, .path = q->path, .headers = hdrs,
	    .ctype = q->ctype ? q->ctype : q->body ? "application/json" : NULL,
	    .body = q->body, .no_retry_429 = 1 }, r);
	free(authz);
}

static struct h_resp *req(const struct rq *q)
{
	struct h_resp *r = calloc(1, sizeof(*r)), **rs = realloc(resps, (nresps + 1) * sizeof(*rs));

	if (r == NULL || rs == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	resps = rs;
	resps[nresps++] = r;
	perform(curl, q, r);
	return r;
}

static struct h_resp *GET(const char *path, const char *token)
{
	return req(&(struct rq){ .path = path, .token = token });
}

static struct h_resp *SEND(const char *method, const char *path, const char *token,
    const char *body)
{
	return req(&(struct rq){ .method = method, .path = path, .token = token, .body = body });
}

static const char *tenant_host(const char *sub)
{
	return h_printf("%s.%s", sub, h_env.base_domain);
}

static const char *jtext(struct json_object *o)
{
	return h_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- expectations ---- */

/* A success answer: status, success true, exact message (NULL: none). */
static int expect_ok(struct h_case *c, struct h_resp *r, long status, const char *msg,
    const char *what)
{
	const char *m;

	if (!h_expect_json(c, r, status))
		return h_check(c, 0, "(%s)", what);
	if (!h_check(c, h_jtrue(r->json, "success"), "%s: \"success\" is not true: %s", what,
	    h_brief(r)))
		return 0;
	m = h_jstr(r->json, "message");
	if (msg != NULL)
		return h_check(c, m != NULL && strcmp(m, msg) == 0,
		    "%s: message is '%s', expected '%s'", what, m ? m : "absent", msg);
	return h_check(c, h_jget(r->json, "message") == NULL, "%s: unexpected message '%s'",
	    what, m ? m : "(not a string)");
}

/* A 400 validation answer whose errors are exactly FIELDS/MESSAGES (NULL-terminated
 * pairs: field, message, field, message, ..., NULL), in any order. */
static int expect_invalid(struct h_case *c, struct h_resp *r, const char *what, ...)
{
	struct json_object *errs;
	const char *pairs[32];
	size_t n = 0;
	va_list ap;
	int ok;

	va_start(ap, what);
	for (const char *f; n + 1 < 32 && (f = va_arg(ap, const char *)) != NULL; n += 2) {
		pairs[n] = f;
		pairs[n + 1] = va_arg(ap, const char *);
	}
	va_end(ap);
	if (!h_expect_err_msg(c, r, 400, "validation_failed", "Validation error", what))
		return 0;
	errs = h_jget(r->json, "errors");
	if (!h_check(c, json_object_is_type(errs, json_type_array), "%s: no errors array: %s",
	    what, h_brief(r)))
		return 0;
	ok = h_check(c, json_object_array_length(errs) == n / 2,
	    "%s: %zu errors, expected %zu: %s", what, json_object_array_length(errs), n / 2,
	    jtext(errs));
	for (size_t i = 0; i < n; i += 2) {
		int found = 0;

		for (size_t j = 0; j < json_object_array_length(errs) && !found; j++) {
			struct json_object *e = json_object_array_get_idx(errs, j);
			const char *f = h_jstr(e, "field"), *m = h_jstr(e, "message");

			found = f && m && strcmp(f, pairs[i]) == 0 && strcmp(m, pairs[i + 1]) == 0;
		}
		ok &= h_check(c, found, "%s: no error {field \"%s\", message '%s'} in %s", what,
		    pairs[i], pairs[i + 1], jtext(errs));
	}
	return ok;
}

static int str_is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Does the array at PATH of R's JSON hold an object whose KEY (dotted) is VALUE? */
static int list_has(struct json_object *arr, const char *key, const char *value)
{
	for (size_t i = 0; json_object_is_type(arr, json_type_array) &&
	    i < json_object_array_length(arr); i++)
		if (str_is(h_jstr(json_object_array_get_idx(arr, i), key), value))
			return 1;
	return 0;
}

/* ---- database (DATABASE_URL: the owner role) ---- */

static PGconn *db;

#define P(...) ((const char *const[]){ __VA_ARGS__ })

/* The SQL helpers of the harness, on this program's connection `db`. */
static PGresult *dbx(struct h_case *c, const char *sql, int n, const char *const *p)
{
	return h_sql(c, db, sql, n, p);
}

static const char *db_one(struct h_case *c, const char *sql, int n, const char *const *p)
{
	return h_sql_one(c, db, sql, n, p);
}

static long db_count(struct h_case *c, const char *sql, int n, const char *const *p)
{
	return h_sql_count(c, db, sql, n, p);
}

/* Everything the API could have changed about organization ORG: its row, its members,
 * its audit rows. Equal before and after a refused request, or something leaked through. */
static const char *fingerprint(struct h_case *c, const char *org)
{
	return db_one(c, "SELECT coalesce((SELECT row_to_json(o)::text FROM organizations o "
	    "WHERE id = $1::uuid), 'no row') || ' | ' || coalesce((SELECT json_agg(m ORDER BY "
	    "user_id)::text FROM memberships m WHERE org_id = $1::uuid), '[]') || ' | audit ' || "
	    "(SELECT count(*) FROM audit_log WHERE org_id = $1::uuid)::text", 1, P(org));
}

/* The role of USER in ORG (NULL when not a member). */
static const char *member_role(struct h_case *c, const char *org, const char *user)
{
	return db_one(c, "SELECT role FROM memberships WHERE org_id = $1::uuid AND "
	    "user_id = $2::uuid", 2, P(org, user));
}

/* Audit rows of ACTION in ORG by ACTOR about RESOURCE (NULL: any) with EXTRA (SQL on
 * metadata, NULL: none). */
static long audit_rows(struct h_case *c, const char *org, const char *actor,
    const char *action, const char *resource_id, const char *extra)
{
	const char *sql = h_printf("SELECT count(*) FROM audit_log WHERE org_id IS NOT DISTINCT "
	    "FROM $1::uuid AND user_id = $2::uuid AND action = $3 AND ($4::text IS NULL OR "
	    "resource_id = $4) AND ip_address IS NOT NULL AND user_agent = '" UA "'%s%s",
	    extra ? " AND " : "", extra ? extra : "");

	return db_count(c, sql, 4, P(org, actor, action, resource_id));
}

static void expect_audit(struct h_case *c, const char *org, const char *actor,
    const char *action, const char *resource_id, const char *extra)
{
	long n = audit_rows(c, org, actor, action, resource_id, extra);

	EXPECT(c, n >= 1, "no audit row %s in organization %s by %s about %s%s%s (with address "
	    "and User-Agent)", action, org ? org : "(none)", actor, resource_id ? resource_id :
	    "(any)", extra ? " where " : "", extra ? extra : "");
}

/* ---- people ---- */

struct user {
	const char *label;
	const char *email, *id, *token;
	int super;
};

enum {
	U_SAFIX,     /* super admin who creates the matrix's fixtures (and is their member) */
	U_SA,        /* super admin who is a member of nothing */
	U_ADMIN, U_MOD, U_USER, U_VIEWER,   /* the four membership roles */
	U_EXTRA,     /* a viewer in every fixture: the target of role changes and removals */
	U_NEWBIE,    /* never a member: the target of additions */
	U_OUTSIDER,  /* member of B only: the non-member of A */
	U_BADMIN,    /* B's admin */
	U_BOTH,      /* member of A and B */
	U_ISO_A, U_ISO_B, U_ISO_NONE,       /* isolation probes: A only, B only, nothing */
	U_SEARCH, U_LIMIT, U_LA1, U_LA2, U_LA3, U_STATUS,
	U__N
};
static struct user U[U__N] = {
	[U_SAFIX] = { "safix", .super = 1 }, [U_SA] = { "sa", .super = 1 },
	[U_ADMIN] = { "admin" }, [U_MOD] = { "mod" }, [U_USER] = { "user" },
	[U_VIEWER] = { "viewer" }, [U_EXTRA] = { "extra" }, [U_NEWBIE] = { "newbie" },
	[U_OUTSIDER] = { "outsider" }, [U_BADMIN] = { "badmin" }, [U_BOTH] = { "both" },
	[U_ISO_A] = { "isoa" }, [U_ISO_B] = { "isob" }, [U_ISO_NONE] = { "isonone" },
	[U_SEARCH] = { "search" }, [U_LIMIT] = { "limit" }, [U_LA1] = { "la1" },
	[U_LA2] = { "la2" }, [U_LA3] = { "la3" }, [U_STATUS] = { "status" },
};
static int people_ready;

static int take_session(struct h_case *c, struct h_resp *r, struct user *u, long status,
    const char *msg)
{
	if (!expect_ok(c, r, status, msg, h_printf("session of %s", u->label)))
		return 0;
	u->token = h_strdup(h_jstr(r->json, "data.accessToken"));
	u->id = h_strdup(h_jstr(r->json, "data.user._id"));
	return h_check(c, u->token != NULL && u->id != NULL, "%s: no token or user id: %s",
	    u->label, h_brief(r));
}

static void t_people(struct h_case *c)
{
	char out[2048];

	for (int i = 0; i < U__N; i++) {
		struct user *u = &U[i];

		u->email = h_printf("e2e-org-%s-%s@example.com", u->label, tag);
		if (u->super) {
			int st = h_webixctl(c, h_printf("user create --super-admin %s", u->email), PASSWORD,
			    out, sizeof(out));

			CHECK(c, st == 0, "webixctl user create --super-admin exited %d: %s", st, out);
			CHECK(c, take_session(c, SEND("POST", "/api/auth/login", NULL, h_jbody("email",
			    u->email, "password", PASSWORD, NULL)), u, 200, "Login successful"),
			    "login of %s", u->label);
		} else {
			CHECK(c, take_session(c, SEND("POST", "/api/auth/register", NULL, h_jbody("email",
			    u->email, "password", PASSWORD, "displayName", h_printf("E2E %s", u->label),
			    NULL)), u, 201, "User registered successfully"), "register %s", u->label);
		}
	}
	people_ready = 1;
}

/* ---- organizations ---- */

struct org {
	const char *id, *sub, *name;
};

static int subn;

/* A fresh subdomain of this run: "<what>-<tag>-<n>" (at most 30 characters). */
static const char *fresh_sub(const char *what)
{
	return h_printf("%.10s-%s-%d", what, tag, ++subn);
}

/* POST /api/organizations as U (201): O gets its id. */
static int create_org(struct h_case *c, const struct user *u, const char *name, const char *sub,
    struct org *o)
{
	struct h_resp *r = SEND("POST", "/api/organizations", u->token, h_jbody("name", name,
	    "subdomain", sub, NULL));

	memset(o, 0, sizeof(*o));
	if (!expect_ok(c, r, 201, "Organization created successfully",
	    h_printf("create %s as %s", sub, u->label)))
		return 0;
	o->id = h_strdup(h_jstr(r->json, "data._id"));
	o->sub = h_strdup(h_jstr(r->json, "data.subdomain"));
	o->name = h_strdup(h_jstr(r->json, "data.name"));
	return h_check(c, o->id != NULL && str_is(o->sub, sub), "create %s: %s", sub, h_brief(r));
}

static int add_member(struct h_case *c, const struct user *by, const struct org *o,
    const struct user *who, const char *role)
{
	return expect_ok(c, SEND("POST", subst("/api/organizations/{o}/users", "o", o->id, NULL),
	    by->token, h_jbody("userEmail", who->email, "role", role, NULL)), 201,
	    "User added to organization successfully", h_printf("add %s as %s to %s", who->label,
	    role, o->sub));
}

static int set_status(struct h_case *c, const struct org *o, const char *status)
{
	return expect_ok(c, SEND("PUT", subst("/api/organizations/{o}/status", "o", o->id, NULL),
	    U[U_SA].token, h_jbody("status", status, NULL)), 200,
	    "Organization status updated successfully", h_printf("status %s of %s", status, o->sub));
}

/* An organization created by safix with admin, mod, user, viewer and extra as members. */
static int fixture_org(struct h_case *c, const char *what, struct org *o)
{
	if (!create_org(c, &U[U_SAFIX], h_printf("Fixture %s", what), fresh_sub(what), o))
		return 0;
	return add_member(c, &U[U_SAFIX], o, &U[U_ADMIN], "admin") &&
	    add_member(c, &U[U_SAFIX], o, &U[U_MOD], "moderator") &&
	    add_member(c, &U[U_SAFIX], o, &U[U_USER], "user") &&
	    add_member(c, &U[U_SAFIX], o, &U[U_VIEWER], "viewer") &&
	    add_member(c, &U[U_SAFIX], o, &U[U_EXTRA], "viewer");
}

/* ==================================================== every route with every role */

enum role { AS_ADMIN, AS_MOD, AS_USER, AS_VIEWER, AS_NONMEMBER, AS_SUPER, AS_ANON, NROLES };
static const char *const role_names[NROLES] = { "admin", "moderator", "user", "viewer",
	"nonmember", "super_admin", "no_token" };
static const int role_user[NROLES] = { U_ADMIN, U_MOD, U_USER, U_VIEWER, U_OUTSIDER, U_SA, -1 };

struct mrow;
typedef void effect_fn(struct h_case *, const struct mrow *, enum role, const struct org *,
    struct h_resp *);

struct mrow {
	const char *label;
	const char *method, *path, *body;  /* {org}, {extra}, {newbie}, {me} substituted */
	int mutates;                       /* a success changes the fixture: use a fresh one */
	long want[NROLES];
	const char *msg_ok;                /* the message of a success (NULL: none) */
	const char *msg403;                /* the message of this route's 403 */
	const char *msg404_super;          /* the super admin's 404, when not allowed */
	effect_fn *effect;                 /* checks a success */
	const char *audit;                 /* the audit row of a success, with its actor */
};

static void fx_get_org(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)as;
	EXPECT(c, str_is(h_jstr(r->json, "data._id"), o->id) &&
	    str_is(h_jstr(r->json, "data.subdomain"), o->sub), "GET answered another organization: %s",
	    h_brief(r));
}

static void fx_put_org(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	const char *want = h_printf("Renamed by %s", role_names[as]);

	(void)m;
	EXPECT(c, str_is(h_jstr(r->json, "data.name"), want), "name in the answer: %s", h_brief(r));
	EXPECT(c, str_is(db_one(c, "SELECT name FROM organizations WHERE id = $1::uuid", 1,
	    P(o->id)), want), "the stored name is not '%s'", want);
}

static void fx_delete_org(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)as, (void)r;
	h_expect_err_msg(c, GET(subst("/api/organizations/{o}", "o", o->id, NULL), U[U_SAFIX].token),
	    404, "not_found", "Organization not found", "GET after DELETE (a former member)");
}

static void fx_status(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)as;
	EXPECT(c, str_is(h_jstr(r->json, "data.status"), "active") && str_is(db_one(c,
	    "SELECT status FROM organizations WHERE id = $1::uuid", 1, P(o->id)), "active"),
	    "status is not active: %s", h_brief(r));
}

static void fx_list_users(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	struct json_object *list = h_jget(r->json, "data.data");
	static const int members[] = { U_SAFIX, U_ADMIN, U_MOD, U_USER, U_VIEWER, U_EXTRA };

	(void)m, (void)as, (void)o;
	CHECK(c, json_object_is_type(list, json_type_array) && json_object_array_length(list) == 6,
	    "expected the 6 members: %s", h_brief(r));
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		EXPECT(c, list_has(list, "userId._id", U[members[i]].id) &&
		    list_has(list, "userId.email", U[members[i]].email), "member %s is not listed "
		    "with its user", U[members[i]].label);
	EXPECT(c, strstr(r->body, "password") == NULL && strstr(r->body, "$argon2") == NULL,
	    "the member list shows a password hash");
}

static void fx_add_user(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)as;
	EXPECT(c, str_is(h_jstr(r->json, "data.role"), "viewer") &&
	    str_is(h_jstr(r->json, "data.userId"), U[U_NEWBIE].id), "answer: %s", h_brief(r));
	EXPECT(c, str_is(member_role(c, o->id, U[U_NEWBIE].id), "viewer"),
	    "newbie is not a viewer member");
}

static void fx_set_role(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)as;
	EXPECT(c, str_is(h_jstr(r->json, "data.role"), "user"), "answer: %s", h_brief(r));
	EXPECT(c, str_is(member_role(c, o->id, U[U_EXTRA].id), "user"), "extra's role is not user");
}

static void fx_remove_user(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)as, (void)r;
	EXPECT(c, member_role(c, o->id, U[U_EXTRA].id) == NULL, "extra is still a member");
}

static void fx_leave(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	(void)m, (void)r;
	EXPECT(c, member_role(c, o->id, U[role_user[as]].id) == NULL, "%s is still a member",
	    role_names[as]);
}

static void fx_probe(struct h_case *c, const struct mrow *m, enum role as,
    const struct org *o, struct h_resp *r)
{
	struct json_object *orgs = h_jget(r->json, "data.tables.audit_log.organizations");

	(void)m, (void)as;
	EXPECT(c, str_is(h_jstr(r->json, "data.connection.orgId"), o->id) &&
	    json_object_is_type(orgs, json_type_array) && json_object_array_length(orgs) == 1 &&
	    str_is(json_object_get_string(json_object_array_get_idx(orgs, 0)), o->id),
	    "the probe did not run in the organization alone: %s", h_brief(r));
}

#define NP "Insufficient permissions"
#define ONLY_SUPER "Only a super admin can change an organization's status"
#define M_UPDATED "Organization updated successfully"
#define M_STATUS "Organization status updated successfully"
#define M_ADDED "User added to organization successfully"
#define M_ROLE "User role updated successfully"
#define M_REMOVED "User removed from organization successfully"
#define M_LEFT "You left the organization"
#define M_DELETED "Organization deleted successfully"
static const struct mrow mrows[] = {
	{ "get_org", "GET", "/api/organizations/{org}", NULL, 0,
	  { 200, 200, 200, 200, 404, 200, 401 }, NULL, NP, NULL, fx_get_org, NULL },
	{ "put_org", "PUT", "/api/organizations/{org}", "{\"name\":\"Renamed by {me}\"}", 1,
	  { 200, 403, 403, 403, 404, 200, 401 }, M_UPDATED, NP, NULL,
	  fx_put_org, "organization_updated" },
	{ "put_org_status", "PUT", "/api/organizations/{org}/status", "{\"status\":\"active\"}", 1,
	  { 403, 403, 403, 403, 404, 200, 401 }, M_STATUS, ONLY_SUPER, NULL,
	  fx_status, "organization_status_changed" },
	{ "list_users", "GET", "/api/organizations/{org}/users", NULL, 0,
	  { 200, 200, 403, 403, 404, 200, 401 }, NULL, NP, NULL, fx_list_users, NULL },
	{ "add_user", "POST", "/api/organizations/{org}/users",
	  "{\"userEmail\":\"{newbie}\",\"role\":\"viewer\"}", 1,
	  { 201, 201, 403, 403, 404, 201, 401 }, M_ADDED, NP, NULL,
	  fx_add_user, "user_added_to_organization" },
	{ "set_user_role", "PUT", "/api/organizations/{org}/users/{extra}/role",
	  "{\"role\":\"user\"}", 1,
	  { 200, 200, 403, 403, 404, 200, 401 }, M_ROLE, NP, NULL,
	  fx_set_role, "user_role_updated" },
	{ "remove_user", "DELETE", "/api/organizations/{org}/users/{extra}", NULL, 1,
	  { 200, 403, 403, 403, 404, 200, 401 }, M_REMOVED, NP, NULL,
	  fx_remove_user, "user_removed_from_organization" },
	{ "leave", "POST", "/api/organizations/{org}/leave", NULL, 1,
	  { 200, 200, 200, 200, 404, 404, 401 }, M_LEFT, NP, "User is not in this organization",
	  fx_leave, "user_left_organization" },
	{ "delete_org", "DELETE", "/api/organizations/{org}", NULL, 1,
	  { 200, 403, 403, 403, 404, 200, 401 }, M_DELETED, NP, NULL,
	  fx_delete_org, "organization_deleted" },
	{ "isolation_probe", "GET", "/api/_test/unscoped/{org}", NULL, 0,
	  { 200, 200, 200, 200, 404, 200, 401 }, NULL, NP, NULL, fx_probe, NULL },
};
#define NMROWS (sizeof(mrows) / sizeof(mrows[0]))

static struct org shared_fixture;   /* for rows that change nothing */

struct mcase { const struct mrow *row; enum role as; };
static struct mcase mcases[NMROWS * NROLES];
static const char *mnames[NMROWS * NROLES];

static void t_matrix(struct h_case *c, const void *arg)
{
	const struct mcase *mc = arg;
	const struct mrow *m = mc->row;
	enum role as = mc->as;
	long want = m->want[as];
	const struct user *u = role_user[as] >= 0 ? &U[role_user[as]] : NULL;
	int success = want >= 200 && want < 300;
	struct org fresh, *o = &shared_fixture;
	const char *before, *path, *body;
	long super_audit = 0;
	struct h_resp *r;

	CHECK(c, people_ready, "no people (setup failed)");
	if (success && m->mutates) {
		CHECK(c, fixture_org(c, h_printf("fx%d", as), &fresh),
		    "fixture");
		o = &fresh;
	} else if (shared_fixture.id == NULL) {
		CHECK(c, fixture_org(c, "shared", &shared_fixture), "shared fixture");
	}
	before = fingerprint(c, o->id);
	const char *same = h_printf("metadata->>'request' = '%s %s'", m->method,
	    subst(m->path, "org", o->id, "extra", U[U_EXTRA].id, NULL));
	if (as == AS_SUPER)
		super_audit = audit_rows(c, o->id, U[U_SA].id, "super_admin_access", o->id, same);
	path = subst(m->path, "org", o->id, "extra", U[U_EXTRA].id, NULL);
	body = m->body ? subst(m->body, "newbie", U[U_NEWBIE].email, "me", role_names[as], NULL) :
	    NULL;
	r = SEND(m->method, path, u ? u->token : NULL, body);
	const char *what = h_printf("%s %s as %s", m->method, m->path, role_names[as]);
	if (success) {
		if (expect_ok(c, r, want, m->msg_ok, what) || h_jtrue(r->json, "success"))
			m->effect(c, m, as, o, r);
	} else if (want == 401) {
		h_expect_err_msg(c, r, 401, "unauthorized", "No token provided", what);
	} else if (want == 403) {
		h_expect_err_msg(c, r, 403, "forbidden", m->msg403, what);
	} else {
		h_expect_err_msg(c, r, 404, "not_found", as == AS_SUPER && m->msg404_super ?
		    m->msg404_super : "Organization not found", what);
	}
	if (!success)
		EXPECT(c, str_is(fingerprint(c, o->id), before),
		    "a refused request changed the organization, its members or its audit log:\n"
		    "  before %s\n  after  %s", before, fingerprint(c, o->id));
	if (success && as == AS_SUPER)
		EXPECT(c, audit_rows(c, o->id, U[U_SA].id, "super_admin_access", o->id, same) ==
		    super_audit + 1,
		    "no (single) super_admin_access audit row for this request");
	if (success && m->audit != NULL)
		expect_audit(c, o->id, u->id, m->audit, NULL, NULL);
	if (success && as != AS_SUPER && as != AS_ANON)
		EXPECT(c, audit_rows(c, o->id, u->id, "super_admin_access", NULL, NULL) == 0,
		    "a member's request was audited as a super admin's");
}

/* ==================================================== two organizations: BOLA */

static struct org A, B;
static const char *a_webtoon, *a_episode, *b_webtoon, *b_episode;
static const char *b_membership_ids[4];

/* A webtoon with one episode in O, created by U. */
static int content(struct h_case *c, const struct user *u, const struct org *o,
    const char **webtoon, const char **episode)
{
	struct h_resp *r = SEND("POST", subst("/api/webtoons/{o}", "o", o->id, NULL), u->token,
	    h_jbody("title", h_printf("Webtoon of %s", o->sub), NULL));

	if (!h_check(c, r->status == 201 && h_jstr(r->json, "data._id"), "create a webtoon in %s: %s",
	    o->sub, h_brief(r)))
		return 0;
	*webtoon = h_strdup(h_jstr(r->json, "data._id"));
	r = SEND("POST", subst("/api/webtoons/{o}/{w}/episodes", "o", o->id, "w", *webtoon, NULL),
	    u->token, h_jbody("title", "Episode one", "content", "text", NULL));
	if (!h_check(c, r->status == 201 && h_jstr(r->json, "data._id"), "create an episode in %s: %s",
	    o->sub, h_brief(r)))
		return 0;
	*episode = h_strdup(h_jstr(r->json, "data._id"));
	return 1;
}

/* Rows the API has no route to write yet, written as the owner in O's tenant context. */
static int seed(struct h_case *c, const struct org *o)
{
	const char *sql[] = {
		"BEGIN",
		"SELECT set_config('app.org_id', $1, true)",
		"INSERT INTO analytics (org_id, metric_type, metric_value) "
		"VALUES ($1::uuid, 'content_views', 1)",
		"INSERT INTO outbox (org_id, kind, template, recipient) "
		"VALUES ($1::uuid, 'email', 'e2e_orgs_seed', 'nobody@example.com')",
		"COMMIT",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		PGresult *res = dbx(c, sql[i], strchr(sql[i], '$') ? 1 : 0, P(o->id));

		if (res == NULL) {
			PQclear(PQexec(db, "ROLLBACK"));
			return 0;
		}
		PQclear(res);
	}
	return 1;
}

static void t_two_orgs(struct h_case *c)
{
	CHECK(c, people_ready, "no people (setup failed)");
	CHECK(c, create_org(c, &U[U_ADMIN], "BOLA A", fresh_sub("bola-a"), &A), "A");
	CHECK(c, add_member(c, &U[U_ADMIN], &A, &U[U_MOD], "moderator") &&
	    add_member(c, &U[U_ADMIN], &A, &U[U_USER], "user") &&
	    add_member(c, &U[U_ADMIN], &A, &U[U_VIEWER], "viewer") &&
	    add_member(c, &U[U_ADMIN], &A, &U[U_BOTH], "admin") &&
	    add_member(c, &U[U_ADMIN], &A, &U[U_ISO_A], "viewer"), "A's members");
	CHECK(c, create_org(c, &U[U_BADMIN], "BOLA B", fresh_sub("bola-b"), &B), "B");
	CHECK(c, add_member(c, &U[U_BADMIN], &B, &U[U_OUTSIDER], "user") &&
	    add_member(c, &U[U_BADMIN], &B, &U[U_BOTH], "admin") &&
	    add_member(c, &U[U_BADMIN], &B, &U[U_ISO_B], "viewer"), "B's members");
	CHECK(c, set_status(c, &A, "active") && set_status(c, &B, "active"), "activate A and B");
	CHECK(c, content(c, &U[U_ADMIN], &A, &a_webtoon, &a_episode) &&
	    content(c, &U[U_BADMIN], &B, &b_webtoon, &b_episode), "content");
	CHECK(c, seed(c, &A) && seed(c, &B), "seed rows");
	PGresult *res = dbx(c, "SELECT id FROM memberships WHERE org_id = $1::uuid ORDER BY id", 1,
	    P(B.id));
	CHECK(c, res != NULL && PQntuples(res) == 4, "B has %d memberships",
	    res ? PQntuples(res) : -1);
	for (int i = 0; i < 4; i++)
		b_membership_ids[i] = h_strdup(PQgetvalue(res, i, 0));
	PQclear(res);
}

/* Every id of B on A's paths (and B's paths) with the token of ACTOR (a member of A):
 * 404 everywhere, and B unchanged. */
static void bola_as(struct h_case *c, const struct user *actor)
{
	const char *ids[16];
	size_t nids = 0;
	const char *before;

	CHECK(c, A.id && B.id && b_webtoon, "no organizations (setup failed)");
	before = fingerprint(c, B.id);
	ids[nids++] = B.id;
	ids[nids++] = U[U_BADMIN].id;
	ids[nids++] = U[U_OUTSIDER].id;
	ids[nids++] = U[U_ISO_B].id;
	for (int i = 0; i < 4; i++)
		ids[nids++] = b_membership_ids[i];
	ids[nids++] = b_webtoon;
	ids[nids++] = b_episode;

	/* B's own paths */
	static const struct { const char *method, *path, *body; } on_b[] = {
		{ "GET", "/api/organizations/{b}", NULL },
		{ "PUT", "/api/organizations/{b}", "{\"name\":\"Taken over\"}" },
		{ "DELETE", "/api/organizations/{b}", NULL },
		{ "PUT", "/api/organizations/{b}/status", "{\"status\":\"suspended\"}" },
		{ "GET", "/api/organizations/{b}/users", NULL },
		{ "POST", "/api/organizations/{b}/users", "{\"userEmail\":\"{me}\",\"role\":\"admin\"}" },
		{ "PUT", "/api/organizations/{b}/users/{x}/role", "{\"role\":\"viewer\"}" },
		{ "DELETE", "/api/organizations/{b}/users/{x}", NULL },
		{ "POST", "/api/organizations/{b}/leave", NULL },
		{ "GET", "/api/_test/unscoped/{b}", NULL },
		{ "GET", "/api/webtoons/{b}", NULL },
		{ "GET", "/api/webtoons/{b}/{w}", NULL },
	};
	for (size_t i = 0; i < sizeof(on_b) / sizeof(on_b[0]); i++) {
		const char *path = subst(on_b[i].path, "b", B.id, "x", U[U_BADMIN].id, "w", b_webtoon,
		    NULL);
		struct h_resp *r = SEND(on_b[i].method, path, actor->token, on_b[i].body ?
		    subst(on_b[i].body, "me", actor->email, NULL) : NULL);

		h_expect_err_msg(c, r, 404, "not_found", "Organization not found", h_printf("%s %s",
		    on_b[i].method, on_b[i].path));
	}
	/* A's paths with each id of B */
	static const struct { const char *method, *path, *body; } on_a[] = {
		{ "GET", "/api/organizations/{id}", NULL },
		{ "PUT", "/api/organizations/{id}", "{\"name\":\"Taken over\"}" },
		{ "DELETE", "/api/organizations/{id}", NULL },
		{ "PUT", "/api/organizations/{a}/users/{id}/role", "{\"role\":\"viewer\"}" },
		{ "DELETE", "/api/organizations/{a}/users/{id}", NULL },
		{ "GET", "/api/webtoons/{a}/{id}", NULL },
		{ "PUT", "/api/webtoons/{a}/{id}", "{\"title\":\"Taken over\"}" },
		{ "DELETE", "/api/webtoons/{a}/{id}", NULL },
		{ "GET", "/api/webtoons/{a}/{id}/episodes", NULL },
		{ "GET", "/api/webtoons/{a}/{w}/episodes/{id}", NULL },
		{ "PUT", "/api/webtoons/{a}/{w}/episodes/{id}", "{\"title\":\"Taken over\"}" },
		{ "DELETE", "/api/webtoons/{a}/{w}/episodes/{id}", NULL },
		{ "GET", "/api/webtoons/{a}/{bw}/episodes/{id}", NULL },
	};
	for (size_t k = 0; k < nids; k++)
		for (size_t i = 0; i < sizeof(on_a) / sizeof(on_a[0]); i++) {
			const char *path = subst(on_a[i].path, "a", A.id, "id", ids[k], "w", a_webtoon,
			    "bw", b_webtoon, NULL);
			struct h_resp *r = SEND(on_a[i].method, path, actor->token, on_a[i].body);

			EXPECT(c, r->status == 404 && h_jfalse(r->json, "success"),
			    "%s %s with B's id %s: %s", on_a[i].method, on_a[i].path, ids[k], h_brief(r));
		}
	EXPECT(c, str_is(fingerprint(c, B.id), before), "B changed:\n  before %s\n  after  %s",
	    before, fingerprint(c, B.id));
	EXPECT(c, db_count(c, "SELECT count(*) FROM webtoons WHERE id = $1::uuid AND org_id = "
	    "$2::uuid AND title <> 'Taken over'", 2, P(b_webtoon, B.id)) == 1 && db_count(c,
	    "SELECT count(*) FROM episodes WHERE id = $1::uuid AND title <> 'Taken over'", 1,
	    P(b_episode)) == 1, "B's webtoon or episode changed");
}

static void t_bola_admin_of_a(struct h_case *c)
{
	bola_as(c, &U[U_ADMIN]);
}

/* an admin of B too: B's ids must still not work through A's paths */
static void t_bola_member_of_both(struct h_case *c)
{
	const char *before;

	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	before = fingerprint(c, B.id);
	static const struct { const char *method, *path, *body; } on_a[] = {
		{ "PUT", "/api/organizations/{a}/users/{id}/role", "{\"role\":\"viewer\"}" },
		{ "DELETE", "/api/organizations/{a}/users/{id}", NULL },
		{ "GET", "/api/webtoons/{a}/{id}", NULL },
		{ "PUT", "/api/webtoons/{a}/{id}", "{\"title\":\"Taken over\"}" },
		{ "DELETE", "/api/webtoons/{a}/{id}", NULL },
		{ "GET", "/api/webtoons/{a}/{w}/episodes/{id}", NULL },
		{ "DELETE", "/api/webtoons/{a}/{w}/episodes/{id}", NULL },
		{ "GET", "/api/webtoons/{a}/{bw}/episodes/{id}", NULL },
	};
	const char *ids[] = { U[U_BADMIN].id, U[U_OUTSIDER].id, U[U_ISO_B].id, b_webtoon, b_episode,
	    b_membership_ids[0] };
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
		for (size_t i = 0; i < sizeof(on_a) / sizeof(on_a[0]); i++) {
			const char *path = subst(on_a[i].path, "a", A.id, "id", ids[k], "w", a_webtoon,
			    "bw", b_webtoon, NULL);
			struct h_resp *r = SEND(on_a[i].method, path, U[U_BOTH].token, on_a[i].body);

			EXPECT(c, r->status == 404 && h_jfalse(r->json, "success"),
			    "%s %s with B's id %s: %s", on_a[i].method, on_a[i].path, ids[k], h_brief(r));
		}
	EXPECT(c, str_is(fingerprint(c, B.id), before), "B changed:\n  before %s\n  after  %s",
	    before, fingerprint(c, B.id));
	/* the positive control: B's ids work on B's paths for this member of B */
	expect_ok(c, GET(subst("/api/webtoons/{b}/{w}", "b", B.id, "w", b_webtoon, NULL),
	    U[U_BOTH].token), 200, NULL, "B's webtoon on B's path");
}

/* No list of A shows a row of B. */
static void t_bola_lists(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *l;

	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	r = GET("/api/organizations?limit=100", U[U_ADMIN].token);
	CHECK(c, expect_ok(c, r, 200, NULL, "list of A's admin"), "list");
	l = h_jget(r->json, "data.data");
	EXPECT(c, list_has(l, "_id", A.id) && !list_has(l, "_id", B.id),
	    "A's admin's organizations: %s", h_brief(r));
	r = GET("/api/organizations?limit=100", U[U_OUTSIDER].token);
	if (expect_ok(c, r, 200, NULL, "list of B's member")) {
		l = h_jget(r->json, "data.data");
		EXPECT(c, list_has(l, "_id", B.id) && !list_has(l, "_id", A.id) &&
		    json_object_array_length(l) == 1, "B's member's organizations: %s", h_brief(r));
	}
	r = GET(subst("/api/organizations/{a}/users?limit=100", "a", A.id, NULL), U[U_ADMIN].token);
	if (expect_ok(c, r, 200, NULL, "A's members")) {
		l = h_jget(r->json, "data.data");
		EXPECT(c, json_object_array_length(l) == 6 && list_has(l, "userId._id", U[U_BOTH].id) &&
		    !list_has(l, "userId._id", U[U_BADMIN].id) &&
		    !list_has(l, "userId._id", U[U_OUTSIDER].id) &&
		    !list_has(l, "userId._id", U[U_ISO_B].id), "A's members: %s", h_brief(r));
		for (size_t i = 0; i < json_object_array_length(l); i++)
			EXPECT(c, str_is(h_jstr(json_object_array_get_idx(l, i), "organizationId"), A.id),
			    "a member row of another organization: %s",
			    jtext(json_object_array_get_idx(l, i)));
	}
	r = GET(subst("/api/webtoons/{a}?limit=100", "a", A.id, NULL), U[U_BOTH].token);
	if (expect_ok(c, r, 200, NULL, "A's webtoons")) {
		l = h_jget(r->json, "data.data");
		EXPECT(c, list_has(l, "_id", a_webtoon) && !list_has(l, "_id", b_webtoon),
		    "A's webtoons: %s", h_brief(r));
	}
	r = GET(subst("/api/webtoons/{a}/{w}/episodes?limit=100", "a", A.id, "w", a_webtoon, NULL),
	    U[U_BOTH].token);
	if (expect_ok(c, r, 200, NULL, "A's episodes")) {
		l = h_jget(r->json, "data.data");
		EXPECT(c, list_has(l, "_id", a_episode) && !list_has(l, "_id", b_episode),
		    "A's episodes: %s", h_brief(r));
	}
}

/* On A's host only A: another organization's id in the path is 404, even for its member
 * and for a super admin. */
static void t_tenant_host(struct h_case *c)
{
	const char *ha, *hb, *hx;
	struct h_resp *r;
	const char *before;

	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	ha = tenant_host(A.sub);
	hb = tenant_host(B.sub);
	hx = tenant_host(h_printf("nosuch-%s", tag));
	before = fingerprint(c, B.id);
	r = req(&(struct rq){ .host = ha, .path = subst("/api/organizations/{a}", "a", A.id, NULL),
	    .token = U[U_BOTH].token });
	expect_ok(c, r, 200, NULL, "A on A's host");
	r = req(&(struct rq){ .host = hb, .path = subst("/api/organizations/{b}", "b", B.id, NULL),
	    .token = U[U_BOTH].token });
	expect_ok(c, r, 200, NULL, "B on B's host");
	static const struct { const char *method, *path, *body; } rows[] = {
		{ "GET", "/api/organizations/{o}", NULL },
		{ "PUT", "/api/organizations/{o}", "{\"name\":\"Taken over\"}" },
		{ "DELETE", "/api/organizations/{o}", NULL },
		{ "GET", "/api/organizations/{o}/users", NULL },
		{ "POST", "/api/organizations/{o}/users", "{\"userEmail\":\"{e}\",\"role\":\"viewer\"}" },
		{ "DELETE", "/api/organizations/{o}/users/{u}", NULL },
		{ "PUT", "/api/organizations/{o}/users/{u}/role", "{\"role\":\"viewer\"}" },
		{ "POST", "/api/organizations/{o}/leave", NULL },
		{ "GET", "/api/webtoons/{o}", NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *path = subst(rows[i].path, "o", B.id, "u", U[U_OUTSIDER].id, NULL);
		const char *body = rows[i].body ? subst(rows[i].body, "e", U[U_NEWBIE].email, NULL) :
		    NULL;
		const char *hosts[] = { ha, hx };

		for (int h = 0; h < 2; h++) {
			r = req(&(struct rq){ .method = rows[i].method, .host = hosts[h], .path = path,
			    .token = U[U_BOTH].token, .body = body });
			h_expect_err_msg(c, r, 404, "not_found", "Organization not found", h_printf("%s %s of B on "
			    "%s as B's admin", rows[i].method, rows[i].path, hosts[h]));
		}
	}
	r = req(&(struct rq){ .host = ha, .path = subst("/api/organizations/{b}", "b", B.id, NULL),
	    .token = U[U_SA].token });
	h_expect_err_msg(c, r, 404, "not_found", "Organization not found", "B on A's host as a super admin");
	EXPECT(c, str_is(fingerprint(c, B.id), before), "B changed:\n  before %s\n  after  %s",
	    before, fingerprint(c, B.id));
	/* the public lookup by subdomain follows the host too */
	r = req(&(struct rq){ .host = ha, .path = h_printf("/api/organizations/subdomain/%s", B.sub) });
	h_expect_err_msg(c, r, 404, "not_found", "Organization not found", "B's subdomain on A's host");
	r = req(&(struct rq){ .host = hb, .path = h_printf("/api/organizations/subdomain/%s", B.sub) });
	if (expect_ok(c, r, 200, NULL, "B's subdomain on B's host"))
		EXPECT(c, str_is(h_jstr(r->json, "data._id"), B.id), "another organization: %s",
		    h_brief(r));
	r = GET(h_printf("/api/organizations/subdomain/%s", B.sub), NULL);
	expect_ok(c, r, 200, NULL, "B's subdomain on the base domain");
}

/* ==================================================== row-level security, request path */

/* Rows of ORG in TABLE, read as the owner in ORG's tenant context (the outbox has no
 * owner policy). TABLE comes from the API's own probe list. */
static long owner_count_in(struct h_case *c, const char *org, const char *table)
{
	long n = -1;

	PQclear(dbx(c, "BEGIN", 0, NULL));
	PQclear(dbx(c, "SELECT set_config('app.org_id', $1, true)", 1, P(org)));
	n = db_count(c, h_printf("SELECT count(*) FROM \"%s\" WHERE org_id = $1::uuid", table), 1,
	    P(org));
	PQclear(PQexec(db, n < 0 ? "ROLLBACK" : "COMMIT"));
	return n;
}

/* Owner's view: does every probed table hold rows of both A and B (else the probe of that
 * table proves nothing)? */
static void t_probe_tables_have_rows(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *tables;

	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	r = GET(subst("/api/_test/unscoped/{a}", "a", A.id, NULL), U[U_ISO_A].token);
	CHECK(c, expect_ok(c, r, 200, NULL, "probe in A"), "probe");
	tables = h_jget(r->json, "data.tables");
	CHECK(c, json_object_is_type(tables, json_type_object) && json_object_object_length(tables)
	    >= 6, "data.tables: %s", h_brief(r));
	json_object_object_foreach(tables, name, val) {
		(void)val;
		for (int k = 0; k < 2; k++) {
			const char *org = k ? B.id : A.id;
			long n = owner_count_in(c, org, name);

			EXPECT(c, n > 0, "table %s has no rows of %s: its probe proves nothing (seed it "
			    "in seed())", name, k ? "B" : "A");
		}
	}
}

/* The unscoped queries on the account tables (sql/014). On users: in A, exactly A's members
 * (the caller among them); without an organization, the caller alone. On sessions and
 * account_tokens: the caller's own rows. Account emails (outbox rows without an
 * organization, with their links): none. With no context at all: nothing. The owner checks
 * first that there are rows the probes must not see. */
static void t_isolation_accounts(struct h_case *c)
{
	static const char *const tables[] = { "users", "sessions", "account_tokens" };
	static const char *const all[] = { "users", "sessions", "account_tokens",
	    "account_emails" };
	struct h_resp *r;
	const char *members, *caller;

	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	CHECK(c, db_count(c, "SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM "
	    "memberships m WHERE m.user_id = u.id AND m.org_id = $1::uuid)", 1, P(A.id)) > 0 &&
	    db_count(c, "SELECT count(DISTINCT user_id) FROM sessions WHERE user_id <> $1::uuid",
	    1, P(U[U_ISO_A].id)) > 0 && db_count(c, "SELECT count(DISTINCT user_id) FROM "
	    "account_tokens WHERE user_id <> $1::uuid", 1, P(U[U_ISO_A].id)) > 0 &&
	    db_count(c, "SELECT count(*) FROM account_tokens WHERE user_id = $1::uuid", 1,
	    P(U[U_ISO_A].id)) > 0 && db_count(c, "SELECT count(*) FROM account_tokens WHERE "
	    "user_id = $1::uuid", 1, P(U[U_ISO_NONE].id)) > 0 && db_count(c, "SELECT count(*) "
	    "FROM outbox WHERE org_id IS NULL", 0, NULL) > 0,
	    "the seed lacks rows the probes must not see, or the callers' own tokens");

	/* the members as JSON text without spaces, as jtext() prints the answer's array */
	members = db_one(c, "SELECT '[' || string_agg('\"' || user_id || '\"', ',' ORDER BY "
	    "user_id) || ']' FROM (SELECT DISTINCT user_id FROM memberships WHERE org_id = "
	    "$1::uuid) m", 1, P(A.id));
	caller = h_printf("[\"%s\"]", U[U_ISO_A].id);
	r = GET(subst("/api/_test/unscoped/{a}", "a", A.id, NULL), U[U_ISO_A].token);
	if (expect_ok(c, r, 200, NULL, "probe in A"))
		for (size_t i = 0; i < 3; i++) {
			const char *want = i == 0 ? members : caller;
			const char *seen = jtext(h_jget(r->json, h_printf("data.accounts.%s.users",
			    tables[i])));

			EXPECT(c, want && str_is(seen, want), "in A, %s shows the rows of %s, not only "
			    "%s", tables[i], seen, i == 0 ? "A's members" : "the caller's");
		}
	if (r->status == 200)
		EXPECT(c, h_jint(r->json, "data.accounts.account_emails.rows", -1) == 0,
		    "in A, %ld account emails are visible", h_jint(r->json,
		    "data.accounts.account_emails.rows", -1));

	caller = h_printf("[\"%s\"]", U[U_ISO_NONE].id);
	r = GET("/api/_test/unscoped", U[U_ISO_NONE].token);
	if (expect_ok(c, r, 200, NULL, "probe without an organization"))
		for (size_t i = 0; i < 3; i++) {
			const char *seen = jtext(h_jget(r->json, h_printf("data.accounts.%s.users",
			    tables[i])));

			EXPECT(c, str_is(seen, caller), "without an organization, %s shows the rows of "
			    "%s, not only the caller's %s", tables[i], seen, caller);
		}
	if (r->status == 200)
		EXPECT(c, h_jint(r->json, "data.accounts.account_emails.rows", -1) == 0,
		    "without an organization, %ld account emails are visible", h_jint(r->json,
		    "data.accounts.account_emails.rows", -1));

	r = GET("/api/_test/unscoped?context=none", U[U_ISO_NONE].token);
	if (expect_ok(c, r, 200, NULL, "probe with no context"))
		for (size_t i = 0; i < 4; i++)
			EXPECT(c, h_jint(r->json, h_printf("data.accounts.%s.rows", all[i]), -1) == 0,
			    "with no tenant context at all, %s shows %s", all[i],
			    jtext(h_jget(r->json, h_printf("data.accounts.%s", all[i]))));
}

enum pkind { P_TENANT_A, P_TENANT_B, P_NONE_TX, P_NONE_BARE, P_OWN_TX };
struct probe {
	enum pkind kind;
	long long backend, at;
	int ok;
	char why[400];
};

/* Does one probe answer show exactly what its kind may see? Fills p->ok and p->why. */
static void judge(struct probe *p, struct h_resp *r, long a_members, long b_members)
{
	struct json_object *tables, *conn;
	const char *org = p->kind == P_TENANT_A ? A.id : p->kind == P_TENANT_B ? B.id : NULL;
	const char *caller = p->kind == P_TENANT_A ? U[U_ISO_A].id : p->kind == P_TENANT_B ?
	    U[U_ISO_B].id : p->kind == P_OWN_TX ? U[U_ISO_A].id : U[U_ISO_NONE].id;

	p->ok = 0;
	if (r->status != 200 || (tables = h_jget(r->json, "data.tables")) == NULL ||
	    (conn = h_jget(r->json, "data.connection")) == NULL) {
		snprintf(p->why, sizeof(p->why), "%s", h_brief(r));
		return;
	}
	p->backend = json_object_get_int64(h_jget(conn, "backend"));
	p->at = json_object_get_int64(h_jget(conn, "at"));
	json_object_object_foreach(tables, name, t) {
		struct json_object *orgs = h_jget(t, "organizations"), *users = h_jget(t, "users");
		long rows = (long)json_object_get_int64(h_jget(t, "rows"));
		size_t no = json_object_array_length(orgs);

		if (org != NULL) {
			/* in an organization: only its rows (the caller is a member of it alone) */
			if (no != 1 || !str_is(json_object_get_string(json_object_array_get_idx(orgs, 0)),
			    org) || rows < 1) {
				snprintf(p->why, sizeof(p->why), "in %s, %s shows %ld rows of %s",
				    p->kind == P_TENANT_A ? "A" : "B", name, rows, jtext(orgs));
				return;
			}
			if (strcmp(name, "memberships") == 0 && rows != (p->kind == P_TENANT_A ?
			    a_members : b_members)) {
				snprintf(p->why, sizeof(p->why), "in %s, memberships shows %ld rows",
				    p->kind == P_TENANT_A ? "A" : "B", rows);
				return;
			}
		} else if (p->kind == P_OWN_TX && strcmp(name, "memberships") == 0) {
			/* no organization: the policy still shows the caller their own membership */
			if (rows != 1 || json_object_array_length(users) != 1 ||
			    !str_is(json_object_get_string(json_object_array_get_idx(users, 0)), caller) ||
			    no != 1 || !str_is(json_object_get_string(json_object_array_get_idx(orgs, 0)),
			    A.id)) {
				snprintf(p->why, sizeof(p->why), "without an organization, memberships shows "
				    "%ld rows of %s, users %s", rows, jtext(orgs), jtext(users));
				return;
			}
		} else if (rows != 0 || no != 0) {
			snprintf(p->why, sizeof(p->why), "%s, %s shows %ld rows of %s",
			    p->kind == P_NONE_BARE ? "with no tenant context at all" :
			    "in a transaction without an organization", name, rows, jtext(orgs));
			return;
		}
	}
	const char *seen = h_jstr(conn, "orgId");
	if (org != NULL ? !str_is(seen, org) : (seen != NULL && *seen != '\0')) {
		snprintf(p->why, sizeof(p->why), "the connection's app.org_id is '%s'", seen ? seen :
		    "(unset)");
		return;
	}
	p->ok = 1;
}

struct prober {
	pthread_t th;
	int rounds;
	long a_members, b_members;
	struct probe *out;
	size_t n;
};

/* Each round: a probe in A, one without an organization, one in B, one with no context at
 * all, one without an organization by a member of A. */
static void *prober_run(void *arg)
{
	struct prober *pr = arg;
	CURL *h = h_curl_new();
	static const enum pkind order[] = { P_TENANT_A, P_NONE_TX, P_TENANT_B, P_NONE_BARE,
	    P_TENANT_A, P_OWN_TX };

	for (int i = 0; h != NULL && i < pr->rounds; i++)
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			struct probe *p = &pr->out[pr->n++];
			struct h_resp r;
			struct rq q = { 0 };

			p->kind = order[k];
			switch (p->kind) {
			case P_TENANT_A:
				q.path = h_printf("/api/_test/unscoped/%s", A.id);
				q.token = U[U_ISO_A].token;
				break;
			case P_TENANT_B:
				q.path = h_printf("/api/_test/unscoped/%s", B.id);
				q.token = U[U_ISO_B].token;
				break;
			case P_NONE_TX:
				q.path = "/api/_test/unscoped";
				q.token = U[U_ISO_NONE].token;
				break;
			case P_NONE_BARE:
				q.path = "/api/_test/unscoped?context=none";
				q.token = U[U_ISO_NONE].token;
				break;
			case P_OWN_TX:
				q.path = "/api/_test/unscoped";
				q.token = U[U_ISO_A].token;
				break;
			}
			perform(h, &q, &r);
			judge(p, &r, pr->a_members, pr->b_members);
			h_resp_free(&r);
		}
	curl_easy_cleanup(h);
	return NULL;
}

static int cmp_probe(const void *x, const void *y)
{
	const struct probe *a = x, *b = y;

	if (a->backend != b->backend)
		return a->backend < b->backend ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

/* A request without a tenant, on a connection that has just served one, sees no tenant
 * rows; a request in A sees only A's. Probes run from several threads at once so every
 * worker (one PostgreSQL connection each) serves both kinds, back to back; each answer
 * names its connection and time, so the order on each connection is known. */
static void t_isolation_every_connection(struct h_case *c)
{
	enum { THREADS = 8, ROUNDS = 6, MAX_BATCHES = 10 };
	struct prober pr[THREADS];
	struct probe *all = NULL;
	size_t nall = 0;
	long a_members, b_members;
	int covered = 0;

	CHECK(c, A.id && B.id && workers > 0, "no organizations (setup failed)");
	a_members = db_count(c, "SELECT count(*) FROM memberships WHERE org_id = $1::uuid", 1,
	    P(A.id));
	b_members = db_count(c, "SELECT count(*) FROM memberships WHERE org_id = $1::uuid", 1,
	    P(B.id));
	for (int batch = 0; batch < MAX_BATCHES && covered < workers; batch++) {
		struct probe *grown = realloc(all, (nall + THREADS * ROUNDS * 6) * sizeof(*all));

		CHECK(c, grown != NULL, "out of memory");
		all = grown;
		for (int t = 0; t < THREADS; t++) {
			pr[t] = (struct prober){ .rounds = ROUNDS, .a_members = a_members,
			    .b_members = b_members, .out = all + nall + (size_t)t * ROUNDS * 6 };
			if (pthread_create(&pr[t].th, NULL, prober_run, &pr[t]) != 0) {
				free(all);
				CHECK(c, 0, "pthread_create failed");
			}
		}
		for (int t = 0; t < THREADS; t++)
			pthread_join(pr[t].th, NULL);
		for (int t = 0; t < THREADS; t++)
			nall += pr[t].n;
		/* which connections served a tenant and right after it a request without one? */
		qsort(all, nall, sizeof(*all), cmp_probe);
		covered = 0;
		for (size_t i = 0; i < nall;) {
			size_t j = i;
			int tx = 0, bare = 0;

			for (; j < nall && all[j].backend == all[i].backend; j++)
				if (j > i && (all[j - 1].kind == P_TENANT_A || all[j - 1].kind == P_TENANT_B)) {
					tx |= all[j].kind == P_NONE_TX;
					bare |= all[j].kind == P_NONE_BARE;
				}
			covered += tx && bare;
			i = j;
		}
	}
	size_t bad = 0, backends = 0;
	for (size_t i = 0; i < nall; i++)
		backends += i == 0 || all[i].backend != all[i - 1].backend;
	fprintf(stderr, "e2e_orgs: isolation: %zu probes on %zu connections, %d of them served a "
	    "request without a tenant right after one with a tenant (%ld workers)\n", nall,
	    backends, covered, workers);
	for (size_t i = 0; i < nall; i++)
		if (!all[i].ok && bad++ < 3)
			h_check(c, 0, "probe %zu: %s", i, all[i].why);
	EXPECT(c, bad == 0, "%zu of %zu probes saw what they must not", bad, nall);
	EXPECT(c, covered >= workers, "only %d connections served a request without a tenant right "
	    "after one with a tenant (both kinds), expected every worker's (%ld), in %zu probes",
	    covered, workers, nall);
	free(all);
}

/* ==================================================== subdomains */

#define SUB_CHARS "\"subdomain\" must only contain letters, digits and inner hyphens"
#define SUB_RESERVED "\"subdomain\" is reserved"
#define SUB_SHORT "\"subdomain\" length must be at least 3 characters long"
#define SUB_LONG "\"subdomain\" length must be less than or equal to 30 characters long"

struct subrow {
	const char *value;   /* JSON text of the subdomain; "{tag}" substituted */
	const char *stored;  /* accepted: the stored subdomain; NULL: refused with msg */
	const char *msg;
	const char *check;   /* check-subdomain's answer: "available" or the reason */
};
static const struct subrow subrows[] = {
	{ "\"ab\"", NULL, SUB_SHORT, "invalid" },
	{ "\"a\"", NULL, SUB_SHORT, "invalid" },
	{ "\"x{tag}-abcdefghijklmnopqrstuv\"", "x{tag}-abcdefghijklmnopqrstuv", NULL, "available" },
	{ "\"x{tag}-abcdefghijklmnopqrstuvw\"", NULL, SUB_LONG, "invalid" },
	{ "\"q7x\"", "q7x", NULL, "available" },
	{ "\"h-{tag}-inner-hyphens\"", "h-{tag}-inner-hyphens", NULL, "available" },
	{ "\"-{tag}\"", NULL, SUB_CHARS, "invalid" },
	{ "\"{tag}-\"", NULL, SUB_CHARS, "invalid" },
	{ "\"d{tag}--double\"", NULL, SUB_CHARS, "invalid" },
	{ "\"u{tag}_score\"", NULL, SUB_CHARS, "invalid" },
	{ "\"d{tag}.dot\"", NULL, SUB_CHARS, "invalid" },
	{ "\"s{tag} space\"", NULL, SUB_CHARS, "invalid" },
	{ "\"\\u00e1{tag}\"", NULL, SUB_CHARS, "invalid" },
	{ "\"UP{tag}CASE\"", "up{tag}case", NULL, "available" },
	{ "\"  trim{tag}  \"", "trim{tag}", NULL, NULL },
	{ "\"www\"", NULL, SUB_RESERVED, "reserved" },
	{ "\"API\"", NULL, SUB_RESERVED, "reserved" },
	{ "\"Admin\"", NULL, SUB_RESERVED, "reserved" },
	{ "\"app\"", NULL, SUB_RESERVED, "reserved" },
	{ "\"mail\"", NULL, SUB_RESERVED, "reserved" },
	{ "\"static\"", NULL, SUB_RESERVED, "reserved" },
	{ "\"media\"", NULL, SUB_RESERVED, "reserved" },
	{ "123", NULL, "\"subdomain\" must be a string", NULL },
	{ "\"\"", NULL, "\"subdomain\" is not allowed to be empty", NULL },
	{ "null", NULL, "\"subdomain\" must be a string", NULL },
};
#define NSUBROWS (sizeof(subrows) / sizeof(subrows[0]))
static const char *subnames[NSUBROWS];

static void t_subdomain(struct h_case *c, const void *arg)
{
	const struct subrow *s = arg;
	const char *value = subst(s->value, "tag", tag, NULL);
	const char *body = h_printf("{\"name\":\"Subdomain rules\",\"subdomain\":%s}", value);
	struct h_resp *r;

	CHECK(c, people_ready, "no people (setup failed)");
	if (s->check != NULL) {
		/* the public availability check agrees with create, before it */
		struct json_object *v = json_tokener_parse(value);
		const char *raw = h_strdup(json_object_get_string(v));
		char *enc = curl_easy_escape(curl, raw, 0);

		json_object_put(v);
		r = GET(h_printf("/api/organizations/check-subdomain/%s", enc), NULL);
		curl_free(enc);
		if (expect_ok(c, r, 200, NULL, "check-subdomain")) {
			if (strcmp(s->check, "available") == 0)
				EXPECT(c, h_jtrue(r->json, "data.available") &&
				    h_jget(r->json, "data.reason") == NULL, "check-subdomain: %s", h_brief(r));
			else
				EXPECT(c, h_jfalse(r->json, "data.available") &&
				    str_is(h_jstr(r->json, "data.reason"), s->check),
				    "check-subdomain: %s, expected reason %s", h_brief(r), s->check);
		}
	}
	r = SEND("POST", "/api/organizations", U[U_SEARCH].token, body);
	if (s->stored == NULL) {
		expect_invalid(c, r, h_printf("create with subdomain %s", value), "subdomain", s->msg,
		    NULL);
		return;
	}
	const char *stored = subst(s->stored, "tag", tag, NULL);
	CHECK(c, expect_ok(c, r, 201, "Organization created successfully", "create"), "create");
	const char *id = h_strdup(h_jstr(r->json, "data._id"));
	EXPECT(c, str_is(h_jstr(r->json, "data.subdomain"), stored), "answered subdomain %s, "
	    "expected %s", h_jstr(r->json, "data.subdomain"), stored);
	EXPECT(c, str_is(db_one(c, "SELECT subdomain FROM organizations WHERE id = $1::uuid", 1,
	    P(id)), stored), "the stored subdomain is not %s", stored);
	/* taken now, in any case */
	char *upper = h_strdup(stored);
	for (char *p = upper; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	r = SEND("POST", "/api/organizations", U[U_SEARCH].token,
	    h_jbody("name", "Same subdomain", "subdomain", upper, NULL));
	h_expect_err_msg(c, r, 409, "conflict", "Subdomain already exists", "the same subdomain in "
	    "upper case");
	r = GET(h_printf("/api/organizations/check-subdomain/%s", upper), NULL);
	EXPECT(c, r->status == 200 && h_jfalse(r->json, "data.available") &&
	    str_is(h_jstr(r->json, "data.reason"), "taken"), "check-subdomain of a taken one in "
	    "upper case: %s", h_brief(r));
	/* leave nothing behind that would collide in another run */
	expect_ok(c, SEND("DELETE", h_printf("/api/organizations/%s", id), U[U_SEARCH].token, NULL),
	    200, "Organization deleted successfully", "delete");
}

/* Several creates of one subdomain at once, in different cases: one 201, the rest 409. */
struct racer {
	pthread_t th;
	pthread_barrier_t *go;
	const struct user *u;
	const char *sub;
	long status;
	char body[300];
};

static void *racer_run(void *arg)
{
	struct racer *x = arg;
	CURL *h = h_curl_new();
	struct h_resp r;

	/* a first request opens the TLS connection, so the creates leave together */
	perform(h, &(struct rq){ .path = "/api/health" }, &r);
	h_resp_free(&r);
	pthread_barrier_wait(x->go);
	perform(h, &(struct rq){ .path = "/api/organizations", .token = x->u->token,
	    .body = h_jbody("name", "Race", "subdomain", x->sub, NULL) }, &r);
	x->status = r.status;
	snprintf(x->body, sizeof(x->body), "%s", r.body ? r.body : "");
	h_resp_free(&r);
	curl_easy_cleanup(h);
	return NULL;
}

static void t_create_race(struct h_case *c)
{
	enum { N = 8 };
	static const int who[N] = { U_ADMIN, U_MOD, U_USER, U_VIEWER, U_EXTRA, U_NEWBIE, U_OUTSIDER,
	    U_BADMIN };
	struct racer x[N];
	pthread_barrier_t go;

	CHECK(c, people_ready, "no people (setup failed)");
	for (int round = 0; round < 2; round++) {
		const char *sub = fresh_sub("race");
		int created = 0, conflicts = 0;

		pthread_barrier_init(&go, NULL, N);
		for (int i = 0; i < N; i++) {
			char *s = h_strdup(sub);

			for (char *p = s; *p; p++)   /* every racer spells it differently */
				if ((i >> ((p - s) % 3)) & 1)
					*p = (char)toupper((unsigned char)*p);
			x[i] = (struct racer){ .go = &go, .u = &U[who[i]], .sub = s };
			CHECK(c, pthread_create(&x[i].th, NULL, racer_run, &x[i]) == 0, "pthread_create");
		}
		for (int i = 0; i < N; i++)
			pthread_join(x[i].th, NULL);
		pthread_barrier_destroy(&go);
		for (int i = 0; i < N; i++) {
			created += x[i].status == 201;
			conflicts += x[i].status == 409 && strstr(x[i].body, "Subdomain already exists");
			EXPECT(c, x[i].status == 201 || x[i].status == 409, "racer %d (%s): %ld %s", i,
			    x[i].sub, x[i].status, x[i].body);
		}
		EXPECT(c, created == 1 && conflicts == N - 1, "round %d: %d created, %d conflicts", round,
		    created, conflicts);
		EXPECT(c, db_count(c, "SELECT count(*) FROM organizations WHERE lower(subdomain) = $1 "
		    "AND deleted_at IS NULL", 1, P(sub)) == 1, "not exactly one organization %s", sub);
		EXPECT(c, db_count(c, "SELECT count(*) FROM memberships m JOIN organizations o ON "
		    "o.id = m.org_id WHERE lower(o.subdomain) = $1", 1, P(sub)) == 1,
		    "the losers left memberships behind");
	}
}

/* One user may create ORG_LIMIT_PER_USER organizations; a deleted one frees its place. */
static void t_create_limit(struct h_case *c)
{
	struct org o, first = { 0 };

	CHECK(c, people_ready, "no people (setup failed)");
	CHECK(c, org_limit >= 1 && org_limit <= 200, "ORG_LIMIT_PER_USER is %ld", org_limit);
	for (long i = 0; i < org_limit; i++) {
		CHECK(c, create_org(c, &U[U_LIMIT], "Limit", fresh_sub("limit"), &o), "create %ld", i);
		if (i == 0)
			first = o;
	}
	struct h_resp *r = SEND("POST", "/api/organizations", U[U_LIMIT].token, h_jbody("name",
	    "One too many", "subdomain", fresh_sub("limit"), NULL));
	h_expect_err_msg(c, r, 409, "conflict", h_printf("You have reached the limit of %ld organizations",
	    org_limit), "one more than the limit");
	CHECK(c, expect_ok(c, SEND("DELETE", h_printf("/api/organizations/%s", first.id),
	    U[U_LIMIT].token, NULL), 200, "Organization deleted successfully", "delete one"), "delete");
	CHECK(c, create_org(c, &U[U_LIMIT], "Limit again", fresh_sub("limit"), &o),
	    "a deleted organization frees its place");
	/* a super admin has no limit: safix has created more than that already */
	r = SEND("POST", "/api/organizations", U[U_SAFIX].token, h_jbody("name", "Super",
	    "subdomain", fresh_sub("super"), NULL));
	expect_ok(c, r, 201, "Organization created successfully", "a super admin's create");
}

/* ==================================================== update: partial, settings merged */

static void expect_settings(struct h_case *c, struct h_resp *r, const char *want,
    const char *what)
{
	struct json_object *w = json_tokener_parse(want), *got = h_jget(r->json, "data.settings");

	EXPECT(c, w != NULL && json_object_equal(got, w), "%s: settings are %s, expected %s", what,
	    got ? jtext(got) : "absent", want);
	json_object_put(w);
}

#define DEFAULT_SETTINGS(theme, lang, tz, w, a, p, n) "{\"theme\":\"" theme "\",\"language\":\"" \
	lang "\",\"timezone\":\"" tz "\",\"features\":{\"webtoons\":" w ",\"analytics\":" a \
	",\"payments\":" p ",\"notifications\":" n "}}"

static void t_settings_merge(struct h_case *c)
{
	struct h_resp *r;
	const char *sub = fresh_sub("settings"), *path;

	CHECK(c, people_ready, "no people (setup failed)");
	r = SEND("POST", "/api/organizations", U[U_ADMIN].token, h_printf("{\"name\":\"Settings\","
	    "\"subdomain\":\"%s\"}", sub));
	CHECK(c, expect_ok(c, r, 201, "Organization created successfully", "create"), "create");
	expect_settings(c, r, DEFAULT_SETTINGS("light", "mn", "Asia/Ulaanbaatar", "true", "true",
	    "true", "true"), "the defaults");
	EXPECT(c, str_is(h_jstr(r->json, "data.status"), "pending") &&
	    str_is(h_jstr(r->json, "data.subscription.plan"), "free") &&
	    h_jtrue(r->json, "data.subscription.isActive"), "a new organization: %s", h_brief(r));
	path = h_printf("/api/organizations/%s", h_jstr(r->json, "data._id"));
	expect_ok(c, SEND("DELETE", path, U[U_ADMIN].token, NULL), 200,
	    "Organization deleted successfully", "delete");

	/* given settings are merged over the defaults */
	r = SEND("POST", "/api/organizations", U[U_ADMIN].token, h_printf("{\"name\":\"Settings\","
	    "\"subdomain\":\"%s\",\"domain\":\"Comics.Example.COM\",\"settings\":{\"theme\":"
	    "\"dark\",\"features\":{\"payments\":false}}}", fresh_sub("settings")));
	CHECK(c, expect_ok(c, r, 201, "Organization created successfully", "create"), "create");
	expect_settings(c, r, DEFAULT_SETTINGS("dark", "mn", "Asia/Ulaanbaatar", "true", "true",
	    "false", "true"), "created with theme and one feature");
	EXPECT(c, str_is(h_jstr(r->json, "data.domain"), "comics.example.com"),
	    "domain not stored lower-case: %s", h_brief(r));
	const char *id = h_strdup(h_jstr(r->json, "data._id")), *name = "Settings";
	const char *subd = h_strdup(h_jstr(r->json, "data.subdomain"));
	path = h_printf("/api/organizations/%s", id);

	/* one feature: the others and the other settings stay (D37) */
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"settings\":{\"features\":{\"analytics\":false}}}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "one feature"))
		expect_settings(c, r, DEFAULT_SETTINGS("dark", "mn", "Asia/Ulaanbaatar", "true",
		    "false", "false", "true"), "after one feature");
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"settings\":{\"language\":\"en\"}}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "language"))
		expect_settings(c, r, DEFAULT_SETTINGS("dark", "en", "Asia/Ulaanbaatar", "true",
		    "false", "false", "true"), "after the language");
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"settings\":{\"timezone\":\"Europe/Berlin\","
	    "\"features\":{\"webtoons\":false,\"analytics\":true}}}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "time zone and features"))
		expect_settings(c, r, DEFAULT_SETTINGS("dark", "en", "Europe/Berlin", "false", "true",
		    "false", "true"), "after time zone and two features");
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"settings\":{\"timezone\":\"UTC\"}}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "UTC"))
		EXPECT(c, str_is(h_jstr(r->json, "data.settings.timezone"), "UTC"), "%s", h_brief(r));

	/* partial: a name alone changes nothing else (D37: name and subdomain not required) */
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"name\":\"Renamed\"}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "name alone")) {
		EXPECT(c, str_is(h_jstr(r->json, "data.name"), "Renamed") &&
		    str_is(h_jstr(r->json, "data.subdomain"), subd) &&
		    str_is(h_jstr(r->json, "data.domain"), "comics.example.com") &&
		    str_is(h_jstr(r->json, "data.status"), "pending"), "after a name alone: %s",
		    h_brief(r));
		expect_settings(c, r, DEFAULT_SETTINGS("dark", "en", "UTC", "false", "true", "false",
		    "true"), "after a name alone");
	}
	(void)name;
	r = SEND("PUT", path, U[U_ADMIN].token, "{}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "an empty update"))
		EXPECT(c, str_is(h_jstr(r->json, "data.name"), "Renamed"), "%s", h_brief(r));
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"domain\":null}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "domain null"))
		EXPECT(c, h_jget(r->json, "data.domain") == NULL &&
		    str_is(h_jstr(r->json, "data.name"), "Renamed"), "domain not cleared: %s",
		    h_brief(r));
	expect_audit(c, id, U[U_ADMIN].id, "organization_updated", id,
	    "metadata = '{\"changes\":{\"name\":\"Renamed\"}}'::jsonb");

	/* a new subdomain: the old one is free at once; a taken or reserved one is refused */
	const char *nsub = fresh_sub("moved");
	r = SEND("PUT", path, U[U_ADMIN].token, h_jbody("subdomain", nsub, NULL));
	if (expect_ok(c, r, 200, "Organization updated successfully", "new subdomain"))
		EXPECT(c, str_is(h_jstr(r->json, "data.subdomain"), nsub), "%s", h_brief(r));
	r = GET(h_printf("/api/organizations/check-subdomain/%s", subd), NULL);
	EXPECT(c, r->status == 200 && h_jtrue(r->json, "data.available"), "the old subdomain is "
	    "not free: %s", h_brief(r));
	r = SEND("PUT", path, U[U_ADMIN].token, h_jbody("subdomain", A.sub ? A.sub : "x", NULL));
	h_expect_err_msg(c, r, 409, "conflict", "Subdomain already exists", "A's subdomain");
	r = SEND("PUT", path, U[U_ADMIN].token, "{\"subdomain\":\"WWW\"}");
	expect_invalid(c, r, "a reserved subdomain", "subdomain", SUB_RESERVED, NULL);
	EXPECT(c, str_is(db_one(c, "SELECT subdomain FROM organizations WHERE id = $1::uuid", 1,
	    P(id)), nsub), "a refused update changed the subdomain");
	r = SEND("PUT", path, U[U_ADMIN].token, h_jbody("subdomain", h_printf("X%s", nsub + 1), NULL));
	expect_ok(c, r, 200, "Organization updated successfully", "its own subdomain, in another case");
}

/* ==================================================== validation */

struct vrow {
	const char *label, *method, *path, *body, *ctype;
	long status;              /* 400 validation_failed unless another */
	const char *errs[8];      /* field, message pairs (validation_failed) or the message */
};
#define J "application/json"
static const struct vrow vrows[] = {
	{ "create_empty_object", "POST", "/api/organizations", "{}", J, 400,
	  { "name", "\"name\" is required", "subdomain", "\"subdomain\" is required" } },
	{ "create_no_body", "POST", "/api/organizations", NULL, NULL, 400,
	  { "", "\"value\" must be of type object" } },
	{ "create_array", "POST", "/api/organizations", "[]", J, 400,
	  { "", "\"value\" must be of type object" } },
	{ "create_every_error_at_once", "POST", "/api/organizations",
	  "{\"name\":\"a\",\"subdomain\":\"ab\",\"domain\":\"localhost\",\"status\":\"active\"}",
	  J, 400,
	  { "name", "\"name\" length must be at least 2 characters long",
	    "subdomain", SUB_SHORT, "domain", "\"domain\" must contain a valid domain name",
	    "status", "\"status\" is not allowed" } },
	{ "create_bad_settings", "POST", "/api/organizations",
	  "{\"name\":\"Ok name\",\"subdomain\":\"fine{tag}\",\"settings\":{\"theme\":\"blue\","
	  "\"language\":\"eng\",\"timezone\":\"Mars/Olympus\",\"features\":{\"webtoons\":\"yes\""
	  "}}}", J, 400,
	  { "settings.theme", "\"settings.theme\" must be one of [light, dark]",
	    "settings.language", "\"settings.language\" must be a two-letter lower-case language code",
	    "settings.timezone", "\"settings.timezone\" must be an IANA time zone name (e.g. "
	    "Asia/Ulaanbaatar)",
	    "settings.features.webtoons", "\"settings.features.webtoons\" must be a boolean" } },
	{ "create_unknown_keys", "POST", "/api/organizations",
	  "{\"name\":\"Ok name\",\"subdomain\":\"fine{tag}\",\"plan\":\"enterprise\","
	  "\"settings\":{\"font\":\"x\",\"features\":{\"comics\":true}}}", J, 400,
	  { "plan", "\"plan\" is not allowed", "settings.font", "\"settings.font\" is not allowed",
	    "settings.features.comics", "\"settings.features.comics\" is not allowed" } },
	{ "create_reserved_and_bad_name", "POST", "/api/organizations",
	  "{\"name\":\"a\",\"subdomain\":\"www\"}", J, 400,
	  { "name", "\"name\" length must be at least 2 characters long", "subdomain",
	    SUB_RESERVED } },
	{ "create_name_101", "POST", "/api/organizations", "{\"name\":\"{n101}\","
	  "\"subdomain\":\"fine{tag}\"}", J, 400,
	  { "name", "\"name\" length must be less than or equal to 100 characters long" } },
	{ "create_name_spaces", "POST", "/api/organizations", "{\"name\":\"   \","
	  "\"subdomain\":\"fine{tag}\"}", J, 400,
	  { "name", "\"name\" is not allowed to be empty" } },
	{ "create_timezone_path", "POST", "/api/organizations", "{\"name\":\"Ok name\","
	  "\"subdomain\":\"fine{tag}\",\"settings\":{\"timezone\":\"../../../etc/passwd\"}}", J, 400,
	  { "settings.timezone", "\"settings.timezone\" must be an IANA time zone name (e.g. "
	    "Asia/Ulaanbaatar)" } },
	{ "create_timezone_posix_dir", "POST", "/api/organizations", "{\"name\":\"Ok name\","
	  "\"subdomain\":\"fine{tag}\",\"settings\":{\"timezone\":\"posix/UTC\"}}", J, 400,
	  { "settings.timezone", "\"settings.timezone\" must be an IANA time zone name (e.g. "
	    "Asia/Ulaanbaatar)" } },
	{ "create_timezone_localtime", "POST", "/api/organizations", "{\"name\":\"Ok name\","
	  "\"subdomain\":\"fine{tag}\",\"settings\":{\"timezone\":\"localtime\"}}", J, 400,
	  { "settings.timezone", "\"settings.timezone\" must be an IANA time zone name (e.g. "
	    "Asia/Ulaanbaatar)" } },
	{ "create_timezone_directory", "POST", "/api/organizations", "{\"name\":\"Ok name\","
	  "\"subdomain\":\"fine{tag}\",\"settings\":{\"timezone\":\"Asia\"}}", J, 400,
	  { "settings.timezone", "\"settings.timezone\" must be an IANA time zone name (e.g. "
	    "Asia/Ulaanbaatar)" } },
	{ "create_settings_null", "POST", "/api/organizations", "{\"name\":\"Ok name\","
	  "\"subdomain\":\"fine{tag}\",\"settings\":null}", J, 400,
	  { "settings", "\"settings\" must be of type object" } },
	{ "create_malformed_json", "POST", "/api/organizations", "{\"name\":", J, 400,
	  { NULL } },
	{ "create_not_json", "POST", "/api/organizations", "name=x&subdomain=y",
	  "application/x-www-form-urlencoded", 415, { "Content-Type must be application/json" } },
	{ "update_bad_fields", "PUT", "/api/organizations/{a}",
	  "{\"name\":\"\",\"subdomain\":\"a_b\",\"settings\":{\"features\":[]},\"plan\":1}", J, 400,
	  { "name", "\"name\" is not allowed to be empty", "subdomain", SUB_CHARS,
	    "settings.features", "\"settings.features\" must be of type object",
	    "plan", "\"plan\" is not allowed" } },
	{ "update_status_unknown", "PUT", "/api/organizations/{a}", "{\"status\":\"gone\"}", J, 400,
	  { "status", "\"status\" must be one of [pending, active, suspended, inactive]" } },
	{ "status_missing", "PUT", "/api/organizations/{a}/status", "{}", J, 400,
	  { "status", "\"status\" is required" } },
	{ "status_unknown", "PUT", "/api/organizations/{a}/status", "{\"status\":\"closed\"}", J, 400,
	  { "status", "\"status\" must be one of [pending, active, suspended, inactive]" } },
	{ "add_member_empty", "POST", "/api/organizations/{a}/users", "{}", J, 400,
	  { "userEmail", "\"userEmail\" is required", "role", "\"role\" is required" } },
	{ "add_member_missing_role", "POST", "/api/organizations/{a}/users",
	  "{\"userEmail\":\"{newbie}\"}", J, 400, { "role", "\"role\" is required" } },
	{ "add_member_unknown_role", "POST", "/api/organizations/{a}/users",
	  "{\"userEmail\":\"{newbie}\",\"role\":\"owner\"}", J, 400,
	  { "role", "\"role\" must be one of [admin, moderator, user, viewer]" } },
	{ "add_member_bad_email_and_role", "POST", "/api/organizations/{a}/users",
	  "{\"userEmail\":\"not-an-email\",\"role\":\"super_admin\",\"extra\":1}", J, 400,
	  { "userEmail", "\"userEmail\" must be a valid email",
	    "role", "\"role\" must be one of [admin, moderator, user, viewer]",
	    "extra", "\"extra\" is not allowed" } },
	{ "add_member_role_not_string", "POST", "/api/organizations/{a}/users",
	  "{\"userEmail\":\"{newbie}\",\"role\":null}", J, 400,
	  { "role", "\"role\" must be a string" } },
	{ "set_role_missing", "PUT", "/api/organizations/{a}/users/{viewer}/role", "{}", J, 400,
	  { "role", "\"role\" is required" } },
	{ "set_role_unknown", "PUT", "/api/organizations/{a}/users/{viewer}/role",
	  "{\"role\":\"Admin\"}", J, 400,
	  { "role", "\"role\" must be one of [admin, moderator, user, viewer]" } },
	{ "set_role_not_string", "PUT", "/api/organizations/{a}/users/{viewer}/role",
	  "{\"role\":5}", J, 400, { "role", "\"role\" must be a string" } },
	{ "bad_organization_id", "GET", "/api/organizations/not-a-uuid/users", NULL, NULL, 400,
	  { "Invalid organizationId" } },
	{ "bad_user_id", "DELETE", "/api/organizations/{a}/users/12345", NULL, NULL, 400,
	  { "Invalid userId" } },
};
#define NVROWS (sizeof(vrows) / sizeof(vrows[0]))
static const char *vnames[NVROWS];

static void t_validation(struct h_case *c, const void *arg)
{
	const struct vrow *v = arg;
	const char *token = U[U_ADMIN].token, *path, *body, *before;
	struct h_resp *r;

	CHECK(c, A.id != NULL, "no organization A (setup failed)");
	path = subst(v->path, "a", A.id, "viewer", U[U_VIEWER].id, NULL);
	body = v->body ? subst(v->body, "tag", tag, "newbie", U[U_NEWBIE].email, "n101",
	    h_repeat("n", 101), NULL) : NULL;
	before = fingerprint(c, A.id);
	r = req(&(struct rq){ .method = v->method, .path = path, .token = token, .body = body,
	    .ctype = v->ctype });
	if (v->status == 400 && v->errs[0] != NULL && v->errs[1] != NULL) {
		expect_invalid(c, r, v->label, v->errs[0], v->errs[1], v->errs[2], v->errs[3],
		    v->errs[4], v->errs[5], v->errs[6], v->errs[7], NULL);
	} else {
		const char *code = v->status == 415 ? "unsupported_media_type" : "bad_request";

		h_expect_err_msg(c, r, v->status, code, v->errs[0], v->label);
		if (v->errs[0] == NULL)
			EXPECT(c, strncmp(h_jstr(r->json, "message") ? h_jstr(r->json, "message") : "",
			    "Malformed JSON", 14) == 0, "message: %s", h_brief(r));
	}
	EXPECT(c, str_is(fingerprint(c, A.id), before), "a refused request changed A");
}

/* ==================================================== status and suspension */

static void t_status(struct h_case *c)
{
	struct org o;
	struct h_resp *r;
	const char *path, *spath, *before;

	CHECK(c, people_ready, "no people (setup failed)");
	CHECK(c, create_org(c, &U[U_STATUS], "Status", fresh_sub("status"), &o), "create");
	CHECK(c, add_member(c, &U[U_STATUS], &o, &U[U_MOD], "moderator") &&
	    add_member(c, &U[U_STATUS], &o, &U[U_VIEWER], "viewer") &&
	    add_member(c, &U[U_STATUS], &o, &U[U_USER], "user"), "members");
	path = h_printf("/api/organizations/%s", o.id);
	spath = h_printf("/api/organizations/%s/status", o.id);
	before = fingerprint(c, o.id);
	/* only a super admin: not the organization's own admin, by either route */
	h_expect_err_msg(c, SEND("PUT", spath, U[U_STATUS].token, "{\"status\":\"active\"}"), 403,
	    "forbidden", ONLY_SUPER, "the admin's PUT .../status");
	h_expect_err_msg(c, SEND("PUT", path, U[U_STATUS].token, "{\"status\":\"active\"}"), 403,
	    "forbidden", ONLY_SUPER, "the admin's PUT with status");
	h_expect_err_msg(c, SEND("PUT", path, U[U_STATUS].token, "{\"name\":\"Sneaky\",\"status\":"
	    "\"active\"}"), 403, "forbidden", ONLY_SUPER, "the admin's PUT with a name and status");
	h_expect_err_msg(c, SEND("PUT", spath, U[U_MOD].token, "{\"status\":\"active\"}"), 403,
	    "forbidden", ONLY_SUPER, "the moderator's PUT .../status");
	EXPECT(c, str_is(fingerprint(c, o.id), before), "a refused status change changed something");
	/* a pending organization is not found by subdomain */
	h_expect_err_msg(c, GET(h_printf("/api/organizations/subdomain/%s", o.sub), NULL), 404,
	    "not_found", "Organization not found", "a pending organization by subdomain");

	/* pending → active → suspended → active → inactive; never back to pending */
	r = SEND("PUT", spath, U[U_SA].token, "{\"status\":\"active\"}");
	if (expect_ok(c, r, 200, "Organization status updated successfully", "activate"))
		EXPECT(c, str_is(h_jstr(r->json, "data.status"), "active"), "%s", h_brief(r));
	expect_audit(c, o.id, U[U_SA].id, "organization_status_changed", o.id,
	    "metadata->>'status' = 'active'");
	r = GET(h_printf("/api/organizations/subdomain/%s", o.sub), NULL);
	if (expect_ok(c, r, 200, NULL, "an active organization by subdomain"))
		EXPECT(c, str_is(h_jstr(r->json, "data._id"), o.id), "%s", h_brief(r));
	r = GET(h_printf("/api/organizations/subdomain/%s", h_printf("%c%s", toupper(o.sub[0]),
	    o.sub + 1)), NULL);
	expect_ok(c, r, 200, NULL, "by subdomain in another case");
	r = SEND("PUT", path, U[U_SA].token, "{\"status\":\"suspended\"}");
	if (expect_ok(c, r, 200, "Organization updated successfully", "suspend by PUT"))
		EXPECT(c, str_is(h_jstr(r->json, "data.status"), "suspended"), "%s", h_brief(r));

	/* suspended: data routes refuse with a clear message; the organization itself stays
	 * readable and manageable, members may leave, the super admin passes */
	static const struct { const char *method, *path, *body; int who; } data[] = {
		{ "GET", "/api/organizations/{o}/users", NULL, U_STATUS },
		{ "POST", "/api/organizations/{o}/users", "{\"userEmail\":\"{e}\",\"role\":\"viewer\"}",
		  U_STATUS },
		{ "PUT", "/api/organizations/{o}/users/{v}/role", "{\"role\":\"user\"}", U_STATUS },
		{ "GET", "/api/organizations/{o}/users", NULL, U_MOD },
		{ "GET", "/api/_test/unscoped/{o}", NULL, U_VIEWER },
		{ "GET", "/api/webtoons/{o}", NULL, U_VIEWER },
		{ "POST", "/api/webtoons/{o}", "{\"title\":\"Suspended\"}", U_STATUS },
	};
	before = fingerprint(c, o.id);
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		h_expect_err_msg(c, SEND(data[i].method, subst(data[i].path, "o", o.id, "v", U[U_VIEWER].id,
		    NULL), U[data[i].who].token, data[i].body ? subst(data[i].body, "e",
		    U[U_NEWBIE].email, NULL) : NULL), 403, "forbidden", "Organization is suspended",
		    h_printf("%s %s in a suspended organization", data[i].method, data[i].path));
	EXPECT(c, str_is(fingerprint(c, o.id), before), "a refused request changed something");
	r = GET(path, U[U_VIEWER].token);
	if (expect_ok(c, r, 200, NULL, "GET a suspended organization"))
		EXPECT(c, str_is(h_jstr(r->json, "data.status"), "suspended"), "%s", h_brief(r));
	expect_ok(c, SEND("PUT", path, U[U_STATUS].token, "{\"name\":\"Still mine\"}"), 200,
	    "Organization updated successfully", "PUT a suspended organization");
	expect_ok(c, SEND("POST", h_printf("%s/leave", path), U[U_USER].token, NULL), 200,
	    "You left the organization", "leave a suspended organization");
	expect_ok(c, SEND("DELETE", h_printf("%s/users/%s", path, U[U_VIEWER].id), U[U_STATUS].token,
	    NULL), 200, "User removed from organization successfully", "remove a member of a "
	    "suspended organization");
	expect_ok(c, GET(h_printf("%s/users", path), U[U_SA].token), 200, NULL,
	    "a super admin reads a suspended organization's members");
	h_expect_err_msg(c, GET(h_printf("/api/organizations/subdomain/%s", o.sub), NULL), 404,
	    "not_found", "Organization not found", "a suspended organization by subdomain");
	r = GET("/api/organizations?limit=100", U[U_STATUS].token);
	EXPECT(c, r->status == 200 && list_has(h_jget(r->json, "data.data"), "_id", o.id),
	    "a suspended organization left its admin's list: %s", h_brief(r));

	h_expect_err_msg(c, SEND("PUT", spath, U[U_SA].token, "{\"status\":\"pending\"}"), 409,
	    "conflict", "An organization cannot return to pending (it is suspended)",
	    "back to pending");
	CHECK(c, set_status(c, &o, "active"), "reactivate");
	expect_ok(c, GET(h_printf("%s/users", path), U[U_STATUS].token), 200, NULL,
	    "members after reactivation");
	CHECK(c, set_status(c, &o, "inactive"), "inactive");
	h_expect_err_msg(c, GET(h_printf("%s/users", path), U[U_STATUS].token), 403, "forbidden",
	    "Organization is inactive", "members of an inactive organization");
	h_expect_err_msg(c, SEND("PUT", spath, U[U_SA].token, "{\"status\":\"pending\"}"), 409,
	    "conflict", "An organization cannot return to pending (it is inactive)",
	    "inactive back to pending");
	r = GET(h_printf("/api/organizations?status=inactive&limit=100"), U[U_SA].token);
	EXPECT(c, r->status == 200 && list_has(h_jget(r->json, "data.data"), "_id", o.id),
	    "?status=inactive of the super admin: %s", h_brief(r));
	r = GET(h_printf("/api/organizations?status=active&limit=100"), U[U_STATUS].token);
	EXPECT(c, r->status == 200 && !list_has(h_jget(r->json, "data.data"), "_id", o.id),
	    "?status=active shows an inactive organization: %s", h_brief(r));
	expect_invalid(c, GET("/api/organizations?status=closed", U[U_STATUS].token), "?status=closed",
	    "status", "\"status\" must be one of [pending, active, suspended, inactive]", NULL);
	/* every bad parameter named in one answer */
	expect_invalid(c, GET(h_printf("/api/organizations?page=0&limit=x&status=closed&search=%s",
	    h_repeat("z", 101)), U[U_STATUS].token), "every parameter of the list wrong",
	    "page", "\"page\" must be greater than or equal to 1",
	    "limit", "\"limit\" must be an integer",
	    "status", "\"status\" must be one of [pending, active, suspended, inactive]",
	    "search", "\"search\" length must be less than or equal to 100 characters long", NULL);
}

/* ==================================================== soft delete and purge */

static void t_soft_delete_and_purge(struct h_case *c)
{
	struct org o, again;
	struct h_resp *r;
	const char *path;
	char out[4096];
	int st;

	CHECK(c, people_ready, "no people (setup failed)");
	CHECK(c, create_org(c, &U[U_ADMIN], "Doomed", fresh_sub("doomed"), &o), "create");
	CHECK(c, add_member(c, &U[U_ADMIN], &o, &U[U_VIEWER], "viewer") &&
	    add_member(c, &U[U_ADMIN], &o, &U[U_MOD], "moderator"), "members");
	CHECK(c, set_status(c, &o, "active"), "activate");
	CHECK(c, content(c, &U[U_ADMIN], &o, &(const char *){ NULL }, &(const char *){ NULL }),
	    "content");
	path = h_printf("/api/organizations/%s", o.id);
	expect_ok(c, GET(h_printf("/api/organizations/subdomain/%s", o.sub), NULL), 200, NULL,
	    "by subdomain before");
	expect_ok(c, req(&(struct rq){ .host = tenant_host(o.sub), .path = "/api/public/webtoons" }),
	    200, NULL, "public reading on its host before");
	r = GET("/api/auth/profile", U[U_VIEWER].token);
	EXPECT(c, r->status == 200 && list_has(h_jget(r->json, "data.organizations"),
	    "organizationId._id", o.id), "not in the viewer's profile before: %s", h_brief(r));
	h_expect_err_msg(c, SEND("DELETE", path, U[U_MOD].token, NULL), 403, "forbidden", NP,
	    "a moderator's DELETE");
	CHECK(c, expect_ok(c, SEND("DELETE", path, U[U_ADMIN].token, NULL), 200,
	    "Organization deleted successfully", "DELETE"), "delete");
	expect_audit(c, o.id, U[U_ADMIN].id, "organization_deleted", o.id, NULL);

	/* gone from every API at once */
	for (int i = 0; i < 3; i++) {
		const struct user *u = &U[i == 0 ? U_ADMIN : i == 1 ? U_VIEWER : U_SA];

		h_expect_err_msg(c, GET(path, u->token), 404, "not_found", "Organization not found",
		    h_printf("GET as %s", u->label));
		h_expect_err_msg(c, GET(h_printf("%s/users", path), u->token), 404, "not_found",
		    "Organization not found", h_printf("members as %s", u->label));
		h_expect_err_msg(c, GET(h_printf("/api/webtoons/%s", o.id), u->token), 404, "not_found",
		    "Organization not found", h_printf("webtoons as %s", u->label));
		r = GET("/api/organizations?limit=100", u->token);
		EXPECT(c, r->status == 200 && !list_has(h_jget(r->json, "data.data"), "_id", o.id),
		    "still in the list of %s: %s", u->label, h_brief(r));
		r = GET(h_printf("/api/organizations?limit=100&search=%s", o.sub), u->token);
		EXPECT(c, r->status == 200 && !list_has(h_jget(r->json, "data.data"), "_id", o.id),
		    "still found by search for %s: %s", u->label, h_brief(r));
	}
	h_expect_err_msg(c, SEND("PUT", path, U[U_ADMIN].token, "{\"name\":\"Back\"}"), 404, "not_found",
	    "Organization not found", "PUT after delete");
	h_expect_err_msg(c, req(&(struct rq){ .host = tenant_host(o.sub), .path = "/api/public/webtoons" }),
	    404, "not_found", "Organization not found", "public reading on its host after delete");
	r = GET("/api/auth/profile", U[U_VIEWER].token);
	EXPECT(c, r->status == 200 && h_jget(r->json, "data.organizations") != NULL &&
	    !list_has(h_jget(r->json, "data.organizations"), "organizationId._id", o.id),
	    "still in the viewer's profile: %s", h_brief(r));
	h_expect_err_msg(c, SEND("DELETE", path, U[U_ADMIN].token, NULL), 404, "not_found",
	    "Organization not found", "DELETE twice");
	h_expect_err_msg(c, SEND("POST", h_printf("%s/users", path), U[U_ADMIN].token, h_jbody("userEmail",
	    U[U_NEWBIE].email, "role", "viewer", NULL)), 404, "not_found", "Organization not found",
	    "add a member after delete");
	h_expect_err_msg(c, SEND("PUT", h_printf("%s/status", path), U[U_SA].token, "{\"status\":"
	    "\"active\"}"), 404, "not_found", "Organization not found", "status after delete");
	h_expect_err_msg(c, GET(h_printf("/api/organizations/subdomain/%s", o.sub), NULL), 404, "not_found",
	    "Organization not found", "by subdomain after delete");
	r = GET(h_printf("/api/organizations/check-subdomain/%s", o.sub), NULL);
	EXPECT(c, r->status == 200 && h_jtrue(r->json, "data.available"), "the subdomain of a "
	    "deleted organization is not free: %s", h_brief(r));
	/* soft: the rows are still there until the purge */
	EXPECT(c, db_count(c, "SELECT count(*) FROM organizations WHERE id = $1::uuid AND "
	    "deleted_at IS NOT NULL", 1, P(o.id)) == 1 && db_count(c, "SELECT count(*) FROM "
	    "memberships WHERE org_id = $1::uuid", 1, P(o.id)) == 3, "not a soft delete");
	CHECK(c, create_org(c, &U[U_MOD], "Reborn", o.sub, &again), "the subdomain again");
	EXPECT(c, strcmp(again.id, o.id) != 0, "the same id again");

	/* the purge: not yet with the default age; with --older-than 0 it goes, with its rows */
	st = h_webixctl(c, "org purge", NULL, out, sizeof(out));
	EXPECT(c, st == 0 && strstr(out, "purged") != NULL, "org purge exited %d: %s", st, out);
	EXPECT(c, db_count(c, "SELECT count(*) FROM organizations WHERE id = $1::uuid", 1,
	    P(o.id)) == 1, "purged before its time (default: 30 days)");
	st = h_webixctl(c, "org purge --older-than 30", NULL, out, sizeof(out));
	EXPECT(c, st == 0 && db_count(c, "SELECT count(*) FROM organizations WHERE id = $1::uuid",
	    1, P(o.id)) == 1, "--older-than 30 exited %d or purged a new deletion: %s", st, out);
	st = h_webixctl(c, "org purge --older-than 0", NULL, out, sizeof(out));
	long gone = db_count(c, "SELECT count(*) FROM organizations WHERE deleted_at IS NOT NULL",
	    0, NULL);
	EXPECT(c, st == 0 && strstr(out, "purged ") != NULL, "org purge --older-than 0 exited "
	    "%d: %s", st, out);
	EXPECT(c, gone == 0, "%ld deleted organizations remain after --older-than 0", gone);
	EXPECT(c, db_count(c, "SELECT count(*) FROM organizations WHERE id = $1::uuid", 1,
	    P(o.id)) == 0, "the organization is still there");
	EXPECT(c, db_count(c, "SELECT count(*) FROM memberships WHERE org_id = $1::uuid", 1,
	    P(o.id)) == 0, "its memberships are still there");
	EXPECT(c, db_count(c, "SELECT count(*) FROM webtoons WHERE org_id = $1::uuid", 1,
	    P(o.id)) == 0 && db_count(c, "SELECT count(*) FROM episodes WHERE org_id = $1::uuid", 1,
	    P(o.id)) == 0, "its content is still there");
	/* its audit trail stays, still naming it (sql/013), and the purge is in it */
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE resource_id = $1 AND "
	    "action = 'organization_deleted' AND org_id = $1::uuid", 1, P(o.id)) == 1,
	    "the audit trail of the purged organization lost it (org_id cleared or row gone)");
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE org_id = $1::uuid AND "
	    "action = 'organization_purged' AND resource = 'organization' AND resource_id = org_id::text "
	    "AND user_id IS NULL AND metadata->>'subdomain' = $2 AND "
	    "(metadata->>'olderThanDays')::int = 0 AND metadata ? 'deletedAt'", 2,
	    P(o.id, o.sub)) == 1, "no organization_purged audit row for the purged organization");
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE action = 'organization_purged' "
	    "AND org_id = $1::uuid", 1, P(again.id)) == 0, "the live organization has a purge row");
	EXPECT(c, db_count(c, "SELECT count(*) FROM organizations WHERE id = $1::uuid AND "
	    "deleted_at IS NULL", 1, P(again.id)) == 1, "the live organization was purged");
	expect_ok(c, GET(h_printf("/api/organizations/%s", again.id), U[U_MOD].token), 200, NULL,
	    "the live organization after the purge");
	/* usage errors */
	st = h_webixctl(c, "org purge --older-than abc", NULL, out, sizeof(out));
	EXPECT(c, st == 2, "--older-than abc exited %d: %s", st, out);
	st = h_webixctl(c, "org purge --older-than -1", NULL, out, sizeof(out));
	EXPECT(c, st == 2, "--older-than -1 exited %d: %s", st, out);
	st = h_webixctl(c, "org", NULL, out, sizeof(out));
	EXPECT(c, st == 2, "`webixctl org` exited %d: %s", st, out);
}

/* ==================================================== members: admin rules (D7) */

static void t_last_admin_and_moderators(struct h_case *c)
{
	struct org o;
	struct h_resp *r;
	const char *base, *before;

	CHECK(c, people_ready, "no people (setup failed)");
	CHECK(c, create_org(c, &U[U_LA1], "Admins", fresh_sub("admins"), &o), "create");
	base = h_printf("/api/organizations/%s", o.id);
#define MEMBER(u) h_printf("%s/users/%s", base, U[u].id)
#define ROLE(u) h_printf("%s/users/%s/role", base, U[u].id)
	EXPECT(c, str_is(member_role(c, o.id, U[U_LA1].id), "admin"), "the creator is not admin");
	expect_audit(c, o.id, U[U_LA1].id, "organization_created", o.id, NULL);

	/* the only admin can neither leave, nor be removed, nor be demoted — by anyone */
	before = fingerprint(c, o.id);
	h_expect_err_msg(c, SEND("POST", h_printf("%s/leave", base), U[U_LA1].token, NULL), 409,
	    "conflict", "The last admin of an organization cannot be removed", "the last admin leaves");
	h_expect_err_msg(c, SEND("DELETE", MEMBER(U_LA1), U[U_LA1].token, NULL), 409, "conflict",
	    "The last admin of an organization cannot be removed", "the last admin removes itself");
	h_expect_err_msg(c, SEND("PUT", ROLE(U_LA1), U[U_LA1].token, "{\"role\":\"moderator\"}"), 409,
	    "conflict", "The last admin of an organization cannot be demoted",
	    "the last admin demotes itself");
	h_expect_err_msg(c, SEND("DELETE", MEMBER(U_LA1), U[U_SA].token, NULL), 409, "conflict",
	    "The last admin of an organization cannot be removed", "a super admin removes it");
	h_expect_err_msg(c, SEND("PUT", ROLE(U_LA1), U[U_SA].token, "{\"role\":\"viewer\"}"), 409,
	    "conflict", "The last admin of an organization cannot be demoted",
	    "a super admin demotes it");
	EXPECT(c, str_is(fingerprint(c, o.id), before), "a refused change changed something");
	r = SEND("PUT", ROLE(U_LA1), U[U_LA1].token, "{\"role\":\"admin\"}");
	expect_ok(c, r, 200, "User role updated successfully", "admin to admin (no change)");

	/* members by email; the role decides the permissions, `permissions` is ignored */
	r = SEND("POST", h_printf("%s/users", base), U[U_LA1].token, h_printf("{\"userEmail\":"
	    "\"%s\",\"role\":\"user\",\"permissions\":[\"org:delete\",\"user:delete\"]}",
	    U[U_LA2].email));
	if (expect_ok(c, r, 201, "User added to organization successfully", "add la2")) {
		struct json_object *perms = h_jget(r->json, "data.permissions");

		EXPECT(c, str_is(h_jstr(r->json, "data.role"), "user") &&
		    json_object_array_length(perms) == 4 && !strstr(jtext(perms), "delete"),
		    "a user's permissions: %s", h_brief(r));
		EXPECT(c, str_is(h_jstr(r->json, "data.organizationId"), o.id) &&
		    str_is(h_jstr(r->json, "data.userId"), U[U_LA2].id), "%s", h_brief(r));
	}
	expect_audit(c, o.id, U[U_LA1].id, "user_added_to_organization", U[U_LA2].id, h_printf(
	    "metadata = '{\"role\":\"user\",\"userEmail\":\"%s\"}'::jsonb", U[U_LA2].email));
	r = SEND("POST", h_printf("%s/users", base), U[U_LA1].token, h_jbody("userEmail",
	    h_printf("  %s  ", U[U_LA3].email), "role", "moderator", NULL));
	expect_ok(c, r, 201, "User added to organization successfully", "add la3 (email trimmed)");
	r = SEND("POST", h_printf("%s/users", base), U[U_LA1].token, h_jbody("userEmail",
	    h_printf("E2E-ORG-LA2-%s@EXAMPLE.COM", tag), "role", "viewer", NULL));
	h_expect_err_msg(c, r, 409, "conflict", "User is already in this organization",
	    "add la2 again (email in upper case)");
	h_expect_err_msg(c, SEND("POST", h_printf("%s/users", base), U[U_LA1].token, h_jbody("userEmail",
	    h_printf("nobody-%s@example.com", tag), "role", "viewer", NULL)), 404, "not_found",
	    "User not found", "add an unknown email");
	h_expect_err_msg(c, SEND("DELETE", MEMBER(U_NEWBIE), U[U_LA1].token, NULL), 404, "not_found",
	    "User is not in this organization", "remove a non-member");
	h_expect_err_msg(c, SEND("PUT", ROLE(U_NEWBIE), U[U_LA1].token, "{\"role\":\"user\"}"), 404,
	    "not_found", "User is not in this organization", "the role of a non-member");

	/* a moderator cannot grant or touch admin */
	before = fingerprint(c, o.id);
	h_expect_err_msg(c, SEND("POST", h_printf("%s/users", base), U[U_LA3].token, h_jbody("userEmail",
	    U[U_NEWBIE].email, "role", "admin", NULL)), 403, "forbidden",
	    "Only an admin can grant the admin role", "a moderator adds an admin");
	h_expect_err_msg(c, SEND("PUT", ROLE(U_LA2), U[U_LA3].token, "{\"role\":\"admin\"}"), 403,
	    "forbidden", "Only an admin can grant or change the admin role",
	    "a moderator promotes to admin");
	h_expect_err_msg(c, SEND("PUT", ROLE(U_LA3), U[U_LA3].token, "{\"role\":\"admin\"}"), 403,
	    "forbidden", "Only an admin can grant or change the admin role",
	    "a moderator promotes itself");
	h_expect_err_msg(c, SEND("PUT", ROLE(U_LA1), U[U_LA3].token, "{\"role\":\"viewer\"}"), 403,
	    "forbidden", "Only an admin can grant or change the admin role",
	    "a moderator demotes the admin");
	h_expect_err_msg(c, SEND("DELETE", MEMBER(U_LA1), U[U_LA3].token, NULL), 403, "forbidden",
	    NP, "a moderator removes the admin");
	h_expect_err_msg(c, SEND("DELETE", MEMBER(U_LA2), U[U_LA3].token, NULL), 403, "forbidden",
	    NP, "a moderator removes a user");
	EXPECT(c, str_is(fingerprint(c, o.id), before), "a refused change changed something");
	/* ... but manages the other roles */
	r = SEND("PUT", ROLE(U_LA2), U[U_LA3].token, "{\"role\":\"viewer\"}");
	if (expect_ok(c, r, 200, "User role updated successfully", "a moderator demotes a user"))
		EXPECT(c, str_is(h_jstr(r->json, "data.role"), "viewer") &&
		    json_object_array_length(h_jget(r->json, "data.permissions")) == 3,
		    "%s", h_brief(r));
	expect_audit(c, o.id, U[U_LA3].id, "user_role_updated", U[U_LA2].id,
	    "metadata = '{\"newRole\":\"viewer\"}'::jsonb");
	expect_ok(c, SEND("POST", h_printf("%s/users", base), U[U_LA3].token, h_jbody("userEmail",
	    U[U_NEWBIE].email, "role", "moderator", NULL)), 201,
	    "User added to organization successfully", "a moderator adds a moderator");
	expect_ok(c, SEND("POST", h_printf("%s/leave", base), U[U_NEWBIE].token, NULL), 200,
	    "You left the organization", "a moderator leaves");
	expect_audit(c, o.id, U[U_NEWBIE].id, "user_left_organization", U[U_NEWBIE].id, NULL);
	h_expect_err_msg(c, SEND("POST", h_printf("%s/leave", base), U[U_NEWBIE].token, NULL), 404,
	    "not_found", "Organization not found", "leave twice");

	/* with a second admin the first may go; then the second is the last */
	r = SEND("PUT", ROLE(U_LA2), U[U_LA1].token, "{\"role\":\"admin\"}");
	expect_ok(c, r, 200, "User role updated successfully", "promote la2");
	expect_ok(c, SEND("PUT", ROLE(U_LA1), U[U_LA2].token, "{\"role\":\"moderator\"}"), 200,
	    "User role updated successfully", "demote la1 (another admin remains)");
	expect_ok(c, SEND("PUT", ROLE(U_LA1), U[U_LA2].token, "{\"role\":\"admin\"}"), 200,
	    "User role updated successfully", "promote la1 again");
	expect_ok(c, SEND("POST", h_printf("%s/leave", base), U[U_LA1].token, NULL), 200,
	    "You left the organization", "la1 leaves");
	expect_audit(c, o.id, U[U_LA1].id, "user_left_organization", U[U_LA1].id, NULL);
	h_expect_err_msg(c, SEND("PUT", ROLE(U_LA2), U[U_LA2].token, "{\"role\":\"user\"}"), 409,
	    "conflict", "The last admin of an organization cannot be demoted",
	    "la2 is the last admin now");
	expect_ok(c, SEND("DELETE", MEMBER(U_LA3), U[U_LA2].token, NULL), 200,
	    "User removed from organization successfully", "the admin removes the moderator");
	expect_audit(c, o.id, U[U_LA2].id, "user_removed_from_organization", U[U_LA3].id, NULL);
	h_expect_err_msg(c, GET(base, U[U_LA3].token), 404, "not_found", "Organization not found",
	    "a removed member");
	h_expect_err_msg(c, GET(base, U[U_LA1].token), 404, "not_found", "Organization not found",
	    "a member who left");
	/* an inactive membership is no membership */
	expect_ok(c, SEND("POST", h_printf("%s/users", base), U[U_LA2].token, h_jbody("userEmail",
	    U[U_LA3].email, "role", "viewer", NULL)), 201, "User added to organization successfully",
	    "add la3 again");
	PQclear(dbx(c, "UPDATE memberships SET is_active = false WHERE org_id = $1::uuid AND "
	    "user_id = $2::uuid", 2, P(o.id, U[U_LA3].id)));
	h_expect_err_msg(c, GET(base, U[U_LA3].token), 404, "not_found", "Organization not found",
	    "an inactive membership");
	r = GET("/api/organizations", U[U_LA3].token);
	EXPECT(c, r->status == 200 && !list_has(h_jget(r->json, "data.data"), "_id", o.id),
	    "an inactive membership lists the organization: %s", h_brief(r));
#undef MEMBER
#undef ROLE
}

/* Requests sent at once (after a barrier), one thread each: their statuses. */
struct together {
	pthread_t th;
	pthread_barrier_t *go;
	struct rq q;
	long status;
};

static void *together_run(void *arg)
{
	struct together *t = arg;
	CURL *h = h_curl_new();
	struct h_resp r;

	perform(h, &(struct rq){ .path = "/api/health" }, &r);   /* connect first */
	h_resp_free(&r);
	pthread_barrier_wait(t->go);
	perform(h, &t->q, &r);
	t->status = r.status;
	h_resp_free(&r);
	curl_easy_cleanup(h);
	return NULL;
}

static int all_at_once(struct together *t, int n)
{
	pthread_barrier_t go;
	int started = 0;

	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		t[i].go = &go;
		if (pthread_create(&t[i].th, NULL, together_run, &t[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i].th, NULL);
	pthread_barrier_destroy(&go);
	return started == n;
}

/* Two admins demote (or remove) each other at the same moment: one wins, one is refused,
 * an admin always remains (the organization row is locked first). */
static void t_concurrent_admin_changes(struct h_case *c)
{
	struct org o;
	const char *x = U[U_STATUS].id, *y = U[U_LA1].id;

	CHECK(c, people_ready, "no people (setup failed)");
	CHECK(c, create_org(c, &U[U_STATUS], "Two admins", fresh_sub("twoadmins"), &o), "create");
	CHECK(c, add_member(c, &U[U_STATUS], &o, &U[U_LA1], "admin"), "second admin");
	for (int round = 0; round < 4; round++) {
		struct together t[2];
		int demote = round % 2 == 0;

		for (int i = 0; i < 2; i++)
			t[i] = (struct together){ .q = {
			    .method = demote ? "PUT" : "DELETE",
			    .path = h_printf(demote ? "/api/organizations/%s/users/%s/role" :
			    "/api/organizations/%s/users/%s", o.id, i ? x : y),
			    .token = U[i ? U_LA1 : U_STATUS].token,
			    .body = demote ? "{\"role\":\"viewer\"}" : NULL } };
		CHECK(c, all_at_once(t, 2), "threads");
		/* the loser is refused: 409 (last admin), 403 (no longer an admin) or 404 (no
		 * longer a member) depending on how far it got before the winner committed */
		long lose = t[0].status == 200 ? t[1].status : t[0].status;
		EXPECT(c, (t[0].status == 200) + (t[1].status == 200) == 1 && (lose == 409 ||
		    lose == 403 || lose == 404), "round %d (%s each other): %ld and %ld", round,
		    demote ? "demote" : "remove", t[0].status, t[1].status);
		CHECK(c, db_count(c, "SELECT count(*) FROM memberships WHERE org_id = $1::uuid AND "
		    "role = 'admin'", 1, P(o.id)) == 1, "round %d: not exactly one admin left", round);
		/* the survivor makes the other an admin again */
		const char *winner = str_is(member_role(c, o.id, x), "admin") ? x : y;
		const struct user *w = &U[winner == x ? U_STATUS : U_LA1], *l = &U[winner == x ?
		    U_LA1 : U_STATUS];
		struct h_resp *r = member_role(c, o.id, l->id) ?
		    SEND("PUT", h_printf("/api/organizations/%s/users/%s/role", o.id, l->id), w->token,
		    "{\"role\":\"admin\"}") : SEND("POST", h_printf("/api/organizations/%s/users", o.id),
		    w->token, h_jbody("userEmail", l->email, "role", "admin", NULL));
		CHECK(c, r->status == 200 || r->status == 201, "restore the second admin: %s",
		    h_brief(r));
	}
}

/* A moderator is removed while its request waits for the organization's lock: once it
 * gets the lock it is no member, and may do nothing (least of all grant admin). The test
 * holds the lock itself (as the owner), sees the request wait, removes the moderator,
 * then lets go. */
static void t_removed_while_waiting(struct h_case *c)
{
	struct org o;
	struct together t[1];
	pthread_t th;
	const char *xid;
	long waiting = 0;

	CHECK(c, people_ready && db != NULL, "no people or database (setup failed)");
	CHECK(c, create_org(c, &U[U_STATUS], "Lock wait", fresh_sub("lockwait"), &o), "create");
	CHECK(c, add_member(c, &U[U_STATUS], &o, &U[U_LA3], "moderator"), "moderator");
	PQclear(dbx(c, "BEGIN", 0, NULL));
	xid = db_one(c, "SELECT pg_current_xact_id()::xid::text FROM organizations WHERE id = $1::uuid "
	    "FOR UPDATE", 1, P(o.id));
	if (xid == NULL) {
		PQclear(PQexec(db, "ROLLBACK"));
		CHECK(c, 0, "could not lock the organization");
	}
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, 1);
	t[0] = (struct together){ .go = &go, .q = { .method = "POST",
	    .path = h_printf("/api/organizations/%s/users", o.id), .token = U[U_LA3].token,
	    .body = h_jbody("userEmail", U[U_LIMIT].email, "role", "admin", NULL) } };
	if (pthread_create(&th, NULL, together_run, &t[0]) != 0) {
		PQclear(PQexec(db, "ROLLBACK"));
		CHECK(c, 0, "pthread_create");
	}
	for (int i = 0; i < 200 && waiting == 0; i++) {   /* up to 10 s */
		waiting = db_count(c, "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
		    "locktype = 'transactionid' AND transactionid::text = $1", 1, P(xid));
		if (waiting == 0)
			h_sleep_ms(50);
	}
	PQclear(dbx(c, "DELETE FROM memberships WHERE org_id = $1::uuid AND user_id = $2::uuid", 2,
	    P(o.id, U[U_LA3].id)));
	PQclear(dbx(c, "COMMIT", 0, NULL));
	pthread_join(th, NULL);
	pthread_barrier_destroy(&go);
	CHECK(c, waiting > 0, "the moderator's request never waited for the lock");
	EXPECT(c, t[0].status == 404, "a member removed while its request waited: %ld, expected 404",
	    t[0].status);
	EXPECT(c, member_role(c, o.id, U[U_LIMIT].id) == NULL, "it granted admin after its removal "
	    "(role %s)", member_role(c, o.id, U[U_LIMIT].id));
}

/* Audit rows of the organization routes, with actor and organization (§4.10, D36). */
static void t_audit_rows(struct h_case *c)
{
	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	expect_audit(c, A.id, U[U_ADMIN].id, "organization_created", A.id, NULL);
	expect_audit(c, A.id, U[U_ADMIN].id, "user_added_to_organization", U[U_BOTH].id, h_printf(
	    "metadata = '{\"role\":\"admin\",\"userEmail\":\"%s\"}'::jsonb", U[U_BOTH].email));
	expect_audit(c, B.id, U[U_SA].id, "organization_status_changed", B.id,
	    "metadata->>'status' = 'active'");
	expect_audit(c, B.id, U[U_SA].id, "super_admin_access", B.id,
	    h_printf("metadata->>'request' = 'PUT /api/organizations/%s/status'", B.id));
	/* a super admin who is a member is audited as a member, not as an intruder */
	EXPECT(c, audit_rows(c, shared_fixture.id ? shared_fixture.id : A.id, U[U_SAFIX].id,
	    "super_admin_access", NULL, NULL) == 0, "safix (a member) was audited as an intruder");
	/* no audit row of an organization's route lacks its organization */
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE org_id IS NULL AND action IN "
	    "('organization_created', 'organization_updated', 'user_added_to_organization', "
	    "'user_role_updated', 'user_removed_from_organization', 'user_left_organization', "
	    "'super_admin_access', 'organization_status_changed') AND user_agent = '" UA "'", 0,
	    NULL) == 0, "audit rows of organization routes without an organization");
}

/* ==================================================== lists: pagination and search */

struct prow { const char *query; const char *errs[4]; };
static const struct prow prows[] = {
	{ "page=0", { "page", "\"page\" must be greater than or equal to 1" } },
	{ "limit=0", { "limit", "\"limit\" must be greater than or equal to 1" } },
	{ "limit=101", { "limit", "\"limit\" must be less than or equal to 100" } },
	{ "limit=abc", { "limit", "\"limit\" must be an integer" } },
	{ "page=-1", { "page", "\"page\" must be an integer" } },
	{ "page=1.5", { "page", "\"page\" must be an integer" } },
	{ "limit=", { "limit", "\"limit\" must be an integer" } },
	{ "page=0&limit=1000", { "page", "\"page\" must be greater than or equal to 1",
	  "limit", "\"limit\" must be less than or equal to 100" } },
};
#define NPROWS (sizeof(prows) / sizeof(prows[0]))

static void t_pagination_bounds(struct h_case *c)
{
	CHECK(c, A.id != NULL, "no organization A (setup failed)");
	for (size_t i = 0; i < NPROWS; i++) {
		const char *lists[2] = { "/api/organizations", h_printf("/api/organizations/%s/users",
		    A.id) };

		for (int k = 0; k < 2; k++)
			expect_invalid(c, GET(h_printf("%s?%s", lists[k], prows[i].query),
			    U[U_ADMIN].token), h_printf("%s?%s", lists[k], prows[i].query),
			    prows[i].errs[0], prows[i].errs[1], prows[i].errs[2], prows[i].errs[3], NULL);
	}
}

static int pagination_is(struct h_case *c, struct h_resp *r, long page, long limit, long total,
    const char *what)
{
	struct json_object *p = h_jget(r->json, "data.pagination");
	long pages = (total + limit - 1) / limit;

	return h_check(c, json_object_get_int64(h_jget(p, "page")) == page &&
	    json_object_get_int64(h_jget(p, "limit")) == limit &&
	    json_object_get_int64(h_jget(p, "total")) == total &&
	    json_object_get_int64(h_jget(p, "pages")) == pages &&
	    json_object_is_type(h_jget(p, "pages"), json_type_int), "%s: pagination %s, expected "
	    "page %ld limit %ld total %ld pages %ld", what, p ? jtext(p) : "absent", page, limit,
	    total, pages);
}

static struct org searched[6];

/* Names full of regular-expression (and LIKE) characters, all matched literally. */
static void t_search_literal(struct h_case *c)
{
	static const char *const names[6] = { "Dot star .* Studio", "Paren ( Studio",
	    "Back \\ slash Studio", "Percent % under _ Studio", "Plain Studio", "Caret ^$ [x] Studio" };
	static const struct { const char *q; int match; } rows[] = {
		{ ".%2A", 0 }, { "%28", 1 }, { "%5C", 2 }, { "%25", 3 }, { "_", 3 }, { "%5E%24", 5 },
		{ "%5Bx%5D", 5 }, { "PAREN", 1 }, { "paren+(", 1 }, { "%5B", 5 },
	};
	struct h_resp *r;

	CHECK(c, people_ready, "no people (setup failed)");
	for (int i = 0; i < 6; i++)
		CHECK(c, create_org(c, &U[U_SEARCH], names[i], fresh_sub("search"), &searched[i]),
		    "create %s", names[i]);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = GET(h_printf("/api/organizations?search=%s&limit=100", rows[i].q), U[U_SEARCH].token);
		if (!expect_ok(c, r, 200, NULL, h_printf("search=%s", rows[i].q)))
			continue;
		struct json_object *l = h_jget(r->json, "data.data");

		EXPECT(c, json_object_array_length(l) == 1 && list_has(l, "_id",
		    searched[rows[i].match].id), "search=%s found %zu, expected only '%s': %s",
		    rows[i].q, json_object_array_length(l), names[rows[i].match], h_brief(r));
		pagination_is(c, r, 1, 100, 1, h_printf("search=%s", rows[i].q));
	}
	/* the subdomain is searched too; a super admin searches everyone's */
	r = GET(h_printf("/api/organizations?search=%s", searched[4].sub), U[U_SA].token);
	EXPECT(c, r->status == 200 && json_object_array_length(h_jget(r->json, "data.data")) == 1 &&
	    list_has(h_jget(r->json, "data.data"), "_id", searched[4].id), "search by subdomain as "
	    "super admin: %s", h_brief(r));
	r = GET(h_printf("/api/organizations?search=%s", searched[4].sub), U[U_ADMIN].token);
	EXPECT(c, r->status == 200 && json_object_array_length(h_jget(r->json, "data.data")) == 0,
	    "another user finds the organization by search: %s", h_brief(r));
	expect_invalid(c, GET(h_printf("/api/organizations?search=%s", h_repeat("z", 101)),
	    U[U_SEARCH].token), "a search of 101 characters", "search",
	    "\"search\" length must be less than or equal to 100 characters long", NULL);
	r = GET(h_printf("/api/organizations?search=%s", h_repeat("z", 100)), U[U_SEARCH].token);
	EXPECT(c, r->status == 200 && json_object_array_length(h_jget(r->json, "data.data")) == 0,
	    "a search of 100 characters: %s", h_brief(r));
	expect_invalid(c, GET("/api/organizations?search=%FF%FE", U[U_SEARCH].token),
	    "a search that is not UTF-8", "search", "\"search\" must be valid UTF-8 text", NULL);
	/* 40 three-byte characters: 120 bytes but 40 characters */
	const char *mn = "%E1%A0%A0";
	char *long_mn = malloc(strlen(mn) * 40 + 1);
	CHECK(c, long_mn != NULL, "out of memory");
	long_mn[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(long_mn, mn);
	r = GET(h_printf("/api/organizations?search=%s", h_keep(long_mn)), U[U_SEARCH].token);
	EXPECT(c, r->status == 200 && json_object_array_length(h_jget(r->json, "data.data")) == 0,
	    "a long search of three-byte characters: %s", h_brief(r));
}

static void t_pagination_pages(struct h_case *c)
{
	struct h_resp *r;
	long total;

	CHECK(c, searched[5].id != NULL, "no organizations of the search case");
	/* defaults 1 and 20; newest first */
	r = GET("/api/organizations", U[U_SEARCH].token);
	CHECK(c, expect_ok(c, r, 200, NULL, "the list"), "list");
	total = (long)json_object_get_int64(h_jget(r->json, "data.pagination.total"));
	CHECK(c, total >= 6, "total %ld", total);
	pagination_is(c, r, 1, 20, total, "the defaults");
	EXPECT(c, str_is(h_jstr(json_object_array_get_idx(h_jget(r->json, "data.data"), 0), "_id"),
	    searched[5].id), "the newest is not first: %s", h_brief(r));
	r = GET("/api/organizations?limit=1&page=2", U[U_SEARCH].token);
	if (expect_ok(c, r, 200, NULL, "page 2 of 1")) {
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 1 &&
		    str_is(h_jstr(json_object_array_get_idx(h_jget(r->json, "data.data"), 0), "_id"),
		    searched[4].id), "page 2 of size 1: %s", h_brief(r));
		pagination_is(c, r, 2, 1, total, "page 2 of size 1");
	}
	r = GET(h_printf("/api/organizations?limit=4&page=%ld", total / 4 + 2), U[U_SEARCH].token);
	if (expect_ok(c, r, 200, NULL, "past the end"))
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 0 &&
		    pagination_is(c, r, total / 4 + 2, 4, total, "past the end"), "%s", h_brief(r));
	r = GET("/api/organizations?limit=100&page=1000000", U[U_SEARCH].token);
	expect_ok(c, r, 200, NULL, "the last page allowed");
	/* members: defaults, pages, newest first, a role filter */
	CHECK(c, A.id != NULL, "no organization A");
	r = GET(h_printf("/api/organizations/%s/users", A.id), U[U_ADMIN].token);
	if (expect_ok(c, r, 200, NULL, "A's members"))
		pagination_is(c, r, 1, 20, 6, "A's members");
	r = GET(h_printf("/api/organizations/%s/users?limit=5&page=2", A.id), U[U_ADMIN].token);
	if (expect_ok(c, r, 200, NULL, "A's members, page 2 of 5")) {
		pagination_is(c, r, 2, 5, 6, "A's members, page 2 of 5");
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 1 &&
		    str_is(h_jstr(json_object_array_get_idx(h_jget(r->json, "data.data"), 0),
		    "userId._id"), U[U_ADMIN].id), "the first member (the creator) is not last: %s",
		    h_brief(r));
	}
	r = GET(h_printf("/api/organizations/%s/users?role=admin", A.id), U[U_ADMIN].token);
	if (expect_ok(c, r, 200, NULL, "A's admins"))
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 2 &&
		    list_has(h_jget(r->json, "data.data"), "userId._id", U[U_BOTH].id),
		    "A's admins: %s", h_brief(r));
	expect_invalid(c, GET(h_printf("/api/organizations/%s/users?limit=101&role=owner", A.id),
	    U[U_ADMIN].token), "members: limit and role wrong",
	    "limit", "\"limit\" must be less than or equal to 100",
	    "role", "\"role\" must be one of [admin, moderator, user, viewer]", NULL);
}

/* The super admin lists every organization; others only their own (D6). */
static void t_list_scope(struct h_case *c)
{
	struct h_resp *r;
	long all;

	CHECK(c, A.id && B.id, "no organizations (setup failed)");
	all = db_count(c, "SELECT count(*) FROM organizations WHERE deleted_at IS NULL", 0, NULL);
	r = GET(h_printf("/api/organizations?limit=100&search=%s", tag), U[U_SA].token);
	if (expect_ok(c, r, 200, NULL, "the super admin's list")) {
		EXPECT(c, list_has(h_jget(r->json, "data.data"), "_id", A.id) &&
		    list_has(h_jget(r->json, "data.data"), "_id", B.id), "A or B missing: %s",
		    h_brief(r));
	}
	r = GET("/api/organizations?limit=1", U[U_SA].token);
	EXPECT(c, r->status == 200 && json_object_get_int64(h_jget(r->json,
	    "data.pagination.total")) == all, "the super admin's total is not every organization "
	    "(%ld): %s", all, h_brief(r));
	r = GET("/api/organizations", U[U_ISO_NONE].token);
	if (expect_ok(c, r, 200, NULL, "a user of no organization"))
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 0 &&
		    pagination_is(c, r, 1, 20, 0, "no organizations"), "%s", h_brief(r));
	r = GET("/api/organizations?limit=100", U[U_BOTH].token);
	if (expect_ok(c, r, 200, NULL, "a member of A and B"))
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 2 &&
		    list_has(h_jget(r->json, "data.data"), "_id", A.id) &&
		    list_has(h_jget(r->json, "data.data"), "_id", B.id), "%s", h_brief(r));
	h_expect_err_msg(c, GET("/api/organizations", NULL), 401, "unauthorized", "No token provided",
	    "the list without a token");
	h_expect_err_msg(c, SEND("POST", "/api/organizations", NULL, "{}"), 401, "unauthorized",
	    "No token provided", "create without a token");
}

/* The shape of an organization (spec/README.md §1): keys, no secrets, times. */
static void t_org_shape(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *d;
	static const char *const keys[] = { "_id", "name", "subdomain", "status", "settings",
	    "subscription", "createdAt", "updatedAt", NULL };

	CHECK(c, A.id != NULL, "no organization A (setup failed)");
	r = GET(h_printf("/api/organizations/%s", A.id), U[U_VIEWER].token);
	CHECK(c, expect_ok(c, r, 200, NULL, "GET A"), "get");
	d = h_jget(r->json, "data");
	for (int i = 0; keys[i]; i++)
		EXPECT(c, h_jget(d, keys[i]) != NULL, "no \"%s\": %s", keys[i], h_brief(r));
	json_object_object_foreach(d, k, v) {
		int known = strcmp(k, "domain") == 0;

		(void)v;
		for (int i = 0; keys[i] && !known; i++)
			known = strcmp(keys[i], k) == 0;
		EXPECT(c, known, "an unexpected key \"%s\"", k);
	}
	const char *t = h_jstr(d, "createdAt");
	EXPECT(c, t && strlen(t) == 24 && t[10] == 'T' && t[19] == '.' && t[23] == 'Z',
	    "createdAt %s", t ? t : "absent");
	/* the public lookup answers the same document */
	struct h_resp *p = GET(h_printf("/api/organizations/subdomain/%s", A.sub), NULL);
	EXPECT(c, p->status == 200 && json_object_equal(h_jget(p->json, "data"), d),
	    "the public document differs: %s", h_brief(p));
	h_expect_err_msg(c, GET("/api/organizations/subdomain/no_such", NULL), 404, "not_found",
	    "Organization not found", "a malformed subdomain");
	h_expect_err_msg(c, GET(h_printf("/api/organizations/subdomain/nosuch-%s", tag), NULL), 404,
	    "not_found", "Organization not found", "an unknown subdomain");
	h_expect_err_msg(c, GET("/api/organizations/00000000-0000-4000-8000-000000000000",
	    U[U_ADMIN].token), 404, "not_found", "Organization not found", "an unknown id");
}

/* ========================================================================= main */

int main(void)
{
	char path[1024];
	unsigned long seed;

	if (h_init() != 0)
		return 1;
	seed = ((unsigned long)time(NULL) * 2654435761UL) ^ ((unsigned long)getpid() * 40503UL);
	snprintf(tag, sizeof(tag), "%06lx", seed & 0xffffff);
	if (h_env.state != NULL) {
		snprintf(path, sizeof(path), "%s/webix.conf", h_env.state);
		conf_load(path);
		snprintf(path, sizeof(path), "%s/api.env", h_env.state);
		conf_load(path);
	}
	org_limit = conf_long("ORG_LIMIT_PER_USER", 20);
	workers = conf_long("WEBIX_WORKERS", 4);
	if (h_env.database_url != NULL) {
		db = PQconnectdb(h_env.database_url);
		if (PQstatus(db) != CONNECTION_OK) {
			fprintf(stderr, "e2e_orgs: cannot connect to DATABASE_URL: %s", PQerrorMessage(db));
			PQfinish(db);
			db = NULL;
		}
	}
	if ((curl = h_curl_new()) == NULL) {
		printf("FAIL setup: curl_easy_init failed\n");
		return 1;
	}

	run("setup_people", t_people);
	run("setup_two_organizations_with_content", t_two_orgs);

	/* every route with every role */
	for (size_t i = 0; i < NMROWS; i++)
		for (int k = 0; k < NROLES; k++) {
			size_t n = i * NROLES + (size_t)k;

			mcases[n] = (struct mcase){ &mrows[i], (enum role)k };
			mnames[n] = h_printf("role_%s_as_%s", mrows[i].label, role_names[k]);
			run_with(mnames[n], t_matrix, &mcases[n]);
		}

	/* BOLA and tenant hosts */
	run("bola_ids_of_b_with_a_admin", t_bola_admin_of_a);
	run("bola_ids_of_b_on_a_paths_as_member_of_both", t_bola_member_of_both);
	run("bola_lists_of_a_hold_nothing_of_b", t_bola_lists);
	run("tenant_host_other_organization_404", t_tenant_host);

	/* row-level security through the request path */
	run("isolation_probed_tables_hold_rows_of_a_and_b", t_probe_tables_have_rows);
	run("isolation_unscoped_queries_every_connection", t_isolation_every_connection);
	run("isolation_accounts_members_and_own_only", t_isolation_accounts);

	/* subdomains and creation */
	for (size_t i = 0; i < NSUBROWS; i++) {
		char label[64];
		size_t n = 0;

		for (const char *p = subrows[i].value; *p && n + 1 < sizeof(label); p++)
			if (isalnum((unsigned char)*p) || *p == '-')
				label[n++] = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
		label[n] = '\0';
		subnames[i] = h_printf("subdomain_%02zu_%s_%s", i, label, subrows[i].stored ? "accepted" :
		    "refused");
		run_with(subnames[i], t_subdomain, &subrows[i]);
	}
	run("create_race_one_201_rest_409", t_create_race);
	run("create_limit_per_user", t_create_limit);

	/* update and validation */
	run("update_partial_settings_merged_deeply", t_settings_merge);
	for (size_t i = 0; i < NVROWS; i++) {
		vnames[i] = h_printf("validation_%s", vrows[i].label);
		run_with(vnames[i], t_validation, &vrows[i]);
	}

	/* status, members, lists */
	run("status_super_admin_only_and_suspension", t_status);
	run("members_last_admin_and_moderator_rules", t_last_admin_and_moderators);
	run("members_concurrent_admin_changes_keep_one", t_concurrent_admin_changes);
	run("members_removed_while_waiting_cannot_act", t_removed_while_waiting);
	run("search_is_literal", t_search_literal);
	run("pagination_bounds_400", t_pagination_bounds);
	run("pagination_pages_and_defaults", t_pagination_pages);
	run("list_super_admin_all_others_their_own", t_list_scope);
	run("organization_document_shape", t_org_shape);
	run("audit_rows_with_actor_and_organization", t_audit_rows);
	/* last: the purge removes every deleted organization */
	run("soft_delete_then_webixctl_org_purge", t_soft_delete_and_purge);

	if (curl != NULL)
		curl_easy_cleanup(curl);
	if (db != NULL)
		PQfinish(db);
	h_strings_free();
	return h_finish();
}
