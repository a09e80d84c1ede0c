/* proto: the msgpack messages between Meridian processes, versioned, encoded and
 * decoded in this one place by both sides. Every message is a msgpack array whose
 * first two elements are the protocol version and the message type. Decoded
 * strings point into the caller's input buffer (zero copy): keep it alive. */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#define PROTO_VERSION 1

typedef enum proto_msg_type {
    PROTO_MSG_REQUEST = 1,    /* gateway -> regiond: one client request */
    PROTO_MSG_RESPONSE = 2,   /* regiond -> gateway: its answer */
    /* later issues: replication record, replica control, catch-up, ack, heartbeat */
} proto_msg_type_t;

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

/* Encode into sbuf (appends; the caller initialises and destroys sbuf). 0 / -1. */
int proto_request_encode(const proto_request_t *req, msgpack_sbuffer *sbuf);
int proto_response_encode(const proto_response_t *resp, msgpack_sbuffer *sbuf);

/* Peeks the message type without decoding the rest: a proto_msg_type_t, or -1 if
 * the data is not a message of PROTO_VERSION. */
int proto_msg_type(const char *data, size_t len);
/* Decode from data; the result's strings point into data. 0, or -1 if malformed
 * (wrong version, type, arity or element types). */
int proto_request_decode(const char *data, size_t len, proto_request_t *out);
int proto_response_decode(const char *data, size_t len, proto_response_t *out);

#endif
