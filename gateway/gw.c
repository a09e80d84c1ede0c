/* gw: the gateway context's lifecycle. Startup prepares directories, the event
 * loop and ZeroMQ; an orderly stop (SIGINT, SIGTERM, POST /_meridian/shutdown)
 * stops accepting, SIGTERMs the regionds, answers what was in flight as they exit,
 * and leaves the loop when all are gone (SIGKILL after 5 s). */
#include "gw.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <zmq.h>

#include "ddb_log.h"
#include "gw_auth.h"
#include "gw_chaos.h"
#include "gw_http.h"
#include "gw_region.h"
#include "gw_super.h"
#include "gw_peer.h"

#define GW_TICK_MS 250          /* how often request deadlines are checked */
#define GW_STOP_GRACE_MS 5000   /* regionds get this long to exit on SIGTERM */
#define GW_STOP_KILL_MS 1000    /* then this long after SIGKILL */
#define GW_FLUSH_MS 100         /* time to write the last replies before leaving */

uint64_t gw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct timeval s_tv_ms(unsigned ms)
{
    struct timeval tv = { ms / 1000, (long)(ms % 1000) * 1000 };
    return tv;
}

/* mkdir -p path (mode 0755 for parents and the leaf). */
static int s_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "%s", path);
    if (n <= 0 || (size_t)n >= sizeof(buf))
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Creates dir if missing and stores its absolute path in out. */
static int s_prepare_dir(const char *what, const char *dir, char *out, size_t out_size)
{
    char resolved[PATH_MAX];
    if (s_mkdir_p(dir) != 0 || !realpath(dir, resolved)) {
        DDB_ERROR("%s %s: %s", what, dir, strerror(errno));
        return -1;
    }
    snprintf(out, out_size, "%s", resolved);
    return 0;
}

/* Can RUN_DIR/REGION.ipc fit in a unix socket address (sun_path)? */
static int s_run_dir_fits(const char *dir)
{
    struct sockaddr_un sun;
    if (strlen(dir) + 1 + GW_REGION_NAME_MAX + sizeof(".ipc") <= sizeof(sun.sun_path))
        return 1;
    DDB_ERROR("run dir %s is too long for ipc socket paths (max %zu characters)", dir,
              sizeof(sun.sun_path) - 1 - GW_REGION_NAME_MAX - sizeof(".ipc"));
    return 0;
}

static int s_prepare_run_dir(gw_t *gw)
{
    if (gw->cfg.run_dir && !s_run_dir_fits(gw->cfg.run_dir))
        return -1;
    if (gw->cfg.run_dir) {
        if (s_prepare_dir("--run-dir", gw->cfg.run_dir, gw->run_dir, sizeof(gw->run_dir)) != 0)
            return -1;
    } else {
        snprintf(gw->run_dir, sizeof(gw->run_dir), "/tmp/meridian-%d-XXXXXX", gw->cfg.port);
        if (!mkdtemp(gw->run_dir)) {
            DDB_ERROR("cannot create a run dir in /tmp: %s", strerror(errno));
            gw->run_dir[0] = '\0';
            return -1;
        }
        gw->run_dir_owned = true;
    }
    return s_run_dir_fits(gw->run_dir) ? 0 : -1;   /* realpath may have made it longer */
}

/* Removes what we put in the run dir, and the dir itself if we created it. */
static void s_clean_run_dir(gw_t *gw)
{
    if (!gw->run_dir[0])
        return;
    for (size_t i = 0; i < gw->nregions; i++)
        unlink(gw->regions[i]->ipc_path);
    if (!gw->run_dir_owned)
        return;
    DIR *d = opendir(gw->run_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[PATH_MAX + 256];
            snprintf(path, sizeof(path), "%s/%s", gw->run_dir, e->d_name);
            if (unlink(path) != 0)
                DDB_WARN("cannot remove %s: %s", path, strerror(errno));
        }
        closedir(d);
    }
    if (rmdir(gw->run_dir) != 0)
        DDB_WARN("cannot remove run dir %s: %s", gw->run_dir, strerror(errno));
}

