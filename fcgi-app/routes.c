/* routes.c — the route table: method, pattern, handler, permission, flags. */
#include "router.h"
#include "handlers.h"

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
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
