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
