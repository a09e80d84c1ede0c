/* meridian-gateway: the DynamoDB endpoint of a Meridian cluster and the supervisor
 * of its regionds. Runs in the foreground until SIGINT/SIGTERM or an admin
 * shutdown; see gw_config.c for the command line. Exit status: 0 after a clean
 * stop, 1 if startup failed, 2 on a bad command line. */
#include "gw.h"
#include "gw_config.h"

int main(int argc, char **argv)
{
    gw_config_t cfg = { 0 };
    int rc = gw_config_parse(&cfg, argc, argv);
    if (rc != 0) {
        gw_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    gw_t *gw = gw_new(&cfg);
    if (!gw)
        return 1;
    rc = gw_run(gw);
    gw_destroy(&gw);
    return rc == 0 ? 0 : 1;
}
