/* arena.h — a bump allocator: one per request, reset once when the request ends. */
#ifndef WEBIX_ARENA_H
#define WEBIX_ARENA_H
#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;   /* newest chunk */
	size_t              chunk;  /* default chunk size */
	size_t              total;  /* bytes held by chunks */
};

void   arena_init(struct arena *, size_t chunk);
/* Memory lives until arena_reset(); never NULL (aborts on OOM). */
void  *arena_alloc(struct arena *, size_t);
char  *arena_strndup(struct arena *, const char *, size_t);
char  *arena_strdup(struct arena *, const char *);
/* A lower-cased (ASCII) copy; NULL copies as "". */
char  *arena_strdup_lower(struct arena *, const char *);
char  *arena_printf(struct arena *, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Frees every chunk but the first, which is kept for the next request. */
void   arena_reset(struct arena *);
void   arena_free(struct arena *);
#endif
