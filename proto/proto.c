/* proto: msgpack encoding of the inter-process envelope. Decoding walks the
 * msgpack object tree that msgpack_unpack_next builds in a small stack zone and
 * keeps only pointers into the input, so a request costs no copies. */
#include "proto.h"

#include <string.h>

#define REQ_ARITY 9
#define RESP_ARITY 5
#define PEER_ARITY 12

static void s_pack_str(msgpack_packer *pk, proto_str_t s)
{
    msgpack_pack_str(pk, s.len);
    msgpack_pack_str_body(pk, s.ptr ? s.ptr : "", s.len);
}

static void s_pack_bin(msgpack_packer *pk, proto_str_t s)
{
    msgpack_pack_bin(pk, s.len);
    msgpack_pack_bin_body(pk, s.ptr ? s.ptr : "", s.len);
}

int proto_request_encode(const proto_request_t *req, msgpack_sbuffer *sbuf)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, REQ_ARITY);
    msgpack_pack_uint8(&pk, PROTO_VERSION);
    msgpack_pack_uint8(&pk, PROTO_MSG_REQUEST);
    msgpack_pack_uint64(&pk, req->id);
    msgpack_pack_uint32(&pk, req->service);
    s_pack_str(&pk, req->op);
    s_pack_str(&pk, req->account);
    s_pack_str(&pk, req->region);
    s_pack_str(&pk, req->request_id);
    s_pack_bin(&pk, req->body);
    return 0;
}

int proto_response_encode(const proto_response_t *resp, msgpack_sbuffer *sbuf)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, RESP_ARITY);
    msgpack_pack_uint8(&pk, PROTO_VERSION);
    msgpack_pack_uint8(&pk, PROTO_MSG_RESPONSE);
    msgpack_pack_uint64(&pk, resp->id);
    msgpack_pack_uint32(&pk, resp->status);
    s_pack_bin(&pk, resp->body);
    return 0;
}

/* Checks that data is one flat array of `arity` scalars (unsigned integers, str,
 * bin) that ends exactly at len. Run before msgpack_unpack_next so that a corrupt
 * or hostile peer cannot make the unpacker allocate a huge declared container. */
static int s_flat_ok(const unsigned char *p, size_t len, uint32_t arity)
{
    if (len < 1 || p[0] != (0x90 | arity))
        return -1;
    size_t off = 1;
    for (uint32_t i = 0; i < arity; i++) {
        if (off >= len)
            return -1;
        unsigned char tag = p[off++];
        size_t skip = 0, width = 0;
        if (tag <= 0x7f)
            skip = 0;                                       /* positive fixint */
        else if ((tag & 0xe0) == 0xa0)
            skip = tag & 0x1f;                              /* fixstr */
        else if (tag == 0xcc || tag == 0xcd || tag == 0xce || tag == 0xcf)
            skip = (size_t)1 << (tag - 0xcc);               /* uint8..uint64 */
        else if (tag == 0xd9 || tag == 0xc4)
            width = 1;                                      /* str8, bin8 */
        else if (tag == 0xda || tag == 0xc5)
            width = 2;                                      /* str16, bin16 */
        else if (tag == 0xdb || tag == 0xc6)
            width = 4;                                      /* str32, bin32 */
        else
            return -1;
        if (width) {
            if (len - off < width)
                return -1;
            for (size_t k = 0; k < width; k++)
                skip = skip << 8 | p[off + k];
            off += width;
        }
        if (len - off < skip)
            return -1;
        off += skip;
    }
    return off == len ? 0 : -1;
}

/* Unpacks data into *result and checks version, type and arity. */
static int s_open(const char *data, size_t len, msgpack_unpacked *result, int type, uint32_t arity)
{
    if (s_flat_ok((const unsigned char *)data, len, arity) != 0)
        return -1;
    /* version and type as positive fixints, as we encode them: what decodes is then
     * exactly what proto_msg_type recognises (found by tests/fuzz/fuzz_proto) */
    if (proto_msg_type(data, len) != type)
        return -1;
    size_t off = 0;
    if (msgpack_unpack_next(result, data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        return -1;
    const msgpack_object *o = &result->data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != arity)
        return -1;
    const msgpack_object *e = o->via.array.ptr;
    if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[0].via.u64 != PROTO_VERSION)
        return -1;
    if (e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || e[1].via.u64 != (uint64_t)type)
        return -1;
    return 0;
}

static int s_get_u64(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return -1;
    *out = o->via.u64;
    return 0;
}

