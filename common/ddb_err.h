/* ddb_err: DynamoDB's error kinds, their wire names and HTTP statuses, and the one
 * function that turns an error into the JSON body the service sends. Anything that
 * can fail because of the user's input takes a ddb_err_t *err. */
#ifndef DDB_ERR_H
#define DDB_ERR_H

#include "ddb_buf.h"

typedef enum ddb_err_kind {
    DDB_OK = 0,
    DDB_ERR_VALIDATION,                   /* ValidationException, 400 */
    DDB_ERR_SERIALIZATION,                /* SerializationException, 400 */
    DDB_ERR_UNKNOWN_OPERATION,            /* UnknownOperationException, 400 */
    DDB_ERR_RESOURCE_NOT_FOUND,           /* ResourceNotFoundException, 400 */
    DDB_ERR_RESOURCE_IN_USE,              /* ResourceInUseException, 400 */
    DDB_ERR_CONDITIONAL_CHECK_FAILED,     /* ConditionalCheckFailedException, 400 */
    DDB_ERR_LIMIT_EXCEEDED,               /* LimitExceededException, 400 */
    DDB_ERR_TRANSACTION_CANCELED,         /* TransactionCanceledException, 400 */
    DDB_ERR_TRANSACTION_CONFLICT,         /* TransactionConflictException, 400 */
    DDB_ERR_TRANSACTION_IN_PROGRESS,      /* TransactionInProgressException, 400 */
    DDB_ERR_IDEMPOTENT_PARAMETER_MISMATCH,/* IdempotentParameterMismatchException, 400 */
    DDB_ERR_ITEM_COLLECTION_SIZE_LIMIT,   /* ItemCollectionSizeLimitExceededException, 400 */
    DDB_ERR_PROVISIONED_THROUGHPUT,       /* ProvisionedThroughputExceededException, 400 */
    DDB_ERR_THROTTLING,                   /* ThrottlingException, 400 */
    DDB_ERR_REQUEST_LIMIT_EXCEEDED,       /* RequestLimitExceeded, 400 */
    DDB_ERR_MISSING_AUTH_TOKEN,           /* MissingAuthenticationTokenException, 400 */
    DDB_ERR_UNRECOGNIZED_CLIENT,          /* UnrecognizedClientException, 400 */
    DDB_ERR_INVALID_SIGNATURE,            /* InvalidSignatureException, 400 */
    DDB_ERR_ACCESS_DENIED,                /* AccessDeniedException, 400 */
    DDB_ERR_EXPIRED_ITERATOR,             /* ExpiredIteratorException, 400 (streams) */
    DDB_ERR_TRIMMED_DATA_ACCESS,          /* TrimmedDataAccessException, 400 (streams) */
    DDB_ERR_TABLE_NOT_FOUND,              /* TableNotFoundException, 400 (global tables) */
    DDB_ERR_GLOBAL_TABLE_NOT_FOUND,       /* GlobalTableNotFoundException, 400 */
    DDB_ERR_REPLICA_ALREADY_EXISTS,       /* ReplicaAlreadyExistsException, 400 */
    DDB_ERR_REQUEST_TOO_LARGE,            /* RequestEntityTooLargeException, 413 */
    DDB_ERR_INTERNAL,                     /* InternalServerError, 500 */
    DDB_ERR_SERVICE_UNAVAILABLE,          /* ServiceUnavailable, 503 */
    DDB_ERR_INCOMPLETE_SIGNATURE,         /* IncompleteSignatureException, 400 */
    DDB_ERR__COUNT
} ddb_err_kind_t;

typedef struct ddb_err {
    ddb_err_kind_t kind;   /* DDB_OK when nothing went wrong */
    char message[1024];    /* the service's message text */
    char *extra_json;      /* optional heap JSON members appended after "message"
                              (e.g. "\"Item\":{...}"), freed by ddb_err_clear */
} ddb_err_t;

#define DDB_ERR_INIT { DDB_OK, { 0 }, NULL }

/* Records an error and returns -1, so handlers can `return ddb_err_set(...)`. */
int ddb_err_set(ddb_err_t *err, ddb_err_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Forgets the error (frees extra_json). */
void ddb_err_clear(ddb_err_t *err);
/* The full __type, e.g. "com.amazon.coral.validate#ValidationException". */
const char *ddb_err_type(ddb_err_kind_t kind);
/* The short name, e.g. "ValidationException". */
const char *ddb_err_name(ddb_err_kind_t kind);
/* The HTTP status the service answers with. */
int ddb_err_http_status(ddb_err_kind_t kind);
/* Appends the error's JSON body: {"__type":"...","message":"..."[,extra]}. */
void ddb_err_to_json(const ddb_err_t *err, ddb_buf_t *out);

#endif