static int s_write_pidfile(gw_t *gw)
{
    const char *path = gw->cfg.pidfile;
    if (!path)
        return 0;
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        DDB_ERROR("cannot write pidfile %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    gw->pidfile_written = true;
    return 0;
}

/* The end of an orderly stop: answer what is left, flush, leave the loop. */
static void s_finish(gw_t *gw)
{
    if (gw->loop_done)
        return;
    gw->loop_done = true;
    for (size_t i = 0; i < gw->nregions; i++)
        gw_region_fail_inflight(gw->regions[i], "shutting down");
    struct timeval tv = s_tv_ms(GW_FLUSH_MS);
    event_base_loopexit(gw->base, &tv);
}

static void s_on_stop_exit(evutil_socket_t fd, short what, void *arg)
{
    DDB_WARN("regionds still not reaped; leaving anyway");
    s_finish(arg);
}

static void s_on_stop_kill(evutil_socket_t fd, short what, void *arg)
{
    gw_t *gw = arg;
    gw_super_kill_all(gw);
    struct timeval tv = s_tv_ms(GW_STOP_KILL_MS);
    evtimer_add(gw->stop_exit_ev, &tv);
}

void gw_stop(gw_t *gw, const char *why)
{
    if (gw->stopping)
        return;
    gw->stopping = true;
    DDB_INFO("stopping (%s)", why);
    gw_http_stop_accepting(gw);
    if (gw_super_terminate_all(gw) == 0) {
        s_finish(gw);
        return;
    }
    struct timeval tv = s_tv_ms(GW_STOP_GRACE_MS);
    evtimer_add(gw->stop_kill_ev, &tv);
}

static void s_on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    gw_t *gw = arg;
    if (gw->stopping) {
        DDB_WARN("%s again: killing the regionds now", strsignal((int)sig));
        gw_super_kill_all(gw);
        return;
    }
    gw_stop(gw, strsignal((int)sig));
}

static void s_on_sigchld(evutil_socket_t sig, short what, void *arg)
{
    gw_t *gw = arg;
    size_t alive = gw_super_reap(gw);
    if (gw->stopping && alive == 0)
        s_finish(gw);
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    gw_t *gw = arg;
    gw_region_check_timeouts(gw, gw_now_ms());
    gw_peer_drain(gw);   /* ZMQ_FD is edge-triggered: never rely on the event alone */
    gw_chaos_tick(gw);   /* link faults to regionds that do not have them yet */
}

static int s_setup_events(gw_t *gw)
{
    signal(SIGPIPE, SIG_IGN);
    gw->sigint_ev = evsignal_new(gw->base, SIGINT, s_on_stop_signal, gw);
    gw->sigterm_ev = evsignal_new(gw->base, SIGTERM, s_on_stop_signal, gw);
    gw->sigchld_ev = evsignal_new(gw->base, SIGCHLD, s_on_sigchld, gw);
    gw->tick_ev = event_new(gw->base, -1, EV_PERSIST, s_on_tick, gw);
    gw->stop_kill_ev = evtimer_new(gw->base, s_on_stop_kill, gw);
    gw->stop_exit_ev = evtimer_new(gw->base, s_on_stop_exit, gw);
    struct timeval tick = s_tv_ms(GW_TICK_MS);
    if (!gw->sigint_ev || !gw->sigterm_ev || !gw->sigchld_ev || !gw->tick_ev || !gw->stop_kill_ev ||
        !gw->stop_exit_ev || evsignal_add(gw->sigint_ev, NULL) != 0 || evsignal_add(gw->sigterm_ev, NULL) != 0 ||
        evsignal_add(gw->sigchld_ev, NULL) != 0 || event_add(gw->tick_ev, &tick) != 0) {
        DDB_ERROR("cannot set up signal and timer events");
        return -1;
    }
    return 0;
}

