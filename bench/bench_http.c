/* bench_http: HTTP/1.1 client connection (see bench_http.h). The reply parser is a
 * small state machine over the bufferevent's input: head (up to the blank line),
 * then a Content-Length body, chunks, or everything up to EOF. */
#define _GNU_SOURCE   /* memmem */
#include "bench_http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define S_MAX_HEAD (64 * 1024)

typedef enum {
    S_IDLE,         /* no request in flight */
    S_HEAD,         /* waiting for the reply's head */
    S_BODY,         /* waiting for body_len bytes */
    S_CHUNK_SIZE,   /* waiting for a chunk-size line */
    S_CHUNK_DATA,   /* waiting for chunk_left bytes and their CRLF */
    S_TRAILER,      /* after the last chunk: waiting for the final CRLF */
    S_UNTIL_EOF,    /* no length given: the body ends when the server closes */
} s_state_t;

struct bench_http {
    struct event_base *base;
    const bench_endpoint_t *ep;
    struct bufferevent *bev;      /* NULL while disconnected */
    struct timeval timeout;
    bench_http_done_fn done;
    void *arg;
    s_state_t state;
    int status;                   /* of the reply being read */
    int close_after;              /* the reply said Connection: close */
    size_t body_len;              /* S_BODY: bytes expected; S_CHUNK_DATA: bytes left */
    struct evbuffer *chunks;      /* decoded chunked body */
    unsigned connects;
};

int bench_endpoint_parse(const char *url, bench_endpoint_t *ep)
{
    memset(ep, 0, sizeof(*ep));
    snprintf(ep->url, sizeof(ep->url), "%s", url);
    const char *p = url;
    if (strncmp(p, "http://", 7) == 0)
        p += 7;
    else if (strstr(p, "://")) {
        fprintf(stderr, "meridian-bench: only http:// endpoints are supported: %s\n", url);
        return -1;
    }
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= sizeof(ep->host)) {
        fprintf(stderr, "meridian-bench: bad endpoint %s\n", url);
        return -1;
    }
    memcpy(ep->host, p, n);
    ep->host[n] = '\0';
    char host[256], port[16] = "80";
    snprintf(host, sizeof(host), "%s", ep->host);
    char *colon = strrchr(host, ':');
    if (colon && !strchr(host, ']')) {
        snprintf(port, sizeof(port), "%s", colon + 1);
        *colon = '\0';
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        fprintf(stderr, "meridian-bench: cannot resolve %s: %s\n", ep->host, gai_strerror(rc));
        return -1;
    }
    memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
    ep->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void s_close(bench_http_t *h)
{
    if (h->bev)
        bufferevent_free(h->bev);
    h->bev = NULL;
}

/* Ends the request in flight with a transport error and drops the connection. */
static void s_fail(bench_http_t *h, int error)
{
    int was_busy = h->state != S_IDLE;
    s_close(h);
    h->state = S_IDLE;
    if (was_busy)
        h->done(h, error, NULL, 0, h->arg);
}

/* Delivers a complete reply of len bytes at the start of buf. A reply that ends the
 * connection is moved out and the connection closed first, so the callback may send
 * the next request (on a new connection); the body is drained after the callback. */
static void s_deliver(bench_http_t *h, struct evbuffer *buf, size_t len)
{
    if (h->close_after) {
        if (buf != h->chunks) {
            evbuffer_drain(h->chunks, evbuffer_get_length(h->chunks));
            evbuffer_remove_buffer(buf, h->chunks, len);
            buf = h->chunks;
        }
        s_close(h);
    }
    const char *body = len ? (const char *)evbuffer_pullup(buf, (ev_ssize_t)len) : "";
    h->state = S_IDLE;
    h->done(h, h->status, body, len, h->arg);
    evbuffer_drain(buf, len);
}

/* Parses the head at the start of in (head_len bytes including the blank line). */
static int s_parse_head(bench_http_t *h, const char *head, size_t head_len)
{
    if (head_len < 12 || strncmp(head, "HTTP/1.", 7) != 0)
        return -1;
    h->status = atoi(head + 9);
    h->close_after = strncmp(head, "HTTP/1.0", 8) == 0;
    long content_length = -1;
    int chunked = 0;
    const char *line = memchr(head, '\n', head_len);
    const char *end = head + head_len;
    while (line && ++line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        size_t n = (size_t)(eol - line);
        if (n > 15 && strncasecmp(line, "Content-Length:", 15) == 0)
            content_length = strtol(line + 15, NULL, 10);
        else if (n > 18 && strncasecmp(line, "Transfer-Encoding:", 18) == 0)
            chunked = memmem(line, n, "chunked", 7) != NULL;
        else if (n > 11 && strncasecmp(line, "Connection:", 11) == 0) {
            if (memmem(line, n, "close", 5))
                h->close_after = 1;
            else if (memmem(line, n, "keep-alive", 10) || memmem(line, n, "Keep-Alive", 10))
                h->close_after = 0;
        }
        line = eol;
    }
    if (chunked) {
        h->state = S_CHUNK_SIZE;
        evbuffer_drain(h->chunks, evbuffer_get_length(h->chunks));
    } else if (content_length >= 0) {
        h->state = S_BODY;
        h->body_len = (size_t)content_length;
    } else if (h->status == 204 || h->status == 304 || (h->status >= 100 && h->status < 200)) {
        h->state = S_BODY;
        h->body_len = 0;
    } else {
        h->state = S_UNTIL_EOF;
        h->close_after = 1;
    }
    return 0;
}

