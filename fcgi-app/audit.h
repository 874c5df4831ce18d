/* audit.h — audit rows, queued into the transaction of the change they record. */
#ifndef WEBIX_AUDIT_H
#define WEBIX_AUDIT_H
#include "request.h"

/* Queue an audit_log insert (org_id/user_id may be NULL; metadata taken over, may be NULL),
 * with the request's IP and User-Agent. Needs an open transaction (db_begin). */
void audit_queue(struct req *, const char *org_id, const char *user_id, const char *action,
    const char *resource, const char *resource_id, json_object *metadata);
void audit_register(void);
#endif
