/* fuzz_token.c — libFuzzer harness for the token checks of lib/token.c. The first byte
 * picks what the rest is:
 *   'r'  a refresh token        → token_refresh_parse (and next/hash of what parses)
 *   'c'  a claims JSON payload  → json_parse_strict + token_check_claims
 *   's'  a claims JSON payload, signed here as an HS256 JWT → token_verify_access
 *   else the whole input as a bearer token → token_verify_access */
#include "fuzz.h"
#include "jsonscan.h"
#include "token.h"
#include "util.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define NOW 1700000000L

static const struct token_keys keys = {
	.secret = "fuzz-access-secret-0123456789abcdef0123456789",
	.refresh_secret = "fuzz-refresh-secret-0123456789abcdef012345678",
	.issuer = "webix",
	.audience = "webix-api",
};

/* What token_check_claims promises about claims it accepts at NOW. */
static void
claims_sane(const struct access_claims *c)
{
	FUZZ_ASSERT(util_is_uuid(c->user_id, strlen(c->user_id)), "userId %s", c->user_id);
	FUZZ_ASSERT(util_is_uuid(c->session_id, strlen(c->session_id)), "sid %s", c->session_id);
	FUZZ_ASSERT(c->email[0] && c->role[0] && c->jti[0], "empty email, role or jti");
	FUZZ_ASSERT(NOW < c->exp + CLOCK_SKEW, "expired: exp %ld", c->exp);
	FUZZ_ASSERT(c->iat <= NOW + CLOCK_SKEW, "issued in the future: iat %ld", c->iat);
	FUZZ_ASSERT(c->exp - c->iat <= ACCESS_TTL + CLOCK_SKEW, "lives too long: %ld s",
	    c->exp - c->iat);
}

static size_t
b64url(const unsigned char *in, size_t n, char *out)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n) v |= in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		if (i + 1 < n) out[o++] = t[v >> 6 & 63];
		if (i + 2 < n) out[o++] = t[v & 63];
	}
	out[o] = '\0';
	return o;
}

/* header.payload.signature, HS256 with the access secret. Free it. */
static char *
sign(const uint8_t *payload, size_t n)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *tok = malloc(64 + 2 * n + 64);
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	if (tok == NULL)
		return NULL;
	size_t o = b64url((const unsigned char *)hdr, sizeof(hdr) - 1, tok);
	tok[o++] = '.';
	o += b64url(payload, n, tok + o);
	HMAC(EVP_sha256(), keys.secret, (int)strlen(keys.secret), (unsigned char *)tok, o, md,
	    &mdlen);
	tok[o++] = '.';
	b64url(md, mdlen, tok + o);
	return tok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct access_claims c;
	const char *why;
	size_t at;

	if (size == 0)
		return 0;
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	const uint8_t *rest = data + 1;
	size_t rn = size - 1;

	switch (data[0]) {
	case 'r': {
		char sid[37], next[REFRESH_TOKEN_LEN], hash[TOKEN_HASH_HEX];
		if (token_refresh_parse(s + 1, sid)) {
			FUZZ_ASSERT(util_is_uuid(sid, strlen(sid)), "sid %s", sid);
			FUZZ_ASSERT(strncmp(sid, s + 1, 36) == 0, "sid is not the token's prefix");
			token_refresh_next(&keys, s + 1, next);
			FUZZ_ASSERT(token_refresh_parse(next, sid), "the rotated token %s does not "
			    "parse", next);
			token_hash(&keys, s + 1, hash);
			FUZZ_ASSERT(strlen(hash) == TOKEN_HASH_HEX - 1, "hash length %zu", strlen(hash));
		}
		break;
	}
	case 'c':
	case 's': {
		json_object *p = json_parse_strict((const char *)rest, rn, &why, &at);
		int checked = token_check_claims(&keys, p, NOW, &c);
		if (checked == 0)
			claims_sane(&c);
		json_object_put(p);
		if (data[0] == 'c')
			break;
		char *tok = sign(rest, rn);
		if (tok == NULL)
			break;
		int verified = token_verify_access(&keys, tok, NOW, &c);
		if (verified == 0)
			claims_sane(&c);
		/* a correctly signed token with valid claims is accepted (unless too long) */
		if (checked == 0 && strlen(tok) <= TOKEN_MAX_LEN)
			FUZZ_ASSERT(verified == 0, "signed valid claims refused: %s", tok);
		free(tok);
		break;
	}
	default:
		if (token_verify_access(&keys, s, NOW, &c) == 0)
			claims_sane(&c);
		break;
	}
	free(s);
	return 0;
}
