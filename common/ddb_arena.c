/* ddb_arena: bump allocation in chunks, released all at once.
 * Requests allocate their parse trees, values and output scratch here so that
 * handlers never free field by field. */
#include "ddb_arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ddb_arena_chunk {
    ddb_arena_chunk_t *next;
    size_t size;   /* usable bytes in data */
    size_t used;   /* bytes handed out */
    _Alignas(16) unsigned char data[];
};

static ddb_arena_chunk_t *s_chunk_new(size_t size)
{
    ddb_arena_chunk_t *c = malloc(sizeof(*c) + size);
    if (!c)
        abort();
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

ddb_arena_t *ddb_arena_new(size_t chunk_size)
{
    ddb_arena_t *a = malloc(sizeof(*a));
    if (!a)
        abort();
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->head = s_chunk_new(a->chunk_size);
    a->used_total = 0;
    return a;
}

void ddb_arena_destroy(ddb_arena_t **p)
{
    if (!p || !*p)
        return;
    ddb_arena_chunk_t *c = (*p)->head;
    while (c) {
        ddb_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(*p);
    *p = NULL;
}

void ddb_arena_reset(ddb_arena_t *a)
{
    /* keep the last (oldest) ordinary-sized chunk, free the rest */
    ddb_arena_chunk_t *keep = NULL;
    ddb_arena_chunk_t *c = a->head;
    while (c) {
        ddb_arena_chunk_t *next = c->next;
        if (!keep && c->size == a->chunk_size)
            keep = c;
        else
            free(c);
        c = next;
    }
    if (!keep)
        keep = s_chunk_new(a->chunk_size);
    keep->next = NULL;
    keep->used = 0;
    a->head = keep;
    a->used_total = 0;
}

void *ddb_arena_alloc(ddb_arena_t *a, size_t size)
{
    size_t need = (size + 15) & ~(size_t)15;
    if (need == 0)
        need = 16;
    ddb_arena_chunk_t *c = a->head;
    if (c->size - c->used < need) {
        if (need > a->chunk_size / 4) {
            /* big allocation: its own chunk, behind the current one */
            ddb_arena_chunk_t *big = s_chunk_new(need);
            big->used = need;
            big->next = c->next;
            c->next = big;
            a->used_total += need;
            return big->data;
        }
        c = s_chunk_new(a->chunk_size);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

void *ddb_arena_calloc(ddb_arena_t *a, size_t count, size_t size)
{
    size_t n = count * size;
    void *p = ddb_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *ddb_arena_strndup(ddb_arena_t *a, const char *s, size_t len)
{
    char *p = ddb_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *ddb_arena_strdup(ddb_arena_t *a, const char *s)
{
    return ddb_arena_strndup(a, s, strlen(s));
}

char *ddb_arena_printf(ddb_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char probe[1];
    int n = vsnprintf(probe, sizeof(probe), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = ddb_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
