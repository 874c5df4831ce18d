/* e2e_content.c — end-to-end tests of content through nginx: /api/webtoons (webtoons and
 * their episodes) with every role, every validation rule and its message, pagination
 * bounds, literal search, filters and sorts, the episode-number race, cross-tenant and
 * cross-webtoon ids (404), views and their analytics rows, episodeCount, publishedAt set
 * once, delete keeping analytics, audit rows, and /api/public/webtoons on the tenant host
 * (drafts never, no private fields, Cache-Control, ETag and 304).
 *
 * Users, organizations and titles are unique per run, so the program can run again
 * against the same database. The owner role (DATABASE_URL) reads what the API must have
 * written. Links with: libcurl json-c libpq pthread. */
#include "harness.h"

#include <ctype.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* views in analytics: one row may stand for several views of one second (sql/009) */
#define VIEWS_SUM "SELECT coalesce(sum(metric_value), 0)::bigint FROM analytics"

#define UA "webix-e2e-content/1.0"
#define PW "content-secret-1"
#define RACERS 8
#define SAME_NUMBER_RACERS 6

/* S percent-encoded for a query string (everything but unreserved characters). */
static const char *qenc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(strlen(s) * 3 + 1), *p = o;

	if (o == NULL)
		return h_keep(NULL);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return h_keep(o);
}

static const char *jstr_of(struct json_object *o)
{
	return o ? h_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) : "absent";
}

/* ---- the database (owner role: reads every tenant's rows) ---- */

static PGconn *db;

static void db_connect(void)
{
	if (h_env.database_url == NULL)
		return;
	db = PQconnectdb(h_env.database_url);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "e2e_content: cannot connect to DATABASE_URL: %s",
		    PQerrorMessage(db));
		PQfinish(db);
		db = NULL;
	}
}

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

/* ---- requests ---- */

static struct h_resp *call(struct h_case *c, const char *method, const char *tok,
    const char *path, const char *body)
{
	const char *hdrs[3] = { "User-Agent: " UA, NULL, NULL };

	if (tok != NULL)
		hdrs[1] = h_printf("Authorization: Bearer %s", tok);
	return h_do(c, &(struct h_req){ .method = method, .path = path, .headers = hdrs,
	    .ctype = body ? "application/json" : NULL, .body = body });
}

/* An anonymous GET of the public API on HOST, with If-None-Match INM unless NULL. */
static struct h_resp *pub(struct h_case *c, const char *host, const char *path,
    const char *inm)
{
	const char *hdrs[3] = { "User-Agent: " UA, NULL, NULL };

	if (inm != NULL)
		hdrs[1] = h_printf("If-None-Match: %s", inm);
	return h_do(c, &(struct h_req){ .host = host, .path = path, .headers = hdrs });
}

/* A success answer: status, success true, exact message (NULL: none). */
static int expect_ok(struct h_case *c, struct h_resp *r, long status, const char *msg,
    const char *what)
{
	const char *m;

	if (!h_expect_json(c, r, status)) {
		h_check(c, 0, "(%s)", what);
		return 0;
	}
	if (!h_check(c, h_jtrue(r->json, "success"), "%s: success is not true: %s", what,
	    h_brief(r)))
		return 0;
	m = h_jstr(r->json, "message");
	if (msg != NULL)
		return h_check(c, h_streq(m, msg), "%s: message is '%s', expected '%s'", what,
		    m ? m : "absent", msg);
	return h_check(c, h_jget(r->json, "message") == NULL, "%s: unexpected message '%s'",
	    what, m ? m : "(not a string)");
}

/* A 400 validation_failed whose errors are exactly FIELDS[i] / MSGS[i] (n of them). */
static int expect_invalid(struct h_case *c, struct h_resp *r, size_t n,
    const char *const *fields, const char *const *msgs, const char *what)
{
	struct json_object *errs;
	int ok;

	if (!h_expect_err_msg(c, r, 400, "validation_failed", NULL, what))
		return 0;
	errs = h_jget(r->json, "errors");
	if (!h_check(c, json_object_is_type(errs, json_type_array) &&
	    json_object_array_length(errs) == n, "%s: expected %zu error(s), got %s", what, n,
	    jstr_of(errs)))
		return 0;
	ok = 1;
	for (size_t i = 0; i < n; i++) {
		int found = 0;

		for (size_t j = 0; j < n && !found; j++) {
			struct json_object *e = json_object_array_get_idx(errs, j);

			found = h_streq(h_jstr(e, "field"), fields[i]) &&
			    h_streq(h_jstr(e, "message"), msgs[i]);
		}
		ok &= h_check(c, found, "%s: no error {field '%s', message '%s'} in %s", what,
		    fields[i], msgs[i], jstr_of(errs));
	}
	return ok;
}

/* O has every key of REQ and no key outside REQ and OPT (NULL-terminated lists). */
static int keys_exactly(struct h_case *c, struct json_object *o, const char *what,
    const char *const *reqk, const char *const *optk)
{
	int ok = 1;

	if (!h_check(c, json_object_is_type(o, json_type_object), "%s is not an object: %s",
	    what, jstr_of(o)))
		return 0;
	for (const char *const *k = reqk; k && *k; k++)
		ok &= h_check(c, json_object_object_get_ex(o, *k, NULL), "%s has no \"%s\": %s",
		    what, *k, jstr_of(o));
	json_object_object_foreach(o, key, val) {
		int known = 0;

		(void)val;
		for (const char *const *k = reqk; k && *k && !known; k++)
			known = strcmp(*k, key) == 0;
		for (const char *const *k = optk; k && *k && !known; k++)
			known = strcmp(*k, key) == 0;
		ok &= h_check(c, known, "%s has an unexpected key \"%s\"", what, key);
	}
	return ok;
}

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define REQUIRE(ok) do { if (!(ok)) return; } while (0)

/* ISO 8601 UTC with milliseconds: 2025-01-31T12:34:56.789Z */
static int is_iso_ms(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

/* ---- the cast: users, organizations ---- */

enum role { RO_ADMIN, RO_MOD, RO_USER, RO_VIEWER, RO_NONMEMBER, RO_SUPER, RO__N };
static const char *const role_names[RO__N] = { "admin", "moderator", "user", "viewer",
    "nonmember", "super_admin" };

struct user {
	const char *email, *tok, *uid;
};
static struct user users[RO__N];
#define TOK(ro) (users[(ro)].tok)
#define UID(ro) (users[(ro)].uid)

static char run_tag[40];
static int setup_ok;

/* Organizations: A (the cast's), B (the non-member's own, active), L (lists), P (pending),
 * S (suspended). */
struct org {
	const char *id, *sub, *host;
};
static struct org A, B, L, Pn, S;

/* Fixtures of A and B made in setup. */
static const char *VW, *VE;          /* A: a webtoon and an episode for validation */

static const char *wt_path(const char *org)
{
	return h_printf("/api/webtoons/%s", org);
}

static const char *w_path(const char *org, const char *wid)
{
	return h_printf("/api/webtoons/%s/%s", org, wid);
}

static const char *eps_path(const char *org, const char *wid)
{
	return h_printf("/api/webtoons/%s/%s/episodes", org, wid);
}

static const char *e_path(const char *org, const char *wid, const char *eid)
{
	return h_printf("/api/webtoons/%s/%s/episodes/%s", org, wid, eid);
}

/* A new webtoon of ORG created by TOK from BODY; its id (kept) or NULL (recorded). */
static const char *mk_webtoon_body(struct h_case *c, const char *tok, const char *org,
    const char *body)
{
	struct h_resp *r = call(c, "POST", tok, wt_path(org), body);

	if (!expect_ok(c, r, 201, "Webtoon created successfully", h_printf("create webtoon %s",
	    body)))
		return NULL;
	return h_strdup(h_jstr(r->json, "data._id"));
}

static const char *mk_webtoon(struct h_case *c, const char *org, const char *title)
{
	return mk_webtoon_body(c, TOK(RO_ADMIN), org, h_jbody("title", title, NULL));
}

/* A new episode; its id (kept) or NULL. */
static const char *mk_episode_body(struct h_case *c, const char *tok, const char *org,
    const char *wid, const char *body)
{
	struct h_resp *r = call(c, "POST", tok, eps_path(org, wid), body);

	if (!expect_ok(c, r, 201, "Episode created successfully", h_printf("create episode %s",
	    body)))
		return NULL;
	return h_strdup(h_jstr(r->json, "data._id"));
}

static const char *mk_episode(struct h_case *c, const char *org, const char *wid,
    const char *title)
{
	return mk_episode_body(c, TOK(RO_ADMIN), org, wid, h_jbody("title", title, NULL));
}

static int post_ok(struct h_case *c, const char *tok, const char *path, const char *msg)
{
	return expect_ok(c, call(c, "POST", tok, path, NULL), 200, msg, h_printf("POST %s", path));
}

static int register_user(struct h_case *c, enum role ro)
{
	struct user *u = &users[ro];
	struct h_resp *r;

	u->email = h_printf("e2e-content-%s-%s@example.com", role_names[ro], run_tag);
	if (ro == RO_SUPER) {
		if (h_webixctl_ok(c, h_printf("user create --super-admin %s", u->email), PW) != 0)
			return 0;
		r = call(c, "POST", NULL, "/api/auth/login", h_jbody("email", u->email,
		    "password", PW, NULL));
		if (!expect_ok(c, r, 200, "Login successful", "super admin login"))
			return 0;
	} else {
		r = call(c, "POST", NULL, "/api/auth/register", h_jbody("email", u->email,
		    "password", PW, "displayName", h_printf("Content %s", role_names[ro]), NULL));
		if (!expect_ok(c, r, 201, "User registered successfully", "register"))
			return 0;
	}
	u->tok = h_strdup(h_jstr(r->json, "data.accessToken"));
	u->uid = h_strdup(h_jstr(r->json, "data.user._id"));
	return h_check(c, u->tok != NULL && u->uid != NULL, "%s: no token or user id: %s",
	    role_names[ro], h_brief(r));
}

static int mk_org(struct h_case *c, enum role owner, const char *letter, struct org *o)
{
	struct h_resp *r;

	o->sub = h_printf("ct%s%s", letter, run_tag);
	o->host = h_printf("%s.%s", o->sub, h_env.base_domain);
	r = call(c, "POST", TOK(owner), "/api/organizations", h_jbody("name",
	    h_printf("Content %s", letter), "subdomain", o->sub, NULL));
	if (!h_check(c, r->status == 201, "create organization %s: %s", o->sub, h_brief(r)))
		return 0;
	o->id = h_strdup(h_jstr(r->json, "data._id"));
	return h_check(c, o->id != NULL, "organization without _id: %s", h_brief(r));
}

static int set_org_status(struct h_case *c, const struct org *o, const char *status)
{
	struct h_resp *r = call(c, "PUT", TOK(RO_SUPER), h_printf("/api/organizations/%s/status",
	    o->id), h_jbody("status", status, NULL));

	return h_check(c, r->status == 200, "set organization status %s: %s", status,
	    h_brief(r));
}

static void t_setup(struct h_case *c)
{
	static const char *const member_roles[] = { [RO_MOD] = "moderator", [RO_USER] = "user",
	    [RO_VIEWER] = "viewer" };

	for (int ro = 0; ro < RO__N; ro++)
		REQUIRE(register_user(c, (enum role)ro));
	REQUIRE(mk_org(c, RO_ADMIN, "a", &A) && mk_org(c, RO_NONMEMBER, "b", &B) &&
	    mk_org(c, RO_ADMIN, "l", &L) && mk_org(c, RO_NONMEMBER, "p", &Pn) &&
	    mk_org(c, RO_ADMIN, "s", &S));
	for (int ro = RO_MOD; ro <= RO_VIEWER; ro++) {
		struct h_resp *r = call(c, "POST", TOK(RO_ADMIN),
		    h_printf("/api/organizations/%s/users", A.id), h_jbody("userEmail",
		    users[ro].email, "role", member_roles[ro], NULL));

		CHECK(c, r->status == 201 || r->status == 200, "add %s: %s", member_roles[ro],
		    h_brief(r));
	}
	REQUIRE(set_org_status(c, &A, "active") && set_org_status(c, &B, "active") &&
	    set_org_status(c, &L, "active") && set_org_status(c, &S, "active"));
	REQUIRE((VW = mk_webtoon(c, A.id, h_printf("validation %s", run_tag))) != NULL);
	REQUIRE((VE = mk_episode(c, A.id, VW, "validation episode")) != NULL);
	setup_ok = 1;
}

#define NEED_SETUP(c) CHECK(c, setup_ok, "setup failed")

/* ---- shapes ---- */

static const char *const WEBTOON_KEYS[] = { "_id", "organizationId", "title", "status",
    "tags", "categories", "createdBy", "viewCount", "episodeCount", "createdAt", "updatedAt",
    NULL };
static const char *const WEBTOON_OPT[] = { "description", "coverImage", "publishedAt", NULL };
static const char *const EPISODE_KEYS[] = { "_id", "webtoonId", "organizationId",
    "episodeNumber", "title", "images", "status", "createdBy", "viewCount", "likeCount",
    "createdAt", "updatedAt", NULL };
static const char *const EPISODE_OPT[] = { "description", "content", "publishedAt", NULL };

static void t_webtoon_shape(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *d;
	const char *title = h_printf("Shape %s", run_tag), *id;

	NEED_SETUP(c);
	r = call(c, "POST", TOK(RO_USER), wt_path(A.id), h_jbody("title", title, NULL));
	REQUIRE(expect_ok(c, r, 201, "Webtoon created successfully", "create"));
	d = h_jget(r->json, "data");
	keys_exactly(c, d, "created webtoon", WEBTOON_KEYS, WEBTOON_OPT);
	id = h_strdup(h_jstr(d, "_id"));
	EXPECT(c, h_streq(h_jstr(d, "organizationId"), A.id), "organizationId is %s",
	    h_jstr(d, "organizationId"));
	EXPECT(c, h_streq(h_jstr(d, "status"), "draft"), "status is %s", h_jstr(d, "status"));
	EXPECT(c, h_streq(jstr_of(h_jget(d, "tags")), "[]") &&
	    h_streq(jstr_of(h_jget(d, "categories")), "[]"), "tags/categories default: %s %s",
	    jstr_of(h_jget(d, "tags")), jstr_of(h_jget(d, "categories")));
	EXPECT(c, h_jget(d, "publishedAt") == NULL && h_jget(d, "description") == NULL &&
	    h_jget(d, "coverImage") == NULL, "unset fields are not omitted: %s", jstr_of(d));
	EXPECT(c, h_jint(d, "viewCount", -1) == 0 && h_jint(d, "episodeCount", -1) == 0,
	    "counters of a new webtoon: %s", jstr_of(d));
	EXPECT(c, is_iso_ms(h_jstr(d, "createdAt")) && is_iso_ms(h_jstr(d, "updatedAt")),
	    "times are not ISO 8601 with ms: %s", jstr_of(d));
	keys_exactly(c, h_jget(d, "createdBy"), "createdBy", KEYS("_id", "displayName", "email"),
	    NULL);
	EXPECT(c, h_streq(h_jstr(d, "createdBy._id"), UID(RO_USER)) &&
	    h_streq(h_jstr(d, "createdBy.email"), users[RO_USER].email),
	    "createdBy is %s", jstr_of(h_jget(d, "createdBy")));
	REQUIRE(id != NULL);
	r = call(c, "GET", TOK(RO_VIEWER), w_path(A.id, id), NULL);
	if (expect_ok(c, r, 200, NULL, "get"))
		keys_exactly(c, h_jget(r->json, "data"), "webtoon", WEBTOON_KEYS, WEBTOON_OPT);
	/* member answers are private: never a shared cache */
	EXPECT(c, h_hdr(r, "Cache-Control") == NULL ||
	    strstr(h_hdr(r, "Cache-Control"), "public") == NULL,
	    "member GET has Cache-Control %s", h_hdr(r, "Cache-Control"));
	r = call(c, "GET", TOK(RO_VIEWER), wt_path(A.id), NULL);
	if (expect_ok(c, r, 200, NULL, "list")) {
		keys_exactly(c, h_jget(r->json, "data"), "list data", KEYS("data", "pagination"),
		    NULL);
		keys_exactly(c, h_jget(r->json, "data.pagination"), "pagination",
		    KEYS("page", "limit", "total", "pages"), NULL);
		EXPECT(c, h_jint(r->json, "data.pagination.limit", -1) == 20 &&
		    h_jint(r->json, "data.pagination.page", -1) == 1, "default page/limit: %s",
		    jstr_of(h_jget(r->json, "data.pagination")));
	}
}

/* A webtoon and an episode keep naming their creator ({_id, displayName, email}) after the
 * creator left the organization, though the accounts of non-members are hidden from it
 * (sql/014: creator_view reads past that policy, for this one object). */
static void t_creator_after_leaving(struct h_case *c)
{
	struct h_resp *r;
	const char *email = h_printf("e2e-content-leaver-%s@example.com", run_tag), *tok, *uid;
	const char *wid, *eid;

	NEED_SETUP(c);
	r = call(c, "POST", NULL, "/api/auth/register", h_jbody("email", email, "password", PW,
	    "displayName", "Content leaver", NULL));
	REQUIRE(expect_ok(c, r, 201, "User registered successfully", "register the leaver"));
	tok = h_strdup(h_jstr(r->json, "data.accessToken"));
	uid = h_strdup(h_jstr(r->json, "data.user._id"));
	REQUIRE(tok != NULL && uid != NULL);
	r = call(c, "POST", TOK(RO_ADMIN), h_printf("/api/organizations/%s/users", A.id),
	    h_jbody("userEmail", email, "role", "moderator", NULL));
	REQUIRE(expect_ok(c, r, 201, "User added to organization successfully", "add the leaver"));
	REQUIRE((wid = mk_webtoon_body(c, tok, A.id, h_jbody("title", "left behind", NULL))) !=
	    NULL);
	REQUIRE((eid = mk_episode_body(c, tok, A.id, wid, h_jbody("title", "left", NULL))) !=
	    NULL);
	r = call(c, "DELETE", TOK(RO_ADMIN), h_printf("/api/organizations/%s/users/%s", A.id,
	    uid), NULL);
	REQUIRE(expect_ok(c, r, 200, "User removed from organization successfully",
	    "remove the leaver"));

	/* an update reads the webtoon again from PostgreSQL (no cached answer) */
	r = call(c, "PUT", TOK(RO_ADMIN), w_path(A.id, wid), "{\"description\":\"after\"}");
	if (expect_ok(c, r, 200, "Webtoon updated successfully", "update after leaving"))
		EXPECT(c, h_streq(h_jstr(r->json, "data.createdBy._id"), uid) &&
		    h_streq(h_jstr(r->json, "data.createdBy.email"), email) &&
		    h_streq(h_jstr(r->json, "data.createdBy.displayName"), "Content leaver"),
		    "the webtoon's createdBy after its creator left: %s",
		    jstr_of(h_jget(r->json, "data.createdBy")));
	r = call(c, "PUT", TOK(RO_ADMIN), e_path(A.id, wid, eid), "{\"description\":\"after\"}");
	if (expect_ok(c, r, 200, "Episode updated successfully", "episode update after leaving"))
		EXPECT(c, h_streq(h_jstr(r->json, "data.createdBy._id"), uid) &&
		    h_streq(h_jstr(r->json, "data.createdBy.email"), email),
		    "the episode's createdBy after its creator left: %s",
		    jstr_of(h_jget(r->json, "data.createdBy")));
}

static void t_episode_shape(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *d;
	const char *wid;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "episode shape")) != NULL);
	r = call(c, "POST", TOK(RO_MOD), eps_path(A.id, wid), "{\"title\":\"  One  \","
	    "\"content\":\"text\",\"images\":[\"/media/x/a.png\",\" https://cdn.example.com/b.webp \"]}");
	REQUIRE(expect_ok(c, r, 201, "Episode created successfully", "create"));
	d = h_jget(r->json, "data");
	keys_exactly(c, d, "created episode", EPISODE_KEYS, EPISODE_OPT);
	EXPECT(c, h_streq(h_jstr(d, "title"), "One"), "title not trimmed: %s", h_jstr(d, "title"));
	EXPECT(c, h_streq(h_jstr(d, "webtoonId"), wid) && h_streq(h_jstr(d, "organizationId"), A.id),
	    "webtoonId/organizationId: %s", jstr_of(d));
	EXPECT(c, h_jint(d, "episodeNumber", -1) == 1, "first episode number is %ld",
	    h_jint(d, "episodeNumber", -1));
	EXPECT(c, h_streq(h_jstr(d, "status"), "draft"), "status is %s", h_jstr(d, "status"));
	EXPECT(c, h_streq(jstr_of(h_jget(d, "images")),
	    "[\"/media/x/a.png\",\"https://cdn.example.com/b.webp\"]"), "images: %s",
	    jstr_of(h_jget(d, "images")));
	EXPECT(c, h_streq(h_jstr(d, "createdBy._id"), UID(RO_MOD)), "createdBy: %s",
	    jstr_of(h_jget(d, "createdBy")));
	r = call(c, "GET", TOK(RO_VIEWER), eps_path(A.id, wid), NULL);
	if (expect_ok(c, r, 200, NULL, "episode list")) {
		keys_exactly(c, h_jget(r->json, "data.pagination"), "pagination",
		    KEYS("page", "limit", "total", "pages"), NULL);
		keys_exactly(c, json_object_array_get_idx(h_jget(r->json, "data.data"), 0),
		    "listed episode", EPISODE_KEYS, EPISODE_OPT);
	}
}

