/* gw_config: parses the gateway's command line (getopt_long) and checks region
 * names. The command line is an interface that scripts/meridian and the tests use,
 * so its flags and defaults are fixed here and documented in the usage text. */
#include "gw_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_DEFAULT_REGION "us-east-1"
#define GW_DEFAULT_BIND "127.0.0.1"
#define GW_REQUEST_TIMEOUT_MS 30000
#define GW_ADMIN_TIMEOUT_MS 2000
#define GW_CLIENT_TIMEOUT_S 60
#define GW_MAX_CONNECTIONS 4096
#define GW_STR(x) GW_STR_(x)
#define GW_STR_(x) #x

static void s_usage(FILE *out)
{
    fputs("usage: meridian-gateway --port P (--data-dir DIR | --in-memory) [options]\n"
          "  --port P               TCP port for the DynamoDB endpoint (0: any free port)\n"
          "  --bind ADDR            address to listen on (default " GW_DEFAULT_BIND ")\n"
          "  --data-dir DIR         where regionds keep their data (created if missing)\n"
          "  --in-memory            keep nothing on disk\n"
          "  --regions r1,r2,...    regions whose regiond starts at once (others start on first use)\n"
          "  --default-region R     region of requests without a SigV4 scope (default " GW_DEFAULT_REGION ")\n"
          "  --regiond PATH         the meridian-regiond binary (default: ../regiond/ or next to this binary)\n"
          "  --run-dir DIR          where the ipc sockets go (default: a fresh /tmp/meridian-P-XXXXXX)\n"
          "  --log-level L          debug, info, warn or error (default info)\n"
          "  --pidfile FILE         write the gateway's pid there once it listens\n"
          "  --regiond-arg ARG      append ARG to every regiond's command line (repeatable)\n"
          "  --auth FILE            verify SigV4 signatures against FILE's keys (also $MERIDIAN_AUTH);\n"
          "                         lines: ACCESS_KEY_ID SECRET ACCOUNT_ID [SESSION_TOKEN], admin KEY\n"
          "  --admin-bind ADDR      also answer the admin API to clients from ADDR (0.0.0.0: any)\n"
          "  --client-timeout-s S   disconnect a client that sends a request slower than S seconds,\n"
          "                         or idles that long between requests (default " GW_STR(GW_CLIENT_TIMEOUT_S) ")\n"
          "  --max-connections N    open client connections at most; a request on one beyond N\n"
          "                         is answered 503 and its connection closed (default " GW_STR(GW_MAX_CONNECTIONS) ")\n",
          out);
}

int gw_region_name_valid(const char *name, size_t len)
{
    if (len < 4 || len > GW_REGION_NAME_MAX)
        return 0;
    /* first word: two letters (us, eu, ap, cn, ...) */
    if (name[0] < 'a' || name[0] > 'z' || name[1] < 'a' || name[1] > 'z' || name[2] != '-')
        return 0;
    size_t i = 3;
    int words = 0;
    /* then one or more lowercase words, each followed by '-' */
    for (;;) {
        size_t start = i;
        while (i < len && name[i] >= 'a' && name[i] <= 'z')
            i++;
        if (i == start)
            break;
        if (i >= len || name[i] != '-')
            return 0;
        i++;
        words++;
    }
    if (words == 0)
        return 0;
    /* last: a number of one or two digits */
    size_t digits = len - i;
    if (digits < 1 || digits > 2)
        return 0;
    for (; i < len; i++)
        if (name[i] < '0' || name[i] > '9')
            return 0;
    return 1;
}

static int s_parse_level(const char *s, ddb_log_level_t *out)
{
    static const char *names[] = { "debug", "info", "warn", "error" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (ddb_log_level_t)i;
            return 0;
        }
    }
    return -1;
}

