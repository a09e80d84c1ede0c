/* ddb_key: order-preserving encoding of key attributes (S, N, B) into bytes whose
 * memcmp order is DynamoDB's order: strings and binaries by unsigned bytes, numbers
 * numerically. SQLite compares BLOBs with memcmp, so Query can range-scan them. */
#ifndef DDB_KEY_H
#define DDB_KEY_H

#include "ddb_buf.h"
#include "ddb_err.h"
#include "ddb_value.h"

/* Appends the encoding of a scalar key value (S, N or B) to out. Returns 0, or -1
 * (with a ValidationException) for any other type. */
int ddb_key_encode(const ddb_value_t *v, ddb_buf_t *out, ddb_err_t *err);
/* Decodes an encoding of the given type back into a value in the arena. */
ddb_value_t *ddb_key_decode(ddb_type_t type, const unsigned char *data, size_t len, ddb_arena_t *a);

#endif
