/* etag.c — public, cacheable answers: Cache-Control, ETag, 304 on If-None-Match. */
#include "etag.h"
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* Does the If-None-Match list (comma-separated, W/ prefixes allowed, or "*") hold tag? */
static bool
matches(const char *list, const char *tag)
{
	size_t tl = strlen(tag);
	const char *p = list;
	while (p && *p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, tag, tl) == 0 && (p[tl] == '\0' || p[tl] == ',' || p[tl] == ' '))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

void
resp_cacheable(struct req *r, struct resp *rs, int max_age)
{
	if (rs->status != 200 || rs->raw == NULL)
		return;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(rs->raw, rs->raw_len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	char tag[2 + 32 + 1];
	tag[0] = '"';
	for (int i = 0; i < 16; i++)
		snprintf(tag + 1 + 2 * i, 3, "%02x", md[i]);
	tag[33] = '"';
	tag[34] = '\0';
	char cc[64];
	snprintf(cc, sizeof(cc), "public, max-age=%d", max_age);
	resp_header(r, rs, "Cache-Control", cc);
	resp_header(r, rs, "ETag", tag);
	if (r->if_none_match && matches(r->if_none_match, tag)) {
		rs->status = 304;
		rs->raw = NULL;
		rs->raw_len = 0;
		rs->content_type = NULL;
	}
}
