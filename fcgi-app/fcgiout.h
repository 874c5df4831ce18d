/* fcgiout.h — the answer of one FastCGI request, gathered and sent as one write: its
 * FCGI_STDOUT record, the end of that stream and FCGI_END_REQUEST together. */
#ifndef WEBIX_FCGIOUT_H
#define WEBIX_FCGIOUT_H
#include <fcgiapp.h>
#include <stdbool.h>
#include <stddef.h>

/* The most content gathered for one write (a FastCGI record carries at most 65,535 bytes;
 * a multiple of 8 needs no padding). A larger answer goes through libfcgi's stream. */
#define FCGIOUT_MAX 65528

struct fcgi_out {
	FCGX_Request *fr;
	size_t len;          /* content gathered so far */
	bool streaming;      /* too large: handed to libfcgi, which writes it in 8 kB records */
};

void fcgiout_start(struct fcgi_out *, FCGX_Request *);
/* An emit callback for resp_write (ctx: the struct fcgi_out). */
void fcgiout_emit(void *ctx, const char *s, size_t n);
/* Sends what was gathered with the end records, and marks libfcgi's writers closed so
 * that FCGX_Finish_r adds nothing. 0, or -1 when the write failed (nginx went away). */
int fcgiout_finish(struct fcgi_out *);

/* The bytes fcgiout_finish writes for request_id and content_len bytes of content that
 * are already at buf + 8: the record header before them, the padding and end records
 * after. buf has room for FCGIOUT_MAX + 40 bytes. Returns the whole length. */
size_t fcgiout_frame(unsigned char *buf, int request_id, size_t content_len);
#endif
