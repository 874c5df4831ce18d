/* dispatch.h — the request pipeline after the FastCGI layer: route, cap and parse the
 * body, authenticate, call the handler. Independent of libfcgi so tests can drive it. */
#ifndef WEBIX_DISPATCH_H
#define WEBIX_DISPATCH_H
#include "request.h"
#include "response.h"

/* Reads up to n body bytes into buf: bytes read, 0 at the end, -1 on error. */
typedef long (*body_reader)(void *ctx, char *buf, size_t n);

void dispatch(struct req *, struct resp *, body_reader, void *ctx);
/* One JSON log line for a finished request. */
void dispatch_log(const struct req *, const struct resp *);
#endif
