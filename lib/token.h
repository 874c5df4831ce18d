/* token.h — access tokens (JWT HS256, claims checked by us, not by libjwt) and opaque
 * refresh tokens (random, stored only as a keyed hash, rotated deterministically). */
#ifndef WEBIX_TOKEN_H
#define WEBIX_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <json-c/json.h>

#define TOKEN_MAX_LEN     8192   /* longer bearer tokens are refused unread */
#define ACCESS_TTL        900    /* 15 minutes */
#define REFRESH_TTL       604800 /* 7 days */
#define CLOCK_SKEW        60     /* seconds of leeway for exp / nbf / iat */
#define REFRESH_TOKEN_LEN 96     /* "<36-char session id>.<43 chars>" (80) + NUL, rounded */
#define TOKEN_HASH_HEX    65

struct token_keys {
	const char *secret;          /* JWT_SECRET */
	const char *refresh_secret;  /* JWT_REFRESH_SECRET */
	const char *issuer, *audience;
};

struct access_claims {
	char user_id[37], session_id[37], role[24], jti[40];
	char email[256];
	long iat, exp;
};

/* A signed access token (free() it) or NULL. */
char *token_issue_access(const struct token_keys *, const char *user_id, const char *email,
    const char *role, const char *session_id, time_t now);
/*
 * Verify an access token: size, exactly HS256, signature, then token_check_claims.
 * 0 valid (claims filled), -1 invalid.
 */
int token_verify_access(const struct token_keys *, const char *token, time_t now,
    struct access_claims *);
/* The claim rules alone, on a parsed payload (exposed for tests and fuzzing). */
int token_check_claims(const struct token_keys *, json_object *payload, time_t now,
    struct access_claims *);

/* A fresh refresh token for a session: "<session id>.<random>" into out (REFRESH_TOKEN_LEN). */
int token_refresh_new(const char *session_id, char *out);
/* The token that replaces `tok` at rotation: derived with HMAC, so a concurrent refresh
 * inside the grace window can be given the same one. */
void token_refresh_next(const struct token_keys *, const char *tok, char *out);
/* Split "<session id>.<secret>"; false if malformed. sid gets 37 bytes. */
bool token_refresh_parse(const char *tok, char *sid);
/* Keyed hash (HMAC-SHA256 with the refresh secret) of any opaque token, hex. */
void token_hash(const struct token_keys *, const char *tok, char out[TOKEN_HASH_HEX]);
/* A random URL-safe token (43 chars) for email verification and password reset. */
int token_random(char out[44]);
#endif
