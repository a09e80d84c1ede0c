/* meridian-regiond: the process that serves one AWS region. It parses its command
 * line, opens the region's SQLite file (DIR/REGION/data.db, or memory) through the
 * rd_vfs shim, and runs the request loop until SIGTERM or SIGINT, after which it
 * finishes the batch in hand, closes the database cleanly and exits 0. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ddb_log.h"
#include "rd_loop.h"
#include "rd_repl.h"
#include "rd_stream.h"
#include "rd_store.h"
#include "rd_vfs.h"

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct rd_args {
    const char *region;      /* --region */
    const char *listen;      /* --listen ZMQ endpoint */
    const char *data_dir;    /* --data-dir, or NULL with --in-memory */
    bool in_memory;          /* --in-memory */
    rd_durability_t durability;   /* --durability process|full */
    ddb_log_level_t level;   /* --log-level */
    int ttl_interval_ms;     /* --ttl-interval-ms: between Time to Live sweeps, 0: off */
    rd_stream_config_t streams;   /* --stream-*: shard rollover, retention, iterator age */
    rd_repl_config_t repl;        /* --test-drop-feed, --heartbeat-ms */
} rd_args_t;

static void s_usage(FILE *f)
{
    fprintf(f, "usage: meridian-regiond --region R --listen ENDPOINT (--data-dir DIR | --in-memory)\n"
               "                        [--log-level debug|info|warn|error] [--ttl-interval-ms N]\n"
               "                        [--stream-shard-rollover-ms N] [--stream-shard-rollover-records N]\n"
               "                        [--stream-retention-ms N] [--stream-iterator-ttl-ms N]\n"
               "                        [--heartbeat-ms N] [--test-drop-feed RATE]\n"
               "                        [--durability process|full]\n"
               "environment: MERIDIAN_CHAOS_DISK_FULL=R1,R2 starts those regions with the chaos\n"
               "disk-full switch on (set by the gateway; see rd_vfs.h)\n");
}

static int s_parse_level(const char *s, ddb_log_level_t *out)
{
    static const char *const names[] = { "debug", "info", "warn", "error" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (ddb_log_level_t)i;
            return 0;
        }
    return -1;
}

/* One --stream-* flag (a count or milliseconds >= 0) into cfg. 0, or -1 (printed). */
static int s_parse_stream_flag(int c, const char *text, rd_stream_config_t *cfg)
{
    char *end;
    long long n = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n < 0) {
        fprintf(stderr, "meridian-regiond: bad --stream-* value '%s'\n", text);
        return -1;
    }
    switch (c) {
    case 'R': cfg->rollover_ms = n; break;
    case 'N': cfg->rollover_records = n; break;
    case 'K': cfg->retention_ms = n; break;
    default: cfg->iterator_ttl_ms = n; break;
    }
    return 0;
}

/* 0, or -1 after printing what is wrong. */
static int s_parse_args(int argc, char **argv, rd_args_t *a)
{
    static const struct option opts[] = {
        { "region", required_argument, NULL, 'r' },   { "listen", required_argument, NULL, 'l' },
        { "data-dir", required_argument, NULL, 'd' }, { "in-memory", no_argument, NULL, 'm' },
        { "log-level", required_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
        { "ttl-interval-ms", required_argument, NULL, 't' },
        { "stream-shard-rollover-ms", required_argument, NULL, 'R' },
        { "stream-shard-rollover-records", required_argument, NULL, 'N' },
        { "stream-retention-ms", required_argument, NULL, 'K' },
        { "stream-iterator-ttl-ms", required_argument, NULL, 'I' },
        { "test-drop-feed", required_argument, NULL, 'D' },
        { "heartbeat-ms", required_argument, NULL, 'H' },
        { "durability", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    memset(a, 0, sizeof(*a));
    a->level = DDB_LOG_INFO;
    a->ttl_interval_ms = 1000;
    a->streams = *rd_stream_config();
    a->repl.heartbeat_ms = 250;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->region = optarg; break;
        case 'l': a->listen = optarg; break;
        case 'd': a->data_dir = optarg; break;
        case 'm': a->in_memory = true; break;
        case 'v':
            if (s_parse_level(optarg, &a->level) != 0) {
                fprintf(stderr, "meridian-regiond: unknown log level '%s'\n", optarg);
                return -1;
            }
            break;
        case 't': {
            char *end;
            long ms = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || ms < 0 || ms > 86400000) {
                fprintf(stderr, "meridian-regiond: bad --ttl-interval-ms '%s'\n", optarg);
                return -1;
            }
            a->ttl_interval_ms = (int)ms;
            break;
        }
        case 'R': case 'N': case 'K': case 'I':
            if (s_parse_stream_flag(c, optarg, &a->streams) != 0)
                return -1;
            break;
        case 'D': {
            char *end;
            double rate = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(rate >= 0 && rate <= 1)) {
                fprintf(stderr, "meridian-regiond: bad --test-drop-feed '%s' (0..1)\n", optarg);
                return -1;
            }
            a->repl.drop_feed = rate;
            break;
        }
        case 'H': {
            char *end;
            long ms = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || ms < 10 || ms > 60000) {
                fprintf(stderr, "meridian-regiond: bad --heartbeat-ms '%s'\n", optarg);
                return -1;
            }
            a->repl.heartbeat_ms = (int)ms;
            break;
        }
        case 'S':
            if (rd_durability_parse(optarg, &a->durability) != 0) {
                fprintf(stderr, "meridian-regiond: bad --durability '%s' (process or full)\n", optarg);
                return -1;
            }
            break;
        case 'h': s_usage(stdout); exit(0);
        default: s_usage(stderr); return -1;
        }
    }
    if (!a->region || !a->listen || (!a->data_dir == !a->in_memory) || optind != argc) {
        s_usage(stderr);
        return -1;
    }
    return 0;
}

/* mkdir -p */
static int s_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static rd_store_t *s_open_store(const rd_args_t *a)
{
    if (a->in_memory)
        return rd_store_open(NULL, a->region, a->durability);
    char dir[PATH_MAX], file[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/%s", a->data_dir, a->region);
    if (s_mkdirs(dir) != 0) {
        DDB_ERROR("cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    snprintf(file, sizeof(file), "%s/data.db", dir);
    return rd_store_open(file, a->region, a->durability);
}

int main(int argc, char **argv)
{
    rd_args_t args;
    if (s_parse_args(argc, argv, &args) != 0)
        return 2;
    char tag[96];
    snprintf(tag, sizeof(tag), "regiond %s", args.region);
    ddb_log_init(tag, args.level);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_on_signal;   /* no SA_RESTART: zmq_poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rd_stream_configure(&args.streams);
    rd_repl_configure(&args.repl);
    if (rd_vfs_register() != 0)
        return 1;
    /* A full disk stays full across a restart: the gateway lists the regions whose
     * disk-full switch is on in the environment it starts regionds with. */
    if (rd_vfs_region_listed(getenv("MERIDIAN_CHAOS_DISK_FULL"), args.region))
        rd_vfs_set_disk_full(true);
    rd_store_t *store = s_open_store(&args);
    if (!store)
        return 1;
    int rc = rd_loop_run(args.listen, args.region, store, args.ttl_interval_ms, &s_stop);
    rd_store_close(&store);
    DDB_INFO("stopped");
    return rc == 0 ? 0 : 1;
}