/* ---- every route with every role ---- */

enum rt {
	RT_W_CREATE, RT_W_LIST, RT_W_GET, RT_W_UPDATE, RT_W_DELETE, RT_W_PUBLISH,
	RT_W_UNPUBLISH, RT_W_ARCHIVE, RT_E_CREATE, RT_E_LIST, RT_E_GET, RT_E_UPDATE,
	RT_E_DELETE, RT_E_PUBLISH, RT__N
};

static const struct rtdef {
	const char *name, *method, *perm, *ok_msg, *audit;
	long ok_status;
	int episode;   /* needs an episode fixture */
} rts[RT__N] = {
	[RT_W_CREATE] = { "webtoon_create", "POST", "content:write",
	    "Webtoon created successfully", "webtoon_created", 201, 0 },
	[RT_W_LIST] = { "webtoon_list", "GET", "content:read", NULL, NULL, 200, 0 },
	[RT_W_GET] = { "webtoon_get", "GET", "content:read", NULL, NULL, 200, 0 },
	[RT_W_UPDATE] = { "webtoon_update", "PUT", "content:write",
	    "Webtoon updated successfully", "webtoon_updated", 200, 0 },
	[RT_W_DELETE] = { "webtoon_delete", "DELETE", "content:delete",
	    "Webtoon deleted successfully", "webtoon_deleted", 200, 0 },
	[RT_W_PUBLISH] = { "webtoon_publish", "POST", "content:write",
	    "Webtoon published successfully", "webtoon_published", 200, 0 },
	[RT_W_UNPUBLISH] = { "webtoon_unpublish", "POST", "content:write",
	    "Webtoon unpublished successfully", "webtoon_unpublished", 200, 0 },
	[RT_W_ARCHIVE] = { "webtoon_archive", "POST", "content:write",
	    "Webtoon archived successfully", "webtoon_archived", 200, 0 },
	[RT_E_CREATE] = { "episode_create", "POST", "content:write",
	    "Episode created successfully", "episode_created", 201, 1 },
	[RT_E_LIST] = { "episode_list", "GET", "content:read", NULL, NULL, 200, 1 },
	[RT_E_GET] = { "episode_get", "GET", "content:read", NULL, NULL, 200, 1 },
	[RT_E_UPDATE] = { "episode_update", "PUT", "content:write",
	    "Episode updated successfully", "episode_updated", 200, 1 },
	[RT_E_DELETE] = { "episode_delete", "DELETE", "content:delete",
	    "Episode deleted successfully", "episode_deleted", 200, 1 },
	[RT_E_PUBLISH] = { "episode_publish", "POST", "content:write",
	    "Episode published successfully", "episode_published", 200, 1 },
};

/* original-api.md §2.5; super_admin holds every permission, a non-member none */
static int role_has(enum role ro, const char *perm)
{
	switch (ro) {
	case RO_ADMIN: case RO_SUPER:
		return 1;
	case RO_MOD:
		return 1;   /* content:read, content:write, content:delete */
	case RO_USER:
		return strcmp(perm, "content:delete") != 0;
	case RO_VIEWER:
		return strcmp(perm, "content:read") == 0;
	default:
		return 0;
	}
}

struct mcell {
	enum rt rt;
	enum role ro;
};
static struct mcell matrix[RT__N * RO__N];
static const char *matrix_names[RT__N * RO__N];

static const char *wcol(struct h_case *c, const char *col, const char *wid)
{
	return db_one(c, h_printf("SELECT %s::text FROM webtoons WHERE id = $1::uuid", col), 1,
	    P(wid));
}

static const char *ecol(struct h_case *c, const char *col, const char *eid)
{
	return db_one(c, h_printf("SELECT %s::text FROM episodes WHERE id = $1::uuid", col), 1,
	    P(eid));
}

/* The path of route RT on the webtoon WID and the episode EID of ORG. */
static const char *route_path(enum rt rt, const char *org, const char *wid, const char *eid)
{
	switch (rt) {
	case RT_W_CREATE: case RT_W_LIST: return wt_path(org);
	case RT_W_GET: case RT_W_UPDATE: case RT_W_DELETE: return w_path(org, wid);
	case RT_W_PUBLISH: return h_printf("%s/publish", w_path(org, wid));
	case RT_W_UNPUBLISH: return h_printf("%s/unpublish", w_path(org, wid));
	case RT_W_ARCHIVE: return h_printf("%s/archive", w_path(org, wid));
	case RT_E_CREATE: case RT_E_LIST: return eps_path(org, wid);
	case RT_E_GET: case RT_E_UPDATE: case RT_E_DELETE: return e_path(org, wid, eid);
	case RT_E_PUBLISH: return h_printf("%s/publish", e_path(org, wid, eid));
	case RT__N: break;
	}
	return "/";
}

static void t_matrix(struct h_case *c, const void *arg)
{
	const struct mcell *m = arg;
	const struct rtdef *d = &rts[m->rt];
	const char *tok = TOK(m->ro), *uid = UID(m->ro), *tag = h_printf("%s %s %s", d->name,
	    role_names[m->ro], run_tag);
	const char *wid, *eid = NULL, *path = NULL, *body = NULL, *rid;
	int allowed = role_has(m->ro, d->perm);
	struct h_resp *r;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, h_printf("fixture %s", tag))) != NULL);
	if (d->episode)
		REQUIRE((eid = mk_episode(c, A.id, wid, h_printf("fixture ep %s", tag))) != NULL);
	if (m->rt == RT_W_UNPUBLISH)
		REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(A.id, wid)),
		    "Webtoon published successfully"));
	path = route_path(m->rt, A.id, wid, eid);
	if (m->rt == RT_W_CREATE || m->rt == RT_W_UPDATE || m->rt == RT_E_CREATE ||
	    m->rt == RT_E_UPDATE)
		body = h_jbody("title", tag, NULL);
	r = call(c, d->method, tok, path, body);
	rid = d->episode ? eid : wid;
	if (!allowed) {
		if (m->ro == RO_NONMEMBER)
			h_expect_err_msg(c, r, 404, "not_found", "Organization not found", "non-member");
		else
			h_expect_err_msg(c, r, 403, "forbidden", "Insufficient permissions", role_names[m->ro]);
		/* and nothing happened */
		switch (m->rt) {
		case RT_W_CREATE:
			EXPECT(c, db_count(c, "SELECT count(*) FROM webtoons WHERE title = $1", 1,
			    P(tag)) == 0, "the refused create wrote a webtoon");
			break;
		case RT_E_CREATE:
			EXPECT(c, db_count(c, "SELECT count(*) FROM episodes WHERE title = $1", 1,
			    P(tag)) == 0, "the refused create wrote an episode");
			break;
		case RT_W_GET:
			h_flush_views(c);
			EXPECT(c, h_streq(wcol(c, "view_count", wid), "0"), "a refused GET counted a view");
			break;
		case RT_E_GET:
			h_flush_views(c);
			EXPECT(c, h_streq(ecol(c, "view_count", eid), "0"), "a refused GET counted a view");
			break;
		case RT_W_UPDATE: case RT_W_DELETE:
			EXPECT(c, h_streq(wcol(c, "title", wid), h_printf("fixture %s", tag)),
			    "the refused %s changed the webtoon (title %s)", d->name,
			    wcol(c, "title", wid));
			break;
		case RT_E_UPDATE: case RT_E_DELETE:
			EXPECT(c, h_streq(ecol(c, "title", eid), h_printf("fixture ep %s", tag)),
			    "the refused %s changed the episode", d->name);
			break;
		case RT_W_PUBLISH: case RT_W_ARCHIVE:
			EXPECT(c, h_streq(wcol(c, "status", wid), "draft"), "status became %s",
			    wcol(c, "status", wid));
			break;
		case RT_W_UNPUBLISH:
			EXPECT(c, h_streq(wcol(c, "status", wid), "published"), "status became %s",
			    wcol(c, "status", wid));
			break;
		case RT_E_PUBLISH:
			EXPECT(c, h_streq(ecol(c, "status", eid), "draft"), "status became %s",
			    ecol(c, "status", eid));
			break;
		default:
			break;
		}
		if (d->audit != NULL)
			EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE action = $1 AND "
			    "user_id = $2::uuid AND org_id = $3::uuid", 3, P(d->audit, uid, A.id)) == 0,
			    "a refused request wrote an audit row %s", d->audit);
		return;
	}
	REQUIRE(expect_ok(c, r, d->ok_status, d->ok_msg, role_names[m->ro]));
	switch (m->rt) {
	case RT_W_CREATE:
		rid = h_strdup(h_jstr(r->json, "data._id"));
		EXPECT(c, h_streq(h_jstr(r->json, "data.createdBy._id"), uid), "createdBy %s",
		    jstr_of(h_jget(r->json, "data.createdBy")));
		EXPECT(c, db_count(c, "SELECT count(*) FROM webtoons WHERE title = $1 AND "
		    "org_id = $2::uuid AND created_by = $3::uuid AND status = 'draft'", 3,
		    P(tag, A.id, uid)) == 1, "no draft webtoon with the title and creator");
		break;
	case RT_W_LIST: {
		struct json_object *arr = h_jget(r->json, "data.data");
		int found = 0;

		for (size_t i = 0; i < json_object_array_length(arr) && !found; i++)
			found = h_streq(h_jstr(json_object_array_get_idx(arr, i), "_id"), wid);
		EXPECT(c, found, "the newest webtoon is not in the first page");
		break;
	}
	case RT_W_GET:
		EXPECT(c, h_streq(h_jstr(r->json, "data._id"), wid) &&
		    h_jint(r->json, "data.viewCount", -1) == 1, "GET answered %s", h_brief(r));
		EXPECT(c, h_sql_count_until(c, db, 1, VIEWS_SUM " WHERE "
		    "webtoon_id = $1::uuid AND user_id = $2::uuid AND metric_type = 'webtoon_views'",
		    2, P(wid, uid)) == 1, "no webtoon_views row for the reader");
		break;
	case RT_W_UPDATE:
		EXPECT(c, h_streq(wcol(c, "title", wid), tag), "title is %s", wcol(c, "title", wid));
		break;
	case RT_W_DELETE:
		EXPECT(c, wcol(c, "id", wid) == NULL, "the webtoon is still there");
		break;
	case RT_W_PUBLISH:
		EXPECT(c, h_streq(wcol(c, "status", wid), "published"), "status %s",
		    wcol(c, "status", wid));
		break;
	case RT_W_UNPUBLISH:
		EXPECT(c, h_streq(wcol(c, "status", wid), "draft"), "status %s",
		    wcol(c, "status", wid));
		break;
	case RT_W_ARCHIVE:
		EXPECT(c, h_streq(wcol(c, "status", wid), "archived"), "status %s",
		    wcol(c, "status", wid));
		break;
	case RT_E_CREATE:
		rid = h_strdup(h_jstr(r->json, "data._id"));
		EXPECT(c, h_jint(r->json, "data.episodeNumber", -1) == 2 &&
		    h_streq(h_jstr(r->json, "data.createdBy._id"), uid), "created %s", h_brief(r));
		EXPECT(c, h_streq(wcol(c, "episode_count", wid), "2"), "episode_count %s",
		    wcol(c, "episode_count", wid));
		break;
	case RT_E_LIST:
		EXPECT(c, json_object_array_length(h_jget(r->json, "data.data")) == 1 &&
		    h_streq(h_jstr(json_object_array_get_idx(h_jget(r->json, "data.data"), 0), "_id"),
		    eid), "list %s", h_brief(r));
		break;
	case RT_E_GET:
		EXPECT(c, h_streq(h_jstr(r->json, "data._id"), eid) &&
		    h_jint(r->json, "data.viewCount", -1) == 1 && h_sql_count_until(c, db, 1,
		    "SELECT view_count FROM episodes WHERE id = $1::uuid", 1, P(eid)) == 1,
		    "GET %s, view_count %s", h_brief(r), ecol(c, "view_count", eid));
		break;
	case RT_E_UPDATE:
		EXPECT(c, h_streq(ecol(c, "title", eid), tag), "title %s", ecol(c, "title", eid));
		break;
	case RT_E_DELETE:
		EXPECT(c, ecol(c, "id", eid) == NULL && h_streq(wcol(c, "episode_count", wid), "0"),
		    "episode still there or episode_count %s", wcol(c, "episode_count", wid));
		break;
	case RT_E_PUBLISH:
		EXPECT(c, h_streq(ecol(c, "status", eid), "published"), "status %s",
		    ecol(c, "status", eid));
		break;
	case RT__N:
		break;
	}
	if (d->audit != NULL)
		EXPECT(c, rid != NULL && db_count(c, "SELECT count(*) FROM audit_log WHERE action = $1 "
		    "AND resource_id = $2 AND user_id = $3::uuid AND org_id = $4::uuid", 4,
		    P(d->audit, rid ? rid : "", uid, A.id)) == 1, "no %s audit row by %s", d->audit,
		    role_names[m->ro]);
	if (m->ro == RO_SUPER)
		EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE action = "
		    "'super_admin_access' AND user_id = $1::uuid AND org_id = $2::uuid", 2,
		    P(uid, A.id)) >= 1, "the super admin's access was not audited");
}