/* Splits a comma-separated list into a NULL-terminated array of validated names. */
static int s_parse_regions(const char *list, char ***out)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    char **regions = calloc(n + 1, sizeof(*regions));
    if (!regions)
        return -1;
    size_t count = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0) {
            if (!gw_region_name_valid(p, len)) {
                fprintf(stderr, "meridian-gateway: invalid region name '%.*s'\n", (int)len, p);
                goto fail;
            }
            regions[count] = strndup(p, len);
            if (!regions[count])
                goto fail;
            count++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = regions;
    return 0;
fail:
    for (size_t i = 0; i < count; i++)
        free(regions[i]);
    free(regions);
    return -1;
}

/* Replaces *slot with a copy of value (an option given twice keeps the last). */
static int s_set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = strdup(value);
    return *slot ? 0 : -1;
}

int gw_config_parse(gw_config_t *cfg, int argc, char **argv)
{
    enum { O_PORT = 1, O_BIND, O_DATA_DIR, O_IN_MEMORY, O_REGIONS, O_DEFAULT_REGION, O_REGIOND,
           O_RUN_DIR, O_LOG_LEVEL, O_PIDFILE, O_REGIOND_ARG, O_AUTH, O_ADMIN_BIND, O_CLIENT_TIMEOUT, O_MAX_CONNECTIONS, O_HELP };
    static const struct option options[] = {
        { "port", required_argument, NULL, O_PORT },
        { "bind", required_argument, NULL, O_BIND },
        { "data-dir", required_argument, NULL, O_DATA_DIR },
        { "in-memory", no_argument, NULL, O_IN_MEMORY },
        { "regions", required_argument, NULL, O_REGIONS },
        { "default-region", required_argument, NULL, O_DEFAULT_REGION },
        { "regiond", required_argument, NULL, O_REGIOND },
        { "run-dir", required_argument, NULL, O_RUN_DIR },
        { "log-level", required_argument, NULL, O_LOG_LEVEL },
        { "pidfile", required_argument, NULL, O_PIDFILE },
        { "regiond-arg", required_argument, NULL, O_REGIOND_ARG },
        { "auth", required_argument, NULL, O_AUTH },
        { "admin-bind", required_argument, NULL, O_ADMIN_BIND },
        { "client-timeout-s", required_argument, NULL, O_CLIENT_TIMEOUT },
        { "max-connections", required_argument, NULL, O_MAX_CONNECTIONS },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    int have_port = 0;
    cfg->port = -1;
    cfg->log_level = DDB_LOG_INFO;
    cfg->log_level_name = "info";
    cfg->request_timeout_ms = GW_REQUEST_TIMEOUT_MS;
    cfg->admin_timeout_ms = GW_ADMIN_TIMEOUT_MS;
    cfg->client_timeout_s = GW_CLIENT_TIMEOUT_S;
    cfg->max_connections = GW_MAX_CONNECTIONS;
    optind = 1;
    opterr = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case O_PORT: {
            char *end;
            long port = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || port < 0 || port > 65535) {
                fprintf(stderr, "meridian-gateway: invalid port '%s'\n", optarg);
                goto bad;
            }
            cfg->port = (int)port;
            have_port = 1;
            break;
        }
        case O_BIND:
            if (s_set_str(&cfg->bind_addr, optarg) != 0)
                goto bad;
            break;
        case O_DATA_DIR:
            if (s_set_str(&cfg->data_dir, optarg) != 0)
                goto bad;
            break;
        case O_IN_MEMORY:
            cfg->in_memory = true;
            break;
        case O_REGIONS:
            if (cfg->regions) {
                for (char **r = cfg->regions; *r; r++)
                    free(*r);
                free(cfg->regions);
                cfg->regions = NULL;
            }
            if (s_parse_regions(optarg, &cfg->regions) != 0)
                goto bad;
            break;
        case O_DEFAULT_REGION:
            if (!gw_region_name_valid(optarg, strlen(optarg))) {
                fprintf(stderr, "meridian-gateway: invalid region name '%s'\n", optarg);
                goto bad;
            }
            if (s_set_str(&cfg->default_region, optarg) != 0)
                goto bad;
            break;
        case O_REGIOND:
            if (s_set_str(&cfg->regiond_path, optarg) != 0)
                goto bad;
            break;
        case O_RUN_DIR:
            if (s_set_str(&cfg->run_dir, optarg) != 0)
                goto bad;
            break;
        case O_LOG_LEVEL:
            if (s_parse_level(optarg, &cfg->log_level) != 0) {
                fprintf(stderr, "meridian-gateway: invalid log level '%s'\n", optarg);
                goto bad;
            }
            cfg->log_level_name = optarg;   /* argv outlives the gateway */
            break;
        case O_PIDFILE:
            if (s_set_str(&cfg->pidfile, optarg) != 0)
                goto bad;
            break;
        case O_REGIOND_ARG:
            if (cfg->n_regiond_args == GW_REGIOND_ARGS_MAX) {
                fprintf(stderr, "meridian-gateway: at most %d --regiond-arg\n", GW_REGIOND_ARGS_MAX);
                goto bad;
            }
            cfg->regiond_args[cfg->n_regiond_args++] = optarg;   /* argv outlives the gateway */
            break;
        case O_AUTH:
            if (s_set_str(&cfg->auth_file, optarg) != 0)
                goto bad;
            break;
        case O_ADMIN_BIND:
            if (s_set_str(&cfg->admin_bind, optarg) != 0)
                goto bad;
            break;
        case O_CLIENT_TIMEOUT: {
            char *end;
            long secs = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || secs < 1 || secs > 86400) {
                fprintf(stderr, "meridian-gateway: invalid --client-timeout-s '%s' (1..86400)\n", optarg);
                goto bad;
            }
            cfg->client_timeout_s = (unsigned)secs;
            break;
        }
        case O_MAX_CONNECTIONS: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1 || n > 1000000) {
                fprintf(stderr, "meridian-gateway: invalid --max-connections '%s' (1..1000000)\n", optarg);
                goto bad;
            }
            cfg->max_connections = (unsigned)n;
            break;
        }
        case O_HELP:
            s_usage(stdout);
            return 1;
        default:
            goto bad;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "meridian-gateway: unexpected argument '%s'\n", argv[optind]);
        goto bad;
    }
    if (!have_port) {
        fputs("meridian-gateway: --port is required\n", stderr);
        goto bad;
    }
    if ((cfg->data_dir != NULL) == cfg->in_memory) {
        fputs("meridian-gateway: give exactly one of --data-dir DIR and --in-memory\n", stderr);
        goto bad;
    }
    if (cfg->data_dir && cfg->data_dir[0] == '\0') {
        fputs("meridian-gateway: --data-dir must not be empty\n", stderr);
        goto bad;
    }
    const char *env_auth = getenv("MERIDIAN_AUTH");
    if (!cfg->auth_file && env_auth && env_auth[0] && s_set_str(&cfg->auth_file, env_auth) != 0)
        goto bad;
    if (!cfg->bind_addr && s_set_str(&cfg->bind_addr, GW_DEFAULT_BIND) != 0)
        goto bad;
    if (!cfg->default_region && s_set_str(&cfg->default_region, GW_DEFAULT_REGION) != 0)
        goto bad;
    return 0;
bad:
    s_usage(stderr);
    return -1;
}

void gw_config_free(gw_config_t *cfg)
{
    free(cfg->bind_addr);
    free(cfg->data_dir);
    if (cfg->regions) {
        for (char **r = cfg->regions; *r; r++)
            free(*r);
        free(cfg->regions);
    }
    free(cfg->default_region);
    free(cfg->regiond_path);
    free(cfg->run_dir);
    free(cfg->pidfile);
    free(cfg->auth_file);
    free(cfg->admin_bind);
    cfg->auth_file = cfg->admin_bind = NULL;
    cfg->bind_addr = cfg->data_dir = cfg->default_region = NULL;
    cfg->regiond_path = cfg->run_dir = cfg->pidfile = NULL;
    cfg->regions = NULL;
}
