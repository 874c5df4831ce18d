/* audit.c — the audit_log insert shared by every handler. */
#include "audit.h"
#include "app.h"
#include <string.h>

static const struct db_stmt audit_stmts[] = {
	{ "audit_insert",
	  "INSERT INTO audit_log (org_id, user_id, action, resource, resource_id, metadata, "
	  "ip_address, user_agent) VALUES (NULLIF($1, '')::uuid, NULLIF($2, '')::uuid, $3, $4, $5, "
	  "$6::jsonb, $7, $8)", 8 },
};

void
audit_register(void)
{
	db_register(audit_stmts, 1);
}

void
audit_queue(struct req *r, const char *org_id, const char *user_id, const char *action,
    const char *resource, const char *resource_id, json_object *metadata)
{
	const char *meta = NULL;
	if (metadata) {
		meta = arena_strdup(&r->arena, json_object_to_json_string_ext(metadata,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(metadata);
	}
	const char *ua = r->user_agent;
	if (ua && strlen(ua) > 512)
		ua = arena_strndup(&r->arena, ua, 512);
	const char *p[8] = { org_id ? org_id : "", user_id ? user_id : "", action, resource,
	    resource_id ? resource_id : "", meta, r->remote_addr, ua };
	db_queue(&r->app->db, &audit_stmts[0], p);
}
