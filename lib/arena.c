/* arena.c — per-request bump allocator; everything is freed at once by arena_reset(). */
#include "arena.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t              size, used;
	max_align_t         data[];
};

void
arena_init(struct arena *a, size_t chunk)
{
	a->head = NULL;
	a->chunk = chunk ? chunk : 16384;
	a->total = 0;
}

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);
	if (c == NULL) {
		fputs("{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n", stderr);
		abort();
	}
	c->size = size;
	c->used = 0;
	c->next = NULL;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	if (a->head == NULL || a->head->size - a->head->used < n) {
		size_t sz = n > a->chunk ? n : a->chunk;
		struct arena_chunk *c = chunk_new(sz);
		c->next = a->head;
		a->head = c;
		a->total += sz;
	}
	void *p = (char *)a->head->data + a->head->used;
	a->head->used += n;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_strdup_lower(struct arena *a, const char *s)
{
	char *d = arena_strdup(a, s ? s : "");
	for (char *p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head, *keep = NULL;
	/* keep the oldest default-sized chunk, free the rest */
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		if (next == NULL && c->size == a->chunk) {
			keep = c;
			keep->used = 0;
		} else
			free(c);
		c = next;
	}
	a->head = keep;
	a->total = keep ? keep->size : 0;
}

void
arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
	a->total = 0;
}
