/* gw_pending: an open-addressed hash table from correlation id to pending record,
 * with linear probing and backward-shift deletion (no tombstones, so lookups stay
 * short however many requests come and go), kept at most half full. Ids are a
 * counter, so a multiplicative hash spreads them well. */
#include "gw_pending.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define GW_PTABLE_INITIAL_CAP 1024
#define GW_PTABLE_MAX_FREE 4096   /* records kept for reuse beyond this are freed */

static size_t s_home(const gw_ptable_t *t, uint64_t id)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & (t->cap - 1);
}

int gw_ptable_init(gw_ptable_t *t)
{
    memset(t, 0, sizeof(*t));
    t->slots = calloc(GW_PTABLE_INITIAL_CAP, sizeof(*t->slots));
    if (!t->slots)
        return -1;
    t->cap = GW_PTABLE_INITIAL_CAP;
    return 0;
}

void gw_ptable_destroy(gw_ptable_t *t)
{
    if (t->slots) {
        for (size_t i = 0; i < t->cap; i++)
            free(t->slots[i]);
        free(t->slots);
    }
    while (t->free_list) {
        gw_pending_t *p = t->free_list;
        t->free_list = p->next;
        free(p);
    }
    memset(t, 0, sizeof(*t));
}

gw_pending_t *gw_ptable_take(gw_ptable_t *t)
{
    gw_pending_t *p = t->free_list;
    if (p) {
        t->free_list = p->next;
        t->free_count--;
        memset(p, 0, sizeof(*p));
        return p;
    }
    return calloc(1, sizeof(*p));
}

void gw_ptable_recycle(gw_ptable_t *t, gw_pending_t *p)
{
    if (!p)
        return;
    if (t->free_count >= GW_PTABLE_MAX_FREE) {
        free(p);
        return;
    }
    p->next = t->free_list;
    t->free_list = p;
    t->free_count++;
}

/* Places p in the first free slot from its home (the table has room). */
static void s_place(gw_ptable_t *t, gw_pending_t *p)
{
    size_t mask = t->cap - 1;
    size_t i = s_home(t, p->id);
    while (t->slots[i])
        i = (i + 1) & mask;
    t->slots[i] = p;
}

static int s_grow(gw_ptable_t *t)
{
    gw_pending_t **old = t->slots;
    size_t old_cap = t->cap;
    gw_pending_t **slots = calloc(old_cap * 2, sizeof(*slots));
    if (!slots)
        return -1;
    t->slots = slots;
    t->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            s_place(t, old[i]);
    free(old);
    return 0;
}

int gw_ptable_insert(gw_ptable_t *t, gw_pending_t *p)
{
    if ((t->count + 1) * 2 > t->cap && s_grow(t) != 0)
        return -1;
    s_place(t, p);
    t->count++;
    return 0;
}

/* The slot index holding id, or cap if absent. */
static size_t s_slot_of(const gw_ptable_t *t, uint64_t id)
{
    size_t mask = t->cap - 1;
    for (size_t i = s_home(t, id);; i = (i + 1) & mask) {
        gw_pending_t *p = t->slots[i];
        if (!p)
            return t->cap;
        if (p->id == id)
            return i;
    }
}

gw_pending_t *gw_ptable_find(const gw_ptable_t *t, uint64_t id)
{
    size_t i = s_slot_of(t, id);
    return i == t->cap ? NULL : t->slots[i];
}

void gw_ptable_remove(gw_ptable_t *t, gw_pending_t *p)
{
    size_t mask = t->cap - 1;
    size_t hole = s_slot_of(t, p->id);
    assert(hole != t->cap && t->slots[hole] == p);
    t->slots[hole] = NULL;
    t->count--;
    /* Shift back every following record of the run whose home is not in
     * (hole, j]: it was pushed past the hole and must not become unreachable. */
    for (size_t j = (hole + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = s_home(t, t->slots[j]->id);
        int reachable = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!reachable) {
            t->slots[hole] = t->slots[j];
            t->slots[j] = NULL;
            hole = j;
        }
    }
}

void gw_plist_append(gw_plist_t *l, gw_pending_t *p)
{
    p->next = NULL;
    p->prev = l->tail;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->count++;
}

void gw_plist_unlink(gw_plist_t *l, gw_pending_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        l->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        l->tail = p->prev;
    p->prev = p->next = NULL;
    l->count--;
}

void gw_pending_start(gw_pending_t *p, uint64_t id, struct gw_region *region, gw_reply_fn fn, void *arg,
                      uintptr_t tag, const char *request_id, size_t request_id_len)
{
    p->id = id;
    p->region = region;
    p->on_reply = fn;
    p->arg = arg;
    p->tag = tag;
    size_t n = request_id_len < GW_REQUEST_ID_LEN ? request_id_len : GW_REQUEST_ID_LEN;
    memcpy(p->request_id, request_id, n);
    p->request_id[n] = '\0';
}
