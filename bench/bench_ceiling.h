/* bench_ceiling: the machine's HTTP ceiling, a bare libevent (evhttp) server that
 * answers every request with a GetItem miss ("{}") carrying the headers Meridian's
 * gateway sends (Content-Type, x-amzn-RequestId, x-amz-crc32, Content-Length, Date).
 * Whatever Meridian does beyond that costs throughput against this reference. */
#ifndef BENCH_CEILING_H
#define BENCH_CEILING_H

typedef struct bench_ceiling bench_ceiling_t;

/* Starts the server on addr:port (port 0: any free port) in its own thread. Returns
 * the running server and stores the bound port, or NULL with a message on stderr. */
bench_ceiling_t *bench_ceiling_start(const char *addr, int port, int *bound_port);
/* Stops the thread, frees, nulls *p; safe on NULL. */
void bench_ceiling_stop(bench_ceiling_t **p);
/* Serves in the calling thread until SIGINT/SIGTERM. 0, or -1 if it cannot bind. */
int bench_ceiling_serve(const char *addr, int port);

#endif
