/* gw_super: the gateway is the parent of every regiond. It forks and execs one per
 * region (with PR_SET_PDEATHSIG so none outlives it), reaps them on SIGCHLD, and
 * respawns one that exits on its own: at once if it had been up a while, else after
 * a backoff doubling from 100 ms to 5 s, so a crash loop does not spin. */
#define _GNU_SOURCE   /* close_range */
#include "gw_super.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "ddb_log.h"

#define GW_BACKOFF_FIRST_MS 100
#define GW_BACKOFF_MAX_MS 5000
#define GW_STABLE_MS 10000   /* a regiond up this long restarts without delay */

static void s_on_restart_timer(evutil_socket_t fd, short what, void *arg);

gw_region_state_t gw_super_state(gw_region_t *r)
{
    if (r->state == GW_REGION_STARTING && (r->answered || access(r->ipc_path, F_OK) == 0))
        r->state = GW_REGION_RUNNING;
    return r->state;
}

/* Stores the absolute path of path in gw->regiond_path if it is executable. */
static int s_try_regiond(gw_t *gw, const char *path)
{
    char resolved[PATH_MAX];
    if (access(path, X_OK) != 0 || !realpath(path, resolved))
        return -1;
    snprintf(gw->regiond_path, sizeof(gw->regiond_path), "%s", resolved);
    return 0;
}

int gw_super_find_regiond(gw_t *gw)
{
    if (gw->cfg.regiond_path) {
        if (s_try_regiond(gw, gw->cfg.regiond_path) == 0)
            return 0;
        DDB_ERROR("--regiond %s: not an executable file", gw->cfg.regiond_path);
        return -1;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        DDB_ERROR("cannot find the gateway's own path: %s; use --regiond", strerror(errno));
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    char candidate[PATH_MAX + 32];
    snprintf(candidate, sizeof(candidate), "%s/../regiond/meridian-regiond", self);
    if (s_try_regiond(gw, candidate) == 0)
        return 0;
    snprintf(candidate, sizeof(candidate), "%s/meridian-regiond", self);
    if (s_try_regiond(gw, candidate) == 0)
        return 0;
    DDB_ERROR("meridian-regiond not found in %s/../regiond/ nor in %s/; build it or use --regiond", self, self);
    return -1;
}

/* In the child: close every inherited descriptor but stdin/stdout/stderr, so that
 * a regiond does not keep client connections or the listening socket open. */
static void s_close_inherited_fds(void)
{
    if (close_range(3, ~0U, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
        close((int)fd);
}

/* The child side of the fork: only async-signal-safe calls until exec. */
static void s_exec_child(pid_t parent, const char *path, char *const argv[])
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)   /* the gateway died before prctl took effect */
        _exit(1);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    s_close_inherited_fds();
    execv(path, argv);
    static const char msg[] = "meridian-gateway: exec of meridian-regiond failed\n";
    ssize_t ignored = write(2, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
}

static void s_schedule_restart(gw_region_t *r, unsigned delay_ms)
{
    gw_t *gw = r->gw;
    if (!r->restart_ev)
        r->restart_ev = evtimer_new(gw->base, s_on_restart_timer, r);
    struct timeval tv = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000 };
    r->state = GW_REGION_RESTARTING;
    if (!r->restart_ev || evtimer_add(r->restart_ev, &tv) != 0)
        DDB_ERROR("cannot schedule the restart of %s's regiond", r->name);
}

/* The delay before respawning r, and the next one if it dies young again. */
static unsigned s_next_backoff(gw_region_t *r)
{
    if (gw_now_ms() - r->spawned_ms >= GW_STABLE_MS) {
        r->backoff_ms = GW_BACKOFF_FIRST_MS;
        return 0;
    }
    unsigned delay = r->backoff_ms;
    r->backoff_ms = r->backoff_ms * 2 > GW_BACKOFF_MAX_MS ? GW_BACKOFF_MAX_MS : r->backoff_ms * 2;
    return delay;
}

int gw_super_spawn(gw_region_t *r)
{
    gw_t *gw = r->gw;
    if (gw->stopping)
        return -1;
    if (!r->out && gw_region_reset_socket(r) != 0) {   /* an earlier reopen failed */
        s_schedule_restart(r, s_next_backoff(r));
        return -1;
    }
    unlink(r->ipc_path);   /* a stale socket file would look like a bound regiond */
    char *argv[12 + GW_REGIOND_ARGS_MAX];
    int argc = 0;
    argv[argc++] = gw->regiond_path;
    argv[argc++] = "--region";
    argv[argc++] = r->name;
    argv[argc++] = "--listen";
    argv[argc++] = r->endpoint;
    if (gw->cfg.in_memory) {
        argv[argc++] = "--in-memory";
    } else {
        argv[argc++] = "--data-dir";
        argv[argc++] = gw->data_dir;
    }
    argv[argc++] = "--log-level";
    argv[argc++] = (char *)gw->cfg.log_level_name;
    for (int i = 0; i < gw->cfg.n_regiond_args; i++)
        argv[argc++] = (char *)gw->cfg.regiond_args[i];
    argv[argc] = NULL;

    pid_t parent = getpid();
    r->spawned_ms = gw_now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        DDB_ERROR("fork for %s's regiond: %s", r->name, strerror(errno));
        s_schedule_restart(r, s_next_backoff(r));
        return -1;
    }
    if (pid == 0)
        s_exec_child(parent, gw->regiond_path, argv);
    r->pid = pid;
    r->state = GW_REGION_STARTING;
    r->answered = false;
    DDB_INFO("started regiond for %s (pid %d, %s)", r->name, (int)pid, r->endpoint);
    return 0;
}

