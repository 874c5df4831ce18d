/* tokencache.h — access tokens this process has already verified, remembered by digest. */
#ifndef WEBIX_TOKENCACHE_H
#define WEBIX_TOKENCACHE_H
#include "token.h"

/*
 * As token_verify_access, but a token whose exact bytes this process verified before is
 * not verified again (signature and JSON): its claims come from memory and only the time
 * rules (exp, iat) are checked against `now`. Revocation is not this function's business:
 * callers check it on every request as before. 0 valid (claims filled), -1 invalid.
 */
int tokencache_verify(const struct token_keys *, const char *token, time_t now,
    struct access_claims *);
/* Forget every remembered token (tests; keys changed). */
void tokencache_clear(void);
#endif
