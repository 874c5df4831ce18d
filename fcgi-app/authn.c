/* authn.c — bearer token authentication. Revocation is a Redis key per revoked session
 * (webix:rv:s:<sid>) or deactivated user (webix:rv:u:<uid>), living as long as an access
 * token can; when Redis is down the session is checked in PostgreSQL instead. */
#include "authn.h"
#include "log.h"
#include "tokencache.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct db_stmt authn_stmts[] = {
	{ "authn_session_valid",
	  "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 "
	  "AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active", 2 },
	{ "authn_recent_revocations",
	  "SELECT 's:' || id FROM sessions WHERE revoked_at > now() - interval '16 minutes' "
	  "UNION ALL SELECT 'u:' || id FROM users WHERE NOT is_active "
	  "AND updated_at > now() - interval '16 minutes'", 0 },
};

void
authn_register(void)
{
	db_register(authn_stmts, sizeof(authn_stmts) / sizeof(authn_stmts[0]));
}

static int
invalid(struct req *r, struct resp *rs)
{
	return resp_error(r, rs, 401, "unauthorized", "Invalid token", NULL);
}

/* 1 revoked, 0 not, -1 Redis unreachable */
static int
revoked_in_redis(struct req *r, const char *sid, const char *uid)
{
	char ks[64], ku[64];
	snprintf(ks, sizeof(ks), "webix:rv:s:%s", sid);
	snprintf(ku, sizeof(ku), "webix:rv:u:%s", uid);
	const char *argv[] = { "EXISTS", ks, ku };
	redisReply *x = redis_cmd(&r->app->redis, 3, argv, NULL);
	int rc = x && x->type == REDIS_REPLY_INTEGER ? (x->integer > 0) : -1;
	freeReplyObject(x);
	return rc;
}

int
authn_require_token(struct req *r, struct resp *rs)
{
	const char *h = r->authorization;
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
		return resp_error(r, rs, 401, "unauthorized", "No token provided", NULL);
	struct access_claims c;
	if (tokencache_verify(&r->app->keys, h + 7, time(NULL), &c) < 0)
		return invalid(r, rs);
	r->user_id = arena_strdup(&r->arena, c.user_id);
	r->session_id = arena_strdup(&r->arena, c.session_id);
	r->user_email = arena_strdup(&r->arena, c.email);
	r->user_role = arena_strdup(&r->arena, c.role);
	return 0;
}

int
authn_finish(struct req *r, struct resp *rs, int revoked)
{
	if (revoked < 0)
		revoked = revoked_in_redis(r, r->session_id, r->user_id);
	/* Redis (re)connected in this very request, or missed a revocation: until this
	 * worker has pushed the recent revocations into it, its "not revoked" is no answer */
	if (revoked == 0 && r->app->revocation_sync_due)
		revoked = -1;
	if (revoked < 0) {
		/* Redis down: ask PostgreSQL */
		struct db *db = &r->app->db;
		if (db_begin(db, NULL, r->user_id) != DB_OK)
			return resp_db_error(r, rs, db);
		const char *p[2] = { r->session_id, r->user_id };
		PGresult *res = db_exec_commit(db, &authn_stmts[0], p);
		if (res == NULL)
			return resp_db_error(r, rs, db);
		revoked = PQntuples(res) == 0;
		PQclear(res);
	}
	if (revoked) {
		r->user_id = r->session_id = r->user_email = r->user_role = NULL;
		return invalid(r, rs);
	}
	return 0;
}

int
authn_require(struct req *r, struct resp *rs)
{
	if (authn_require_token(r, rs) < 0)
		return -1;
	return authn_finish(r, rs, -1);
}

void
authn_revocation_keys(const struct req *r, char ks[64], char ku[64])
{
	snprintf(ks, 64, "webix:rv:s:%s", r->session_id);
	snprintf(ku, 64, "webix:rv:u:%s", r->user_id);
}

static void
publish(struct app *app, const char *key_suffix)
{
	char key[64], ttl[16];
	snprintf(key, sizeof(key), "webix:rv:%s", key_suffix);
	snprintf(ttl, sizeof(ttl), "%d", ACCESS_TTL + CLOCK_SKEW + 60);
	const char *argv[] = { "SET", key, "1", "EX", ttl };
	redisReply *x = redis_cmd(&app->redis, 5, argv, NULL);
	if (x == NULL) /* the connection may have gone stale while Redis restarted: once more */
		x = redis_cmd(&app->redis, 5, argv, NULL);
	if (x == NULL || x->type == REDIS_REPLY_ERROR) /* away, or refused (out of memory) */
		app->revocation_sync_due = true; /* pushed again once Redis answers */
	freeReplyObject(x);
}

void
authn_publish_revoked(struct app *app, const PGresult *res)
{
	for (int i = 0; res && i < PQntuples(res); i++) {
		char k[48];
		snprintf(k, sizeof(k), "s:%s", PQgetvalue(res, i, 0));
		publish(app, k);
	}
}

void
authn_publish_session(struct app *app, const char *sid)
{
	char k[48];
	snprintf(k, sizeof(k), "s:%s", sid);
	publish(app, k);
}

void
authn_sync_revocations(struct app *app)
{
	struct db *db = &app->db;
	if (redis_ensure(&app->redis) < 0)
		return; /* still away: stays due */
	app->revocation_sync_due = false;
	if (db_begin_accounts(db) != DB_OK) {
		app->revocation_sync_due = true;
		return;
	}
	PGresult *res = db_exec_commit(db, &authn_stmts[1], NULL);
	if (res == NULL) {
		app->revocation_sync_due = true;
		return;
	}
	for (int i = 0; i < PQntuples(res); i++)
		publish(app, PQgetvalue(res, i, 0));
	if (PQntuples(res) > 0 && !app->revocation_sync_due)
		log_msg(LOG_INFO, "pushed %d recent revocations to redis", PQntuples(res));
	PQclear(res);
}