static int s_get_str(const msgpack_object *o, proto_str_t *out)
{
    if (o->type == MSGPACK_OBJECT_STR) {
        out->ptr = o->via.str.ptr;
        out->len = o->via.str.size;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_BIN) {
        out->ptr = o->via.bin.ptr;
        out->len = o->via.bin.size;
        return 0;
    }
    return -1;
}

int proto_msg_type(const char *data, size_t len)
{
    /* fixarray header, then positive fixint version and type */
    if (len < 3 || ((unsigned char)data[0] & 0xf0) != 0x90)
        return -1;
    if ((unsigned char)data[1] != PROTO_VERSION || (unsigned char)data[2] > 0x7f)
        return -1;
    return (unsigned char)data[2];
}

int proto_request_decode(const char *data, size_t len, proto_request_t *out)
{
    msgpack_unpacked result;
    msgpack_unpacked_init(&result);
    int rc = -1;
    if (s_open(data, len, &result, PROTO_MSG_REQUEST, REQ_ARITY) != 0)
        goto out;
    const msgpack_object *e = result.data.via.array.ptr;
    uint64_t service;
    memset(out, 0, sizeof(*out));
    if (s_get_u64(&e[2], UINT64_MAX, &out->id) || s_get_u64(&e[3], UINT32_MAX, &service) ||
        s_get_str(&e[4], &out->op) || s_get_str(&e[5], &out->account) || s_get_str(&e[6], &out->region) ||
        s_get_str(&e[7], &out->request_id) || s_get_str(&e[8], &out->body))
        goto out;
    out->service = (uint32_t)service;
    rc = 0;
out:
    msgpack_unpacked_destroy(&result);
    return rc;
}

int proto_response_decode(const char *data, size_t len, proto_response_t *out)
{
    msgpack_unpacked result;
    msgpack_unpacked_init(&result);
    int rc = -1;
    if (s_open(data, len, &result, PROTO_MSG_RESPONSE, RESP_ARITY) != 0)
        goto out;
    const msgpack_object *e = result.data.via.array.ptr;
    uint64_t status;
    memset(out, 0, sizeof(*out));
    if (s_get_u64(&e[2], UINT64_MAX, &out->id) || s_get_u64(&e[3], 999, &status) || s_get_str(&e[4], &out->body))
        goto out;
    out->status = (uint32_t)status;
    rc = 0;
out:
    msgpack_unpacked_destroy(&result);
    return rc;
}

int proto_peer_encode(const proto_peer_t *msg, msgpack_sbuffer *sbuf)
{
    if (msg->type < PROTO_MSG_PEER_FIRST || msg->type > PROTO_MSG_PEER_LAST)
        return -1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, PEER_ARITY);
    msgpack_pack_uint8(&pk, PROTO_VERSION);
    msgpack_pack_uint8(&pk, (uint8_t)msg->type);
    s_pack_str(&pk, msg->from);
    s_pack_str(&pk, msg->account);
    s_pack_str(&pk, msg->table);
    msgpack_pack_uint64(&pk, msg->seq);
    msgpack_pack_uint64(&pk, msg->prev);
    msgpack_pack_uint64(&pk, msg->hlc);
    msgpack_pack_uint32(&pk, msg->event);
    s_pack_bin(&pk, msg->keys);
    s_pack_bin(&pk, msg->body);
    msgpack_pack_uint8(&pk, 0);   /* reserved: flags */
    return 0;
}

int proto_peer_decode(const char *data, size_t len, proto_peer_t *out)
{
    int type = proto_msg_type(data, len);
    if (type < PROTO_MSG_PEER_FIRST || type > PROTO_MSG_PEER_LAST)
        return -1;
    msgpack_unpacked result;
    msgpack_unpacked_init(&result);
    int rc = -1;
    if (s_open(data, len, &result, type, PEER_ARITY) != 0)
        goto out;
    const msgpack_object *e = result.data.via.array.ptr;
    uint64_t event, flags;
    memset(out, 0, sizeof(*out));
    if (s_get_str(&e[2], &out->from) || s_get_str(&e[3], &out->account) || s_get_str(&e[4], &out->table) ||
        s_get_u64(&e[5], UINT64_MAX, &out->seq) || s_get_u64(&e[6], UINT64_MAX, &out->prev) ||
        s_get_u64(&e[7], UINT64_MAX, &out->hlc) || s_get_u64(&e[8], UINT32_MAX, &event) ||
        s_get_str(&e[9], &out->keys) || s_get_str(&e[10], &out->body) || s_get_u64(&e[11], 255, &flags))
        goto out;
    out->type = (uint32_t)type;
    out->event = (uint32_t)event;
    rc = 0;
out:
    msgpack_unpacked_destroy(&result);
    return rc;
}
