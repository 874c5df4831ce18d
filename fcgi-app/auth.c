/* auth.c — /api/auth: register, login, refresh, logout, logout-all, change-password,
 * profile (and /me), verify, verify-email, forgot-password, reset-password. */
#include "handlers.h"
#include "app.h"
#include "audit.h"
#include "body.h"
#include "authn.h"
#include "log.h"
#include "password.h"
#include "ratelimit.h"
#include "util.h"
#include "validate.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	S_USER_BY_EMAIL, S_USER_INSERT, S_USER_VIEW, S_USER_LOGIN, S_SESSION_INSERT,
	S_SESSION_FOR_REFRESH, S_SESSION_ROTATE, S_SESSION_REVOKE, S_SESSIONS_REVOKE_USER,
	S_USER_BY_ID, S_USER_SET_PASSWORD, S_PROFILE_ORGS, S_TOKEN_INSERT, S_TOKEN_USE,
	S_USER_VERIFIED, S_OUTBOX_EMAIL, S__MAX
};

#define USER_COLS "u.id, u.password_hash, u.is_active, u.email, u.display_name, u.role"

static const struct db_stmt stmts[S__MAX] = {
	[S_USER_BY_EMAIL] = { "auth_user_by_email",
	  "SELECT " USER_COLS " FROM users u WHERE u.email = $1", 1 },
	[S_USER_INSERT] = { "auth_user_insert",
	  "INSERT INTO users (id, email, password_hash, display_name, photo_url) "
	  "VALUES ($1, $2, $3, $4, $5)", 5 },
	[S_USER_VIEW] = { "auth_user_view",
	  "SELECT user_auth_view(u) FROM users u WHERE u.id = $1", 1 },
	[S_USER_LOGIN] = { "auth_user_login",
	  "UPDATE users u SET last_login_at = now(), password_hash = coalesce($2, password_hash) "
	  "WHERE u.id = $1 RETURNING user_auth_view(u)", 2 },
	[S_SESSION_INSERT] = { "auth_session_insert",
	  "INSERT INTO sessions (id, user_id, refresh_hash, expires_at, ip_address, user_agent) "
	  "VALUES ($1, $2, $3, now() + interval '7 days', $4, left($5, 512))", 5 },
	[S_SESSION_FOR_REFRESH] = { "auth_session_for_refresh",
	  "SELECT s.user_id, s.refresh_hash, s.prev_refresh_hash, "
	  "coalesce(s.rotated_at > now() - make_interval(secs => $2::int), false), "
	  "s.revoked_at IS NULL AND s.expires_at > now(), u.is_active, u.email, u.role "
	  "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 FOR UPDATE OF s", 2 },
	[S_SESSION_ROTATE] = { "auth_session_rotate",
	  "UPDATE sessions SET prev_refresh_hash = refresh_hash, refresh_hash = $2, "
	  "rotated_at = now(), expires_at = now() + interval '7 days' WHERE id = $1", 2 },
	[S_SESSION_REVOKE] = { "auth_session_revoke",
	  "UPDATE sessions SET revoked_at = now(), revoke_reason = $3 "
	  "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id", 3 },
	[S_SESSIONS_REVOKE_USER] = { "auth_sessions_revoke_user",
	  "UPDATE sessions SET revoked_at = now(), revoke_reason = $3 "
	  "WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM NULLIF($2, '')::uuid "
	  "RETURNING id", 3 },
	[S_USER_BY_ID] = { "auth_user_by_id",
	  "SELECT " USER_COLS " FROM users u WHERE u.id = $1", 1 },
	[S_USER_SET_PASSWORD] = { "auth_user_set_password",
	  "UPDATE users SET password_hash = $2 WHERE id = $1", 2 },
	[S_PROFILE_ORGS] = { "auth_profile_orgs",
	  "SELECT membership_view(m, org_view(o)) FROM memberships m "
	  "JOIN organizations o ON o.id = m.org_id "
	  "WHERE m.user_id = $1 AND m.is_active AND o.deleted_at IS NULL ORDER BY m.joined_at DESC", 1 },
	[S_TOKEN_INSERT] = { "auth_token_insert",
	  "INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at) "
	  "VALUES ($1, $2, $3, now() + make_interval(mins => $4::int))", 4 },
	[S_TOKEN_USE] = { "auth_token_use",
	  "UPDATE account_tokens t SET used_at = now() FROM users u "
	  "WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL "
	  "AND t.expires_at > now() AND u.id = t.user_id AND u.is_active "
	  "RETURNING t.user_id, u.email", 2 },
	[S_USER_VERIFIED] = { "auth_user_verified",
	  "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1", 1 },
	[S_OUTBOX_EMAIL] = { "auth_outbox_email",
	  "INSERT INTO outbox (kind, template, recipient, locale, payload) "
	  "VALUES ('email', $1, $2, 'en', $3::jsonb)", 3 },
};

