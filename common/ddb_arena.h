/* ddb_arena: a bump allocator for everything one request allocates.
 * Memory is released all at once by ddb_arena_reset or ddb_arena_destroy;
 * nothing allocated from an arena is ever freed on its own. */
#ifndef DDB_ARENA_H
#define DDB_ARENA_H

#include <stddef.h>

typedef struct ddb_arena_chunk ddb_arena_chunk_t;

typedef struct ddb_arena {
    ddb_arena_chunk_t *head;   /* current chunk; older chunks follow ->next */
    size_t chunk_size;         /* size of ordinary chunks */
    size_t used_total;         /* bytes handed out since the last reset */
} ddb_arena_t;

/* Returns a new arena (never NULL: aborts on out-of-memory). Free with ddb_arena_destroy. */
ddb_arena_t *ddb_arena_new(size_t chunk_size);
/* Frees every chunk and the arena; safe on NULL and twice; nulls *p. */
void ddb_arena_destroy(ddb_arena_t **p);
/* Releases everything allocated, keeping one chunk for reuse. */
void ddb_arena_reset(ddb_arena_t *a);
/* Returns size bytes aligned to 16, owned by the arena. Never NULL. */
void *ddb_arena_alloc(ddb_arena_t *a, size_t size);
/* Same, zero-filled. */
void *ddb_arena_calloc(ddb_arena_t *a, size_t count, size_t size);
/* Copies len bytes and a terminating NUL into the arena. */
char *ddb_arena_strndup(ddb_arena_t *a, const char *s, size_t len);
char *ddb_arena_strdup(ddb_arena_t *a, const char *s);
/* printf into the arena. */
char *ddb_arena_printf(ddb_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
