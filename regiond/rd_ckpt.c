/* rd_ckpt: WAL checkpoints off the event loop. SQLite's automatic checkpoint runs
 * inside the COMMIT that crosses the threshold: it copies the WAL into the database
 * and syncs both, and every request of that batch waits for it (the PutItem p99).
 * Here the main connection's WAL hook only notes the WAL's size; a thread with a
 * second connection runs PASSIVE checkpoints, which never block the writer (SQLite's
 * WAL design lets a checkpoint run beside one writer and any readers), and, rarely,
 * the hook copies the last few frames itself so that the WAL can start over. */
#include "rd_ckpt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ddb_log.h"

#define RD_CKPT_FRAMES 1000       /* WAL frames between two checkpoint requests (SQLite's default) */
#define RD_CKPT_RESTART 16000     /* WAL frames past which the loop restarts the WAL (about 64 MB) */

struct rd_ckpt {
    int signalled_at;         /* the WAL's size at the last request (main thread only) */
    sqlite3 *db;              /* the checkpointer's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wanted;              /* a checkpoint is due */
    bool stop;
};

/* The main connection's WAL hook, run after each commit with the WAL's size. */
static int s_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)name;
    rd_ckpt_t *c = arg;
    if (frames >= RD_CKPT_RESTART) {
        /* SQLite starts the WAL over only when a write begins with every frame copied
         * back, which the thread's checkpoints, racing the writes, never achieve: the
         * WAL would grow without bound. So now and then the loop itself, between two
         * transactions, copies the few frames the thread has not yet copied: then
         * the next write starts the WAL over. (Busy if the thread is mid-checkpoint:
         * the next commit tries again.) */
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (frames < c->signalled_at)   /* the WAL started over */
        c->signalled_at = 0;
    if (frames - c->signalled_at < RD_CKPT_FRAMES)
        return SQLITE_OK;
    c->signalled_at = frames;
    pthread_mutex_lock(&c->mu);
    if (!c->wanted) {
        c->wanted = true;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

static void *s_run(void *arg)
{
    rd_ckpt_t *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->wanted = false;
        pthread_mutex_unlock(&c->mu);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            DDB_DEBUG("checkpoint: %s", sqlite3_errmsg(c->db));
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

rd_ckpt_t *rd_ckpt_start(sqlite3 *db, const char *path)
{
    rd_ckpt_t *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        DDB_WARN("checkpoint connection to %s: %s; checkpoints stay in the commit path", path,
                 c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, 1000);
    /* a connection opens the WAL when it first reads; until then it checkpoints nothing */
    if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        DDB_WARN("checkpoint connection to %s: %s; checkpoints stay in the commit path", path, sqlite3_errmsg(c->db));
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, s_run, c) != 0) {
        DDB_WARN("no checkpoint thread; checkpoints stay in the commit path");
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    sqlite3_wal_hook(db, s_wal_hook, c);   /* replaces the automatic checkpoint */
    return c;
}

void rd_ckpt_stop(rd_ckpt_t **p, sqlite3 *db)
{
    rd_ckpt_t *c = p ? *p : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    if (db)
        sqlite3_wal_autocheckpoint(db, RD_CKPT_FRAMES);   /* the hook's argument is going away */
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    *p = NULL;
}
