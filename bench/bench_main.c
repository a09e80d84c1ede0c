/* meridian-bench: a load generator for DynamoDB endpoints (Meridian, its peers, the
 * real service) and a bare-HTTP ceiling to measure them against. Parses options,
 * runs one workload (bench_run) or the scale comparison (bench_scale), prints and
 * saves the result (bench_report).
 *   meridian-bench [run] --endpoint URL --workload W [...]
 *   meridian-bench ceiling [--port P] [...]   (same load, against a bare libevent server)
 *   meridian-bench serve --port P             (only the ceiling server, foreground) */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_ceiling.h"
#include "bench_report.h"
#include "bench_run.h"
#include "bench_scale.h"

static void s_usage(FILE *out)
{
    fprintf(out,
            "Usage: meridian-bench [run] [OPTIONS]        drive a DynamoDB endpoint\n"
            "       meridian-bench ceiling [--port P] [OPTIONS]\n"
            "                                              the same load against a bare libevent server\n"
            "       meridian-bench serve --port P          only the ceiling server (foreground)\n"
            "\n"
            "  --endpoint URL        http://127.0.0.1:8000\n"
            "  --region R            region in the SigV4 credential scope (us-east-1)\n"
            "  --workload W          put | get | query | mixed | batch-write | scan | replication-lag | scale (put)\n"
            "  --connections N       concurrent keep-alive connections, one request each (64)\n"
            "  --duration S          measured seconds (10)\n"
            "  --warmup S            unmeasured seconds before (2)\n"
            "  --rate R              open loop at R requests/s (default: closed loop)\n"
            "  --items N             key space, preloaded for get/query/mixed/scan (10000)\n"
            "  --value-size B        bytes in each item's attribute v (100)\n"
            "  --table NAME          (meridian-bench-<workload>)\n"
            "  --seed N              (42)\n"
            "  --update-op put|update    the update half of mixed (put: PutItem)\n"
            "  --zipf-theta T        mixed's skew (0.99)\n"
            "  --scan-limit N        items per Scan page (100)\n"
            "  --scale-items N       scale: items of the big table, compared with a 1,000-item one (1000000)\n"
            "  --composite           pk+sk keys, 10 items a partition, for any workload (query always has them)\n"
            "  --region2 R           replication-lag: the region polled (us-west-2)\n"
            "  --endpoint2 URL       replication-lag: region B's endpoint (default --endpoint)\n"
            "  --lag-timeout-ms MS   replication-lag: give up on an item after (5000)\n"
            "  --timeout-ms MS       per request (10000)\n"
            "  --sign                real SigV4 signatures (default: the header's shape, a hash)\n"
            "  --access-key K --secret-key S\n"
            "  --label NAME          the server's name in results (server; ceiling mode: ceiling)\n"
            "  --ceiling-rps X       report throughput as a fraction of this ceiling\n"
            "  --no-setup            no CreateTable, no preload\n"
            "  --json FILE           write the result as JSON (- for stdout)\n"
            "  --port P              ceiling/serve: the server's port (0: any free port)\n"
            "  --server-pid PID      report the CPU (in the window) and RSS of PID and its descendants (the server)\n"
            "  --rss-every S         seconds between the RSS samples kept in the JSON (10)\n"
            "  --quiet               no progress on stderr\n");
}

enum {
    O_ENDPOINT = 256, O_ENDPOINT2, O_REGION, O_REGION2, O_WORKLOAD, O_CONNECTIONS, O_DURATION, O_WARMUP, O_RATE,
    O_ITEMS, O_VALUE_SIZE, O_TABLE, O_SEED, O_UPDATE_OP, O_ZIPF, O_SCAN_LIMIT, O_LAG_TIMEOUT, O_TIMEOUT, O_SIGN,
    O_ACCESS_KEY, O_SECRET_KEY, O_LABEL, O_CEILING_RPS, O_NO_SETUP, O_JSON, O_PORT, O_QUIET, O_HELP, O_SERVER_PID,
    O_SCALE_ITEMS, O_RSS_EVERY, O_COMPOSITE,
};

