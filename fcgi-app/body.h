/* body.h — validate a request body against a field table; answer 400 with every error. */
#ifndef WEBIX_BODY_H
#define WEBIX_BODY_H
#include "request.h"
#include "response.h"
#include "validate.h"

/* 0 when the body is valid (v filled), else -1 with 400 validation_failed answered. */
int validate_or_reply(struct req *, struct resp *, const struct vfield *, struct vval *);

/*
 * The same on an organization route, whose access check is queued but not yet read:
 * a caller who may not act there gets that answer (404/403), never a hint from
 * validating their body. On failure the request's transaction is rolled back.
 */
int org_validate_or_reply(struct req *, struct resp *, const struct vfield *, struct vval *);

/* Column `col` of row `row` parsed as JSON (NULL when absent or SQL NULL). */
json_object *db_json(const PGresult *, int row, int col);

/* A JSON value as compact text in the request arena (a SQL parameter); NULL for NULL. */
const char *json_param(struct req *, json_object *);
/* A validated string as a SQL parameter: NULL when absent, null or empty. */
const char *vval_text(const struct vval *);

/*
 * Answer `status` with the JSON text of column 0 of res's single row as data (no
 * parsing again); 404 not_found with `missing` when there is no row or it is NULL.
 * res is cleared either way. 0, or -1 for the 404.
 */
int reply_db_row(struct req *, struct resp *, PGresult *res, int status, const char *message,
    const char *missing);
#endif
