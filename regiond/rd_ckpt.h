/* rd_ckpt: runs the WAL checkpoints of a database file on a thread of its own, so
 * that no commit waits for one. */
#ifndef RD_CKPT_H
#define RD_CKPT_H

#include <sqlite3.h>

typedef struct rd_ckpt rd_ckpt_t;

/* Opens a second connection to path (db's file, in WAL mode), starts the thread and
 * takes over db's WAL hook (which disables db's automatic checkpoint). NULL if any of
 * that fails (logged): db keeps checkpointing in its commits. */
rd_ckpt_t *rd_ckpt_start(sqlite3 *db, const char *path);
/* Stops and joins the thread, gives db back its automatic checkpoint, frees *p and
 * sets it to NULL. NULL is fine. */
void rd_ckpt_stop(rd_ckpt_t **p, sqlite3 *db);

#endif
