/* gw_super: supervision of the regiond processes, one per region: spawn, reap,
 * restart with backoff after an unexpected exit, and stop them all at shutdown. */
#ifndef GW_SUPER_H
#define GW_SUPER_H

#include <stddef.h>

#include "gw.h"
#include "gw_region.h"

/* Finds the meridian-regiond binary (--regiond, else ../regiond/ then the gateway's
 * own directory) and stores its absolute path in gw->regiond_path. 0, or -1 after
 * logging where it looked. */
int gw_super_find_regiond(gw_t *gw);
/* Starts r's regiond: `meridian-regiond --region R --listen ipc://RUN_DIR/R.ipc
 * (--data-dir DIR | --in-memory) --log-level L`. The child gets SIGTERM if the
 * gateway dies. 0, or -1 if fork failed (a retry is scheduled). */
int gw_super_spawn(gw_region_t *r);
/* Reaps every exited child (call on SIGCHLD). A regiond that exited on its own
 * has its in-flight requests answered 500 and is respawned after a backoff (none
 * while stopping). Returns how many regionds are still alive. */
size_t gw_super_reap(gw_t *gw);
/* Cancels pending restarts and sends SIGTERM to every regiond. Returns how many
 * are alive. */
size_t gw_super_terminate_all(gw_t *gw);
/* Sends SIGKILL to every regiond still alive. */
void gw_super_kill_all(gw_t *gw);
/* Blocking last resort for gw_destroy: SIGTERM, wait up to timeout_ms, SIGKILL,
 * reap. Returns once no regiond is left. */
void gw_super_reap_blocking(gw_t *gw, unsigned timeout_ms);
typedef enum gw_super_action {
    GW_SUPER_KILL,       /* SIGKILL; held down (no restart) until RESTART or RESUME */
    GW_SUPER_PAUSE,      /* SIGSTOP */
    GW_SUPER_RESUME,     /* SIGCONT (a held-down region is started instead) */
    GW_SUPER_RESTART,    /* SIGKILL and respawn at once (or start a held-down one) */
} gw_super_action_t;

/* Chaos on r's process. 0, or -1 if it cannot apply (no process to pause, stopping). */
int gw_super_chaos(gw_region_t *r, gw_super_action_t action);
/* The state to report for r (STARTING becomes RUNNING once its socket exists or
 * it has answered). */
gw_region_state_t gw_super_state(gw_region_t *r);

#endif
