/* authn.h — who is calling: the bearer access token, checked and not revoked. */
#ifndef WEBIX_AUTHN_H
#define WEBIX_AUTHN_H
#include <libpq-fe.h>
#include "app.h"
#include "request.h"
#include "response.h"

/* Require a valid, unrevoked access token: fills r->user_id, user_email, user_role,
 * session_id. 0, or -1 with 401 ("No token provided" / "Invalid token") or 503 answered. */
int  authn_require(struct req *, struct resp *);
/* authn_require in two steps, for a request that reads the revocation keys in a Redis
 * round trip of its own (rcache.c): the token alone (signature, claims; fills r->user_id
 * and the rest), then the verdict — revoked 1 or 0 as read, or -1 to ask Redis (and
 * PostgreSQL if Redis is away) here. Each 0, or -1 with 401 or 503 answered. */
int  authn_require_token(struct req *, struct resp *);
int  authn_finish(struct req *, struct resp *, int revoked);
/* The two Redis keys whose existence revokes the caller's token (64 bytes each). */
void authn_revocation_keys(const struct req *, char ks[64], char ku[64]);
/* Tell every worker (through Redis) that the sessions in column 0 of res are revoked. */
void authn_publish_revoked(struct app *, const PGresult *res);
/* Tell every worker that one session is revoked. */
void authn_publish_session(struct app *, const char *sid);
/* Push the revocations of the last access-token lifetime into Redis (after a reconnect). */
void authn_sync_revocations(struct app *);
void authn_register(void);
#endif
