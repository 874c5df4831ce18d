/* routes.c — the route table: method, pattern, handler, permission, flags. */
#include "router.h"
#include "handlers.h"
#include "views.h"

const struct route routes[] = {
	{ "GET",  "/api/health",          h_api_health,   NULL, 0 },
	{ "GET",  "/health/live",         h_health_live,  NULL, 0 },
	{ "GET",  "/health/ready",        h_health_ready, NULL, 0 },
	{ "POST", "/api/auth/register",        h_auth_register,        NULL, R_JSON },
	{ "POST", "/api/auth/login",           h_auth_login,           NULL, R_JSON },
	{ "POST", "/api/auth/refresh",         h_auth_refresh,         NULL, R_JSON },
	{ "POST", "/api/auth/logout",          h_auth_logout,          NULL, R_JSON | R_AUTH },
	{ "POST", "/api/auth/logout-all",      h_auth_logout_all,      NULL, R_JSON | R_AUTH },
	{ "POST", "/api/auth/change-password", h_auth_change_password, NULL, R_JSON | R_AUTH },
	{ "GET",  "/api/auth/profile",         h_auth_profile,         NULL, R_AUTH },
	{ "GET",  "/api/auth/me",              h_auth_profile,         NULL, R_AUTH },
	{ "GET",  "/api/auth/verify",          h_auth_verify,          NULL, R_AUTH },
	{ "POST", "/api/auth/verify-email",    h_auth_verify_email,    NULL, R_JSON },
	{ "POST", "/api/auth/forgot-password", h_auth_forgot_password, NULL, R_JSON },
	{ "POST", "/api/auth/reset-password",  h_auth_reset_password,  NULL, R_JSON },

	/* organizations (original-api.md §1.3); R_ORG: param 0 is the organization */
#define ORG "/api/organizations/{organizationId:uuid}"
	{ "POST", "/api/organizations",        h_org_create, NULL, R_JSON | R_AUTH },
	{ "GET",  "/api/organizations",        h_org_list,   NULL, R_AUTH },
	{ "GET",  "/api/organizations/subdomain/{subdomain:str}", h_org_by_subdomain, NULL,
	  R_TENANT_SUB },
	{ "GET",  "/api/organizations/check-subdomain/{subdomain:str}", h_org_check_subdomain,
	  NULL, 0 },
	{ "GET",    ORG, h_org_get,    "org:read",   R_AUTH | R_ORG | R_ANY_STATUS },
	{ "PUT",    ORG, h_org_update, "org:write",  R_JSON | R_AUTH | R_ORG | R_ANY_STATUS },
	{ "DELETE", ORG, h_org_delete, "org:delete", R_AUTH | R_ORG | R_ANY_STATUS },
	{ "PUT",    ORG "/status", h_org_set_status, NULL, R_JSON | R_AUTH | R_ORG | R_ANY_STATUS },
	{ "GET",    ORG "/users", h_members_list, "user:read",  R_AUTH | R_ORG },
	{ "POST",   ORG "/users", h_members_add,  "user:write", R_JSON | R_AUTH | R_ORG },
	{ "PUT",    ORG "/users/{userId:uuid}/role", h_members_set_role, "user:write",
	  R_JSON | R_AUTH | R_ORG },
	/* removing others needs user:delete, leaving needs nothing: sql/005 member_remove */
	{ "DELETE", ORG "/users/{userId:uuid}", h_members_remove, NULL, R_AUTH | R_ORG | R_ANY_STATUS },
	{ "POST",   ORG "/leave", h_members_leave, NULL, R_JSON | R_AUTH | R_ORG | R_ANY_STATUS },

	/* content (original-api.md §1.4) */
#define WT "/api/webtoons/{organizationId:uuid}"
#define WID WT "/{webtoonId:uuid}"
#define EP WID "/episodes/{episodeId:uuid}"
	{ "POST",   WT,  h_webtoon_create, "content:write",  R_JSON | R_AUTH | R_ORG },
	{ "GET",    WT,  h_webtoon_list,   "content:read",   R_AUTH | R_ORG | R_CACHE |
	  R_CACHE_VIEWS },
	{ "GET",    WID, h_webtoon_get,    "content:read",   R_AUTH | R_ORG | R_CACHE |
	  R_CACHE_COUNT },
	{ "PUT",    WID, h_webtoon_update, "content:write",  R_JSON | R_AUTH | R_ORG },
	{ "DELETE", WID, h_webtoon_delete, "content:delete", R_AUTH | R_ORG },
	{ "POST",   WID "/publish",   h_webtoon_publish,   "content:write", R_JSON | R_AUTH | R_ORG },
	{ "POST",   WID "/unpublish", h_webtoon_unpublish, "content:write", R_JSON | R_AUTH | R_ORG },
	{ "POST",   WID "/archive",   h_webtoon_archive,   "content:write", R_JSON | R_AUTH | R_ORG },
	{ "POST",   WID "/episodes", h_episode_create, "content:write", R_JSON | R_AUTH | R_ORG },
	{ "GET",    WID "/episodes", h_episode_list,   "content:read",  R_AUTH | R_ORG },
	{ "GET",    EP, h_episode_get,    "content:read",   R_AUTH | R_ORG },
	{ "PUT",    EP, h_episode_update, "content:write",  R_JSON | R_AUTH | R_ORG },
	{ "DELETE", EP, h_episode_delete, "content:delete", R_AUTH | R_ORG },
	{ "POST",   EP "/publish", h_episode_publish, "content:write", R_JSON | R_AUTH | R_ORG },
#undef EP
#undef WID
#undef WT
	{ "GET", "/api/public/webtoons", h_public_webtoons, NULL, 0 },
	{ "GET", "/api/public/webtoons/{webtoonId:uuid}", h_public_webtoon, NULL, 0 },
	{ "GET", "/api/public/webtoons/{webtoonId:uuid}/episodes", h_public_episodes, NULL, 0 },
	{ "GET", "/api/public/webtoons/{webtoonId:uuid}/episodes/{episodeId:uuid}",
	  h_public_episode, NULL, 0 },

	/* media uploads: the handler reads its own body (R_STREAM) */
	{ "POST", "/api/media/{organizationId:uuid}", h_media_upload, "content:write",
	  R_AUTH | R_ORG | R_STREAM },

	/* probes of the end-to-end tests (WEBIX_TEST_ROUTES=1 only) */
	{ "GET", "/api/_test/unscoped", h_test_unscoped, NULL, R_AUTH },
	{ "GET", "/api/_test/unscoped/{organizationId:uuid}", h_test_unscoped_org, "org:read",
	  R_AUTH | R_ORG },
	{ "POST", "/api/_test/views/flush", h_test_views_flush, NULL, 0 },
	{ "GET", "/api/_test/hold", h_test_hold, NULL, 0 },
	{ "POST", "/api/_test/hold", h_test_hold, NULL, 0 },
#undef ORG
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);

const struct route_cache_key route_cache_keys[] = {
	{ h_webtoon_list, webtoon_list_cache_key },
	{ h_webtoon_get, webtoon_cache_key },
};
const size_t nroute_cache_keys = sizeof(route_cache_keys) / sizeof(route_cache_keys[0]);

void
handlers_register(void)
{
	health_register();
	auth_register();
	orgaccess_register();
	organizations_register();
	members_register();
	media_register();
	testroutes_register();
	webtoons_register();
	episodes_register();
	public_register();
	views_register();
}