static void t_no_token(struct h_case *c)
{
	NEED_SETUP(c);
	for (int i = 0; i < RT__N; i++) {
		const char *p = route_path((enum rt)i, A.id, VW, VE);

		h_expect_err_msg(c, call(c, rts[i].method, NULL, p, strcmp(rts[i].method, "PUT") == 0 ?
		    "{}" : NULL), 401, "unauthorized", "No token provided", rts[i].name);
		h_expect_err_msg(c, call(c, rts[i].method, "not.a.jwt", p, NULL), 401, "unauthorized",
		    "Invalid token", rts[i].name);
	}
}

static void t_bad_ids(struct h_case *c)
{
	NEED_SETUP(c);
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), h_printf("/api/webtoons/%s/not-a-uuid", A.id),
	    NULL), 400, "bad_request", NULL, "malformed webtoon id");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), h_printf("%s/episodes/123", w_path(A.id, VW)),
	    NULL), 400, "bad_request", NULL, "malformed episode id");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), "/api/webtoons/xyz", NULL), 400,
	    "bad_request", NULL, "malformed organization id");
	/* a well-formed id that does not exist */
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), w_path(A.id,
	    "00000000-0000-4000-8000-000000000000"), NULL), 404, "not_found", "Webtoon not found",
	    "unknown webtoon");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), e_path(A.id, VW,
	    "00000000-0000-4000-8000-000000000000"), NULL), 404, "not_found", "Episode not found",
	    "unknown episode");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), wt_path("00000000-0000-4000-8000-000000000000"),
	    NULL), 404, "not_found", NULL, "unknown organization");
}

/* ---- validation: every rule with its message ---- */

enum vtarget { VT_WC, VT_WU, VT_EC, VT_EU };

struct vrow {
	const char *name;
	enum vtarget target;
	const char *body;     /* NULL: no body at all */
	const char *field, *msg;
};

#define IMG_MSG "must be a valid uri (our /media/ URL or an https URL)"

static struct vrow vrows[] = {
	{ "webtoon_create_no_body", VT_WC, NULL, "", "\"value\" must be of type object" },
	{ "webtoon_create_array_body", VT_WC, "[]", "", "\"value\" must be of type object" },
	{ "webtoon_create_title_required", VT_WC, "{}", "title", "\"title\" is required" },
	{ "webtoon_create_title_empty", VT_WC, "{\"title\":\"\"}", "title",
	  "\"title\" is not allowed to be empty" },
	{ "webtoon_create_title_whitespace", VT_WC, "{\"title\":\" \\t\\n \"}", "title",
	  "\"title\" is not allowed to be empty" },
	{ "webtoon_create_title_number", VT_WC, "{\"title\":5}", "title",
	  "\"title\" must be a string" },
	{ "webtoon_create_title_null", VT_WC, "{\"title\":null}", "title",
	  "\"title\" must be a string" },
	{ "webtoon_create_title_201", VT_WC, NULL, "title",
	  "\"title\" length must be less than or equal to 200 characters long" },
	{ "webtoon_create_title_101_emoji", VT_WC, NULL, "title",
	  "\"title\" length must be less than or equal to 200 characters long" },
	{ "webtoon_create_description_1001", VT_WC, NULL, "description",
	  "\"description\" length must be less than or equal to 1000 characters long" },
	{ "webtoon_create_description_empty", VT_WC, "{\"title\":\"t\",\"description\":\"  \"}",
	  "description", "\"description\" is not allowed to be empty" },
	{ "webtoon_create_description_number", VT_WC, "{\"title\":\"t\",\"description\":1}",
	  "description", "\"description\" must be a string" },
	{ "webtoon_create_cover_http", VT_WC,
	  "{\"title\":\"t\",\"coverImage\":\"http://cdn.example.com/a.png\"}", "coverImage",
	  "\"coverImage\" " IMG_MSG },
	{ "webtoon_create_cover_javascript", VT_WC,
	  "{\"title\":\"t\",\"coverImage\":\"javascript:alert(1)\"}", "coverImage",
	  "\"coverImage\" " IMG_MSG },
	{ "webtoon_create_cover_media_dotdot", VT_WC,
	  "{\"title\":\"t\",\"coverImage\":\"/media/../etc/passwd\"}", "coverImage",
	  "\"coverImage\" " IMG_MSG },
	{ "webtoon_create_cover_relative", VT_WC,
	  "{\"title\":\"t\",\"coverImage\":\"images/a.png\"}", "coverImage",
	  "\"coverImage\" " IMG_MSG },
	{ "webtoon_create_cover_https_no_host", VT_WC,
	  "{\"title\":\"t\",\"coverImage\":\"https:///a.png\"}", "coverImage",
	  "\"coverImage\" " IMG_MSG },
	{ "webtoon_create_cover_null", VT_WC, "{\"title\":\"t\",\"coverImage\":null}",
	  "coverImage", "\"coverImage\" must be a string" },
	{ "webtoon_create_tags_not_array", VT_WC, "{\"title\":\"t\",\"tags\":\"a,b\"}", "tags",
	  "\"tags\" must be an array" },
	{ "webtoon_create_tags_item_number", VT_WC, "{\"title\":\"t\",\"tags\":[\"a\",7]}",
	  "tags.1", "\"tags[1]\" must be a string" },
	{ "webtoon_create_tags_item_empty", VT_WC, "{\"title\":\"t\",\"tags\":[\"  \"]}",
	  "tags.0", "\"tags[0]\" is not allowed to be empty" },
	{ "webtoon_create_tags_item_51", VT_WC, NULL, "tags.0",
	  "\"tags[0]\" length must be less than or equal to 50 characters long" },
	{ "webtoon_create_tags_31_items", VT_WC, NULL, "tags",
	  "\"tags\" must contain less than or equal to 30 items" },
	{ "webtoon_create_categories_not_array", VT_WC,
	  "{\"title\":\"t\",\"categories\":{\"a\":1}}", "categories",
	  "\"categories\" must be an array" },
	{ "webtoon_create_categories_item_null", VT_WC,
	  "{\"title\":\"t\",\"categories\":[null]}", "categories.0",
	  "\"categories[0]\" must be a string" },
	{ "webtoon_create_categories_31_items", VT_WC, NULL, "categories",
	  "\"categories\" must contain less than or equal to 30 items" },
	{ "webtoon_create_unknown_key", VT_WC, "{\"title\":\"t\",\"genre\":\"x\"}", "genre",
	  "\"genre\" is not allowed" },
	{ "webtoon_create_status_not_allowed", VT_WC, "{\"title\":\"t\",\"status\":\"published\"}",
	  "status", "\"status\" is not allowed" },
	{ "webtoon_create_viewcount_not_allowed", VT_WC, "{\"title\":\"t\",\"viewCount\":9}",
	  "viewCount", "\"viewCount\" is not allowed" },
	{ "webtoon_update_status_not_allowed", VT_WU, "{\"status\":\"published\"}", "status",
	  "\"status\" is not allowed" },
	{ "webtoon_update_title_whitespace", VT_WU, "{\"title\":\"   \"}", "title",
	  "\"title\" is not allowed to be empty" },
	{ "webtoon_update_title_null", VT_WU, "{\"title\":null}", "title",
	  "\"title\" must be a string" },
	{ "webtoon_update_title_201", VT_WU, NULL, "title",
	  "\"title\" length must be less than or equal to 200 characters long" },
	{ "webtoon_update_cover_empty", VT_WU, "{\"coverImage\":\"\"}", "coverImage",
	  "\"coverImage\" is not allowed to be empty" },
	{ "webtoon_update_cover_ftp", VT_WU, "{\"coverImage\":\"ftp://example.com/a.png\"}",
	  "coverImage", "\"coverImage\" " IMG_MSG },
	{ "webtoon_update_tags_null", VT_WU, "{\"tags\":null}", "tags",
	  "\"tags\" must be an array" },
	{ "webtoon_update_unknown_key", VT_WU, "{\"organizationId\":\"x\"}", "organizationId",
	  "\"organizationId\" is not allowed" },
	{ "webtoon_update_array_body", VT_WU, "[{\"title\":\"x\"}]", "",
	  "\"value\" must be of type object" },
	{ "episode_create_title_required", VT_EC, "{\"content\":\"x\"}", "title",
	  "\"title\" is required" },
	{ "episode_create_title_whitespace", VT_EC, "{\"title\":\"  \"}", "title",
	  "\"title\" is not allowed to be empty" },
	{ "episode_create_title_201", VT_EC, NULL, "title",
	  "\"title\" length must be less than or equal to 200 characters long" },
	{ "episode_create_images_not_array", VT_EC, "{\"title\":\"t\",\"images\":\"a.png\"}",
	  "images", "\"images\" must be an array" },
	{ "episode_create_images_http", VT_EC,
	  "{\"title\":\"t\",\"images\":[\"/media/a.png\",\"http://x.example.com/b.png\"]}",
	  "images.1", "\"images[1]\" " IMG_MSG },
	{ "episode_create_images_item_empty", VT_EC, "{\"title\":\"t\",\"images\":[\"\"]}",
	  "images.0", "\"images[0]\" is not allowed to be empty" },
	{ "episode_create_images_item_number", VT_EC, "{\"title\":\"t\",\"images\":[1]}",
	  "images.0", "\"images[0]\" must be a string" },
	{ "episode_create_number_zero", VT_EC, "{\"title\":\"t\",\"episodeNumber\":0}",
	  "episodeNumber", "\"episodeNumber\" must be greater than or equal to 1" },
	{ "episode_create_number_negative", VT_EC, "{\"title\":\"t\",\"episodeNumber\":-3}",
	  "episodeNumber", "\"episodeNumber\" must be greater than or equal to 1" },
	{ "episode_create_number_fraction", VT_EC, "{\"title\":\"t\",\"episodeNumber\":1.5}",
	  "episodeNumber", "\"episodeNumber\" must be an integer" },
	{ "episode_create_number_boolean", VT_EC, "{\"title\":\"t\",\"episodeNumber\":true}",
	  "episodeNumber", "\"episodeNumber\" must be a number" },
	{ "episode_create_number_huge", VT_EC,
	  "{\"title\":\"t\",\"episodeNumber\":18446744073709551616}", "episodeNumber", NULL },
	{ "episode_create_status_not_allowed", VT_EC, "{\"title\":\"t\",\"status\":\"draft\"}",
	  "status", "\"status\" is not allowed" },
	{ "episode_create_unknown_key", VT_EC, "{\"title\":\"t\",\"webtoonId\":\"x\"}",
	  "webtoonId", "\"webtoonId\" is not allowed" },
	{ "episode_update_title_empty", VT_EU, "{\"title\":\"\"}", "title",
	  "\"title\" is not allowed to be empty" },
	{ "episode_update_number_zero", VT_EU, "{\"episodeNumber\":0}", "episodeNumber",
	  "\"episodeNumber\" must be greater than or equal to 1" },
	{ "episode_update_images_https_bad", VT_EU, "{\"images\":[\"https://a b/c.png\"]}",
	  "images.0", "\"images[0]\" " IMG_MSG },
	{ "episode_update_status_not_allowed", VT_EU, "{\"status\":\"published\"}", "status",
	  "\"status\" is not allowed" },
};

static void fill_long_rows(void)
{
	for (size_t i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++) {
		struct vrow *v = &vrows[i];

		if (strstr(v->name, "title_201"))
			v->body = h_printf("{\"title\":\"%s\"}", h_repeat("a", 201));
		else if (strstr(v->name, "title_101_emoji"))
			v->body = h_printf("{\"title\":\"%s\"}", h_repeat("\xf0\x9f\x93\x9a", 101));
		else if (strstr(v->name, "description_1001"))
			v->body = h_printf("{\"title\":\"t\",\"description\":\"%s\"}",
			    h_repeat("d", 1001));
		else if (strstr(v->name, "tags_item_51"))
			v->body = h_printf("{\"title\":\"t\",\"tags\":[\"%s\"]}", h_repeat("g", 51));
		else if (strstr(v->name, "tags_31_items"))
			v->body = h_printf("{\"title\":\"t\",\"tags\":[%s\"x\"]}", h_repeat("\"x\",", 30));
		else if (strstr(v->name, "categories_31_items"))
			v->body = h_printf("{\"title\":\"t\",\"categories\":[%s\"x\"]}",
			    h_repeat("\"x\",", 30));
	}
}

static void t_validation(struct h_case *c, const void *arg)
{
	const struct vrow *v = arg;
	const char *path = NULL, *method = "POST";
	const char *before_w, *before_e;
	struct h_resp *r;
	long nw;

	NEED_SETUP(c);
	switch (v->target) {
	case VT_WC: path = wt_path(A.id); break;
	case VT_WU: path = w_path(A.id, VW); method = "PUT"; break;
	case VT_EC: path = eps_path(A.id, VW); break;
	case VT_EU: path = e_path(A.id, VW, VE); method = "PUT"; break;
	}
	before_w = wcol(c, "to_jsonb(webtoons) - 'view_count'", VW);
	before_e = ecol(c, "to_jsonb(episodes) - 'view_count'", VE);
	nw = db_count(c, "SELECT count(*) FROM webtoons WHERE org_id = $1::uuid", 1, P(A.id)) +
	    db_count(c, "SELECT count(*) FROM episodes WHERE org_id = $1::uuid", 1, P(A.id));
	r = call(c, method, TOK(RO_ADMIN), path, v->body);
	if (v->msg != NULL) {
		expect_invalid(c, r, 1, P(v->field), P(v->msg), v->name);
	} else if (h_expect_err_msg(c, r, 400, NULL, NULL, v->name)) {
		/* a number json-c cannot hold: any clear 400 */
		EXPECT(c, !h_streq(h_jstr(r->json, "code"), "internal"), "code internal");
	}
	EXPECT(c, h_streq(before_w, wcol(c, "to_jsonb(webtoons) - 'view_count'", VW)) &&
	    h_streq(before_e, ecol(c, "to_jsonb(episodes) - 'view_count'", VE)),
	    "a refused body changed a row");
	EXPECT(c, nw == db_count(c, "SELECT count(*) FROM webtoons WHERE org_id = $1::uuid", 1,
	    P(A.id)) + db_count(c, "SELECT count(*) FROM episodes WHERE org_id = $1::uuid", 1,
	    P(A.id)), "a refused body created a row");
}

