/* ddb_hlc: hybrid logical clock (Kulkarni et al.), packed into one uint64_t. */
#include "ddb_hlc.h"

#include <time.h>

uint64_t ddb_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ddb_hlc_now(ddb_hlc_t *clock)
{
    uint64_t wall = ddb_wall_ms() << 16;
    clock->last = wall > clock->last ? wall : clock->last + 1;
    return clock->last;
}

void ddb_hlc_observe(ddb_hlc_t *clock, uint64_t remote)
{
    if (remote > clock->last)
        clock->last = remote;
}
