/* token.c — JWT issue/verify with libjwt (signing only; every claim is checked here) and
 * the opaque refresh / one-time tokens. */
#include "token.h"
#include "jsonscan.h"
#include "util.h"
#include <errno.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
token_issue_access(const struct token_keys *k, const char *user_id, const char *email,
    const char *role, const char *session_id, time_t now)
{
	jwt_t *j = NULL;
	char *out = NULL;
	unsigned char rnd[16];
	char jti[33];
	if (util_random(rnd, sizeof(rnd)) < 0 || jwt_new(&j) != 0)
		return NULL;
	util_hex(rnd, sizeof(rnd), jti);
	if (jwt_add_grant(j, "userId", user_id) == 0 &&
	    jwt_add_grant(j, "email", email) == 0 &&
	    jwt_add_grant(j, "role", role) == 0 &&
	    jwt_add_grant(j, "type", "access") == 0 &&
	    jwt_add_grant(j, "sid", session_id) == 0 &&
	    jwt_add_grant(j, "jti", jti) == 0 &&
	    jwt_add_grant(j, "iss", k->issuer) == 0 &&
	    jwt_add_grant(j, "aud", k->audience) == 0 &&
	    jwt_add_grant_int(j, "iat", (long)now) == 0 &&
	    jwt_add_grant_int(j, "exp", (long)now + ACCESS_TTL) == 0 &&
	    jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)k->secret,
	        (int)strlen(k->secret)) == 0)
		out = jwt_encode_str(j);
	jwt_free(j);
	return out;
}

static bool
get_str(json_object *o, const char *key, char *out, size_t outsz, bool required)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return !required && (out[0] = '\0', true);
	if (!json_object_is_type(v, json_type_string))
		return false;
	size_t n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n >= outsz)
		return false;
	memcpy(out, json_object_get_string(v), n + 1);
	return true;
}

/* Integer claim (a JSON integer, not a string or a float). */
static int
get_time(json_object *o, const char *key, long *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (x < 0 || x > 253402300799LL) /* year 9999 */
		return -1;
	*out = (long)x;
	return 1;
}

int
token_check_claims(const struct token_keys *k, json_object *p, time_t now,
    struct access_claims *c)
{
	char type[16], iss[128], aud[128];
	long nbf = 0;
	memset(c, 0, sizeof(*c));
	if (p == NULL || !json_object_is_type(p, json_type_object))
		return -1;
	if (!get_str(p, "type", type, sizeof(type), true) || strcmp(type, "access") != 0)
		return -1;
	if (!get_str(p, "iss", iss, sizeof(iss), true) || strcmp(iss, k->issuer) != 0)
		return -1;
	if (!get_str(p, "aud", aud, sizeof(aud), true) || strcmp(aud, k->audience) != 0)
		return -1;
	if (!get_str(p, "userId", c->user_id, sizeof(c->user_id), true) ||
	    !util_is_uuid(c->user_id, strlen(c->user_id)))
		return -1;
	if (!get_str(p, "sid", c->session_id, sizeof(c->session_id), true) ||
	    !util_is_uuid(c->session_id, strlen(c->session_id)))
		return -1;
	if (!get_str(p, "jti", c->jti, sizeof(c->jti), true) ||
	    !get_str(p, "email", c->email, sizeof(c->email), true) ||
	    !get_str(p, "role", c->role, sizeof(c->role), true))
		return -1;
	if (get_time(p, "exp", &c->exp) != 1 || get_time(p, "iat", &c->iat) != 1)
		return -1;
	int has_nbf = get_time(p, "nbf", &nbf);
	if (has_nbf < 0)
		return -1;
	if ((long)now >= c->exp + CLOCK_SKEW)            /* expired */
		return -1;
	if (has_nbf && (long)now + CLOCK_SKEW < nbf)     /* not yet valid */
		return -1;
	if ((long)now + CLOCK_SKEW < c->iat)             /* issued in the future */
		return -1;
	if (c->exp - c->iat > ACCESS_TTL + CLOCK_SKEW)   /* longer than we ever issue */
		return -1;
	return 0;
}

int
token_verify_access(const struct token_keys *k, const char *token, time_t now,
    struct access_claims *c)
{
	size_t n = strnlen(token, TOKEN_MAX_LEN + 1);
	if (n == 0 || n > TOKEN_MAX_LEN)
		return -1;
	/* three base64url parts, nothing else */
	int dots = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = token[i];
		if (ch == '.')
			dots++;
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return -1;
	}
	if (dots != 2 || token[n - 1] == '.')
		return -1;
	jwt_t *j = NULL;
	/* always with our key: libjwt then refuses alg "none" and checks the HMAC */
	if (jwt_decode(&j, token, (const unsigned char *)k->secret, (int)strlen(k->secret)) != 0 ||
	    j == NULL)
		return -1;
	int rc = -1;
	if (jwt_get_alg(j) == JWT_ALG_HS256) {
		char *json = jwt_get_grants_json(j, NULL);
		if (json) {
			const char *why;
			size_t at;
			json_object *p = json_parse_strict(json, strlen(json), &why, &at);
			rc = token_check_claims(k, p, now, c);
			json_object_put(p);
			free(json);
		}
	}
	jwt_free(j);
	return rc;
}

static void
b64url(const unsigned char *in, size_t n, char *out)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = t[v >> 18 & 63]; out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];  out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = t[v >> 18 & 63]; out[o++] = t[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = t[v >> 18 & 63]; out[o++] = t[v >> 12 & 63]; out[o++] = t[v >> 6 & 63];
	}
	out[o] = '\0';
}

int
token_random(char out[44])
{
	unsigned char r[32];
	if (util_random(r, sizeof(r)) < 0)
		return -1;
	b64url(r, sizeof(r), out);
	return 0;
}

int
token_refresh_new(const char *sid, char *out)
{
	char rnd[44];
	if (token_random(rnd) < 0)
		return -1;
	snprintf(out, REFRESH_TOKEN_LEN, "%s.%s", sid, rnd);
	return 0;
}

static void
hmac(const char *key, const char *label, const char *msg, unsigned char md[32])
{
	unsigned int len = 32;
	char buf[REFRESH_TOKEN_LEN + 32];
	int n = snprintf(buf, sizeof(buf), "%s|%s", label, msg);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)buf, (size_t)n, md, &len);
}

void
token_refresh_next(const struct token_keys *k, const char *tok, char *out)
{
	char sid[37];
	unsigned char md[32];
	char part[44];
	if (!token_refresh_parse(tok, sid))
		sid[0] = '\0';
	hmac(k->refresh_secret, "rotate", tok, md);
	b64url(md, sizeof(md), part);
	snprintf(out, REFRESH_TOKEN_LEN, "%s.%s", sid, part);
}

bool
token_refresh_parse(const char *tok, char *sid)
{
	size_t n = strnlen(tok, 200);
	if (n != 36 + 1 + 43 || tok[36] != '.' || !util_is_uuid(tok, 36))
		return false;
	for (size_t i = 37; i < n; i++) {
		char c = tok[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return false;
	}
	memcpy(sid, tok, 36);
	sid[36] = '\0';
	return true;
}

void
token_hash(const struct token_keys *k, const char *tok, char out[TOKEN_HASH_HEX])
{
	unsigned char md[32];
	hmac(k->refresh_secret, "hash", tok, md);
	util_hex(md, sizeof(md), out);
}
