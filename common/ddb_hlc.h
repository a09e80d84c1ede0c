/* ddb_hlc: a hybrid logical clock. A timestamp is 48 bits of wall-clock
 * milliseconds and 16 bits of logical counter, so timestamps compare as integers
 * and never go backwards within a process, even if the wall clock does. */
#ifndef DDB_HLC_H
#define DDB_HLC_H

#include <stdint.h>

typedef struct ddb_hlc {
    uint64_t last;   /* the last timestamp handed out or observed */
} ddb_hlc_t;

#define DDB_HLC_MS(ts) ((ts) >> 16)

/* Returns a timestamp greater than every earlier one from this clock. */
uint64_t ddb_hlc_now(ddb_hlc_t *clock);
/* Merges a timestamp received from a peer; the next ddb_hlc_now is greater. */
void ddb_hlc_observe(ddb_hlc_t *clock, uint64_t remote);
/* Wall-clock milliseconds since the epoch. */
uint64_t ddb_wall_ms(void);

#endif