/* Every bad field is named at once, not only the first. */
static void t_validation_all_errors(struct h_case *c)
{
	NEED_SETUP(c);
	expect_invalid(c, call(c, "POST", TOK(RO_ADMIN), wt_path(A.id),
	    h_printf("{\"title\":\"  \",\"description\":\"%s\",\"coverImage\":\"ftp://x/y\","
	    "\"tags\":[\"\"],\"extra\":1}", h_repeat("d", 1001))), 5,
	    P("title", "description", "coverImage", "tags.0", "extra"),
	    P("\"title\" is not allowed to be empty",
	    "\"description\" length must be less than or equal to 1000 characters long",
	    "\"coverImage\" " IMG_MSG, "\"tags[0]\" is not allowed to be empty",
	    "\"extra\" is not allowed"), "webtoon create with five bad fields");
	expect_invalid(c, call(c, "POST", TOK(RO_ADMIN), eps_path(A.id, VW),
	    "{\"episodeNumber\":0,\"images\":[\"x\"],\"status\":\"draft\"}"), 4,
	    P("title", "episodeNumber", "images.0", "status"),
	    P("\"title\" is required", "\"episodeNumber\" must be greater than or equal to 1",
	    "\"images[0]\" " IMG_MSG, "\"status\" is not allowed"),
	    "episode create with four bad fields");
}

/* A member without the permission learns nothing from a bad body: 403 before 400; a
 * non-member 404. Malformed JSON and a wrong content type are refused before both. */
static void t_validation_order(struct h_case *c)
{
	NEED_SETUP(c);
	h_expect_err_msg(c, call(c, "POST", TOK(RO_VIEWER), wt_path(A.id), "{}"), 403, "forbidden",
	    "Insufficient permissions", "viewer with a bad body");
	h_expect_err_msg(c, call(c, "POST", TOK(RO_NONMEMBER), wt_path(A.id), "{}"), 404, "not_found",
	    "Organization not found", "non-member with a bad body");
	h_expect_err_msg(c, call(c, "POST", TOK(RO_ADMIN), wt_path(A.id), "{\"title\":\"x\",}"), 400,
	    "bad_request", NULL, "trailing comma");
	h_expect_err_msg(c, call(c, "PUT", TOK(RO_ADMIN), w_path(A.id, VW), "{\"title\":'x'}"), 400,
	    "bad_request", NULL, "single quotes");
	h_expect_err_msg(c, h_do(c, &(struct h_req){ .method = "POST", .path = wt_path(A.id),
	    .headers = P(h_printf("Authorization: Bearer %s", TOK(RO_ADMIN)), NULL),
	    .ctype = "text/plain", .body = "{\"title\":\"x\"}" }), 415, "unsupported_media_type",
	    NULL, "text/plain body");
}

/* Strings are trimmed before their lengths are checked, and stored trimmed (D39). */
static void t_trim_and_accept(struct h_case *c)
{
	const char *t200 = h_repeat("a", 200), *e100 = h_repeat("\xf0\x9f\x93\x9a", 100);
	struct h_resp *r;
	const char *id;

	NEED_SETUP(c);
	r = call(c, "POST", TOK(RO_ADMIN), wt_path(A.id), h_printf("{\"title\":\"  %s \\n\","
	    "\"description\":\"  d  \",\"coverImage\":\" /media/%s/ab12.png \","
	    "\"tags\":[\" x \",\"y\"],\"categories\":[\" Romance \"]}", t200, A.id));
	REQUIRE(expect_ok(c, r, 201, "Webtoon created successfully", "padded 200-char title"));
	EXPECT(c, h_streq(h_jstr(r->json, "data.title"), t200), "title stored untrimmed");
	EXPECT(c, h_streq(h_jstr(r->json, "data.description"), "d"), "description %s",
	    h_jstr(r->json, "data.description"));
	EXPECT(c, h_streq(h_jstr(r->json, "data.coverImage"), h_printf("/media/%s/ab12.png", A.id)),
	    "coverImage %s", h_jstr(r->json, "data.coverImage"));
	EXPECT(c, h_streq(jstr_of(h_jget(r->json, "data.tags")), "[\"x\",\"y\"]") &&
	    h_streq(jstr_of(h_jget(r->json, "data.categories")), "[\"Romance\"]"),
	    "tags %s categories %s", jstr_of(h_jget(r->json, "data.tags")),
	    jstr_of(h_jget(r->json, "data.categories")));
	id = h_strdup(h_jstr(r->json, "data._id"));
	EXPECT(c, h_streq(db_one(c, "SELECT title || '|' || description || '|' || "
	    "array_to_string(tags, ',') || '|' || array_to_string(categories, ',') FROM webtoons "
	    "WHERE id = $1::uuid", 1, P(id ? id : VW)), h_printf("%s|d|x,y|Romance", t200)),
	    "stored row is not trimmed");
	/* array items are stored trimmed of what the validator trimmed (\v and \f too) */
	r = call(c, "POST", TOK(RO_ADMIN), wt_path(A.id), "{\"title\":\"\\u000b\\f trim \","
	    "\"tags\":[\"\\u000bv\\f\"],\"categories\":[\"\\fc\\u000b\"]}");
	if (expect_ok(c, r, 201, "Webtoon created successfully", "\\v \\f padding"))
		EXPECT(c, h_streq(h_jstr(r->json, "data.title"), "trim") &&
		    h_streq(jstr_of(h_jget(r->json, "data.tags")), "[\"v\"]") &&
		    h_streq(jstr_of(h_jget(r->json, "data.categories")), "[\"c\"]"),
		    "stored untrimmed: %s", h_brief(r));
	r = call(c, "POST", TOK(RO_ADMIN), eps_path(A.id, VW), "{\"title\":\"i\","
	    "\"images\":[\"\\f/media/a/b.png\\u000b\"]}");
	EXPECT(c, r->status == 201 && h_streq(jstr_of(h_jget(r->json, "data.images")),
	    "[\"/media/a/b.png\"]"), "images stored untrimmed: %s", h_brief(r));
	/* 100 astral characters are 200 UTF-16 units: the limit, accepted */
	r = call(c, "POST", TOK(RO_ADMIN), wt_path(A.id), h_printf("{\"title\":\"%s\","
	    "\"coverImage\":\"https://cdn.example.com/covers/a.png?v=2\"}", e100));
	EXPECT(c, r->status == 201, "100 emoji title: %s", h_brief(r));
	/* a single-character title, the episode the same */
	r = call(c, "POST", TOK(RO_ADMIN), wt_path(A.id), "{\"title\":\" z \"}");
	EXPECT(c, r->status == 201 && h_streq(h_jstr(r->json, "data.title"), "z"), "1-char: %s",
	    h_brief(r));
	r = call(c, "POST", TOK(RO_ADMIN), eps_path(A.id, VW), h_printf("{\"title\":\" %s \"}",
	    t200));
	EXPECT(c, r->status == 201 && h_streq(h_jstr(r->json, "data.title"), t200),
	    "padded 200-char episode title: %s", h_brief(r));
}

/* PUT is partial: absent keys stay, null clears description and coverImage. */
static void t_update_partial(struct h_case *c)
{
	struct h_resp *r;
	const char *id;

	NEED_SETUP(c);
	REQUIRE((id = mk_webtoon_body(c, TOK(RO_ADMIN), A.id, "{\"title\":\"partial\","
	    "\"description\":\"desc\",\"coverImage\":\"https://cdn.example.com/c.png\","
	    "\"tags\":[\"t1\"],\"categories\":[\"c1\"]}")) != NULL);
	r = call(c, "PUT", TOK(RO_USER), w_path(A.id, id), "{\"description\":\"new desc\"}");
	REQUIRE(expect_ok(c, r, 200, "Webtoon updated successfully", "description only"));
	EXPECT(c, h_streq(h_jstr(r->json, "data.title"), "partial") &&
	    h_streq(h_jstr(r->json, "data.description"), "new desc") &&
	    h_streq(h_jstr(r->json, "data.coverImage"), "https://cdn.example.com/c.png") &&
	    h_streq(jstr_of(h_jget(r->json, "data.tags")), "[\"t1\"]") &&
	    h_streq(jstr_of(h_jget(r->json, "data.categories")), "[\"c1\"]"),
	    "absent keys changed: %s", h_brief(r));
	r = call(c, "PUT", TOK(RO_USER), w_path(A.id, id), "{\"description\":null,"
	    "\"coverImage\":null,\"tags\":[],\"categories\":[\"c2\",\"c3\"],\"title\":\" T2 \"}");
	REQUIRE(expect_ok(c, r, 200, "Webtoon updated successfully", "clear"));
	EXPECT(c, h_jget(r->json, "data.description") == NULL &&
	    h_jget(r->json, "data.coverImage") == NULL, "null did not clear: %s", h_brief(r));
	EXPECT(c, h_streq(h_jstr(r->json, "data.title"), "T2") &&
	    h_streq(jstr_of(h_jget(r->json, "data.tags")), "[]") &&
	    h_streq(jstr_of(h_jget(r->json, "data.categories")), "[\"c2\",\"c3\"]"),
	    "update: %s", h_brief(r));
	EXPECT(c, db_count(c, "SELECT count(*) FROM webtoons WHERE id = $1::uuid AND "
	    "description IS NULL AND cover_image IS NULL", 1, P(id)) == 1,
	    "the cleared columns are not NULL");
	r = call(c, "PUT", TOK(RO_USER), w_path(A.id, id), "{\"description\":\"\"}");
	EXPECT(c, r->status == 200 && h_jget(r->json, "data.description") == NULL,
	    "an empty description clears it: %s", h_brief(r));
	r = call(c, "PUT", TOK(RO_USER), w_path(A.id, id), "{}");
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.title"), "T2"),
	    "an empty update: %s", h_brief(r));
}

/* ---- pagination bounds ---- */

struct pgrow {
	const char *name, *query;
	size_t n;
	const char *fields[2], *msgs[2];
};

static const struct pgrow pgrows[] = {
	{ "page_zero", "page=0", 1, { "page" }, { "\"page\" must be greater than or equal to 1" } },
	{ "page_negative", "page=-1", 1, { "page" }, { "\"page\" must be an integer" } },
	{ "page_text", "page=abc", 1, { "page" }, { "\"page\" must be an integer" } },
	{ "page_fraction", "page=1.5", 1, { "page" }, { "\"page\" must be an integer" } },
	{ "page_empty", "page=", 1, { "page" }, { "\"page\" must be an integer" } },
	{ "page_too_big", "page=1000001", 1, { "page" },
	  { "\"page\" must be less than or equal to 1000000" } },
	{ "limit_zero", "limit=0", 1, { "limit" },
	  { "\"limit\" must be greater than or equal to 1" } },
	{ "limit_101", "limit=101", 1, { "limit" },
	  { "\"limit\" must be less than or equal to 100" } },
	{ "limit_text", "limit=ten", 1, { "limit" }, { "\"limit\" must be an integer" } },
	{ "limit_negative", "limit=-5", 1, { "limit" }, { "\"limit\" must be an integer" } },
	{ "limit_huge", "limit=99999999999999999999", 1, { "limit" }, { NULL } },
	{ "page_and_limit", "page=0&limit=1000", 2, { "page", "limit" },
	  { "\"page\" must be greater than or equal to 1",
	    "\"limit\" must be less than or equal to 100" } },
};

static void t_paging_bounds(struct h_case *c, const void *arg)
{
	const struct pgrow *g = arg;

	NEED_SETUP(c);
	const char *member[] = { wt_path(A.id), eps_path(A.id, VW) };
	const char *public[] = { "/api/public/webtoons",
	    h_printf("/api/public/webtoons/%s/episodes", VW) };

	for (int i = 0; i < 4; i++) {
		const char *path = h_printf("%s?%s", i < 2 ? member[i] : public[i - 2], g->query);
		struct h_resp *r = i < 2 ? call(c, "GET", TOK(RO_VIEWER), path, NULL) :
		    pub(c, A.host, path, NULL);

		if (g->msgs[0] != NULL)
			expect_invalid(c, r, g->n, g->fields, g->msgs, path);
		else
			h_expect_err_msg(c, r, 400, "validation_failed", NULL, path);
	}
}

static void t_paging_accepts_bounds(struct h_case *c)
{
	NEED_SETUP(c);
	static const char *const ok[] = { "page=1&limit=1", "limit=100", "page=1000000",
	    "page=2&limit=100" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct h_resp *r = call(c, "GET", TOK(RO_VIEWER), h_printf("%s?%s", wt_path(A.id),
		    ok[i]), NULL);

		if (expect_ok(c, r, 200, NULL, ok[i]))
			EXPECT(c, json_object_is_type(h_jget(r->json, "data.data"), json_type_array),
			    "%s: no data.data array", ok[i]);
	}
}

/* ---- lists in organization L: search, filters, sorts, pages ---- */

#define NL 6
static const char *const l_titles[NL] = { "Alpha .* Beta", "Paren ( open", "Back \\ slash",
    "Hundred % pure", "snake_case title", "Plain zeta" };
static const char *l_ids[NL];
static int l_ready;

static void t_list_setup(struct h_case *c)
{
	NEED_SETUP(c);
	for (int i = 0; i < NL; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "title", json_object_new_string(l_titles[i]));
		if (i == 5)
			json_object_object_add(o, "description",
			    json_object_new_string("mentions ALPHA in the description"));
		if (i == 0 || i == 1) {
			struct json_object *t = json_object_new_array();

			json_object_array_add(t, json_object_new_string("drama"));
			if (i == 0)
				json_object_array_add(t, json_object_new_string("action"));
			json_object_object_add(o, "tags", t);
		}
		REQUIRE((l_ids[i] = mk_webtoon_body(c, TOK(RO_ADMIN), L.id, h_jtext(o))) != NULL);
		h_sleep_ms(3);  /* distinct createdAt: the newest-first order is exact */
	}
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(L.id, l_ids[0])),
	    "Webtoon published successfully"));
	h_sleep_ms(3);
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(L.id, l_ids[1])),
	    "Webtoon published successfully"));
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/archive", w_path(L.id, l_ids[2])),
	    "Webtoon archived successfully"));
	for (int i = 0; i < 3; i++)
		REQUIRE(expect_ok(c, call(c, "GET", TOK(RO_ADMIN), w_path(L.id, l_ids[2]), NULL),
		    200, NULL, "view"));
	REQUIRE(expect_ok(c, call(c, "GET", TOK(RO_ADMIN), w_path(L.id, l_ids[4]), NULL), 200,
	    NULL, "view"));
	h_flush_views(c); /* lists show the views written to PostgreSQL */
	l_ready = 1;
}

/* The list's items as 1-based positions in l_ids ("1,3"); "?" for an unknown id. */
static const char *l_order(struct h_resp *r)
{
	struct json_object *arr = h_jget(r->json, "data.data");
	char buf[256] = "";

	if (!json_object_is_type(arr, json_type_array))
		return h_printf("(no list: %s)", h_brief(r));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *id = h_jstr(json_object_array_get_idx(arr, i), "_id");
		int k = -1;

		for (int j = 0; j < NL && k < 0; j++)
			if (h_streq(l_ids[j], id))
				k = j;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%c", i ? "," : "",
		    k < 0 ? '?' : '1' + k);
	}
	return h_strdup(buf);
}

struct lrow {
	const char *name, *query, *want;   /* want: l_order() of the answer */
	int public;                         /* the public list on L's host */
};

