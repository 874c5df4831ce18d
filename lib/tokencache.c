/* tokencache.c — a small direct-mapped table, SHA-256 of a verified access token → its
 * claims. The full check (libjwt's HMAC, two JSON passes, every claim rule) is most of the
 * CPU an authenticated read from the cache costs; a client sends the same token for its
 * 15 minutes, so each worker verifies it once. Keyed by the digest of the whole token:
 * a token differing in any byte (another signature, a changed claim) misses and is
 * verified in full, and so is one checked with another key. The digest is compared in
 * constant time. Per process, never shared; a reload (new keys) starts new workers. */
#include "tokencache.h"
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <string.h>

#define SLOTS 128

struct slot {
	unsigned char       digest[SHA256_DIGEST_LENGTH];
	bool                used;
	const char         *secret;      /* the key it was verified with (its identity) */
	struct access_claims claims;
};

static struct slot table[SLOTS];

void
tokencache_clear(void)
{
	memset(table, 0, sizeof(table));
}

/* The time rules of token_check_claims that can change while a token is remembered. */
static bool
still_valid(const struct access_claims *c, time_t now)
{
	return (long)now < c->exp + CLOCK_SKEW && (long)now + CLOCK_SKEW >= c->iat;
}

int
tokencache_verify(const struct token_keys *k, const char *token, time_t now,
    struct access_claims *c)
{
	size_t n = strnlen(token, TOKEN_MAX_LEN + 1);
	if (n == 0 || n > TOKEN_MAX_LEN)
		return -1;
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)token, n, d);
	struct slot *s = &table[(d[0] | (unsigned)d[1] << 8) % SLOTS];
	if (s->used && s->secret == k->secret && CRYPTO_memcmp(s->digest, d, sizeof(d)) == 0) {
		if (!still_valid(&s->claims, now))
			return -1;
		*c = s->claims;
		return 0;
	}
	if (token_verify_access(k, token, now, c) < 0)
		return -1;
	memcpy(s->digest, d, sizeof(d));
	s->claims = *c;
	s->secret = k->secret;
	s->used = true;
	return 0;
}