void
auth_register(void)
{
	db_register(stmts, S__MAX);
	audit_register();
	authn_register();
}

/* ---- field tables (original-api.md §1.0, with our limits) ---- */

static bool
pw_bytes_ok(const char *s, size_t n)
{
	(void)s;
	return n <= PASSWORD_MAX_BYTES;
}

#define PASSWORD_FIELD(nm) { .name = nm, .type = V_STRING, .flags = VF_REQUIRED, .min = 6, \
	.check = pw_bytes_ok, .check_msg = "must be at most 1024 bytes long" }

static const struct vfield register_fields[] = {
	{ .name = "email", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },
	PASSWORD_FIELD("password"),
	{ .name = "displayName", .type = V_STRING, .flags = VF_REQUIRED | VF_TRIM, .min = 2, .max = 50 },
	{ .name = "photoURL", .type = V_URI, .flags = VF_TRIM, .max = 2048 },
	{ .name = NULL },
};
enum { RF_EMAIL, RF_PASSWORD, RF_NAME, RF_PHOTO };

static const struct vfield login_fields[] = {
	{ .name = "email", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },
	{ .name = "password", .type = V_STRING, .flags = VF_REQUIRED, .check = pw_bytes_ok,
	  .check_msg = "must be at most 1024 bytes long" },
	{ .name = NULL },
};

static const struct vfield change_fields[] = {
	{ .name = "currentPassword", .type = V_STRING, .flags = VF_REQUIRED, .check = pw_bytes_ok,
	  .check_msg = "must be at most 1024 bytes long" },
	PASSWORD_FIELD("newPassword"),
	{ .name = NULL },
};

/* no length limit: any string that is not one of our tokens is simply invalid (401) */
static const struct vfield refresh_fields[] = {
	{ .name = "refreshToken", .type = V_STRING, .flags = VF_REQUIRED },
	{ .name = NULL },
};

static const struct vfield token_fields[] = {
	{ .name = "token", .type = V_STRING, .flags = VF_REQUIRED, .max = 200 },
	{ .name = NULL },
};

static const struct vfield email_fields[] = {
	{ .name = "email", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },
	{ .name = NULL },
};

static const struct vfield reset_fields[] = {
	{ .name = "token", .type = V_STRING, .flags = VF_REQUIRED, .max = 200 },
	PASSWORD_FIELD("password"),
	{ .name = NULL },
};

/* ---- helpers ---- */

/* Queue the outbox row of an account email (verification or reset link). */
static void
queue_email(struct req *r, const char *tmpl, const char *to, const char *name,
    const char *path, const char *token, int minutes)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "displayName", json_object_new_string(name ? name : ""));
	json_object_object_add(p, "link", json_object_new_string(arena_printf(&r->arena,
	    "%s%s?token=%s", r->app->cfg->client_url, path, token)));
	json_object_object_add(p, "expiresInMinutes", json_object_new_int(minutes));
	const char *params[3] = { tmpl, to,
	    arena_strdup(&r->arena, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN)) };
	json_object_put(p);
	db_queue(&r->app->db, &stmts[S_OUTBOX_EMAIL], params);
}

/* Queue a one-time token of `purpose`; its plain value goes into tok (44 bytes). */
static int
queue_account_token(struct req *r, const char *user_id, const char *purpose, int minutes,
    char tok[44])
{
	char hash[TOKEN_HASH_HEX], mins[16];
	if (token_random(tok) < 0)
		return -1;
	token_hash(&r->app->keys, tok, hash);
	snprintf(mins, sizeof(mins), "%d", minutes);
	const char *p[4] = { user_id, purpose, arena_strdup(&r->arena, hash),
	    arena_strdup(&r->arena, mins) };
	db_queue(&r->app->db, &stmts[S_TOKEN_INSERT], p);
	return 0;
}