gw_t *gw_new(gw_config_t *cfg)
{
    gw_t *gw = calloc(1, sizeof(*gw));
    if (!gw) {
        gw_config_free(cfg);
        return NULL;
    }
    gw->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    ddb_log_init("gateway", gw->cfg.log_level);
    gw->started_ms = gw_now_ms();
    gw->port = gw->cfg.port;
    msgpack_sbuffer_init(&gw->sbuf);
    ddb_buf_init(&gw->scratch);
    if (gw_ptable_init(&gw->pending) != 0)
        goto fail;
    if (gw->cfg.auth_file && !(gw->auth = gw_auth_load(gw->cfg.auth_file)))
        goto fail;
    if (gw->cfg.data_dir && s_prepare_dir("--data-dir", gw->cfg.data_dir, gw->data_dir, sizeof(gw->data_dir)) != 0)
        goto fail;
    if (gw_super_find_regiond(gw) != 0 || s_prepare_run_dir(gw) != 0)
        goto fail;
    struct event_config *ev_cfg = event_config_new();
    if (ev_cfg) /* coalesce evhttp's many enable/disable calls into fewer epoll_ctl */
        event_config_set_flag(ev_cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    gw->base = ev_cfg ? event_base_new_with_config(ev_cfg) : NULL;
    if (ev_cfg)
        event_config_free(ev_cfg);
    if (!gw->base) {
        DDB_ERROR("event_base_new failed");
        goto fail;
    }
    gw->zmq_ctx = zmq_ctx_new();
    if (!gw->zmq_ctx) {
        DDB_ERROR("zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    zmq_ctx_set(gw->zmq_ctx, ZMQ_BLOCKY, 0);   /* sockets default to linger 0: term never waits */
    if (s_setup_events(gw) != 0)
        goto fail;
    return gw;
fail:
    gw_destroy(&gw);
    return NULL;
}

int gw_run(gw_t *gw)
{
    if (gw_http_start(gw) != 0)
        return -1;
    if (s_write_pidfile(gw) != 0)
        return -1;
    if (gw_peer_open(gw) != 0)
        return -1;
    DDB_INFO("listening on %s:%d (default region %s, %s%s, regiond %s, run dir %s)", gw->cfg.bind_addr, gw->port,
             gw->cfg.default_region, gw->cfg.in_memory ? "in memory" : "data dir ",
             gw->cfg.in_memory ? "" : gw->data_dir, gw->regiond_path, gw->run_dir);
    for (char **r = gw->cfg.regions; r && *r; r++) {
        if (!gw_region_get(gw, *r, strlen(*r))) {
            DDB_ERROR("cannot start region %s", *r);
            return -1;
        }
    }
    event_base_dispatch(gw->base);
    DDB_INFO("stopped");
    return 0;
}

void gw_destroy(gw_t **p)
{
    gw_t *gw = p ? *p : NULL;
    if (!gw)
        return;
    /* evhttp frees unanswered requests with their connections: answer them first */
    for (size_t i = 0; i < gw->nregions; i++)
        gw_region_fail_inflight(gw->regions[i], "shutting down");
    gw_chaos_destroy(gw);   /* answers the requests it holds */
    gw_super_reap_blocking(gw, GW_STOP_GRACE_MS);
    gw_http_destroy(gw);
    gw_auth_destroy(&gw->auth);
    gw_peer_close(gw);
    s_clean_run_dir(gw);
    gw_region_destroy_all(gw);
    struct event **events[] = { &gw->sigint_ev,  &gw->sigterm_ev,    &gw->sigchld_ev,
                                &gw->tick_ev,    &gw->stop_kill_ev, &gw->stop_exit_ev };
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (*events[i])
            event_free(*events[i]);
        *events[i] = NULL;
    }
    if (gw->zmq_ctx)
        zmq_ctx_term(gw->zmq_ctx);   /* every socket is closed with linger 0 */
    if (gw->base)
        event_base_free(gw->base);
    if (gw->pidfile_written)
        unlink(gw->cfg.pidfile);
    gw_ptable_destroy(&gw->pending);
    msgpack_sbuffer_destroy(&gw->sbuf);
    ddb_buf_free(&gw->scratch);
    gw_config_free(&gw->cfg);
    free(gw);
    *p = NULL;
}
