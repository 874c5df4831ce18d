/* body.c — validate a request body against a field table; answer 400 with every error. */
#include "body.h"
#include "app.h"

int
validate_or_reply(struct req *r, struct resp *rs, const struct vfield *f, struct vval *v)
{
	json_object *errors = json_object_new_array();
	if (validate_body(&r->arena, r->json, f, v, errors) > 0)
		return resp_invalid(r, rs, errors);
	json_object_put(errors);
	return 0;
}

int
org_validate_or_reply(struct req *r, struct resp *rs, const struct vfield *f, struct vval *v)
{
	json_object *errors = json_object_new_array();
	if (validate_body(&r->arena, r->json, f, v, errors) == 0) {
		json_object_put(errors);
		return 0;
	}
	struct db *db = &r->app->db;
	if (db_flush(db) != DB_OK) {
		json_object_put(errors);
		return resp_db_error(r, rs, db);
	}
	db_rollback(db);
	return resp_invalid(r, rs, errors);
}

json_object *
db_json(const PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || PQgetisnull(res, row, col))
		return NULL;
	return json_tokener_parse(PQgetvalue(res, row, col));
}

const char *
json_param(struct req *r, json_object *o)
{
	return o ? arena_strdup(&r->arena, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) : NULL;
}

const char *
vval_text(const struct vval *v)
{
	return v->present && !v->is_null && v->len > 0 ? v->s : NULL;
}

int
reply_db_row(struct req *r, struct resp *rs, PGresult *res, int status, const char *message,
    const char *missing)
{
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return resp_error(r, rs, 404, "not_found", missing, NULL);
	}
	resp_ok_raw(r, rs, status, message, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}