/* New session: id, refresh token and its hash. Queues the insert. */
static int
queue_session(struct req *r, const char *user_id, char sid[37], char refresh[REFRESH_TOKEN_LEN])
{
	char hash[TOKEN_HASH_HEX];
	if (util_uuid4(sid) < 0 || token_refresh_new(sid, refresh) < 0)
		return -1;
	token_hash(&r->app->keys, refresh, hash);
	const char *p[5] = { arena_strdup(&r->arena, sid), user_id, arena_strdup(&r->arena, hash),
	    r->remote_addr, r->user_agent };
	db_queue(&r->app->db, &stmts[S_SESSION_INSERT], p);
	return 0;
}

/* {"user":…, "accessToken", "refreshToken"}; user taken over. NULL if signing failed. */
static json_object *
token_pair(struct req *r, json_object *user, const char *user_id, const char *email,
    const char *role, const char *sid, const char *refresh)
{
	char *access = token_issue_access(&r->app->keys, user_id, email, role, sid, time(NULL));
	if (access == NULL) {
		json_object_put(user);
		return NULL;
	}
	json_object *d = json_object_new_object();
	if (user)
		json_object_object_add(d, "user", user);
	json_object_object_add(d, "accessToken", json_object_new_string(access));
	json_object_object_add(d, "refreshToken", json_object_new_string(refresh));
	free(access);
	return d;
}

static int
internal(struct req *r, struct resp *rs, const char *what)
{
	log_msg(LOG_ERROR, "%s", what);
	return resp_error(r, rs, 500, "internal", "Internal server error", NULL);
}

/* ---- handlers ---- */

/* POST /api/auth/register — 201, 400, 409, 429, 503 */
int
h_auth_register(struct req *r, struct resp *rs)
{
	struct vval v[4];
	const struct config *cfg = r->app->cfg;
	if (rl_hit_or_reply(r, rs, "register", cfg->register_per_hour, 3600) < 0)
		return -1;
	if (validate_or_reply(r, rs, register_fields, v) < 0)
		return -1;
	char hash[PASSWORD_HASH_MAX], uid[37], sid[37], refresh[REFRESH_TOKEN_LEN], vtok[44];
	if (password_hash(v[RF_PASSWORD].s, v[RF_PASSWORD].len, hash, sizeof(hash)) < 0 ||
	    util_uuid4(uid) < 0)
		return internal(r, rs, "password hashing failed");
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, uid) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *pu[5] = { uid, v[RF_EMAIL].s, hash, v[RF_NAME].s,
	    v[RF_PHOTO].present ? v[RF_PHOTO].s : NULL };
	db_queue(db, &stmts[S_USER_INSERT], pu);
	if (queue_session(r, uid, sid, refresh) < 0 ||
	    queue_account_token(r, uid, "verify_email", 24 * 60, vtok) < 0) {
		db_rollback(db);
		return internal(r, rs, "random source failed");
	}
	queue_email(r, "verify_email", v[RF_EMAIL].s, v[RF_NAME].s, "/verify-email", vtok, 24 * 60);
	audit_queue(r, NULL, uid, "user_registered", "user", uid, NULL);
	const char *pv[1] = { uid };
	PGresult *res = db_exec_commit(db, &stmts[S_USER_VIEW], pv);
	if (res == NULL) {
		if (db->status == DB_CONFLICT)
			return resp_error(r, rs, 409, "conflict", "User with this email already exists",
			    NULL);
		return resp_db_error(r, rs, db);
	}
	json_object *user = db_json(res, 0, 0);
	PQclear(res);
	r->user_id = arena_strdup(&r->arena, uid);
	json_object *d = token_pair(r, user, uid, v[RF_EMAIL].s, "org_user", sid, refresh);
	if (d == NULL)
		return internal(r, rs, "token signing failed");
	resp_ok(rs, 201, "User registered successfully", d);
	return 0;
}

