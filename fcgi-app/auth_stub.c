/* auth.c (foundation stage) — POST /api/auth/login: validates LoginBody and looks the user
 * up; password verification and sessions arrive with the accounts issue. */
#include "handlers.h"
#include "app.h"
#include "validate.h"

static const struct db_stmt auth_stmts[] = {
	{ "auth_user_by_email",
	  "SELECT id, password_hash, is_active FROM users WHERE email = lower($1)", 1 },
};

static const struct vfield login_fields[] = {
	{ .name = "email", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },
	{ .name = "password", .type = V_STRING, .flags = VF_REQUIRED, .max = 1024 },
	{ .name = NULL },
};

void
auth_register(void)
{
	db_register(auth_stmts, sizeof(auth_stmts) / sizeof(auth_stmts[0]));
}

int
h_auth_login(struct req *r, struct resp *rs)
{
	struct vval v[2];
	json_object *errors = json_object_new_array();
	if (validate_body(&r->arena, r->json, login_fields, v, errors) > 0)
		return resp_invalid(r, rs, errors);
	json_object_put(errors);
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, NULL) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *p[1] = { v[0].s };
	PGresult *res = db_exec_commit(db, &auth_stmts[0], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	PQclear(res);
	return resp_error(r, rs, 401, "unauthorized", "Invalid credentials", NULL);
}
