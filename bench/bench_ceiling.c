/* bench_ceiling: a fixed-reply evhttp server (see bench_ceiling.h), run in a thread
 * with its own event base; a pipe carries the stop request into that loop. */
#include "bench_ceiling.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <zlib.h>

#define S_REQUEST_ID_LEN 52
static const char s_body[] = "{}";

struct bench_ceiling {
    struct event_base *base;
    struct evhttp *http;
    struct event *stop_ev;
    int stop_pipe[2];
    pthread_t thread;
    uint64_t rng;   /* request ids, as the gateway makes one per reply */
};

static void s_request_id(uint64_t *rng, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int i = 0; i < S_REQUEST_ID_LEN; i++) {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        out[i] = alphabet[*rng % 36];
    }
    out[S_REQUEST_ID_LEN] = '\0';
}

/* The same work per reply as the gateway's s_send: four headers, a CRC of the body. */
static void s_on_request(struct evhttp_request *req, void *arg)
{
    bench_ceiling_t *c = arg;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    char request_id[S_REQUEST_ID_LEN + 1], num[24];
    size_t len = sizeof(s_body) - 1;
    s_request_id(&c->rng, request_id);
    evhttp_add_header(headers, "Content-Type", "application/x-amz-json-1.0");
    evhttp_add_header(headers, "x-amzn-RequestId", request_id);
    snprintf(num, sizeof(num), "%lu", (unsigned long)crc32_z(0L, (const Bytef *)s_body, len));
    evhttp_add_header(headers, "x-amz-crc32", num);
    snprintf(num, sizeof(num), "%zu", len);
    evhttp_add_header(headers, "Content-Length", num);
    evbuffer_add(evhttp_request_get_output_buffer(req), s_body, len);
    evhttp_send_reply(req, 200, "OK", NULL);
}

static void s_on_stop(evutil_socket_t fd, short what, void *arg)
{
    bench_ceiling_t *c = arg;
    event_base_loopbreak(c->base);
}

static void s_free(bench_ceiling_t *c)
{
    if (c->stop_ev)
        event_free(c->stop_ev);
    if (c->http)
        evhttp_free(c->http);
    if (c->base)
        event_base_free(c->base);
    if (c->stop_pipe[0] >= 0)
        close(c->stop_pipe[0]);
    if (c->stop_pipe[1] >= 0)
        close(c->stop_pipe[1]);
    free(c);
}

static bench_ceiling_t *s_new(const char *addr, int port, int *bound_port)
{
    bench_ceiling_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->stop_pipe[0] = c->stop_pipe[1] = -1;
    c->rng = UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)getpid();
    c->base = event_base_new();
    c->http = c->base ? evhttp_new(c->base) : NULL;
    if (!c->http || pipe(c->stop_pipe) < 0)
        goto fail;
    evhttp_set_timeout(c->http, 60);
    evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(c->http, s_on_request, c);
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(c->http, addr, (ev_uint16_t)port);
    if (!bound) {
        fprintf(stderr, "meridian-bench: ceiling server cannot bind %s:%d\n", addr, port);
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &ss_len) == 0 && bound_port)
        *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    c->stop_ev = event_new(c->base, c->stop_pipe[0], EV_READ, s_on_stop, c);
    if (!c->stop_ev || event_add(c->stop_ev, NULL) < 0)
        goto fail;
    return c;
fail:
    s_free(c);
    return NULL;
}

static void *s_thread(void *arg)
{
    bench_ceiling_t *c = arg;
    event_base_dispatch(c->base);
    return NULL;
}

bench_ceiling_t *bench_ceiling_start(const char *addr, int port, int *bound_port)
{
    bench_ceiling_t *c = s_new(addr, port, bound_port);
    if (!c)
        return NULL;
    if (pthread_create(&c->thread, NULL, s_thread, c) != 0) {
        s_free(c);
        return NULL;
    }
    return c;
}

void bench_ceiling_stop(bench_ceiling_t **p)
{
    if (!p || !*p)
        return;
    bench_ceiling_t *c = *p;
    if (write(c->stop_pipe[1], "x", 1) != 1)
        perror("meridian-bench: ceiling stop");
    pthread_join(c->thread, NULL);
    s_free(c);
    *p = NULL;
}

static void s_on_signal(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

int bench_ceiling_serve(const char *addr, int port)
{
    int bound_port = port;
    bench_ceiling_t *c = s_new(addr, port, &bound_port);
    if (!c)
        return -1;
    struct event *sigint = evsignal_new(c->base, SIGINT, s_on_signal, c->base);
    struct event *sigterm = evsignal_new(c->base, SIGTERM, s_on_signal, c->base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    printf("meridian-bench: ceiling server on http://%s:%d\n", addr, bound_port);
    fflush(stdout);
    event_base_dispatch(c->base);
    event_free(sigint);
    event_free(sigterm);
    s_free(c);
    return 0;
}
