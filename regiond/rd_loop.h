/* rd_loop: the regiond's single-threaded event loop. A unix stream socket receives
 * the gateway's requests (length-prefixed proto frames); every request already
 * waiting is executed as one batch in one SQLite transaction (a savepoint per
 * request) and the replies of writes are sent only after the commit, so an
 * acknowledged write is durable. Replication's ZeroMQ sockets share the poll. */
#ifndef RD_LOOP_H
#define RD_LOOP_H

#include <signal.h>
#include "rd_store.h"

/* Binds endpoint (ipc://PATH: a unix socket at PATH) and serves until *stop becomes non-zero (the batch in progress is
 * finished first). Every ttl_interval_ms (0: never) between batches, the Time to
 * Live sweeper deletes a chunk of expired items. Returns 0 after a clean stop, -1
 * if the socket cannot be set up. */
int rd_loop_run(const char *endpoint, const char *region, rd_store_t *store, int ttl_interval_ms,
                volatile sig_atomic_t *stop);

#endif
