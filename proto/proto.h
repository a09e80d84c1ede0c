/* proto: the msgpack messages between Meridian processes, versioned, encoded and
 * decoded in this one place by both sides. Every message is a msgpack array whose
 * first two elements are the protocol version and the message type. Decoded
 * strings point into the caller's input buffer (zero copy): keep it alive. */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <msgpack.h>

#define PROTO_VERSION 1

typedef enum proto_msg_type {
    PROTO_MSG_REQUEST = 1,    /* gateway -> regiond: one client request */
    PROTO_MSG_RESPONSE = 2,   /* regiond -> gateway: its answer */
    /* global tables (proto_peer_t, rd_repl.c): regiond <-> regiond, regiond -> gateway */
    PROTO_MSG_REPL_RECORD = 3,      /* one committed change-log record (feed and catch-up) */
    PROTO_MSG_HEARTBEAT = 4,        /* origin's latest local seq per global table (body JSON) */
    PROTO_MSG_CATCHUP_REQ = 5,      /* send me your records of a table after seq */
    PROTO_MSG_CATCHUP_END = 6,      /* end of a catch-up answer: seq = last sent, prev = more follow */
    PROTO_MSG_REPLICA_CREATE = 7,   /* owner -> new replica: create the table (body JSON def + set) */
    PROTO_MSG_SNAPSHOT_REQ = 8,     /* new replica -> owner: send me the table's snapshot */
    PROTO_MSG_SNAPSHOT_CHUNK = 9,   /* owner -> new replica: items and tombstones (body JSON) */
    PROTO_MSG_SNAPSHOT_END = 10,    /* owner -> new replica: log positions at snapshot time */
    PROTO_MSG_REPLICA_SET = 11,     /* owner -> members: the replica set (body JSON, seq = epoch) */
    PROTO_MSG_REPLICA_UPDATE = 12,  /* member -> owner: ReplicaUpdates to carry out (body JSON) */
    PROTO_MSG_REPLICA_ACTIVE = 13,  /* new replica -> owner: seeded and caught up to the snapshot */
    PROTO_MSG_SPAWN_REGION = 14,    /* regiond -> gateway: start the regiond of region `keys` */
    PROTO_MSG_TABLE_UPDATE = 15,    /* member -> members: apply operation `keys` with body (settings) */
} proto_msg_type_t;

#define PROTO_MSG_PEER_FIRST PROTO_MSG_REPL_RECORD   /* the proto_peer_t types */
#define PROTO_MSG_PEER_LAST PROTO_MSG_TABLE_UPDATE

typedef enum proto_service {
    PROTO_SVC_DYNAMODB = 0,   /* X-Amz-Target DynamoDB_20120810.<Op> */
    PROTO_SVC_STREAMS = 1,    /* X-Amz-Target DynamoDBStreams_20120810.<Op> */
    PROTO_SVC_ADMIN = 2,      /* the gateway's own questions (op "Status", ...) */
} proto_service_t;

typedef struct proto_str {
    const char *ptr;   /* not NUL-terminated */
    size_t len;
} proto_str_t;

typedef struct proto_request {
    uint64_t id;             /* gateway's correlation id, echoed in the response */
    uint32_t service;        /* proto_service_t */
    proto_str_t op;          /* operation name, e.g. "PutItem" */
    proto_str_t account;     /* 12-digit account id */
    proto_str_t region;      /* region the request was addressed to */
    proto_str_t request_id;  /* x-amzn-RequestId the client will see */
    proto_str_t body;        /* raw HTTP body (JSON), possibly empty */
} proto_request_t;

typedef struct proto_response {
    uint64_t id;             /* the request's id */
    uint32_t status;         /* HTTP status */
    proto_str_t body;        /* JSON reply body */
} proto_response_t;

/* Every message between regionds (and the one regiond -> gateway request) has this
 * one flat shape; fields a type does not use are 0 / empty. */
typedef struct proto_peer {
    uint32_t type;           /* PROTO_MSG_PEER_FIRST .. PROTO_MSG_PEER_LAST */
    proto_str_t from;        /* sending region (for a record: its origin) */
    proto_str_t account;     /* the table's account */
    proto_str_t table;       /* the table's name */
    uint64_t seq;            /* record: its seq in the origin's log; else per type */
    uint64_t prev;           /* record: seq of the origin's previous record of the table */
    uint64_t hlc;            /* record: version (hybrid logical clock) */
    uint32_t event;          /* record: RD_EVENT_INSERT / MODIFY / REMOVE */
    proto_str_t keys;        /* record: key attributes JSON; spawn: region name; table update: op */
    proto_str_t body;        /* record: new image JSON (empty for REMOVE); control: JSON */
} proto_peer_t;

/* Framing on the gateway <-> regiond stream socket: each message is preceded by its
 * length, 4 bytes little endian. A peer announcing more than PROTO_FRAME_MAX is
 * broken or hostile and its connection is closed. */
#define PROTO_FRAME_HEADER 4
#define PROTO_FRAME_MAX (96u * 1024 * 1024)

static inline void proto_frame_header_put(unsigned char out[PROTO_FRAME_HEADER], uint32_t len)
{
    out[0] = (unsigned char)len;
    out[1] = (unsigned char)(len >> 8);
    out[2] = (unsigned char)(len >> 16);
    out[3] = (unsigned char)(len >> 24);
}

/* Both ends of the stream give it 1 MB buffers each way: a commit group's replies
 * usually leave in one write. */
static inline void proto_frame_socket_buffers(int fd)
{
    int size = 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static inline uint32_t proto_frame_header_get(const unsigned char in[PROTO_FRAME_HEADER])
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

/* Encode into sbuf (appends; the caller initialises and destroys sbuf). 0 / -1. */
int proto_request_encode(const proto_request_t *req, msgpack_sbuffer *sbuf);
int proto_response_encode(const proto_response_t *resp, msgpack_sbuffer *sbuf);
int proto_peer_encode(const proto_peer_t *msg, msgpack_sbuffer *sbuf);

/* Peeks the message type without decoding the rest: a proto_msg_type_t, or -1 if
 * the data is not a message of PROTO_VERSION. */
int proto_msg_type(const char *data, size_t len);
/* Decode from data; the result's strings point into data. 0, or -1 if malformed
 * (wrong version, type, arity or element types). */
int proto_request_decode(const char *data, size_t len, proto_request_t *out);
int proto_response_decode(const char *data, size_t len, proto_response_t *out);
/* Decodes any proto_peer_t type (out->type says which); -1 for anything else. */
int proto_peer_decode(const char *data, size_t len, proto_peer_t *out);

#endif