static const struct lrow lrows[] = {
	{ "search_dot_star_literal", "search=.*", "1", 0 },
	{ "search_open_paren_literal", "search=(", "2", 0 },
	{ "search_backslash_literal", "search=\\", "3", 0 },
	{ "search_percent_literal", "search=%", "4", 0 },
	{ "search_underscore_literal", "search=_", "5", 0 },
	{ "search_bracket_no_match", "search=[", "", 0 },
	{ "search_caret_anchor_literal", "search=^Plain", "", 0 },
	{ "search_regex_alternation_literal", "search=Alpha|Plain", "", 0 },
	{ "search_case_insensitive_title_and_description", "search=ALPHA", "6,1", 0 },
	{ "search_substring", "search=ake_ca", "5", 0 },
	{ "filter_status_published", "status=published", "2,1", 0 },
	{ "filter_status_archived", "status=archived", "3", 0 },
	{ "filter_status_draft", "status=draft", "6,5,4", 0 },
	{ "filter_tag", "tag=drama", "2,1", 0 },
	{ "filter_tag_and_status", "tag=action&status=published", "1", 0 },
	{ "filter_tag_and_search", "tag=drama&search=paren", "2", 0 },
	{ "sort_newest_default", "", "6,5,4,3,2,1", 0 },
	{ "sort_newest", "sort=newest", "6,5,4,3,2,1", 0 },
	{ "sort_title", "sort=title", "1,3,4,2,6,5", 0 },
	{ "sort_published_at", "sort=publishedAt", "2,1,6,5,4,3", 0 },
	{ "sort_views", "sort=views", "3,5,6,4,2,1", 0 },
	{ "page_1_of_2", "limit=4", "6,5,4,3", 0 },
	{ "page_2_of_2", "limit=4&page=2", "2,1", 0 },
	{ "page_past_the_end", "limit=4&page=3", "", 0 },
	{ "public_published_only", "", "2,1", 1 },
	{ "public_status_draft_ignored", "status=draft", "2,1", 1 },
	{ "public_search_literal", "search=.*", "1", 1 },
	{ "public_search_no_draft", "search=snake", "", 1 },
	{ "public_tag", "tag=action", "1", 1 },
	{ "public_sort_title", "sort=title", "1,2", 1 },
	{ "public_page_2", "limit=1&page=2", "1", 1 },
};

static void t_list(struct h_case *c, const void *arg)
{
	const struct lrow *l = arg;
	char q[256] = "";
	const char *got;
	struct h_resp *r;
	long total = 0;

	CHECK(c, l_ready, "list setup failed");
	/* encode each value of the query */
	for (const char *p = l->query; *p;) {
		size_t kn = strcspn(p, "="), vn;
		char val[128];

		vn = strcspn(p + kn + 1, "&");
		snprintf(val, sizeof(val), "%.*s", (int)vn, p + kn + 1);
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "%s%.*s=%s", *q ? "&" : "?", (int)kn,
		    p, qenc(val));
		p += kn + 1 + vn;
		if (*p == '&')
			p++;
	}
	if (l->public)
		r = pub(c, L.host, h_printf("/api/public/webtoons%s", q), NULL);
	else
		r = call(c, "GET", TOK(RO_ADMIN), h_printf("%s%s", wt_path(L.id), q), NULL);
	REQUIRE(expect_ok(c, r, 200, NULL, q));
	got = l_order(r);
	EXPECT(c, h_streq(got, l->want), "%s: got [%s], expected [%s]", q, got, l->want);
	/* total counts every match, pages follow from it */
	for (const char *p = l->want; *p; p++)
		total += *p != ',';
	if (strstr(l->name, "page_") != NULL)
		total = l->public ? 2 : NL;
	EXPECT(c, h_jint(r->json, "data.pagination.total", -1) == total, "%s: total %ld, expected "
	    "%ld", q, h_jint(r->json, "data.pagination.total", -1), total);
	if (strstr(l->query, "limit=4"))
		EXPECT(c, h_jint(r->json, "data.pagination.pages", -1) == 2 &&
		    h_jint(r->json, "data.pagination.limit", -1) == 4, "pagination %s",
		    jstr_of(h_jget(r->json, "data.pagination")));
}

static void t_list_query_errors(struct h_case *c)
{
	NEED_SETUP(c);
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?status=live", wt_path(A.id)),
	    NULL), 1, P("status"), P("\"status\" must be one of [draft, published, archived]"),
	    "status=live");
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?sort=random", wt_path(A.id)),
	    NULL), 1, P("sort"), P("\"sort\" must be one of [newest, title, publishedAt, views]"),
	    "sort=random");
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?search=%s", wt_path(A.id),
	    h_repeat("s", 201)), NULL), 1, P("search"),
	    P("\"search\" length must be less than or equal to 200 characters long"),
	    "search of 201 characters");
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?status=bogus",
	    eps_path(A.id, VW)), NULL), 1, P("status"),
	    P("\"status\" must be one of [draft, published, archived]"), "episodes status=bogus");
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?tag=%s", wt_path(A.id),
	    h_repeat("t", 51)), NULL), 1, P("tag"),
	    P("\"tag\" length must be less than or equal to 50 characters long"), "tag of 51");
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?search=%%FF%%FE", wt_path(A.id)),
	    NULL), 1, P("search"), P("\"search\" must be valid UTF-8 text"), "search not UTF-8");
	expect_invalid(c, pub(c, A.host, "/api/public/webtoons?sort=random", NULL), 1, P("sort"),
	    P("\"sort\" must be one of [newest, title, publishedAt, views]"), "public sort");
	/* every bad parameter of a list is named in one answer, not the first one found */
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?page=0&limit=500&status=live"
	    "&sort=random&tag=%s&search=%%FF", wt_path(A.id), h_repeat("t", 51)), NULL), 6,
	    P("page", "limit", "status", "sort", "tag", "search"),
	    P("\"page\" must be greater than or equal to 1",
	    "\"limit\" must be less than or equal to 100",
	    "\"status\" must be one of [draft, published, archived]",
	    "\"sort\" must be one of [newest, title, publishedAt, views]",
	    "\"tag\" length must be less than or equal to 50 characters long",
	    "\"search\" must be valid UTF-8 text"), "every parameter of the list wrong");
	expect_invalid(c, call(c, "GET", TOK(RO_VIEWER), h_printf("%s?limit=x&status=bogus",
	    eps_path(A.id, VW)), NULL), 2, P("limit", "status"),
	    P("\"limit\" must be an integer", "\"status\" must be one of [draft, published, archived]"),
	    "episodes: limit and status wrong");
	expect_invalid(c, pub(c, A.host, "/api/public/webtoons?page=x&sort=random&status=draft",
	    NULL), 2, P("page", "sort"), P("\"page\" must be an integer",
	    "\"sort\" must be one of [newest, title, publishedAt, views]"),
	    "public list: page and sort wrong (status is not its parameter)");
}

/* ---- an answer larger than one FastCGI record (the worker hands it to libfcgi's stream) ---- */

static void t_list_larger_than_one_record(struct h_case *c)
{
	struct org o;
	const char *desc = h_repeat("d", 1000);

	NEED_SETUP(c);
	REQUIRE(mk_org(c, RO_ADMIN, "big", &o));
	for (int i = 0; i < 52; i++)
		REQUIRE(mk_webtoon_body(c, TOK(RO_ADMIN), o.id, h_jbody("title",
		    h_printf("Big %02d", i), "description", desc, NULL)) != NULL);
	struct h_resp *r = call(c, "GET", TOK(RO_ADMIN), h_printf("%s?limit=100", wt_path(o.id)),
	    NULL);
	REQUIRE(expect_ok(c, r, 200, NULL, "the list of 52 webtoons"));
	struct json_object *d = h_jget(r->json, "data.data");
	EXPECT(c, r->body_len > 70000, "the answer is %zu bytes: not larger than one record",
	    r->body_len);
	EXPECT(c, json_object_is_type(d, json_type_array) && json_object_array_length(d) == 52,
	    "52 webtoons expected: %s", h_brief(r));
	int whole = 0;
	for (size_t i = 0; d && i < json_object_array_length(d); i++)
		whole += h_streq(h_jstr(json_object_array_get_idx(d, i), "description"), desc);
	EXPECT(c, whole == 52, "%d of 52 descriptions came back whole", whole);
	EXPECT(c, h_jint(r->json, "data.pagination.total", -1) == 52, "pagination: %s",
	    h_brief(r));
	/* the same list again (from the read cache), and a small one: still one record each */
	struct h_resp *again = call(c, "GET", TOK(RO_ADMIN), h_printf("%s?limit=100",
	    wt_path(o.id)), NULL);
	EXPECT(c, again->status == 200 && again->body_len == r->body_len &&
	    memcmp(again->body, r->body, r->body_len) == 0, "the list read again differs: %s",
	    h_brief(again));
	struct h_resp *one = call(c, "GET", TOK(RO_ADMIN), h_printf("%s?limit=1", wt_path(o.id)),
	    NULL);
	EXPECT(c, one->status == 200 && json_object_array_length(h_jget(one->json,
	    "data.data")) == 1, "limit=1: %s", h_brief(one));
}

/* ---- episodes: numbering, order, filters ---- */

static long ep_number(struct h_resp *r)
{
	return h_jint(r->json, "data.episodeNumber", -1);
}

static const char *ep_numbers(struct h_resp *r)
{
	struct json_object *arr = h_jget(r->json, "data.data");
	char buf[256] = "";

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%ld", i ? "," : "",
		    h_jint(json_object_array_get_idx(arr, i), "episodeNumber", -1));
	return h_strdup(buf);
}

static void t_episode_numbers(struct h_case *c)
{
	const char *wid, *w2, *e2 = NULL, *e5 = NULL;
	struct h_resp *r;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "numbers")) != NULL);
	REQUIRE((w2 = mk_webtoon(c, A.id, "numbers other")) != NULL);
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, wid), "{\"title\":\"five\","
	    "\"episodeNumber\":5}");
	if (expect_ok(c, r, 201, "Episode created successfully", "client number 5"))
		e5 = h_strdup(h_jstr(r->json, "data._id"));
	EXPECT(c, ep_number(r) == 5, "client number 5 became %ld", ep_number(r));
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, wid), "{\"title\":\"next\"}");
	EXPECT(c, r->status == 201 && ep_number(r) == 6, "max + 1: %s", h_brief(r));
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, wid), "{\"title\":\"two\","
	    "\"episodeNumber\":2}");
	if (expect_ok(c, r, 201, "Episode created successfully", "client number 2"))
		e2 = h_strdup(h_jstr(r->json, "data._id"));
	h_expect_err_msg(c, call(c, "POST", TOK(RO_USER), eps_path(A.id, wid), "{\"title\":\"dup\","
	    "\"episodeNumber\":5}"), 409, "conflict",
	    "An episode with this number already exists in this webtoon", "duplicate number 5");
	EXPECT(c, db_count(c, "SELECT count(*) FROM episodes WHERE webtoon_id = $1::uuid", 1,
	    P(wid)) == 3, "the refused duplicate was stored");
	r = call(c, "GET", TOK(RO_VIEWER), eps_path(A.id, wid), NULL);
	EXPECT(c, h_streq(ep_numbers(r), "2,5,6"), "list order [%s]", ep_numbers(r));
	/* another webtoon numbers from 1, independently */
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, w2), "{\"title\":\"first\"}");
	EXPECT(c, r->status == 201 && ep_number(r) == 1, "another webtoon: %s", h_brief(r));
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, w2), "{\"title\":\"five\","
	    "\"episodeNumber\":5}");
	EXPECT(c, r->status == 201 && ep_number(r) == 5, "number 5 in another webtoon: %s",
	    h_brief(r));
	REQUIRE(e2 != NULL && e5 != NULL);
	/* renumbering onto a taken number is a conflict, onto a free one moves it */
	h_expect_err_msg(c, call(c, "PUT", TOK(RO_USER), e_path(A.id, wid, e2), "{\"episodeNumber\":6}"),
	    409, "conflict", "An episode with this number already exists in this webtoon",
	    "renumber 2 to 6");
	r = call(c, "PUT", TOK(RO_USER), e_path(A.id, wid, e2), "{\"episodeNumber\":7}");
	EXPECT(c, r->status == 200 && ep_number(r) == 7, "renumber 2 to 7: %s", h_brief(r));
	r = call(c, "PUT", TOK(RO_USER), e_path(A.id, wid, e5), "{\"episodeNumber\":5,"
	    "\"title\":\"same number\"}");
	EXPECT(c, r->status == 200 && ep_number(r) == 5, "keeping its own number: %s",
	    h_brief(r));
	r = call(c, "GET", TOK(RO_VIEWER), eps_path(A.id, wid), NULL);
	EXPECT(c, h_streq(ep_numbers(r), "5,6,7"), "list order after renumbering [%s]",
	    ep_numbers(r));
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, wid), "{\"title\":\"after\"}");
	EXPECT(c, r->status == 201 && ep_number(r) == 8, "max + 1 after renumbering: %s",
	    h_brief(r));
}

/* Deletes do not renumber; episodeCount stays exact through creates and deletes. */
static void t_episode_count(struct h_case *c)
{
	const char *wid, *e[3];
	struct h_resp *r;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "count")) != NULL);
	for (int i = 0; i < 3; i++)
		REQUIRE((e[i] = mk_episode(c, A.id, wid, h_printf("ep %d", i + 1))) != NULL);
	r = call(c, "GET", TOK(RO_VIEWER), w_path(A.id, wid), NULL);
	EXPECT(c, h_jint(r->json, "data.episodeCount", -1) == 3, "episodeCount after 3 creates: %s",
	    h_brief(r));
	REQUIRE(expect_ok(c, call(c, "DELETE", TOK(RO_MOD), e_path(A.id, wid, e[1]), NULL), 200,
	    "Episode deleted successfully", "delete episode 2"));
	r = call(c, "GET", TOK(RO_VIEWER), eps_path(A.id, wid), NULL);
	EXPECT(c, h_streq(ep_numbers(r), "1,3"), "numbers after deleting 2: [%s]", ep_numbers(r));
	r = call(c, "GET", TOK(RO_VIEWER), w_path(A.id, wid), NULL);
	EXPECT(c, h_jint(r->json, "data.episodeCount", -1) == 2, "episodeCount after a delete: %s",
	    h_brief(r));
	r = call(c, "POST", TOK(RO_USER), eps_path(A.id, wid), "{\"title\":\"four\"}");
	EXPECT(c, r->status == 201 && ep_number(r) == 4, "next after a delete: %s", h_brief(r));
	h_expect_err_msg(c, call(c, "DELETE", TOK(RO_MOD), e_path(A.id, wid, e[1]), NULL), 404,
	    "not_found", "Episode not found", "deleting it twice");
	EXPECT(c, db_count(c, "SELECT count(*) FROM webtoons w WHERE w.id = $1::uuid AND "
	    "w.episode_count = 3 AND (SELECT count(*) FROM episodes e WHERE e.webtoon_id = w.id) "
	    "= 3", 1, P(wid)) == 1, "episode_count is not the number of episodes (%s)",
	    wcol(c, "episode_count", wid));
}

static void t_episode_list_status(struct h_case *c)
{
	const char *wid, *e1;
	struct h_resp *r;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "episode filter")) != NULL);
	REQUIRE((e1 = mk_episode(c, A.id, wid, "one")) != NULL);
	REQUIRE(mk_episode(c, A.id, wid, "two") != NULL);
	REQUIRE(mk_episode(c, A.id, wid, "three") != NULL);
	REQUIRE(post_ok(c, TOK(RO_USER), h_printf("%s/publish", e_path(A.id, wid, e1)),
	    "Episode published successfully"));
	r = call(c, "GET", TOK(RO_VIEWER), h_printf("%s?status=published", eps_path(A.id, wid)),
	    NULL);
	EXPECT(c, h_streq(ep_numbers(r), "1") && h_jint(r->json, "data.pagination.total", -1) == 1,
	    "published: [%s] %s", ep_numbers(r), h_brief(r));
	r = call(c, "GET", TOK(RO_VIEWER), h_printf("%s?status=draft", eps_path(A.id, wid)), NULL);
	EXPECT(c, h_streq(ep_numbers(r), "2,3"), "draft: [%s]", ep_numbers(r));
	r = call(c, "GET", TOK(RO_VIEWER), h_printf("%s?limit=2&page=2", eps_path(A.id, wid)),
	    NULL);
	EXPECT(c, h_streq(ep_numbers(r), "3") && h_jint(r->json, "data.pagination.pages", -1) == 2 &&
	    h_jint(r->json, "data.pagination.total", -1) == 3, "page 2 of 2: [%s] %s", ep_numbers(r),
	    jstr_of(h_jget(r->json, "data.pagination")));
}

/* ---- the race: concurrent creates get distinct numbers, never a 500 ---- */

struct racer {
	const char *path, *body, *authz;
	pthread_barrier_t *bar;
	long status, number;
	char brief[320];
};

static void *race_one(void *arg)
{
	struct racer *x = arg;
	const char *hdrs[] = { "User-Agent: " UA, x->authz, NULL };
	CURL *cu = h_curl_new();
	struct h_resp r;

	/* a kept-alive connection first, so the creates themselves start together */
	h_perform(cu, &(struct h_req){ .path = "/api/health", .headers = hdrs }, &r);
	h_resp_free(&r);
	pthread_barrier_wait(x->bar);
	h_perform(cu, &(struct h_req){ .method = "POST", .path = x->path, .headers = hdrs,
	    .ctype = "application/json", .body = x->body }, &r);
	x->status = r.status;
	x->number = h_jint(r.json, "data.episodeNumber", -1);
	snprintf(x->brief, sizeof(x->brief), "%s", h_brief(&r));
	h_resp_free(&r);
	curl_easy_cleanup(cu);
	return NULL;
}

