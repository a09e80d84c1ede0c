/* gw_config: the gateway's command line, parsed once at startup into a plain struct. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ddb_log.h"

#define GW_REGION_NAME_MAX 32   /* longest region name accepted */
#define GW_MAX_REGIONS 64       /* cap on regiond processes one gateway starts */
#define GW_REGIOND_ARGS_MAX 16  /* cap on --regiond-arg */

typedef struct gw_config {
    int port;                        /* --port (0: any free port, logged) */
    char *bind_addr;                 /* --bind, default 127.0.0.1 */
    char *data_dir;                  /* --data-dir, NULL with --in-memory */
    bool in_memory;                  /* --in-memory */
    char **regions;                  /* --regions, NULL-terminated, validated */
    char *default_region;            /* --default-region, validated */
    char *regiond_path;              /* --regiond, NULL: look next to the gateway */
    char *run_dir;                   /* --run-dir, NULL: a fresh mkdtemp dir */
    ddb_log_level_t log_level;       /* --log-level */
    const char *log_level_name;      /* the same, as passed on to regionds */
    char *pidfile;                   /* --pidfile, NULL: none */
    unsigned request_timeout_ms;     /* a regiond that does not answer by then: 500 */
    unsigned admin_timeout_ms;       /* how long /_meridian/cluster waits for regionds */
    unsigned client_timeout_s;       /* --client-timeout-s: a client that trickles a request or
                                        idles on keep-alive longer is disconnected */
    unsigned max_connections;        /* --max-connections: requests on connections beyond it get 503 */
    const char *regiond_args[GW_REGIOND_ARGS_MAX];   /* --regiond-arg, borrowed from argv */
    int n_regiond_args;              /* appended to every regiond's command line */
    char *auth_file;                 /* --auth or $MERIDIAN_AUTH, NULL: no authentication */
    char *admin_bind;                /* --admin-bind: a client address also allowed the admin API
                                        ("0.0.0.0" / "::": any), NULL: loopback only */
} gw_config_t;

/* Parses argv into cfg (which the caller zero-initialises). Prints the problem and
 * the usage to stderr and returns -1 on a bad command line; returns 1 after
 * printing the help for --help; 0 on success. Free with gw_config_free. */
int gw_config_parse(gw_config_t *cfg, int argc, char **argv);
/* Frees what gw_config_parse allocated; safe twice. */
void gw_config_free(gw_config_t *cfg);

/* Returns 1 if name[0..len) looks like an AWS region name (us-east-1,
 * ap-southeast-2, us-gov-west-1: lowercase words joined by '-', ending in a
 * number), 0 otherwise. Nothing is created from a name that fails this check. */
int gw_region_name_valid(const char *name, size_t len);

#endif
