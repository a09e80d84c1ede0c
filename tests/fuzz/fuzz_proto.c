/* fuzz_proto: libFuzzer target for the msgpack messages (proto/proto.c): arbitrary
 * bytes through proto_msg_type, proto_request_decode, proto_response_decode and
 * proto_peer_decode (a corrupt or hostile peer must not crash a process); whatever
 * decodes is encoded again and must decode to the same fields, with strings
 * pointing into the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void s_die(const char *what)
{
    fprintf(stderr, "fuzz_proto: %s\n", what);
    abort();
}

static int s_str_eq(proto_str_t x, proto_str_t y)
{
    return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
}

static void s_check_inside(proto_str_t s, const uint8_t *data, size_t size)
{
    const char *base = (const char *)data;
    if (s.len && (s.ptr < base || s.ptr + s.len > base + size))
        s_die("a decoded string points outside the input");
}

static void s_request(const uint8_t *data, size_t size)
{
    proto_request_t req;
    if (proto_request_decode((const char *)data, size, &req) != 0)
        return;
    if (proto_msg_type((const char *)data, size) != PROTO_MSG_REQUEST)
        s_die("a decodable request is not typed REQUEST");
    s_check_inside(req.op, data, size);
    s_check_inside(req.account, data, size);
    s_check_inside(req.region, data, size);
    s_check_inside(req.request_id, data, size);
    s_check_inside(req.body, data, size);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    proto_request_t again;
    if (proto_request_encode(&req, &sbuf) != 0 || proto_request_decode(sbuf.data, sbuf.size, &again) != 0)
        s_die("a decoded request does not survive encode -> decode");
    if (again.id != req.id || again.service != req.service || !s_str_eq(again.op, req.op) ||
        !s_str_eq(again.account, req.account) || !s_str_eq(again.region, req.region) ||
        !s_str_eq(again.request_id, req.request_id) || !s_str_eq(again.body, req.body))
        s_die("request round trip changed a field");
    proto_response_t resp;
    if (proto_response_decode(sbuf.data, sbuf.size, &resp) == 0)
        s_die("a request decodes as a response");
    msgpack_sbuffer_destroy(&sbuf);
}

static void s_response(const uint8_t *data, size_t size)
{
    proto_response_t resp;
    if (proto_response_decode((const char *)data, size, &resp) != 0)
        return;
    if (proto_msg_type((const char *)data, size) != PROTO_MSG_RESPONSE)
        s_die("a decodable response is not typed RESPONSE");
    if (resp.status > 999)
        s_die("a decoded status is out of range");
    s_check_inside(resp.body, data, size);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    proto_response_t again;
    if (proto_response_encode(&resp, &sbuf) != 0 || proto_response_decode(sbuf.data, sbuf.size, &again) != 0)
        s_die("a decoded response does not survive encode -> decode");
    if (again.id != resp.id || again.status != resp.status || !s_str_eq(again.body, resp.body))
        s_die("response round trip changed a field");
    proto_request_t req;
    if (proto_request_decode(sbuf.data, sbuf.size, &req) == 0)
        s_die("a response decodes as a request");
    msgpack_sbuffer_destroy(&sbuf);
}

#ifdef MERIDIAN_HAVE_PROTO_PEER
/* The messages between regionds: what a corrupt or hostile peer sends must not
 * crash the receiver, and what decodes must survive a round trip. */
static void s_peer(const uint8_t *data, size_t size)
{
    proto_peer_t msg;
    if (proto_peer_decode((const char *)data, size, &msg) != 0)
        return;
    if (proto_msg_type((const char *)data, size) != (int)msg.type)
        s_die("a decoded peer message's type differs from proto_msg_type");
    s_check_inside(msg.from, data, size);
    s_check_inside(msg.account, data, size);
    s_check_inside(msg.table, data, size);
    s_check_inside(msg.keys, data, size);
    s_check_inside(msg.body, data, size);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    proto_peer_t again;
    if (proto_peer_encode(&msg, &sbuf) != 0 || proto_peer_decode(sbuf.data, sbuf.size, &again) != 0)
        s_die("a decoded peer message does not survive encode -> decode");
    if (again.type != msg.type || again.seq != msg.seq || again.prev != msg.prev || again.hlc != msg.hlc ||
        again.event != msg.event || !s_str_eq(again.from, msg.from) || !s_str_eq(again.account, msg.account) ||
        !s_str_eq(again.table, msg.table) || !s_str_eq(again.keys, msg.keys) || !s_str_eq(again.body, msg.body))
        s_die("peer message round trip changed a field");
    proto_request_t req;
    proto_response_t resp;
    if (proto_request_decode(sbuf.data, sbuf.size, &req) == 0 || proto_response_decode(sbuf.data, sbuf.size, &resp) == 0)
        s_die("a peer message decodes as a request or response");
    msgpack_sbuffer_destroy(&sbuf);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)proto_msg_type((const char *)data, size);
    s_request(data, size);
    s_response(data, size);
#ifdef MERIDIAN_HAVE_PROTO_PEER
    s_peer(data, size);
#endif
    return 0;
}