/* N concurrent POSTs of BODY (the same for all); statuses and numbers in x[]. */
static void race(const char *path, const char *body, struct racer *x, int n)
{
	pthread_t th[RACERS];
	pthread_barrier_t bar;
	int started = 0;

	pthread_barrier_init(&bar, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		x[i] = (struct racer){ .path = path, .body = body, .bar = &bar,
		    .authz = h_printf("Authorization: Bearer %s", TOK(RO_USER)) };
	}
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, race_one, &x[i]) == 0)
			started++;
	if (started < n) {
		/* cannot happen in practice; leave no thread waiting at the barrier forever */
		fprintf(stderr, "e2e_content: only %d of %d threads started\n", started, n);
		exit(2);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
}

static void t_episode_race(struct h_case *c)
{
	struct racer x[RACERS];
	int seen[RACERS + 1] = { 0 };
	const char *wid;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "race")) != NULL);
	race(eps_path(A.id, wid), "{\"title\":\"racer\"}", x, RACERS);
	for (int i = 0; i < RACERS; i++) {
		if (!h_check(c, x[i].status == 201, "racer %d: %s", i, x[i].brief))
			continue;
		if (h_check(c, x[i].number >= 1 && x[i].number <= RACERS, "racer %d got number %ld",
		    i, x[i].number))
			seen[x[i].number]++;
	}
	for (int k = 1; k <= RACERS; k++)
		EXPECT(c, seen[k] == 1, "number %d was given %d times", k, seen[k]);
	EXPECT(c, db_count(c, "SELECT count(DISTINCT episode_number) FROM episodes WHERE "
	    "webtoon_id = $1::uuid AND episode_number BETWEEN 1 AND $2::int", 2,
	    P(wid, h_printf("%d", RACERS))) == RACERS, "the stored numbers are not 1..%d", RACERS);
	EXPECT(c, h_streq(wcol(c, "episode_count", wid), h_printf("%d", RACERS)),
	    "episode_count is %s after %d concurrent creates", wcol(c, "episode_count", wid),
	    RACERS);
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE action = 'episode_created' "
	    "AND metadata->>'webtoonId' = $1", 1, P(wid)) == RACERS,
	    "not one episode_created audit row per create");
}

static void t_episode_race_same_number(struct h_case *c)
{
	struct racer x[RACERS];
	int n201 = 0, n409 = 0;
	const char *wid;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "race same number")) != NULL);
	race(eps_path(A.id, wid), "{\"title\":\"same\",\"episodeNumber\":42}", x,
	    SAME_NUMBER_RACERS);
	for (int i = 0; i < SAME_NUMBER_RACERS; i++) {
		if (x[i].status == 201) {
			n201++;
			EXPECT(c, x[i].number == 42, "created as %ld", x[i].number);
		} else if (x[i].status == 409)
			n409++;
		else
			h_check(c, 0, "racer %d: %s", i, x[i].brief);
	}
	EXPECT(c, n201 == 1 && n409 == SAME_NUMBER_RACERS - 1, "%d created, %d conflicts", n201,
	    n409);
	EXPECT(c, h_streq(wcol(c, "episode_count", wid), "1"), "episode_count %s",
	    wcol(c, "episode_count", wid));
}

/* ---- cross-tenant and cross-webtoon ids (D2) ---- */

struct bola_fx {
	const char *wa, *wa2, *ea, *wb, *eb;
	const char *snap_a, *snap_b;
};
static struct bola_fx bx;
static int bola_ready;

static const char *snapshot(struct h_case *c)
{
	return db_one(c, "SELECT string_agg(x, ';' ORDER BY x) FROM (SELECT (to_jsonb(w))::text x "
	    "FROM webtoons w WHERE id IN ($1::uuid, $2::uuid, $3::uuid) UNION ALL SELECT "
	    "(to_jsonb(e))::text FROM episodes e WHERE id IN ($4::uuid, $5::uuid)) s", 5,
	    P(bx.wa, bx.wa2, bx.wb, bx.ea, bx.eb));
}

static void t_bola_setup(struct h_case *c)
{
	NEED_SETUP(c);
	REQUIRE((bx.wa = mk_webtoon(c, A.id, "bola A")) != NULL);
	REQUIRE((bx.wa2 = mk_webtoon(c, A.id, "bola A2")) != NULL);
	REQUIRE((bx.ea = mk_episode(c, A.id, bx.wa, "bola A ep")) != NULL);
	REQUIRE((bx.wb = mk_webtoon_body(c, TOK(RO_NONMEMBER), B.id,
	    "{\"title\":\"bola B\"}")) != NULL);
	REQUIRE((bx.eb = mk_episode_body(c, TOK(RO_NONMEMBER), B.id, bx.wb,
	    "{\"title\":\"bola B ep\"}")) != NULL);
	REQUIRE((bx.snap_a = snapshot(c)) != NULL);
	bola_ready = 1;
}

struct bola_row {
	const char *name;
	int kind;         /* 0 webtoon ops, 1 episode ops */
	const char *const *org, *const *wid, *const *eid;
	const char *msg;
};

static const char *A_id_ref, *B_id_ref;   /* the org ids, through pointers set in main */

static const struct bola_row bola_rows[] = {
	{ "bola_other_orgs_webtoon_under_own_org", 0, &A_id_ref, &bx.wb, NULL,
	  "Webtoon not found" },
	{ "bola_other_orgs_webtoon_under_its_org", 0, &B_id_ref, &bx.wb, NULL,
	  "Organization not found" },
	{ "bola_episode_under_another_webtoon", 1, &A_id_ref, &bx.wa2, &bx.ea,
	  "Episode not found" },
	{ "bola_other_orgs_episode_under_own_webtoon", 1, &A_id_ref, &bx.wa, &bx.eb,
	  "Episode not found" },
	{ "bola_other_orgs_episode_and_webtoon_under_own_org", 1, &A_id_ref, &bx.wb, &bx.eb,
	  "Episode not found" },
	{ "bola_other_orgs_episode_under_its_org", 1, &B_id_ref, &bx.wb, &bx.eb,
	  "Organization not found" },
};

static void t_bola(struct h_case *c, const void *arg)
{
	const struct bola_row *b = arg;
	const char *org = *b->org, *wid = *b->wid, *tok = TOK(RO_ADMIN);
	long views;

	CHECK(c, bola_ready, "bola setup failed");
	h_flush_views(c);
	views = db_count(c, VIEWS_SUM " WHERE webtoon_id IN ($1::uuid, "
	    "$2::uuid)", 2, P(bx.wa, bx.wb));
	if (b->kind == 0) {
		const char *w = w_path(org, wid);
		const char *wmsg = strcmp(b->msg, "Organization not found") == 0 ? b->msg :
		    "Webtoon not found";
		struct { const char *m, *p, *body; } ops[] = {
			{ "GET", w, NULL }, { "PUT", w, "{\"title\":\"hijacked\"}" },
			{ "DELETE", w, NULL }, { "POST", h_printf("%s/publish", w), NULL },
			{ "POST", h_printf("%s/unpublish", w), NULL },
			{ "POST", h_printf("%s/archive", w), NULL },
			{ "GET", eps_path(org, wid), NULL },
			{ "POST", eps_path(org, wid), "{\"title\":\"planted\"}" },
			{ "POST", eps_path(org, wid), "{\"title\":\"planted\",\"episodeNumber\":1}" },
		};

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			h_expect_err_msg(c, call(c, ops[i].m, tok, ops[i].p, ops[i].body), 404, "not_found",
			    wmsg, h_printf("%s %s", ops[i].m, ops[i].p));
	} else {
		const char *e = e_path(org, wid, *b->eid);
		struct { const char *m, *p, *body; } ops[] = {
			{ "GET", e, NULL }, { "PUT", e, "{\"title\":\"hijacked\",\"episodeNumber\":99}" },
			{ "DELETE", e, NULL }, { "POST", h_printf("%s/publish", e), NULL },
		};

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			h_expect_err_msg(c, call(c, ops[i].m, tok, ops[i].p, ops[i].body), 404, "not_found",
			    b->msg, h_printf("%s %s", ops[i].m, ops[i].p));
	}
	EXPECT(c, h_streq(snapshot(c), bx.snap_a), "a refused request changed a row");
	h_flush_views(c);
	EXPECT(c, db_count(c, VIEWS_SUM " WHERE webtoon_id IN ($1::uuid, "
	    "$2::uuid)", 2, P(bx.wa, bx.wb)) == views, "a refused GET counted a view");
	EXPECT(c, db_count(c, "SELECT count(*) FROM episodes WHERE title = 'planted'", 0, NULL)
	    == 0, "an episode was planted");
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE resource_id IN ($1, $2) AND "
	    "user_id = $3::uuid", 3, P(bx.wb, bx.eb, UID(RO_ADMIN))) == 0,
	    "audit rows for another organization's objects");
}

/* A member request on another organization's host is refused even with its own path. */
static void t_bola_tenant_host(struct h_case *c)
{
	const char *hdrs[] = { h_printf("Authorization: Bearer %s", TOK(RO_ADMIN)), NULL };

	CHECK(c, bola_ready, "bola setup failed");
	h_expect_err_msg(c, h_do(c, &(struct h_req){ .host = B.host, .path = w_path(A.id, bx.wa),
	    .headers = hdrs }), 404, "not_found", NULL, "A's webtoon on B's host");
	h_expect_err_msg(c, h_do(c, &(struct h_req){ .host = B.host, .path = wt_path(A.id),
	    .headers = hdrs }), 404, "not_found", NULL, "A's list on B's host");
	EXPECT(c, h_do(c, &(struct h_req){ .host = A.host, .path = w_path(A.id, bx.wa),
	    .headers = hdrs })->status == 200, "A's webtoon on A's own host is not 200");
}

/* ---- views (D22) ---- */

static void t_views(struct h_case *c)
{
	const char *wid, *eid, *upd;
	struct h_resp *r;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "views")) != NULL);
	REQUIRE((eid = mk_episode(c, A.id, wid, "views ep")) != NULL);
	upd = wcol(c, "iso_time(updated_at)", wid);
	h_sleep_ms(5);
	r = call(c, "GET", TOK(RO_USER), w_path(A.id, wid), NULL);
	EXPECT(c, h_jint(r->json, "data.viewCount", -1) == 1, "first view: %s", h_brief(r));
	r = call(c, "GET", TOK(RO_VIEWER), w_path(A.id, wid), NULL);
	EXPECT(c, h_jint(r->json, "data.viewCount", -1) == 2, "second view: %s", h_brief(r));
	EXPECT(c, h_streq(h_jstr(r->json, "data.updatedAt"), upd), "a view moved updatedAt (%s "
	    "-> %s)", upd, h_jstr(r->json, "data.updatedAt"));
	h_flush_views(c);
	EXPECT(c, h_streq(wcol(c, "iso_time(updated_at)", wid), upd),
	    "writing the views moved updated_at");
	EXPECT(c, h_streq(wcol(c, "view_count", wid), "2"), "view_count %s",
	    wcol(c, "view_count", wid));
	EXPECT(c, db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid AND "
	    "org_id = $2::uuid AND user_id = $3::uuid AND episode_id IS NULL AND metric_type = "
	    "'webtoon_views' AND metric_value = 1", 3, P(wid, A.id, UID(RO_USER))) == 1 &&
	    db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid AND "
	    "org_id = $2::uuid AND user_id = $3::uuid AND metric_type = 'webtoon_views'", 3,
	    P(wid, A.id, UID(RO_VIEWER))) == 1, "webtoon_views rows with webtoon, org, viewer");
	for (int i = 0; i < 3; i++)
		r = call(c, "GET", TOK(RO_USER), e_path(A.id, wid, eid), NULL);
	EXPECT(c, r->status == 200 && h_jint(r->json, "data.viewCount", -1) == 3,
	    "third episode view: %s", h_brief(r));
	h_flush_views(c);
	EXPECT(c, db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid AND "
	    "episode_id = $2::uuid AND org_id = $3::uuid AND user_id = $4::uuid AND metric_type = "
	    "'episode_views'", 4, P(wid, eid, A.id, UID(RO_USER))) == 3,
	    "episode_views rows with webtoon, episode, org, viewer");
	/* lists are not views */
	call(c, "GET", TOK(RO_USER), wt_path(A.id), NULL);
	call(c, "GET", TOK(RO_USER), eps_path(A.id, wid), NULL);
	h_flush_views(c);
	EXPECT(c, h_streq(wcol(c, "view_count", wid), "2") && h_streq(ecol(c, "view_count", eid), "3")
	    && db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid", 1,
	    P(wid)) == 5, "a list counted a view");
	/* HEAD reads nothing: it answers as GET does and counts no view */
	r = call(c, "HEAD", TOK(RO_USER), w_path(A.id, wid), NULL);
	EXPECT(c, r->status == 200, "HEAD of the webtoon: %s", h_brief(r));
	r = call(c, "HEAD", TOK(RO_USER), e_path(A.id, wid, eid), NULL);
	EXPECT(c, r->status == 200, "HEAD of the episode: %s", h_brief(r));
	h_flush_views(c);
	EXPECT(c, h_streq(wcol(c, "view_count", wid), "2") && h_streq(ecol(c, "view_count", eid), "3")
	    && db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid", 1,
	    P(wid)) == 5, "a HEAD counted a view (webtoon %s, episode %s)",
	    wcol(c, "view_count", wid), ecol(c, "view_count", eid));
}

/* ---- delete: episodes go, analytics stay ---- */

static void t_delete_keeps_analytics(struct h_case *c)
{
	const char *wid, *e1, *e2;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "to delete")) != NULL);
	REQUIRE((e1 = mk_episode(c, A.id, wid, "d1")) != NULL);
	REQUIRE((e2 = mk_episode(c, A.id, wid, "d2")) != NULL);
	REQUIRE(expect_ok(c, call(c, "GET", TOK(RO_USER), w_path(A.id, wid), NULL), 200, NULL,
	    "view"));
	REQUIRE(expect_ok(c, call(c, "GET", TOK(RO_USER), e_path(A.id, wid, e1), NULL), 200,
	    NULL, "episode view"));
	REQUIRE(expect_ok(c, call(c, "DELETE", TOK(RO_MOD), w_path(A.id, wid), NULL), 200,
	    "Webtoon deleted successfully", "delete"));
	EXPECT(c, db_count(c, "SELECT count(*) FROM episodes WHERE webtoon_id = $1::uuid", 1,
	    P(wid)) == 0, "episodes of a deleted webtoon remain");
	h_flush_views(c);
	EXPECT(c, db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid", 1,
	    P(wid)) == 2, "analytics rows of a deleted webtoon were not kept");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_USER), w_path(A.id, wid), NULL), 404, "not_found",
	    "Webtoon not found", "GET after delete");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_USER), e_path(A.id, wid, e2), NULL), 404, "not_found",
	    "Episode not found", "episode GET after delete");
	h_expect_err_msg(c, call(c, "GET", TOK(RO_USER), eps_path(A.id, wid), NULL), 404, "not_found",
	    "Webtoon not found", "episode list after delete");
	h_expect_err_msg(c, call(c, "DELETE", TOK(RO_MOD), w_path(A.id, wid), NULL), 404, "not_found",
	    "Webtoon not found", "delete twice");
	EXPECT(c, db_count(c, "SELECT count(*) FROM audit_log WHERE action = 'webtoon_deleted' "
	    "AND resource_id = $1", 1, P(wid)) == 1, "delete twice: not one audit row");
}

/* ---- publishedAt is set once ---- */

