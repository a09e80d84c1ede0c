/* ddb_key: key attributes as bytes whose memcmp order is DynamoDB's key order.
 * Strings and binaries are their own bytes (the service orders them by unsigned
 * bytes); numbers use ddb_num's order-preserving encoding. Each key part lives in
 * its own SQLite BLOB column, so no escaping or terminators are needed. */
#include "ddb_key.h"

#include <string.h>

int ddb_key_encode(const ddb_value_t *v, ddb_buf_t *out, ddb_err_t *err)
{
    if (!v)
        return ddb_err_set(err, DDB_ERR_VALIDATION, "The provided key element does not match the schema");
    switch (v->type) {
    case DDB_T_S:
    case DDB_T_B:
        ddb_buf_append(out, v->u.str.ptr, v->u.str.len);
        return 0;
    case DDB_T_N: {
        ddb_num_t n;
        if (ddb_num_parse(v->u.str.ptr, v->u.str.len, &n, err) != 0)
            return -1;
        unsigned char enc[DDB_NUM_KEY_MAX];
        size_t len = ddb_num_encode_key(&n, enc);
        ddb_buf_append(out, enc, len);
        return 0;
    }
    default:
        return ddb_err_set(err, DDB_ERR_VALIDATION, "The provided key element does not match the schema");
    }
}

ddb_value_t *ddb_key_decode(ddb_type_t type, const unsigned char *data, size_t len, ddb_arena_t *a)
{
    switch (type) {
    case DDB_T_S:
    case DDB_T_B:
        return ddb_value_new_str(a, type, (const char *)data, len);
    case DDB_T_N: {
        ddb_num_t n;
        long used = ddb_num_decode_key(data, len, &n);
        if (used < 0 || (size_t)used != len)
            return NULL;
        return ddb_value_new_num(a, &n);
    }
    default:
        return NULL;
    }
}
