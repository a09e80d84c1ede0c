/* gw_peer: the gateway's control socket for its regionds (a ZMQ_PULL bound at
 * ipc://RUN_DIR/gateway.ctl). A regiond that needs another region's regiond (the
 * region of a new global-table replica) sends PROTO_MSG_SPAWN_REGION there, and the
 * gateway starts that region as if a client had used it. */
#ifndef GW_PEER_H
#define GW_PEER_H

#include "gw.h"

/* Binds the control socket and hooks it into the event loop. 0 / -1 (logged). */
int gw_peer_open(gw_t *gw);
/* Handles every message waiting (also called from the periodic tick: ZMQ_FD is
 * edge-triggered). */
void gw_peer_drain(gw_t *gw);
/* Closes the socket and its event; safe twice. */
void gw_peer_close(gw_t *gw);

#endif
