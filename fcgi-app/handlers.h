/* handlers.h — every route handler, one file per resource. Each comment lists the statuses
 * the handler can answer beyond the pipeline's own (400/401/403/404/405/413/415/503). */
#ifndef WEBIX_HANDLERS_H
#define WEBIX_HANDLERS_H
#include "request.h"
#include "response.h"

/* health.c */
int h_api_health(struct req *, struct resp *);   /* 200 */
int h_health_live(struct req *, struct resp *);  /* 200 */
int h_health_ready(struct req *, struct resp *); /* 200, 503 */

/* auth.c */
int h_auth_register(struct req *, struct resp *);
int h_auth_login(struct req *, struct resp *);
int h_auth_refresh(struct req *, struct resp *);
int h_auth_logout(struct req *, struct resp *);
int h_auth_logout_all(struct req *, struct resp *);
int h_auth_change_password(struct req *, struct resp *);
int h_auth_profile(struct req *, struct resp *);
int h_auth_verify(struct req *, struct resp *);
int h_auth_verify_email(struct req *, struct resp *);
int h_auth_forgot_password(struct req *, struct resp *);
int h_auth_reset_password(struct req *, struct resp *);

/* Statement tables each module registers at worker start. */
void health_register(void);
void auth_register(void);
#endif
