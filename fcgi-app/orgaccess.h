/* orgaccess.h — the first step of every organization route (R_ORG): the request's
 * transaction opens in the organization of the path and the access check is queued
 * ahead of anything the handler sends (sql/005 app_require_org). */
#ifndef WEBIX_ORGACCESS_H
#define WEBIX_ORGACCESS_H
#include "request.h"
#include "response.h"

/*
 * Path param 0 is the organization id. Sets r->org_id, begins the transaction with the
 * tenant context and queues the check (tenant host, membership, status, the route's
 * permission). 0, or -1 with 503 answered. The check's verdict arrives with the
 * handler's first round trip: a refusal (404/403) fails that call, and resp_db_error
 * answers it; nothing the handler queued after it runs.
 */
int org_access_begin(struct req *, struct resp *);
void orgaccess_register(void);
#endif