/* Advances the parser as far as the input allows. 0, or -1 on a protocol error. */
static int s_parse(bench_http_t *h, struct evbuffer *in)
{
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        switch (h->state) {
        case S_IDLE:
            if (avail)
                evbuffer_drain(in, avail);   /* stray bytes: nothing to answer */
            return 0;
        case S_HEAD: {
            struct evbuffer_ptr pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
            if (pos.pos < 0)
                return avail > S_MAX_HEAD ? -1 : 0;
            size_t head_len = (size_t)pos.pos + 4;
            const char *head = (const char *)evbuffer_pullup(in, (ev_ssize_t)head_len);
            if (s_parse_head(h, head, head_len) < 0)
                return -1;
            evbuffer_drain(in, head_len);
            if (h->status == 100) {
                h->state = S_HEAD;
            }
            break;
        }
        case S_BODY:
            if (avail < h->body_len)
                return 0;
            s_deliver(h, in, h->body_len);
            if (!h->bev)
                return 0;
            in = bufferevent_get_input(h->bev);
            break;
        case S_CHUNK_SIZE: {
            size_t eol_len = 0;
            struct evbuffer_ptr pos = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
            if (pos.pos < 0)
                return avail > 1024 ? -1 : 0;
            char line[32] = {0};
            size_t n = (size_t)pos.pos < sizeof(line) - 1 ? (size_t)pos.pos : sizeof(line) - 1;
            evbuffer_copyout(in, line, n);
            evbuffer_drain(in, (size_t)pos.pos + eol_len);
            h->body_len = strtoul(line, NULL, 16);
            h->state = h->body_len ? S_CHUNK_DATA : S_TRAILER;
            break;
        }
        case S_CHUNK_DATA:
            if (avail < h->body_len + 2)
                return 0;
            evbuffer_remove_buffer(in, h->chunks, h->body_len);
            evbuffer_drain(in, 2);
            h->state = S_CHUNK_SIZE;
            break;
        case S_TRAILER: {
            size_t eol_len = 0;
            struct evbuffer_ptr pos = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
            if (pos.pos < 0)
                return 0;
            evbuffer_drain(in, (size_t)pos.pos + eol_len);
            if (pos.pos == 0) {   /* the empty line that ends the trailers */
                s_deliver(h, h->chunks, evbuffer_get_length(h->chunks));
                if (!h->bev)
                    return 0;
                in = bufferevent_get_input(h->bev);
            }
            break;
        }
        case S_UNTIL_EOF:
            return 0;
        }
    }
}

static void s_on_read(struct bufferevent *bev, void *arg)
{
    bench_http_t *h = arg;
    if (s_parse(h, bufferevent_get_input(bev)) < 0)
        s_fail(h, BENCH_HTTP_ERR_PROTO);
}

static void s_on_event(struct bufferevent *bev, short what, void *arg)
{
    bench_http_t *h = arg;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return;
    }
    if ((what & BEV_EVENT_EOF) && h->state == S_UNTIL_EOF) {
        struct evbuffer *in = bufferevent_get_input(bev);
        h->close_after = 1;
        s_deliver(h, in, evbuffer_get_length(in));
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        if (h->state == S_IDLE) {   /* an idle keep-alive connection: just drop it */
            s_close(h);
            return;
        }
        s_fail(h, BENCH_HTTP_ERR_TIMEOUT);
        return;
    }
    s_fail(h, BENCH_HTTP_ERR_CONN);
}

bench_http_t *bench_http_new(struct event_base *base, const bench_endpoint_t *ep, int timeout_ms,
                             bench_http_done_fn done, void *arg)
{
    bench_http_t *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->base = base;
    h->ep = ep;
    h->timeout.tv_sec = timeout_ms / 1000;
    h->timeout.tv_usec = (timeout_ms % 1000) * 1000;
    h->done = done;
    h->arg = arg;
    h->chunks = evbuffer_new();
    if (!h->chunks) {
        free(h);
        return NULL;
    }
    return h;
}

void bench_http_destroy(bench_http_t **p)
{
    if (!p || !*p)
        return;
    bench_http_t *h = *p;
    s_close(h);
    evbuffer_free(h->chunks);
    free(h);
    *p = NULL;
}

static int s_connect(bench_http_t *h)
{
    h->bev = bufferevent_socket_new(h->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!h->bev)
        return -1;
    bufferevent_setcb(h->bev, s_on_read, NULL, s_on_event, h);
    bufferevent_set_timeouts(h->bev, &h->timeout, &h->timeout);
    bufferevent_enable(h->bev, EV_READ | EV_WRITE);
    h->connects++;
    if (bufferevent_socket_connect(h->bev, (struct sockaddr *)&h->ep->addr, (int)h->ep->addr_len) < 0) {
        s_close(h);
        return -1;
    }
    return 0;
}

int bench_http_send(bench_http_t *h, const char *head, size_t head_len, const char *body, size_t body_len)
{
    if (h->state != S_IDLE)
        return -1;
    if (!h->bev && s_connect(h) < 0)
        return -1;
    struct evbuffer *out = bufferevent_get_output(h->bev);
    evbuffer_add(out, head, head_len);
    if (body_len)
        evbuffer_add(out, body, body_len);
    h->state = S_HEAD;
    return 0;
}

unsigned bench_http_connects(const bench_http_t *h)
{
    return h->connects;
}