static void t_published_at(struct h_case *c)
{
	const char *wid, *eid, *t1, *p1;
	struct h_resp *r;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "published at")) != NULL);
	REQUIRE((eid = mk_episode(c, A.id, wid, "published at ep")) != NULL);
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/publish", w_path(A.id, wid)), NULL);
	REQUIRE(expect_ok(c, r, 200, "Webtoon published successfully", "publish"));
	t1 = h_strdup(h_jstr(r->json, "data.publishedAt"));
	EXPECT(c, is_iso_ms(t1) && h_streq(h_jstr(r->json, "data.status"), "published"),
	    "publish: %s", h_brief(r));
	h_sleep_ms(20);
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/publish", w_path(A.id, wid)), NULL);
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.publishedAt"), t1),
	    "publish again moved publishedAt: %s", h_brief(r));
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/unpublish", w_path(A.id, wid)), NULL);
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.status"), "draft") &&
	    h_streq(h_jstr(r->json, "data.publishedAt"), t1), "unpublish: %s", h_brief(r));
	h_sleep_ms(20);
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/publish", w_path(A.id, wid)), NULL);
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.status"), "published") &&
	    h_streq(h_jstr(r->json, "data.publishedAt"), t1), "republish: %s", h_brief(r));
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/archive", w_path(A.id, wid)), NULL);
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.status"), "archived") &&
	    h_streq(h_jstr(r->json, "data.publishedAt"), t1), "archive: %s", h_brief(r));
	/* the episode: set once too */
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/publish", e_path(A.id, wid, eid)), NULL);
	REQUIRE(expect_ok(c, r, 200, "Episode published successfully", "episode publish"));
	p1 = h_strdup(h_jstr(r->json, "data.publishedAt"));
	EXPECT(c, is_iso_ms(p1) && h_streq(h_jstr(r->json, "data.status"), "published") &&
	    h_streq(h_jstr(r->json, "data._id"), eid), "episode publish: %s", h_brief(r));
	h_sleep_ms(20);
	r = call(c, "POST", TOK(RO_USER), h_printf("%s/publish", e_path(A.id, wid, eid)), NULL);
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.publishedAt"), p1),
	    "episode publish again moved publishedAt: %s", h_brief(r));
	r = call(c, "PUT", TOK(RO_USER), e_path(A.id, wid, eid), "{\"title\":\"edited\"}");
	EXPECT(c, r->status == 200 && h_streq(h_jstr(r->json, "data.publishedAt"), p1) &&
	    h_streq(h_jstr(r->json, "data.status"), "published"), "edit kept publishedAt: %s",
	    h_brief(r));
}

/* ---- audit rows (§4.10) ---- */

static void t_audit(struct h_case *c)
{
	const char *wid, *eid;
	struct h_resp *r;
	PGresult *res;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "audited")) != NULL);
	REQUIRE(expect_ok(c, call(c, "PUT", TOK(RO_ADMIN), w_path(A.id, wid),
	    "{\"description\":\"audited\"}"), 200, "Webtoon updated successfully", "update"));
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(A.id, wid)),
	    "Webtoon published successfully"));
	r = call(c, "POST", TOK(RO_ADMIN), eps_path(A.id, wid), "{\"title\":\"a\","
	    "\"episodeNumber\":3}");
	REQUIRE(expect_ok(c, r, 201, "Episode created successfully", "episode"));
	eid = h_strdup(h_jstr(r->json, "data._id"));
	REQUIRE(expect_ok(c, call(c, "PUT", TOK(RO_ADMIN), e_path(A.id, wid, eid),
	    "{\"title\":\"b\"}"), 200, "Episode updated successfully", "episode update"));
	REQUIRE(expect_ok(c, call(c, "DELETE", TOK(RO_ADMIN), e_path(A.id, wid, eid), NULL), 200,
	    "Episode deleted successfully", "episode delete"));
	REQUIRE(expect_ok(c, call(c, "DELETE", TOK(RO_ADMIN), w_path(A.id, wid), NULL), 200,
	    "Webtoon deleted successfully", "delete"));
	struct { const char *action, *resource, *rid, *meta; } want[] = {
		{ "webtoon_created", "webtoon", wid, NULL },
		{ "webtoon_updated", "webtoon", wid, "{\"changes\": {\"description\": \"audited\"}}" },
		{ "webtoon_published", "webtoon", wid, NULL },
		{ "episode_created", "episode", eid, h_printf("{\"webtoonId\": \"%s\", "
		  "\"episodeNumber\": 3}", wid) },
		{ "episode_updated", "episode", eid, h_printf("{\"webtoonId\": \"%s\"}", wid) },
		{ "episode_deleted", "episode", eid, h_printf("{\"webtoonId\": \"%s\"}", wid) },
		{ "webtoon_deleted", "webtoon", wid, NULL },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		res = dbx(c, "SELECT user_id::text, org_id::text, resource, metadata::text, "
		    "ip_address, user_agent FROM audit_log WHERE action = $1 AND resource_id = $2", 2,
		    P(want[i].action, want[i].rid));
		if (res == NULL)
			return;
		if (h_check(c, PQntuples(res) == 1, "%s: %d audit rows", want[i].action,
		    PQntuples(res))) {
			EXPECT(c, h_streq(PQgetvalue(res, 0, 0), UID(RO_ADMIN)) &&
			    h_streq(PQgetvalue(res, 0, 1), A.id) &&
			    h_streq(PQgetvalue(res, 0, 2), want[i].resource), "%s: actor %s org %s "
			    "resource %s", want[i].action, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			    PQgetvalue(res, 0, 2));
			if (want[i].meta != NULL)
				EXPECT(c, h_streq(PQgetvalue(res, 0, 3), want[i].meta), "%s: metadata %s, "
				    "expected %s", want[i].action, PQgetvalue(res, 0, 3), want[i].meta);
			EXPECT(c, !PQgetisnull(res, 0, 4) && h_streq(PQgetvalue(res, 0, 5), UA),
			    "%s: ip %s user agent %s", want[i].action, PQgetvalue(res, 0, 4),
			    PQgetvalue(res, 0, 5));
		}
		PQclear(res);
	}
}

/* ---- public reading on the tenant host ---- */

struct pub_fx {
	const char *w, *wd, *wa, *e1, *e2, *ed, *wp;
};
static struct pub_fx px;
static int pub_ready;

static void t_public_setup(struct h_case *c)
{
	NEED_SETUP(c);
	/* A: w published with e1 published and e2 draft; wd a draft with a published
	 * episode ed; wa archived (once published). Pn (pending): wp published. */
	REQUIRE((px.w = mk_webtoon_body(c, TOK(RO_ADMIN), A.id, h_printf("{\"title\":\"Public %s\","
	    "\"description\":\"readable\",\"tags\":[\"pub%s\"]}", run_tag, run_tag))) != NULL);
	REQUIRE((px.e1 = mk_episode_body(c, TOK(RO_ADMIN), A.id, px.w, "{\"title\":\"pe1\","
	    "\"content\":\"the text\",\"images\":[\"https://cdn.example.com/p1.png\"]}")) != NULL);
	REQUIRE((px.e2 = mk_episode(c, A.id, px.w, "pe2 draft")) != NULL);
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(A.id, px.w)),
	    "Webtoon published successfully"));
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", e_path(A.id, px.w, px.e1)),
	    "Episode published successfully"));
	REQUIRE((px.wd = mk_webtoon_body(c, TOK(RO_ADMIN), A.id, h_printf("{\"title\":\"Draft %s\","
	    "\"tags\":[\"pub%s\"]}", run_tag, run_tag))) != NULL);
	REQUIRE((px.ed = mk_episode(c, A.id, px.wd, "published in a draft")) != NULL);
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", e_path(A.id, px.wd, px.ed)),
	    "Episode published successfully"));
	REQUIRE((px.wa = mk_webtoon_body(c, TOK(RO_ADMIN), A.id, h_printf("{\"title\":\"Archived "
	    "%s\",\"tags\":[\"pub%s\"]}", run_tag, run_tag))) != NULL);
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(A.id, px.wa)),
	    "Webtoon published successfully"));
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/archive", w_path(A.id, px.wa)),
	    "Webtoon archived successfully"));
	REQUIRE((px.wp = mk_webtoon_body(c, TOK(RO_NONMEMBER), Pn.id,
	    "{\"title\":\"pending org\"}")) != NULL);
	REQUIRE(post_ok(c, TOK(RO_NONMEMBER), h_printf("%s/publish", w_path(Pn.id, px.wp)),
	    "Webtoon published successfully"));
	pub_ready = 1;
}

#define NEED_PUB(c) CHECK(c, pub_ready, "public setup failed")

static const char *const PUB_WEBTOON_KEYS[] = { "_id", "organizationId", "title", "status",
    "tags", "categories", "episodeCount", "publishedAt", "createdAt", "updatedAt", NULL };
static const char *const PUB_EPISODE_KEYS[] = { "_id", "webtoonId", "organizationId",
    "episodeNumber", "title", "status", "likeCount", "publishedAt", "createdAt", "updatedAt",
    NULL };

static void t_public_list(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *arr;

	NEED_PUB(c);
	r = pub(c, A.host, h_printf("/api/public/webtoons?tag=pub%s", run_tag), NULL);
	REQUIRE(expect_ok(c, r, 200, NULL, "public list"));
	arr = h_jget(r->json, "data.data");
	EXPECT(c, json_object_array_length(arr) == 1 &&
	    h_streq(h_jstr(json_object_array_get_idx(arr, 0), "_id"), px.w),
	    "only the published webtoon: %s", jstr_of(arr));
	keys_exactly(c, json_object_array_get_idx(arr, 0), "public listed webtoon",
	    PUB_WEBTOON_KEYS, KEYS("description", "coverImage"));
	/* the whole public list of A: published only, never a private field */
	r = pub(c, A.host, "/api/public/webtoons?limit=100", NULL);
	REQUIRE(expect_ok(c, r, 200, NULL, "public list of everything"));
	arr = h_jget(r->json, "data.data");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);

		EXPECT(c, h_streq(h_jstr(w, "status"), "published") && !h_jget(w, "viewCount") &&
		    !h_jget(w, "createdBy") && h_streq(h_jstr(w, "organizationId"), A.id),
		    "public list item %s", jstr_of(w));
	}
	EXPECT(c, h_jint(r->json, "data.pagination.total", -1) == db_count(c, "SELECT count(*) FROM "
	    "webtoons WHERE org_id = $1::uuid AND status = 'published'", 1, P(A.id)),
	    "public total is not the number of published webtoons");
}

static void t_public_webtoon(struct h_case *c)
{
	struct h_resp *r;
	long before;

	NEED_PUB(c);
	h_flush_views(c);
	before = atol(wcol(c, "view_count", px.w) ? wcol(c, "view_count", px.w) : "-1");
	r = pub(c, A.host, h_printf("/api/public/webtoons/%s", px.w), NULL);
	REQUIRE(expect_ok(c, r, 200, NULL, "public webtoon"));
	keys_exactly(c, h_jget(r->json, "data"), "public webtoon", PUB_WEBTOON_KEYS,
	    KEYS("description", "coverImage"));
	h_flush_views(c);
	EXPECT(c, atol(wcol(c, "view_count", px.w)) == before + 1, "no view counted");
	EXPECT(c, db_count(c, VIEWS_SUM " WHERE webtoon_id = $1::uuid AND "
	    "org_id = $2::uuid AND user_id IS NULL AND episode_id IS NULL AND metric_type = "
	    "'webtoon_views'", 2, P(px.w, A.id)) >= 1, "no anonymous webtoon_views row");
	/* drafts and archived: never */
	h_expect_err_msg(c, pub(c, A.host, h_printf("/api/public/webtoons/%s", px.wd), NULL), 404,
	    "not_found", "Webtoon not found", "a draft webtoon");
	h_expect_err_msg(c, pub(c, A.host, h_printf("/api/public/webtoons/%s", px.wa), NULL), 404,
	    "not_found", "Webtoon not found", "an archived webtoon");
	h_flush_views(c);
	EXPECT(c, h_streq(wcol(c, "view_count", px.wd), "0"), "a refused read counted a view");
}

static void t_public_episodes(struct h_case *c)
{
	struct h_resp *r;
	struct json_object *arr;
	const char *base = h_printf("/api/public/webtoons/%s/episodes", px.w);

	NEED_PUB(c);
	r = pub(c, A.host, base, NULL);
	REQUIRE(expect_ok(c, r, 200, NULL, "public episodes"));
	arr = h_jget(r->json, "data.data");
	EXPECT(c, json_object_array_length(arr) == 1 &&
	    h_streq(h_jstr(json_object_array_get_idx(arr, 0), "_id"), px.e1),
	    "only the published episode: %s", jstr_of(arr));
	keys_exactly(c, json_object_array_get_idx(arr, 0), "public listed episode",
	    PUB_EPISODE_KEYS, NULL);
	EXPECT(c, h_jint(r->json, "data.pagination.total", -1) == 1, "total %s",
	    jstr_of(h_jget(r->json, "data.pagination")));
	/* the list's entries (sql/011) are episode_view's public shape without the text and
	 * the images, on every episode of every test so far (drafts, nulls, numbers) */
	if (db != NULL) {
		long all = h_sql_count(c, db, "SELECT count(*) FROM episodes", 0, NULL);
		long differ = h_sql_count(c, db, "SELECT count(*) FROM episodes e WHERE "
		    "(episode_view(e, false, true) - 'content' - 'images') IS DISTINCT FROM "
		    "episode_public_summary(e)", 0, NULL);
		EXPECT(c, all > 0 && differ == 0, "episode_public_summary differs from episode_view "
		    "on %ld of %ld episodes", differ, all);
	}
	r = pub(c, A.host, h_printf("%s/%s", base, px.e1), NULL);
	if (expect_ok(c, r, 200, NULL, "public episode")) {
		keys_exactly(c, h_jget(r->json, "data"), "public episode", PUB_EPISODE_KEYS,
		    KEYS("content", "images", "description"));
		EXPECT(c, h_streq(h_jstr(r->json, "data.content"), "the text"), "content %s",
		    h_jstr(r->json, "data.content"));
	}
	EXPECT(c, h_sql_count_until(c, db, 1, VIEWS_SUM " WHERE episode_id = "
	    "$1::uuid AND webtoon_id = $2::uuid AND org_id = $3::uuid AND metric_type = "
	    "'episode_views'", 3, P(px.e1, px.w, A.id)) >= 1,
	    "no episode_views row for a public read");
	h_expect_err_msg(c, pub(c, A.host, h_printf("%s/%s", base, px.e2), NULL), 404, "not_found",
	    "Episode not found", "a draft episode");
	/* a published episode of a draft webtoon, directly and through another webtoon */
	h_expect_err_msg(c, pub(c, A.host, h_printf("/api/public/webtoons/%s/episodes", px.wd), NULL),
	    404, "not_found", "Webtoon not found", "episodes of a draft webtoon");
	h_expect_err_msg(c, pub(c, A.host, h_printf("/api/public/webtoons/%s/episodes/%s", px.wd, px.ed),
	    NULL), 404, "not_found", "Episode not found", "a published episode of a draft webtoon");
	h_expect_err_msg(c, pub(c, A.host, h_printf("%s/%s", base, px.ed), NULL), 404, "not_found",
	    "Episode not found", "an episode under another webtoon");
	EXPECT(c, h_streq(ecol(c, "view_count", px.ed), "0") && h_streq(ecol(c, "view_count", px.e2),
	    "0"), "a refused read counted a view");
}

/* Published content of A is not readable on another host, the base domain or when pending. */
static void t_public_tenancy(struct h_case *c)
{
	const char *wpath = h_printf("/api/public/webtoons/%s", px.w);

	NEED_PUB(c);
	h_expect_err_msg(c, pub(c, B.host, wpath, NULL), 404, "not_found", "Webtoon not found",
	    "A's webtoon on B's host");
	h_expect_err_msg(c, pub(c, B.host, h_printf("%s/episodes/%s", wpath, px.e1), NULL), 404,
	    "not_found", "Episode not found", "A's episode on B's host");
	h_expect_err_msg(c, pub(c, B.host, h_printf("%s/episodes", wpath), NULL), 404, "not_found",
	    "Webtoon not found", "A's episodes on B's host");
	{
		struct h_resp *r = pub(c, B.host, "/api/public/webtoons?limit=100", NULL);
		struct json_object *arr = h_jget(r->json, "data.data");

		if (expect_ok(c, r, 200, NULL, "B's public list"))
			for (size_t i = 0; i < json_object_array_length(arr); i++)
				EXPECT(c, h_streq(h_jstr(json_object_array_get_idx(arr, i),
				    "organizationId"), B.id), "B's list shows %s",
				    jstr_of(json_object_array_get_idx(arr, i)));
	}
	h_expect_err_msg(c, pub(c, h_env.base_domain, wpath, NULL), 404, "not_found", NULL,
	    "on the base domain");
	h_expect_err_msg(c, pub(c, h_env.base_domain, "/api/public/webtoons", NULL), 404, "not_found",
	    NULL, "the list on the base domain");
	h_expect_err_msg(c, pub(c, "localhost", "/api/public/webtoons", NULL), 404, "not_found", NULL,
	    "the list on localhost");
	h_expect_err_msg(c, pub(c, h_printf("nosuch%s.%s", run_tag, h_env.base_domain),
	    "/api/public/webtoons", NULL), 404, "not_found", NULL, "an unknown subdomain");
	/* a pending organization serves nothing, though its webtoon is published */
	h_expect_err_msg(c, pub(c, Pn.host, "/api/public/webtoons", NULL), 404, "not_found", NULL,
	    "a pending organization's list");
	h_expect_err_msg(c, pub(c, Pn.host, h_printf("/api/public/webtoons/%s", px.wp), NULL), 404,
	    "not_found", NULL, "a pending organization's webtoon");
}