static const struct option s_options[] = {
    {"endpoint", required_argument, NULL, O_ENDPOINT},     {"endpoint2", required_argument, NULL, O_ENDPOINT2},
    {"region", required_argument, NULL, O_REGION},         {"region2", required_argument, NULL, O_REGION2},
    {"workload", required_argument, NULL, O_WORKLOAD},     {"connections", required_argument, NULL, O_CONNECTIONS},
    {"duration", required_argument, NULL, O_DURATION},     {"warmup", required_argument, NULL, O_WARMUP},
    {"rate", required_argument, NULL, O_RATE},             {"items", required_argument, NULL, O_ITEMS},
    {"value-size", required_argument, NULL, O_VALUE_SIZE}, {"table", required_argument, NULL, O_TABLE},
    {"seed", required_argument, NULL, O_SEED},             {"update-op", required_argument, NULL, O_UPDATE_OP},
    {"zipf-theta", required_argument, NULL, O_ZIPF},       {"scan-limit", required_argument, NULL, O_SCAN_LIMIT},
    {"lag-timeout-ms", required_argument, NULL, O_LAG_TIMEOUT},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},    {"sign", no_argument, NULL, O_SIGN},
    {"access-key", required_argument, NULL, O_ACCESS_KEY}, {"secret-key", required_argument, NULL, O_SECRET_KEY},
    {"label", required_argument, NULL, O_LABEL},           {"ceiling-rps", required_argument, NULL, O_CEILING_RPS},
    {"no-setup", no_argument, NULL, O_NO_SETUP},           {"json", required_argument, NULL, O_JSON},
    {"port", required_argument, NULL, O_PORT},             {"quiet", no_argument, NULL, O_QUIET},
    {"server-pid", required_argument, NULL, O_SERVER_PID}, {"scale-items", required_argument, NULL, O_SCALE_ITEMS},
    {"rss-every", required_argument, NULL, O_RSS_EVERY},    {"composite", no_argument, NULL, O_COMPOSITE},
    {"help", no_argument, NULL, O_HELP},                   {NULL, 0, NULL, 0},
};

