/* ddb_err: the table of DynamoDB error kinds. The service answers some errors from
 * its front end (coral namespaces) and the rest from DynamoDB itself; clients key on
 * the part after '#', but we send the namespace the service sends. */
#include "ddb_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *type;   /* full __type */
    int status;         /* HTTP status */
} s_kind_info_t;

#define DDB_NS "com.amazonaws.dynamodb.v20120810#"
#define CORAL_SVC "com.amazon.coral.service#"

static const s_kind_info_t s_kinds[DDB_ERR__COUNT] = {
    [DDB_OK] = { "", 200 },
    [DDB_ERR_VALIDATION] = { "com.amazon.coral.validate#ValidationException", 400 },
    [DDB_ERR_SERIALIZATION] = { CORAL_SVC "SerializationException", 400 },
    [DDB_ERR_UNKNOWN_OPERATION] = { CORAL_SVC "UnknownOperationException", 400 },
    [DDB_ERR_RESOURCE_NOT_FOUND] = { DDB_NS "ResourceNotFoundException", 400 },
    [DDB_ERR_RESOURCE_IN_USE] = { DDB_NS "ResourceInUseException", 400 },
    [DDB_ERR_CONDITIONAL_CHECK_FAILED] = { DDB_NS "ConditionalCheckFailedException", 400 },
    [DDB_ERR_LIMIT_EXCEEDED] = { DDB_NS "LimitExceededException", 400 },
    [DDB_ERR_TRANSACTION_CANCELED] = { DDB_NS "TransactionCanceledException", 400 },
    [DDB_ERR_TRANSACTION_CONFLICT] = { DDB_NS "TransactionConflictException", 400 },
    [DDB_ERR_TRANSACTION_IN_PROGRESS] = { DDB_NS "TransactionInProgressException", 400 },
    [DDB_ERR_IDEMPOTENT_PARAMETER_MISMATCH] = { DDB_NS "IdempotentParameterMismatchException", 400 },
    [DDB_ERR_ITEM_COLLECTION_SIZE_LIMIT] = { DDB_NS "ItemCollectionSizeLimitExceededException", 400 },
    [DDB_ERR_PROVISIONED_THROUGHPUT] = { DDB_NS "ProvisionedThroughputExceededException", 400 },
    [DDB_ERR_THROTTLING] = { "com.amazon.coral.availability#ThrottlingException", 400 },
    [DDB_ERR_REQUEST_LIMIT_EXCEEDED] = { DDB_NS "RequestLimitExceeded", 400 },
    [DDB_ERR_MISSING_AUTH_TOKEN] = { CORAL_SVC "MissingAuthenticationTokenException", 400 },
    [DDB_ERR_UNRECOGNIZED_CLIENT] = { CORAL_SVC "UnrecognizedClientException", 400 },
    [DDB_ERR_INVALID_SIGNATURE] = { CORAL_SVC "InvalidSignatureException", 400 },
    [DDB_ERR_INCOMPLETE_SIGNATURE] = { CORAL_SVC "IncompleteSignatureException", 400 },
    [DDB_ERR_ACCESS_DENIED] = { CORAL_SVC "AccessDeniedException", 400 },
    [DDB_ERR_EXPIRED_ITERATOR] = { "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException", 400 },
    [DDB_ERR_TRIMMED_DATA_ACCESS] = { "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException", 400 },
    [DDB_ERR_TABLE_NOT_FOUND] = { DDB_NS "TableNotFoundException", 400 },
    [DDB_ERR_GLOBAL_TABLE_NOT_FOUND] = { DDB_NS "GlobalTableNotFoundException", 400 },
    [DDB_ERR_REPLICA_ALREADY_EXISTS] = { DDB_NS "ReplicaAlreadyExistsException", 400 },
    /* the name is not confirmed against the service; the status is HTTP's own */
    [DDB_ERR_REQUEST_TOO_LARGE] = { CORAL_SVC "RequestEntityTooLargeException", 413 },
    [DDB_ERR_INTERNAL] = { DDB_NS "InternalServerError", 500 },
    [DDB_ERR_SERVICE_UNAVAILABLE] = { CORAL_SVC "ServiceUnavailableException", 503 },
};

int ddb_err_set(ddb_err_t *err, ddb_err_kind_t kind, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

void ddb_err_clear(ddb_err_t *err)
{
    err->kind = DDB_OK;
    err->message[0] = '\0';
    free(err->extra_json);
    err->extra_json = NULL;
}

const char *ddb_err_type(ddb_err_kind_t kind)
{
    if (kind <= DDB_OK || kind >= DDB_ERR__COUNT)
        kind = DDB_ERR_INTERNAL;
    return s_kinds[kind].type;
}

const char *ddb_err_name(ddb_err_kind_t kind)
{
    const char *t = ddb_err_type(kind);
    const char *hash = strchr(t, '#');
    return hash ? hash + 1 : t;
}

int ddb_err_http_status(ddb_err_kind_t kind)
{
    if (kind <= DDB_OK || kind >= DDB_ERR__COUNT)
        return 500;
    return s_kinds[kind].status;
}

void ddb_err_to_json(const ddb_err_t *err, ddb_buf_t *out)
{
    const char *type = ddb_err_type(err->kind);
    ddb_buf_puts(out, "{\"__type\":");
    ddb_buf_json_str(out, type, strlen(type));
    if (err->message[0]) {
        /* the service capitalises Message for a few front-end errors */
        ddb_buf_puts(out, err->kind == DDB_ERR_SERIALIZATION || err->kind == DDB_ERR_UNKNOWN_OPERATION ||
                              err->kind == DDB_ERR_INVALID_SIGNATURE || err->kind == DDB_ERR_UNRECOGNIZED_CLIENT ||
                              err->kind == DDB_ERR_INCOMPLETE_SIGNATURE ||
                              err->kind == DDB_ERR_MISSING_AUTH_TOKEN || err->kind == DDB_ERR_ACCESS_DENIED ||
                              err->kind == DDB_ERR_TRANSACTION_CANCELED
                          ? ",\"Message\":" : ",\"message\":");
        ddb_buf_json_str(out, err->message, strlen(err->message));
    }
    if (err->extra_json && err->extra_json[0]) {
        ddb_buf_putc(out, ',');
        ddb_buf_puts(out, err->extra_json);
    }
    ddb_buf_putc(out, '}');
}
