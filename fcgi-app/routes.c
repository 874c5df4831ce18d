/* routes.c — the route table: method, pattern, handler, permission, flags. */
#include "router.h"
#include "handlers.h"

const struct route routes[] = {
	{ "GET",  "/api/health",          h_api_health,   NULL, 0 },
	{ "GET",  "/health/live",         h_health_live,  NULL, 0 },
	{ "GET",  "/health/ready",        h_health_ready, NULL, 0 },
	{ "POST", "/api/auth/login",      h_auth_login,   NULL, R_JSON },
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
