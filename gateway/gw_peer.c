/* gw_peer: regiond -> gateway requests (today: start a region's regiond). Decoded
 * through proto like every inter-process message; a region name that fails the
 * gateway's own check is ignored, as it would be from a client. */
#include "gw_peer.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <event2/event.h>
#include <zmq.h>

#include "ddb_log.h"
#include "gw_region.h"
#include "proto.h"

static void *s_sock;
static struct event *s_ev;

static void s_on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gw_peer_drain(arg);
}

int gw_peer_open(gw_t *gw)
{
    char ep[PATH_MAX + 32];
    snprintf(ep, sizeof(ep), "ipc://%s/gateway.ctl", gw->run_dir);
    s_sock = zmq_socket(gw->zmq_ctx, ZMQ_PULL);
    int linger = 0, fd;
    size_t fd_len = sizeof(fd);
    if (!s_sock || zmq_setsockopt(s_sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 || zmq_bind(s_sock, ep) != 0 ||
        zmq_getsockopt(s_sock, ZMQ_FD, &fd, &fd_len) != 0) {
        DDB_ERROR("control socket %s: %s", ep, zmq_strerror(errno));
        gw_peer_close(gw);
        return -1;
    }
    s_ev = event_new(gw->base, fd, EV_READ | EV_PERSIST, s_on_event, gw);
    if (!s_ev || event_add(s_ev, NULL) != 0) {
        gw_peer_close(gw);
        return -1;
    }
    return 0;
}

void gw_peer_drain(gw_t *gw)
{
    if (!s_sock || gw->stopping)
        return;
    char buf[512];
    int n;
    while ((n = zmq_recv(s_sock, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
        proto_peer_t m;
        if (n > (int)sizeof(buf) || proto_peer_decode(buf, (size_t)n, &m) != 0 || m.type != PROTO_MSG_SPAWN_REGION)
            continue;
        if (!gw_region_name_valid(m.keys.ptr, m.keys.len))
            continue;
        if (!gw_region_find(gw, m.keys.ptr, m.keys.len)) {
            DDB_INFO("regiond %.*s asks for region %.*s", (int)m.from.len, m.from.ptr, (int)m.keys.len, m.keys.ptr);
            gw_region_get(gw, m.keys.ptr, m.keys.len);
        }
    }
}

void gw_peer_close(gw_t *gw)
{
    if (s_sock && gw->run_dir[0]) {   /* our socket files and the regionds' (they have exited) */
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/gateway.ctl", gw->run_dir);
        unlink(path);
        for (size_t i = 0; i < gw->nregions; i++) {
            snprintf(path, sizeof(path), "%s/%s.pub", gw->run_dir, gw->regions[i]->name);
            unlink(path);
            snprintf(path, sizeof(path), "%s/%s.peer", gw->run_dir, gw->regions[i]->name);
            unlink(path);
        }
    }
    if (s_ev)
        event_free(s_ev);
    s_ev = NULL;
    if (s_sock)
        zmq_close(s_sock);
    s_sock = NULL;
}