static void t_public_etag(struct h_case *c)
{
	const char *paths[] = { h_printf("/api/public/webtoons?tag=pub%s", run_tag),
	    h_printf("/api/public/webtoons/%s", px.w),
	    h_printf("/api/public/webtoons/%s/episodes", px.w),
	    h_printf("/api/public/webtoons/%s/episodes/%s", px.w, px.e1) };
	const char *etag0 = NULL;

	NEED_PUB(c);
	for (size_t i = 0; i < 4; i++) {
		struct h_resp *r = pub(c, A.host, paths[i], NULL), *r2;
		const char *etag = h_hdr(r, "ETag"), *cc = h_hdr(r, "Cache-Control");

		if (!expect_ok(c, r, 200, NULL, paths[i]))
			continue;
		EXPECT(c, h_streq(cc, "public, max-age=60"), "%s: Cache-Control %s", paths[i], cc);
		if (!h_check(c, etag != NULL && etag[0] == '"' && strlen(etag) > 2 &&
		    etag[strlen(etag) - 1] == '"', "%s: ETag %s", paths[i], etag))
			continue;
		etag = h_strdup(etag);
		if (i == 1)
			etag0 = etag;
		/* the same content: the same tag (a view does not change what readers see) */
		r2 = pub(c, A.host, paths[i], NULL);
		EXPECT(c, h_streq(h_hdr(r2, "ETag"), etag), "%s: ETag changed between reads (%s, %s)",
		    paths[i], etag, h_hdr(r2, "ETag"));
		r2 = pub(c, A.host, paths[i], etag);
		EXPECT(c, r2->status == 304 && r2->body_len == 0, "%s: If-None-Match: %s",
		    paths[i], h_brief(r2));
		EXPECT(c, h_streq(h_hdr(r2, "ETag"), etag) &&
		    h_streq(h_hdr(r2, "Cache-Control"), "public, max-age=60"),
		    "%s: 304 without ETag/Cache-Control", paths[i]);
		r2 = pub(c, A.host, paths[i], h_printf("\"other\", W/%s", etag));
		EXPECT(c, r2->status == 304, "%s: a weak tag in a list: %s", paths[i], h_brief(r2));
		r2 = pub(c, A.host, paths[i], "\"0000\"");
		EXPECT(c, r2->status == 200 && r2->body_len > 0, "%s: another tag: %s", paths[i],
		    h_brief(r2));
	}
	/* a change gives a new tag: the old one no longer answers 304 */
	CHECK(c, etag0 != NULL, "no ETag to compare");
	REQUIRE(expect_ok(c, call(c, "PUT", TOK(RO_ADMIN), w_path(A.id, px.w),
	    h_printf("{\"description\":\"changed %lld\"}", h_now_ms())), 200,
	    "Webtoon updated successfully", "update"));
	struct h_resp *r = pub(c, A.host, paths[1], etag0);
	EXPECT(c, r->status == 200 && !h_streq(h_hdr(r, "ETag"), etag0),
	    "after an update: %s, ETag %s", h_brief(r), h_hdr(r, "ETag"));
	/* errors are not cacheable */
	r = pub(c, A.host, h_printf("/api/public/webtoons/%s", px.wd), NULL);
	EXPECT(c, r->status == 404 && h_hdr(r, "ETag") == NULL, "a 404 with an ETag");
}

/* A suspended organization refuses content routes (403) and serves no public content. */
static void t_suspended(struct h_case *c)
{
	const char *wid;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, S.id, "suspended")) != NULL);
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(S.id, wid)),
	    "Webtoon published successfully"));
	REQUIRE(expect_ok(c, pub(c, S.host, h_printf("/api/public/webtoons/%s", wid), NULL), 200,
	    NULL, "active"));
	REQUIRE(set_org_status(c, &S, "suspended"));
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), wt_path(S.id), NULL), 403, "forbidden",
	    "Organization is suspended", "list in a suspended organization");
	h_expect_err_msg(c, call(c, "POST", TOK(RO_ADMIN), wt_path(S.id), "{\"title\":\"x\"}"), 403,
	    "forbidden", "Organization is suspended", "create in a suspended organization");
	h_expect_err_msg(c, pub(c, S.host, h_printf("/api/public/webtoons/%s", wid), NULL), 404,
	    "not_found", NULL, "public read of a suspended organization");
}

/* ---- lock order: requests held in their transaction by a lock on audit_log ----
 * A statement that writes an audit row (audit_write) waits for the lock when it starts,
 * after the statements queued before it in the same transaction (the webtoon's lock). */

/* A request in a thread of its own. */
struct bg {
	pthread_t th;
	struct h_req q;
	const char *hdrs[3];
	struct h_resp r;
	int running;
};

static void *bg_main(void *arg)
{
	struct bg *x = arg;
	CURL *cu = h_curl_new();

	h_perform(cu, &x->q, &x->r);
	curl_easy_cleanup(cu);
	return NULL;
}

static void bg_start(struct bg *x, const char *method, const char *path, const char *body)
{
	memset(x, 0, sizeof(*x));
	x->hdrs[0] = "User-Agent: " UA;
	x->hdrs[1] = h_printf("Authorization: Bearer %s", TOK(RO_ADMIN));
	x->q = (struct h_req){ .method = method, .path = path, .headers = x->hdrs,
	    .ctype = body ? "application/json" : NULL, .body = body, .timeout_ms = 20000 };
	x->running = pthread_create(&x->th, NULL, bg_main, x) == 0;
}

static void bg_join(struct bg *x)
{
	if (x->running)
		pthread_join(x->th, NULL);
	x->running = 0;
}

/* Wait (at most 5 s) until N lock requests wait in PostgreSQL; 1 when they do. */
static int lock_waiters(struct h_case *c, long n)
{
	for (int i = 0; i < 250; i++) {
		if (db_count(c, "SELECT count(*) FROM pg_locks WHERE NOT granted", 0, NULL) >= n)
			return 1;
		h_sleep_ms(20);
	}
	return 0;
}

/* A second owner connection holding audit_log in SHARE mode: every audit insert waits. */
static PGconn *audit_lock(struct h_case *c)
{
	PGconn *l = PQconnectdb(h_env.database_url ? h_env.database_url : "");
	PGresult *res;

	if (!h_check(c, PQstatus(l) == CONNECTION_OK, "second connection: %s",
	    PQerrorMessage(l))) {
		PQfinish(l);
		return NULL;
	}
	PQclear(PQexec(l, "BEGIN"));
	res = PQexec(l, "LOCK TABLE audit_log IN SHARE MODE");
	if (!h_check(c, PQresultStatus(res) == PGRES_COMMAND_OK, "LOCK audit_log: %s",
	    PQerrorMessage(l))) {
		PQclear(res);
		PQfinish(l);
		return NULL;
	}
	PQclear(res);
	return l;
}

static void audit_unlock(PGconn *l)
{
	PQclear(PQexec(l, "COMMIT"));
	PQfinish(l);
}

/* A renumbering and a create side by side: the update, first, holds the webtoon's lock,
 * so the create numbers after it — neither answers 409 (without the lock one of them did:
 * the create when its max + 1 met the uncommitted new number, else the update). */
static void t_renumber_vs_create(struct h_case *c)
{
	const char *wid, *e1;
	struct bg up, cr;
	PGconn *l;
	int held;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "renumber vs create")) != NULL);
	REQUIRE((e1 = mk_episode(c, A.id, wid, "r1")) != NULL);
	REQUIRE(mk_episode(c, A.id, wid, "r2") != NULL);
	REQUIRE((l = audit_lock(c)) != NULL);
	/* the update moves 1 to 3; it waits for audit_log inside its transaction */
	bg_start(&up, "PUT", e_path(A.id, wid, e1), "{\"episodeNumber\":3}");
	held = lock_waiters(c, 1);
	bg_start(&cr, "POST", eps_path(A.id, wid), "{\"title\":\"r-new\"}");
	if (held)
		lock_waiters(c, 2);
	audit_unlock(l);
	bg_join(&up);
	bg_join(&cr);
	EXPECT(c, held, "the update never waited on audit_log");
	EXPECT(c, up.r.status == 200 && h_jint(up.r.json, "data.episodeNumber", -1) == 3,
	    "renumber: %s", h_brief(&up.r));
	EXPECT(c, cr.r.status == 201 && h_jint(cr.r.json, "data.episodeNumber", -1) == 4,
	    "a create next to an uncommitted renumbering: %s (expected 201, number 4)",
	    h_brief(&cr.r));
	h_resp_free(&up.r);
	h_resp_free(&cr.r);
}

/* Deleting an episode while its webtoon is deleted: both take the webtoon's lock first,
 * so they run one after the other and both succeed (the episode's row then the webtoon's,
 * against the webtoon's then the episodes', could deadlock, and PostgreSQL fails one). */
static void t_delete_episode_vs_webtoon(struct h_case *c)
{
	const char *wid, *e1;
	struct bg de, dw;
	PGconn *l;
	int held;

	NEED_SETUP(c);
	REQUIRE((wid = mk_webtoon(c, A.id, "delete vs delete")) != NULL);
	REQUIRE((e1 = mk_episode(c, A.id, wid, "d1")) != NULL);
	REQUIRE(mk_episode(c, A.id, wid, "d2") != NULL);
	REQUIRE((l = audit_lock(c)) != NULL);
	/* the episode delete waits for audit_log inside its transaction */
	bg_start(&de, "DELETE", e_path(A.id, wid, e1), NULL);
	held = lock_waiters(c, 1);
	bg_start(&dw, "DELETE", w_path(A.id, wid), NULL);
	if (held)
		lock_waiters(c, 2);
	audit_unlock(l);
	bg_join(&de);
	bg_join(&dw);
	EXPECT(c, held, "the episode delete never waited on audit_log");
	EXPECT(c, de.r.status == 200, "episode delete: %s", h_brief(&de.r));
	EXPECT(c, dw.r.status == 200, "webtoon delete: %s", h_brief(&dw.r));
	EXPECT(c, wcol(c, "id", wid) == NULL && db_count(c, "SELECT count(*) FROM episodes "
	    "WHERE webtoon_id = $1::uuid", 1, P(wid)) == 0, "the webtoon or an episode remains");
	h_resp_free(&de.r);
	h_resp_free(&dw.r);
}

/* A deleted organization's content leaves every API at once. */
static void t_deleted_org(struct h_case *c)
{
	struct org D;
	const char *wid;

	NEED_SETUP(c);
	REQUIRE(mk_org(c, RO_ADMIN, "d", &D));
	REQUIRE(set_org_status(c, &D, "active"));
	REQUIRE((wid = mk_webtoon(c, D.id, "in a deleted organization")) != NULL);
	REQUIRE(post_ok(c, TOK(RO_ADMIN), h_printf("%s/publish", w_path(D.id, wid)),
	    "Webtoon published successfully"));
	REQUIRE(expect_ok(c, pub(c, D.host, h_printf("/api/public/webtoons/%s", wid), NULL), 200,
	    NULL, "before the delete"));
	REQUIRE(expect_ok(c, call(c, "DELETE", TOK(RO_ADMIN), h_printf("/api/organizations/%s",
	    D.id), NULL), 200, "Organization deleted successfully", "delete the organization"));
	h_expect_err_msg(c, call(c, "GET", TOK(RO_ADMIN), w_path(D.id, wid), NULL), 404, "not_found",
	    NULL, "member GET");
	h_expect_err_msg(c, call(c, "POST", TOK(RO_ADMIN), wt_path(D.id), "{\"title\":\"x\"}"), 404,
	    "not_found", NULL, "member create");
	h_expect_err_msg(c, pub(c, D.host, h_printf("/api/public/webtoons/%s", wid), NULL), 404,
	    "not_found", NULL, "public GET");
}

int main(void)
{
	if (h_init() != 0)
		return 1;
	snprintf(run_tag, sizeof(run_tag), "%lx%x", (unsigned long)time(NULL),
	    (unsigned)getpid() & 0xfffff);
	db_connect();
	fill_long_rows();

	h_run("setup", t_setup);
	A_id_ref = A.id;
	B_id_ref = B.id;
	h_run("webtoon_shape", t_webtoon_shape);
	h_run("episode_shape", t_episode_shape);
	h_run("creator_named_after_leaving", t_creator_after_leaving);
	for (int rt = 0; rt < RT__N; rt++)
		for (int ro = 0; ro < RO__N; ro++) {
			int k = rt * RO__N + ro;

			matrix[k] = (struct mcell){ (enum rt)rt, (enum role)ro };
			matrix_names[k] = h_printf("role_%s_%s", rts[rt].name, role_names[ro]);
			h_run_with(matrix_names[k], t_matrix, &matrix[k]);
		}
	h_run("routes_401_without_token", t_no_token);
	h_run("malformed_and_unknown_ids", t_bad_ids);
	for (size_t i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++)
		h_run_with(h_printf("validation_%s", vrows[i].name), t_validation, &vrows[i]);
	h_run("validation_every_error_at_once", t_validation_all_errors);
	h_run("validation_after_access_check", t_validation_order);
	h_run("trimmed_before_length_and_stored_trimmed", t_trim_and_accept);
	h_run("update_partial_and_null_clears", t_update_partial);
	for (size_t i = 0; i < sizeof(pgrows) / sizeof(pgrows[0]); i++)
		h_run_with(h_printf("paging_400_%s", pgrows[i].name), t_paging_bounds, &pgrows[i]);
	h_run("paging_bounds_accepted", t_paging_accepts_bounds);
	h_run("list_query_errors", t_list_query_errors);
	h_run("list_larger_than_one_record", t_list_larger_than_one_record);
	h_run("list_setup", t_list_setup);
	for (size_t i = 0; i < sizeof(lrows) / sizeof(lrows[0]); i++)
		h_run_with(h_printf("list_%s", lrows[i].name), t_list, &lrows[i]);
	h_run("episode_numbers_client_and_max_plus_one", t_episode_numbers);
	h_run("episode_count_exact_and_no_renumbering", t_episode_count);
	h_run("episode_list_status_filter", t_episode_list_status);
	h_run("episode_number_race_8_concurrent", t_episode_race);
	h_run("episode_number_race_same_client_number", t_episode_race_same_number);
	h_run("bola_setup", t_bola_setup);
	for (size_t i = 0; i < sizeof(bola_rows) / sizeof(bola_rows[0]); i++)
		h_run_with(bola_rows[i].name, t_bola, &bola_rows[i]);
	h_run("bola_member_route_on_other_tenant_host", t_bola_tenant_host);
	h_run("views_counted_with_analytics_rows", t_views);
	h_run("delete_webtoon_episodes_gone_analytics_kept", t_delete_keeps_analytics);
	h_run("published_at_set_once", t_published_at);
	h_run("audit_rows", t_audit);
	h_run("public_setup", t_public_setup);
	h_run("public_list_published_only", t_public_list);
	h_run("public_webtoon_counts_view_drafts_404", t_public_webtoon);
	h_run("public_episodes_published_only", t_public_episodes);
	h_run("public_tenancy", t_public_tenancy);
	h_run("public_etag_304", t_public_etag);
	h_run("suspended_organization", t_suspended);
	h_run("deleted_organization", t_deleted_org);
	h_run("lock_order_renumber_vs_create", t_renumber_vs_create);
	h_run("lock_order_delete_episode_vs_webtoon", t_delete_episode_vs_webtoon);

	if (db != NULL)
		PQfinish(db);
	h_strings_free();
	return h_finish();
}
