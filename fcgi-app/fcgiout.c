/* fcgiout.c — the answer of one FastCGI request in a single write. libfcgi buffers 8 kB
 * and writes a record each time that fills, then the rest with the end records: a 14 kB
 * list was two writes, and each woke nginx. Here the whole answer (up to FCGIOUT_MAX
 * bytes) is gathered in one buffer of the worker and written once with its end records;
 * a larger one falls back to libfcgi's stream, in order. */
#include "fcgiout.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

enum { FCGI_VERSION = 1, FCGI_END_REQUEST = 3, FCGI_STDOUT = 6, FCGI_REQUEST_COMPLETE = 0 };

/* one worker serves one request at a time: its answer is gathered here */
static unsigned char out_buf[FCGIOUT_MAX + 40];

static void
header(unsigned char *h, int type, int request_id, size_t content_len, int padding)
{
	h[0] = FCGI_VERSION;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)((request_id >> 8) & 0xff);
	h[3] = (unsigned char)(request_id & 0xff);
	h[4] = (unsigned char)((content_len >> 8) & 0xff);
	h[5] = (unsigned char)(content_len & 0xff);
	h[6] = (unsigned char)padding;
	h[7] = 0;
}

size_t
fcgiout_frame(unsigned char *buf, int request_id, size_t content_len)
{
	size_t n = 0;
	if (content_len > 0) {
		int pad = (int)((8 - content_len % 8) % 8);
		header(buf, FCGI_STDOUT, request_id, content_len, pad);
		n = 8 + content_len;
		memset(buf + n, 0, (size_t)pad);
		n += (size_t)pad;
	}
	/* the empty record that ends the stream, then FCGI_END_REQUEST (status 0, complete) */
	header(buf + n, FCGI_STDOUT, request_id, 0, 0);
	n += 8;
	header(buf + n, FCGI_END_REQUEST, request_id, 8, 0);
	n += 8;
	memset(buf + n, 0, 8);
	buf[n + 4] = FCGI_REQUEST_COMPLETE;
	return n + 8;
}

void
fcgiout_start(struct fcgi_out *o, FCGX_Request *fr)
{
	o->fr = fr;
	o->len = 0;
	o->streaming = false;
}

void
fcgiout_emit(void *ctx, const char *s, size_t n)
{
	struct fcgi_out *o = ctx;
	if (!o->streaming && n <= FCGIOUT_MAX - o->len) {
		memcpy(out_buf + 8 + o->len, s, n);
		o->len += n;
		return;
	}
	if (!o->streaming) {
		o->streaming = true;
		if (o->len > 0)
			FCGX_PutStr((const char *)out_buf + 8, (int)o->len, o->fr->out);
	}
	while (n > 0) {
		int k = n > 1 << 30 ? 1 << 30 : (int)n;
		FCGX_PutStr(s, k, o->fr->out);
		s += k;
		n -= (size_t)k;
	}
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
fcgiout_finish(struct fcgi_out *o)
{
	if (o->streaming)
		return 0;       /* FCGX_Finish_r flushes the stream and writes the end records */
	size_t n = fcgiout_frame(out_buf, o->fr->requestId, o->len);
	int rc = write_all(o->fr->ipcFd, out_buf, n);
	/* libfcgi must not end the request a second time: its writers are closed, unused */
	FCGX_Stream *w[2] = { o->fr->out, o->fr->err };
	for (int i = 0; i < 2; i++)
		if (w[i] != NULL)
			w[i]->wasFCloseCalled = w[i]->isClosed = 1;
	o->len = 0;
	return rc;
}