/* POST /api/auth/login — 200, 400, 401, 429, 503 */
int
h_auth_login(struct req *r, struct resp *rs)
{
	struct vval v[2];
	const struct config *cfg = r->app->cfg;
	if (validate_or_reply(r, rs, login_fields, v) < 0)
		return -1;
	const char *email = v[0].s;
	bool exempt = rl_exempt(r);
	if ((!exempt && r->remote_addr &&
	    rl_locked_or_reply(r, rs, "login-ip", r->remote_addr) < 0) ||
	    rl_locked_or_reply(r, rs, "login", email) < 0)
		return -1;

	struct db *db = &r->app->db;
	if (db_begin_accounts(db) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *pe[1] = { email };
	PGresult *u = db_exec_commit(db, &stmts[S_USER_BY_EMAIL], pe);
	if (u == NULL)
		return resp_db_error(r, rs, db);
	bool found = PQntuples(u) == 1;
	const char *hash = found ? PQgetvalue(u, 0, 1) : NULL;
	bool ok = password_verify(hash, v[1].s, v[1].len); /* same work when not found */
	bool active = found && PQgetvalue(u, 0, 2)[0] == 't';
	char uid[37] = "", role[24] = "";
	if (found) {
		snprintf(uid, sizeof(uid), "%s", PQgetvalue(u, 0, 0));
		snprintf(role, sizeof(role), "%s", PQgetvalue(u, 0, 5));
	}
	char newhash[PASSWORD_HASH_MAX];
	bool rehash = ok && password_needs_rehash(hash) &&
	    password_hash(v[1].s, v[1].len, newhash, sizeof(newhash)) == 0;
	PQclear(u);

	if (!ok || !active) {
		const char *reason = !found ? "unknown_email" : !ok ? "invalid_password" : "inactive";
		rl_fail(r, "login", email, cfg->login_max_failures, cfg->login_lock_max);
		if (!exempt && r->remote_addr)
			rl_fail(r, "login-ip", r->remote_addr, cfg->login_ip_max_failures,
			    cfg->login_lock_max);
		if (db_begin(db, NULL, found ? uid : NULL) == DB_OK) {
			json_object *m = json_object_new_object();
			json_object_object_add(m, "reason", json_object_new_string(reason));
			if (!found)
				json_object_object_add(m, "email", json_object_new_string(email));
			audit_queue(r, NULL, found ? uid : NULL, "login_failed", "user",
			    found ? uid : "unknown", m);
			if (db_commit(db) != DB_OK)
				return resp_db_error(r, rs, db);
		} else
			return resp_db_error(r, rs, db);
		if (ok && !active)
			return resp_error(r, rs, 401, "unauthorized", "Account is deactivated", NULL);
		return resp_error(r, rs, 401, "unauthorized", "Invalid credentials", NULL);
	}

	char sid[37], refresh[REFRESH_TOKEN_LEN];
	if (db_begin(db, NULL, uid) != DB_OK)
		return resp_db_error(r, rs, db);
	if (queue_session(r, uid, sid, refresh) < 0) {
		db_rollback(db);
		return internal(r, rs, "random source failed");
	}
	json_object *meta = NULL;
	if (rehash) {
		meta = json_object_new_object();
		json_object_object_add(meta, "passwordRehashed", json_object_new_boolean(1));
	}
	audit_queue(r, NULL, uid, "login_success", "user", uid, meta);
	const char *pl[2] = { uid, rehash ? newhash : NULL };
	PGresult *res = db_exec_commit(db, &stmts[S_USER_LOGIN], pl);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	json_object *user = db_json(res, 0, 0);
	PQclear(res);
	rl_reset(r, "login", email);
	r->user_id = arena_strdup(&r->arena, uid);
	json_object *d = token_pair(r, user, uid, email, role, sid, refresh);
	if (d == NULL)
		return internal(r, rs, "token signing failed");
	resp_ok(rs, 200, "Login successful", d);
	return 0;
}

static int
bad_refresh(struct req *r, struct resp *rs)
{
	return resp_error(r, rs, 401, "unauthorized", "Invalid refresh token", NULL);
}

/* POST /api/auth/refresh — 200, 400, 401, 429, 503 */
int
h_auth_refresh(struct req *r, struct resp *rs)
{
	struct vval v[1];
	if (rl_hit_or_reply(r, rs, "refresh", r->app->cfg->refresh_per_minute, 60) < 0)
		return -1;
	/* as the original: a missing or falsy refreshToken (or no body) is its own 400 */
	json_object *rt = NULL;
	if (r->json == NULL || (json_object_is_type(r->json, json_type_object) &&
	    (!json_object_object_get_ex(r->json, "refreshToken", &rt) || rt == NULL ||
	    (json_object_is_type(rt, json_type_string) && json_object_get_string_len(rt) == 0) ||
	    (json_object_is_type(rt, json_type_boolean) && !json_object_get_boolean(rt)))))
		return resp_error(r, rs, 400, "bad_request", "Refresh token required", NULL);
	if (validate_or_reply(r, rs, refresh_fields, v) < 0)
		return -1;
	char sid[37], hash[TOKEN_HASH_HEX], grace[16];
	if (!token_refresh_parse(v[0].s, sid))
		return bad_refresh(r, rs);
	token_hash(&r->app->keys, v[0].s, hash);
	snprintf(grace, sizeof(grace), "%ld", r->app->cfg->refresh_grace);

	struct db *db = &r->app->db;
	if (db_begin_accounts(db) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *p[2] = { sid, grace };
	PGresult *s = db_exec(db, &stmts[S_SESSION_FOR_REFRESH], p);
	if (s == NULL)
		return resp_db_error(r, rs, db);
	if (PQntuples(s) == 0) {
		PQclear(s);
		db_rollback(db);
		return bad_refresh(r, rs);
	}
	char uid[37], email[256], role[24];
	snprintf(uid, sizeof(uid), "%s", PQgetvalue(s, 0, 0));
	snprintf(email, sizeof(email), "%s", PQgetvalue(s, 0, 6));
	snprintf(role, sizeof(role), "%s", PQgetvalue(s, 0, 7));
	bool current = util_ct_equal(hash, strlen(hash), PQgetvalue(s, 0, 1),
	    (size_t)PQgetlength(s, 0, 1));
	bool previous = !PQgetisnull(s, 0, 2) && util_ct_equal(hash, strlen(hash),
	    PQgetvalue(s, 0, 2), (size_t)PQgetlength(s, 0, 2));
	bool in_grace = PQgetvalue(s, 0, 3)[0] == 't';
	bool live = PQgetvalue(s, 0, 4)[0] == 't';
	bool active = PQgetvalue(s, 0, 5)[0] == 't';
	PQclear(s);

	if (!live || !active) {
		db_rollback(db);
		return bad_refresh(r, rs);
	}
	char next[REFRESH_TOKEN_LEN], nexthash[TOKEN_HASH_HEX];
	if (current) {
		token_refresh_next(&r->app->keys, v[0].s, next);
		token_hash(&r->app->keys, next, nexthash);
		const char *pr[2] = { sid, nexthash };
		db_queue(db, &stmts[S_SESSION_ROTATE], pr);
		if (db_commit(db) != DB_OK)
			return resp_db_error(r, rs, db);
	} else if (previous && in_grace) {
		/* a concurrent refresh already rotated: hand out the current pair */
		db_rollback(db);
		token_refresh_next(&r->app->keys, v[0].s, next);
	} else {
		/* a rotated token presented again: someone else has it; end the session */
		const char *pv[3] = { sid, uid, "refresh_reuse" };
		db_queue(db, &stmts[S_SESSION_REVOKE], pv);
		json_object *m = json_object_new_object();
		json_object_object_add(m, "sessionId", json_object_new_string(sid));
		audit_queue(r, NULL, uid, "refresh_reuse_detected", "session", sid, m);
		if (db_commit(db) != DB_OK)
			return resp_db_error(r, rs, db);
		authn_publish_session(r->app, sid);
		log_msg(LOG_WARN, "refresh token reuse: session %s revoked", sid);
		return bad_refresh(r, rs);
	}
	r->user_id = arena_strdup(&r->arena, uid);
	json_object *d = token_pair(r, NULL, uid, email, role, sid, next);
	if (d == NULL)
		return internal(r, rs, "token signing failed");
	resp_ok(rs, 200, "Token refreshed successfully", d);
	return 0;
}

/* Revoke sessions with statement st (params p), audit, commit, tell Redis. */
static int
revoke_and_reply(struct req *r, struct resp *rs, int st, const char *const *p,
    const char *action, const char *message)
{
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	audit_queue(r, NULL, r->user_id, action, "session",
	    st == S_SESSION_REVOKE ? r->session_id : "all", NULL);
	PGresult *res = db_exec_commit(db, &stmts[st], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	authn_publish_revoked(r->app, res);
	PQclear(res);
	resp_ok(rs, 200, message, NULL);
	return 0;
}

/* POST /api/auth/logout — 200, 401, 503 */
int
h_auth_logout(struct req *r, struct resp *rs)
{
	const char *p[3] = { r->session_id, r->user_id, "logout" };
	return revoke_and_reply(r, rs, S_SESSION_REVOKE, p, "logout", "Logout successful");
}

/* POST /api/auth/logout-all — 200, 401, 503 */
int
h_auth_logout_all(struct req *r, struct resp *rs)
{
	const char *p[3] = { r->user_id, "", "logout_all" };
	return revoke_and_reply(r, rs, S_SESSIONS_REVOKE_USER, p, "logout_all",
	    "All sessions logged out successfully");
}

/* POST /api/auth/change-password — 200, 400, 401, 404, 503 */
int
h_auth_change_password(struct req *r, struct resp *rs)
{
	struct vval v[2];
	if (validate_or_reply(r, rs, change_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *pu[1] = { r->user_id };
	PGresult *u = db_exec_commit(db, &stmts[S_USER_BY_ID], pu);
	if (u == NULL)
		return resp_db_error(r, rs, db);
	if (PQntuples(u) == 0) {
		PQclear(u);
		return resp_error(r, rs, 404, "not_found", "User not found", NULL);
	}
	bool ok = password_verify(PQgetvalue(u, 0, 1), v[0].s, v[0].len);
	PQclear(u);
	if (!ok)
		return resp_error(r, rs, 400, "bad_request", "Current password is incorrect", NULL);
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(v[1].s, v[1].len, hash, sizeof(hash)) < 0)
		return internal(r, rs, "password hashing failed");
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *ps[2] = { r->user_id, hash };
	db_queue(db, &stmts[S_USER_SET_PASSWORD], ps);
	audit_queue(r, NULL, r->user_id, "password_changed", "user", r->user_id, NULL);
	/* every other session ends; the caller's stays */
	const char *pr[3] = { r->user_id, r->session_id, "password_changed" };
	PGresult *res = db_exec_commit(db, &stmts[S_SESSIONS_REVOKE_USER], pr);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	authn_publish_revoked(r->app, res);
	PQclear(res);
	resp_ok(rs, 200, "Password changed successfully", NULL);
	return 0;
}

static json_object *
auth_context(struct req *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "userId", json_object_new_string(r->user_id));
	json_object_object_add(o, "email", json_object_new_string(r->user_email));
	json_object_object_add(o, "role", json_object_new_string(r->user_role));
	return o;
}

/* GET /api/auth/profile, GET /api/auth/me — 200, 401, 503 */
int
h_auth_profile(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *p[1] = { r->user_id };
	PGresult *res = db_exec_commit(db, &stmts[S_PROFILE_ORGS], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	json_object *orgs = json_object_new_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_object *m = db_json(res, i, 0);
		if (m)
			json_object_array_add(orgs, m);
	}
	PQclear(res);
	json_object *d = json_object_new_object();
	json_object_object_add(d, "user", auth_context(r));
	json_object_object_add(d, "organizations", orgs);
	resp_ok(rs, 200, NULL, d);
	return 0;
}

/* GET /api/auth/verify — 200, 401 */
int
h_auth_verify(struct req *r, struct resp *rs)
{
	resp_ok(rs, 200, NULL, auth_context(r));
	return 0;
}

/*
 * Begin a transaction and spend the one-time token of `purpose`: its user id (arena) or
 * NULL with the answer sent (400 invalid or expired, 503) and nothing left open.
 */
static const char *
use_token_or_reply(struct req *r, struct resp *rs, const char *token, const char *purpose)
{
	char hash[TOKEN_HASH_HEX];
	token_hash(&r->app->keys, token, hash);
	struct db *db = &r->app->db;
	if (db_begin_accounts(db) != DB_OK) {
		resp_db_error(r, rs, db);
		return NULL;
	}
	const char *p[2] = { hash, purpose };
	PGresult *t = db_exec(db, &stmts[S_TOKEN_USE], p);
	if (t == NULL) {
		resp_db_error(r, rs, db);
		return NULL;
	}
	if (PQntuples(t) == 0) {
		PQclear(t);
		db_rollback(db);
		resp_error(r, rs, 400, "bad_request", "Invalid or expired token", NULL);
		return NULL;
	}
	const char *uid = arena_strdup(&r->arena, PQgetvalue(t, 0, 0));
	PQclear(t);
	return uid;
}

/* POST /api/auth/verify-email — 200, 400, 503 */
int
h_auth_verify_email(struct req *r, struct resp *rs)
{
	struct vval v[1];
	if (validate_or_reply(r, rs, token_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *uid = use_token_or_reply(r, rs, v[0].s, "verify_email");
	if (uid == NULL)
		return -1;
	const char *pu[1] = { uid };
	db_queue(db, &stmts[S_USER_VERIFIED], pu);
	audit_queue(r, NULL, uid, "email_verified", "user", uid, NULL);
	if (db_commit(db) != DB_OK)
		return resp_db_error(r, rs, db);
	resp_ok(rs, 200, "Email verified successfully", NULL);
	return 0;
}

/* POST /api/auth/forgot-password — 200 (the same for unknown emails), 400, 429, 503 */
int
h_auth_forgot_password(struct req *r, struct resp *rs)
{
	struct vval v[1];
	if (rl_hit_or_reply(r, rs, "forgot", r->app->cfg->forgot_per_hour, 3600) < 0)
		return -1;
	if (validate_or_reply(r, rs, email_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	if (db_begin_accounts(db) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *pe[1] = { v[0].s };
	PGresult *u = db_exec(db, &stmts[S_USER_BY_EMAIL], pe);
	if (u == NULL)
		return resp_db_error(r, rs, db);
	if (PQntuples(u) == 1 && PQgetvalue(u, 0, 2)[0] == 't') {
		char tok[44];
		const char *uid = arena_strdup(&r->arena, PQgetvalue(u, 0, 0));
		const char *name = arena_strdup(&r->arena, PQgetvalue(u, 0, 4));
		if (queue_account_token(r, uid, "reset_password", 30, tok) == 0) {
			queue_email(r, "reset_password", v[0].s, name, "/reset-password", tok, 30);
			audit_queue(r, NULL, uid, "password_reset_requested", "user", uid, NULL);
		}
	}
	PQclear(u);
	if (db_commit(db) != DB_OK)
		return resp_db_error(r, rs, db);
	resp_ok(rs, 200, "If an account exists for that email, a password reset link has been sent",
	    NULL);
	return 0;
}

/* POST /api/auth/reset-password — 200, 400, 503 */
int
h_auth_reset_password(struct req *r, struct resp *rs)
{
	struct vval v[2];
	if (validate_or_reply(r, rs, reset_fields, v) < 0)
		return -1;
	char pw[PASSWORD_HASH_MAX];
	if (password_hash(v[1].s, v[1].len, pw, sizeof(pw)) < 0)
		return internal(r, rs, "password hashing failed");
	struct db *db = &r->app->db;
	const char *uid = use_token_or_reply(r, rs, v[0].s, "reset_password");
	if (uid == NULL)
		return -1;
	const char *ps[2] = { uid, pw };
	db_queue(db, &stmts[S_USER_SET_PASSWORD], ps);
	audit_queue(r, NULL, uid, "password_reset", "user", uid, NULL);
	const char *pr[3] = { uid, "", "password_reset" };
	PGresult *res = db_exec(db, &stmts[S_SESSIONS_REVOKE_USER], pr);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	if (db_commit(db) != DB_OK) {
		PQclear(res);
		return resp_db_error(r, rs, db);
	}
	authn_publish_revoked(r->app, res);
	PQclear(res);
	resp_ok(rs, 200, "Password has been reset", NULL);
	return 0;
}