/* A number from an option, or exit 2 with a message. */
static double s_number(const char *option, const char *text, double min, double max)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (!end || end == text || *end || v < min || v > max) {
        fprintf(stderr, "meridian-bench: --%s wants a number in [%g, %g], not '%s'\n", option, min, max, text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    bench_config_t cfg;
    bench_config_defaults(&cfg);
    const char *mode = "run";
    const char *json_path = NULL;
    int port = 0, label_set = 0, workload_set = 0;
    uint64_t scale_items = 1000000;
    if (argc > 1 && argv[1][0] != '-') {
        mode = argv[1];
        argc--;
        argv++;
    }
    if (strcmp(mode, "run") != 0 && strcmp(mode, "ceiling") != 0 && strcmp(mode, "serve") != 0) {
        fprintf(stderr, "meridian-bench: unknown command '%s'\n", mode);
        s_usage(stderr);
        return 2;
    }
    int opt;
    while ((opt = getopt_long(argc, argv, "", s_options, NULL)) != -1) {
        switch (opt) {
        case O_ENDPOINT: cfg.endpoint = optarg; break;
        case O_ENDPOINT2: cfg.endpoint2 = optarg; break;
        case O_REGION: cfg.region = optarg; break;
        case O_REGION2: cfg.region2 = optarg; break;
        case O_WORKLOAD:
            if (bench_workload_parse(optarg, &cfg.workload) < 0) {
                fprintf(stderr, "meridian-bench: unknown workload '%s'\n", optarg);
                return 2;
            }
            workload_set = 1;
            break;
        case O_CONNECTIONS: cfg.connections = (int)s_number("connections", optarg, 1, 10000); break;
        case O_DURATION: cfg.duration_s = s_number("duration", optarg, 0.1, 86400); break;
        case O_WARMUP: cfg.warmup_s = s_number("warmup", optarg, 0, 3600); break;
        case O_RATE: cfg.rate = s_number("rate", optarg, 0, 1e7); break;
        case O_ITEMS: cfg.items = (uint64_t)s_number("items", optarg, 1, 1e10); break;
        case O_VALUE_SIZE: cfg.value_size = (size_t)s_number("value-size", optarg, 0, 400000); break;
        case O_TABLE: cfg.table = optarg; break;
        case O_SEED: cfg.seed = (uint64_t)s_number("seed", optarg, 0, 1.8e19); break;
        case O_UPDATE_OP:
            if (strcmp(optarg, "put") == 0)
                cfg.update_op = BENCH_OP_PUT;
            else if (strcmp(optarg, "update") == 0)
                cfg.update_op = BENCH_OP_UPDATE;
            else {
                fprintf(stderr, "meridian-bench: --update-op is put or update\n");
                return 2;
            }
            break;
        case O_ZIPF: cfg.zipf_theta = s_number("zipf-theta", optarg, 0.01, 0.999); break;
        case O_SCAN_LIMIT: cfg.scan_limit = (unsigned)s_number("scan-limit", optarg, 1, 1e6); break;
        case O_LAG_TIMEOUT: cfg.lag_timeout_ms = (int)s_number("lag-timeout-ms", optarg, 1, 3.6e6); break;
        case O_TIMEOUT: cfg.timeout_ms = (int)s_number("timeout-ms", optarg, 1, 3.6e6); break;
        case O_SIGN: cfg.sign = 1; break;
        case O_ACCESS_KEY: cfg.access_key = optarg; break;
        case O_SECRET_KEY: cfg.secret_key = optarg; break;
        case O_LABEL: cfg.label = optarg; label_set = 1; break;
        case O_CEILING_RPS: cfg.ceiling_rps = s_number("ceiling-rps", optarg, 0, 1e9); break;
        case O_NO_SETUP: cfg.setup = 0; break;
        case O_JSON: json_path = optarg; break;
        case O_PORT: port = (int)s_number("port", optarg, 0, 65535); break;
        case O_QUIET: cfg.quiet = 1; break;
        case O_SERVER_PID: cfg.server_pid = (int)s_number("server-pid", optarg, 1, 1e9); break;
        case O_SCALE_ITEMS: scale_items = (uint64_t)s_number("scale-items", optarg, 1, 1e10); break;
        case O_RSS_EVERY: cfg.mem_every_s = s_number("rss-every", optarg, 0, 86400); break;
        case O_COMPOSITE: cfg.composite = 1; break;
        case O_HELP: s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "meridian-bench: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    if (strcmp(mode, "serve") == 0)
        return bench_ceiling_serve("127.0.0.1", port) == 0 ? 0 : 1;

    bench_ceiling_t *ceiling = NULL;
    char ceiling_url[64];
    if (strcmp(mode, "ceiling") == 0) {
        int bound = 0;
        ceiling = bench_ceiling_start("127.0.0.1", port, &bound);
        if (!ceiling)
            return 1;
        snprintf(ceiling_url, sizeof(ceiling_url), "http://127.0.0.1:%d", bound);
        cfg.endpoint = ceiling_url;
        cfg.server_pid = (int)getpid();   /* client and server thread: the whole process */
        cfg.setup = 0;
        cfg.ceiling_rps = 0;
        if (!label_set)
            cfg.label = "ceiling";
        if (!workload_set)
            cfg.workload = BENCH_WL_GET;
    }
    if (cfg.workload == BENCH_WL_SCALE) {
        if (ceiling) {
            fprintf(stderr, "meridian-bench: the ceiling server has no tables to scale\n");
            bench_ceiling_stop(&ceiling);
            return 2;
        }
        bench_scale_t scale;
        int rc = bench_scale_run(&cfg, scale_items, &scale);
        bench_report_scale_print(stdout, &cfg, &scale);
        fflush(stdout);
        if (json_path && bench_report_scale_json(json_path, &cfg, &scale) < 0)
            rc = -1;
        bench_scale_free(&scale);
        return rc == 0 ? 0 : 1;
    }
    bench_result_t *res = calloc(1, sizeof(*res));
    if (!res) {
        bench_ceiling_stop(&ceiling);
        return 1;
    }
    int rc = bench_run(&cfg, res);
    bench_ceiling_stop(&ceiling);
    bench_report_print(stdout, &cfg, res);
    fflush(stdout);
    if (json_path && bench_report_json(json_path, &cfg, res) < 0)
        rc = -1;
    free(res);
    return rc == 0 ? 0 : 1;
}
