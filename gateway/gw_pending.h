/* gw_pending: requests sent to a regiond and not yet answered, found by their
 * correlation id. The table is open-addressed; records are recycled through a free
 * list so that the hot path does not allocate. */
#ifndef GW_PENDING_H
#define GW_PENDING_H

#include <stddef.h>
#include <stdint.h>

#define GW_REQUEST_ID_LEN 52   /* x-amzn-RequestId length, as DynamoDB's */

struct gw_region;
typedef struct gw_pending gw_pending_t;

/* Called exactly once per pending record, with the regiond's answer or with an
 * error the gateway made up (timeout, regiond died, shutdown). body is borrowed:
 * copy what you keep. The record is recycled right after the call returns. */
typedef void (*gw_reply_fn)(gw_pending_t *p, int status, const char *body, size_t len);

struct gw_pending {
    uint64_t id;                 /* correlation id carried in the envelope */
    uint64_t deadline_ms;        /* gw_now_ms() after which it is answered 500 */
    struct gw_region *region;    /* where the request went */
    gw_pending_t *prev;          /* region's in-flight list, oldest first */
    gw_pending_t *next;
    gw_reply_fn on_reply;        /* see gw_reply_fn */
    void *arg;                   /* the callback's context (an evhttp_request, ...) */
    uintptr_t tag;               /* a second word for the callback */
    char request_id[GW_REQUEST_ID_LEN + 1];   /* x-amzn-RequestId of this request */
};

/* A region's in-flight records in send order, linked through prev/next. */
typedef struct gw_plist {
    gw_pending_t *head;          /* oldest */
    gw_pending_t *tail;
    size_t count;
} gw_plist_t;

void gw_plist_append(gw_plist_t *l, gw_pending_t *p);
void gw_plist_unlink(gw_plist_t *l, gw_pending_t *p);

typedef struct gw_ptable {
    gw_pending_t **slots;        /* cap entries, NULL when empty */
    size_t cap;                  /* power of two */
    size_t count;                /* live records */
    gw_pending_t *free_list;     /* recycled records, linked through ->next */
    size_t free_count;
} gw_ptable_t;

/* Prepares an empty table. 0, or -1 on out-of-memory. */
int gw_ptable_init(gw_ptable_t *t);
/* Frees the table, its free list and any records still in it (without calling
 * their callbacks). Safe twice. */
void gw_ptable_destroy(gw_ptable_t *t);

/* Returns a zeroed record (recycled or new), or NULL on out-of-memory. It belongs to
 * the caller until inserted; give it back with gw_ptable_recycle. */
gw_pending_t *gw_ptable_take(gw_ptable_t *t);
/* Returns a record that is no longer in the table to the free list. */
void gw_ptable_recycle(gw_ptable_t *t, gw_pending_t *p);

/* Fills a taken record for a request about to be sent: its id, region, callback,
 * context, tag and x-amzn-RequestId (cut to GW_REQUEST_ID_LEN). */
void gw_pending_start(gw_pending_t *p, uint64_t id, struct gw_region *region, gw_reply_fn fn, void *arg,
                      uintptr_t tag, const char *request_id, size_t request_id_len);

/* Adds p under p->id (ids must be unique). 0, or -1 on out-of-memory. */
int gw_ptable_insert(gw_ptable_t *t, gw_pending_t *p);
/* The record with this id, or NULL. */
gw_pending_t *gw_ptable_find(const gw_ptable_t *t, uint64_t id);
/* Removes p (which must be in the table); does not recycle it. */
void gw_ptable_remove(gw_ptable_t *t, gw_pending_t *p);

#endif
