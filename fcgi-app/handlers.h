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

/* organizations.c (R_ORG handlers run in the transaction dispatch opened with the
 * access check queued: they never call db_begin, they finish with db_exec_commit or
 * db_commit; dispatch rolls back whatever is left open) */
int h_org_create(struct req *, struct resp *);         /* 201, 400, 409 */
int h_org_list(struct req *, struct resp *);           /* 200, 400 */
int h_org_get(struct req *, struct resp *);            /* 200 */
int h_org_update(struct req *, struct resp *);         /* 200, 400, 403, 409 */
int h_org_set_status(struct req *, struct resp *);     /* 200, 400, 403, 409 */
int h_org_delete(struct req *, struct resp *);         /* 200 */
int h_org_by_subdomain(struct req *, struct resp *);   /* 200, 404 */
int h_org_check_subdomain(struct req *, struct resp *);/* 200 */

/* members.c */
int h_members_list(struct req *, struct resp *);       /* 200, 400 */
int h_members_add(struct req *, struct resp *);        /* 201, 400, 403, 404, 409 */
int h_members_set_role(struct req *, struct resp *);   /* 200, 400, 403, 404, 409 */
int h_members_remove(struct req *, struct resp *);     /* 200, 403, 404, 409 */
int h_members_leave(struct req *, struct resp *);      /* 200, 409 */

/* webtoons.c */
int h_webtoon_create(struct req *, struct resp *);     /* 201, 400 */
/* the read cache's keys of the two cached webtoon reads (router.h cache_key) */
const char *webtoon_list_cache_key(struct req *);
const char *webtoon_cache_key(struct req *);
int h_webtoon_list(struct req *, struct resp *);       /* 200, 400 */
int h_webtoon_get(struct req *, struct resp *);        /* 200, 404 */
int h_webtoon_update(struct req *, struct resp *);     /* 200, 400, 404 */
int h_webtoon_delete(struct req *, struct resp *);     /* 200, 404 */
int h_webtoon_publish(struct req *, struct resp *);    /* 200, 404 */
int h_webtoon_unpublish(struct req *, struct resp *);  /* 200, 404 */
int h_webtoon_archive(struct req *, struct resp *);    /* 200, 404 */

/* episodes.c */
int h_episode_create(struct req *, struct resp *);     /* 201, 400, 404, 409 */
int h_episode_list(struct req *, struct resp *);       /* 200, 400, 404 */
int h_episode_get(struct req *, struct resp *);        /* 200, 404 */
int h_episode_update(struct req *, struct resp *);     /* 200, 400, 404, 409 */
int h_episode_delete(struct req *, struct resp *);     /* 200, 404 */
int h_episode_publish(struct req *, struct resp *);    /* 200, 404 */

/* public.c (no authentication; the tenant host decides) */
int h_public_webtoons(struct req *, struct resp *);    /* 200, 304, 400, 404 */
int h_public_webtoon(struct req *, struct resp *);     /* 200, 304, 404 */
int h_public_episodes(struct req *, struct resp *);    /* 200, 304, 400, 404 */
int h_public_episode(struct req *, struct resp *);     /* 200, 304, 404 */

/* media.c */
int h_media_upload(struct req *, struct resp *);       /* 201, 400, 413, 415, 503 */

/* testroutes.c (WEBIX_TEST_ROUTES=1 only) */
int h_test_unscoped(struct req *, struct resp *);
int h_test_unscoped_org(struct req *, struct resp *);
int h_test_views_flush(struct req *, struct resp *);
int h_test_hold(struct req *, struct resp *);

/* Statement tables each module registers at worker start. */
void health_register(void);
void auth_register(void);
void organizations_register(void);
void members_register(void);
void media_register(void);
void testroutes_register(void);
void webtoons_register(void);
void episodes_register(void);
void public_register(void);
void orgaccess_register(void);
/* All of the above (routes.c). */
void handlers_register(void);
#endif