static void s_on_restart_timer(evutil_socket_t fd, short what, void *arg)
{
    gw_region_t *r = arg;
    if (r->gw->stopping || r->pid > 0 || r->held_down)
        return;
    r->restarts++;
    DDB_INFO("restarting regiond for %s (restart %u)", r->name, r->restarts);
    gw_super_spawn(r);
}

int gw_super_chaos(gw_region_t *r, gw_super_action_t action)
{
    gw_t *gw = r->gw;
    if (gw->stopping)
        return -1;
    switch (action) {
    case GW_SUPER_KILL:
        r->held_down = true;
        if (r->restart_ev)
            evtimer_del(r->restart_ev);
        if (r->pid > 0)
            kill(r->pid, SIGKILL);
        else
            r->state = GW_REGION_STOPPED;
        DDB_INFO("chaos: killed %s's regiond (held down until restarted)", r->name);
        return 0;
    case GW_SUPER_PAUSE:
        if (r->pid <= 0 || kill(r->pid, SIGSTOP) != 0)
            return -1;
        r->paused = true;
        DDB_INFO("chaos: paused %s's regiond", r->name);
        return 0;
    case GW_SUPER_RESUME:
        if (r->pid > 0) {
            if (kill(r->pid, SIGCONT) != 0)
                return -1;
            r->paused = false;
            DDB_INFO("chaos: resumed %s's regiond", r->name);
            return 0;
        }
        return gw_super_chaos(r, GW_SUPER_RESTART);   /* resuming a killed region starts it */
    case GW_SUPER_RESTART:
        r->held_down = false;
        if (r->pid > 0) {
            r->restart_now = true;
            kill(r->pid, SIGKILL);
            if (r->paused)
                kill(r->pid, SIGCONT);
        } else if (r->state == GW_REGION_STOPPED) {
            s_schedule_restart(r, 0);
        }
        DDB_INFO("chaos: restarting %s's regiond", r->name);
        return 0;
    }
    return -1;
}

static gw_region_t *s_region_of_pid(gw_t *gw, pid_t pid)
{
    for (size_t i = 0; i < gw->nregions; i++)
        if (gw->regions[i]->pid == pid)
            return gw->regions[i];
    return NULL;
}

static void s_log_exit(gw_region_t *r, pid_t pid, int status, bool expected)
{
    ddb_log_level_t level = expected ? DDB_LOG_INFO : DDB_LOG_WARN;
    if (WIFSIGNALED(status))
        ddb_log(level, "regiond for %s (pid %d) killed by signal %d", r->name, (int)pid, WTERMSIG(status));
    else
        ddb_log(level, "regiond for %s (pid %d) exited with status %d", r->name, (int)pid, WEXITSTATUS(status));
}

size_t gw_super_reap(gw_t *gw)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        gw_region_t *r = s_region_of_pid(gw, pid);
        if (!r)
            continue;
        s_log_exit(r, pid, status, gw->stopping);
        r->pid = 0;
        /* what it answered before dying is delivered; the rest gets a 500 and
         * the fresh socket drops anything still queued to the dead peer */
        gw_region_reset_socket(r);
        r->paused = false;
        if (gw->stopping || r->held_down) {   /* held down: until a chaos restart */
            r->state = GW_REGION_STOPPED;
        } else if (r->restart_now) {
            r->restart_now = false;
            s_schedule_restart(r, 0);
        } else {
            s_schedule_restart(r, s_next_backoff(r));
        }
    }
    size_t alive = 0;
    for (size_t i = 0; i < gw->nregions; i++)
        alive += gw->regions[i]->pid > 0;
    return alive;
}

size_t gw_super_terminate_all(gw_t *gw)
{
    size_t alive = 0;
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        if (r->restart_ev)
            evtimer_del(r->restart_ev);
        if (r->pid > 0) {
            kill(r->pid, SIGTERM);
            if (r->paused)
                kill(r->pid, SIGCONT);   /* a stopped process cannot act on SIGTERM */
            alive++;
        } else {
            r->state = GW_REGION_STOPPED;
            gw_region_fail_inflight(r, "shutting down");
        }
    }
    return alive;
}

void gw_super_kill_all(gw_t *gw)
{
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        if (r->pid > 0) {
            DDB_WARN("regiond for %s (pid %d) did not stop in time: SIGKILL", r->name, (int)r->pid);
            kill(r->pid, SIGKILL);
        }
    }
}

void gw_super_reap_blocking(gw_t *gw, unsigned timeout_ms)
{
    for (size_t i = 0; i < gw->nregions; i++)
        if (gw->regions[i]->pid > 0)
            kill(gw->regions[i]->pid, SIGTERM);
    uint64_t deadline = gw_now_ms() + timeout_ms;
    for (;;) {
        size_t alive = 0;
        for (size_t i = 0; i < gw->nregions; i++) {
            gw_region_t *r = gw->regions[i];
            if (r->pid <= 0)
                continue;
            int status;
            pid_t got = waitpid(r->pid, &status, WNOHANG);
            if (got == r->pid)
                s_log_exit(r, got, status, true);
            if (got == r->pid || (got < 0 && errno == ECHILD)) {
                r->pid = 0;
                r->state = GW_REGION_STOPPED;
            } else {
                alive++;
            }
        }
        if (alive == 0)
            return;
        if (gw_now_ms() >= deadline)
            break;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    gw_super_kill_all(gw);
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        if (r->pid > 0) {
            int status;
            if (waitpid(r->pid, &status, 0) == r->pid)
                s_log_exit(r, r->pid, status, true);
            r->pid = 0;
            r->state = GW_REGION_STOPPED;
        }
    }
}
