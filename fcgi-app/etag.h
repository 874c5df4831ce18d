/* etag.h — public, cacheable answers: Cache-Control, a strong ETag over the body, and
 * 304 Not Modified when If-None-Match names it. */
#ifndef WEBIX_ETAG_H
#define WEBIX_ETAG_H
#include "request.h"
#include "response.h"

/* Call after a 200 with a raw body (resp_ok_raw). Adds Cache-Control "public,
 * max-age=<max_age>" and ETag; answers 304 without a body when the client has it. */
void resp_cacheable(struct req *, struct resp *, int max_age);
#endif
