/* rd_json: typed access to the members of a request's JSON body, with the errors the
 * service gives for wrong JSON types (SerializationException), and a collector for
 * its constraint errors ("2 validation errors detected: ...; ..."). */
#ifndef RD_JSON_H
#define RD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ddb_err.h"

/* Every getter: a member that is absent or JSON null counts as absent (*out gets
 * NULL / *present false) and returns 0; a member of the wrong JSON type returns -1
 * with a SerializationException. Returned pointers borrow from obj. */
int rd_json_string(const cJSON *obj, const char *field, const char **out, ddb_err_t *err);
int rd_json_long(const cJSON *obj, const char *field, bool *present, int64_t *out, ddb_err_t *err);
int rd_json_bool(const cJSON *obj, const char *field, bool *present, bool *out, ddb_err_t *err);
/* A JSON array (the service's List). */
int rd_json_list(const cJSON *obj, const char *field, const cJSON **out, ddb_err_t *err);
/* A JSON object (a structure or a map). */
int rd_json_object(const cJSON *obj, const char *field, const cJSON **out, ddb_err_t *err);
/* Checks that a list element is a structure (object). 0 or -1 (SerializationException). */
int rd_json_expect_object(const cJSON *item, ddb_err_t *err);
/* Checks that a value is a JSON string. 0 or -1 (SerializationException). */
int rd_json_expect_string(const cJSON *item, ddb_err_t *err);
/* True when the member is present and not JSON null. */
bool rd_json_has(const cJSON *obj, const char *field);

/* Constraint-violation collector: the service reports every violated member
 * constraint of a request at once, numbered, joined with "; ". */
typedef struct rd_verrs {
    int count;          /* violations recorded */
    char text[1024];    /* "msg; msg; ..." (truncated if very long) */
    size_t len;         /* bytes used in text */
} rd_verrs_t;

#define RD_VERRS_INIT { 0, { 0 }, 0 }

/* Records one violation, e.g. "Value null at 'tableName' failed to satisfy
 * constraint: Member must not be null". */
void rd_verr_add(rd_verrs_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a "Value 'X' at 'path' failed to satisfy constraint: Member must ..."
 * violation; value NULL prints the service's "Value null". */
void rd_verr_value(rd_verrs_t *v, const char *value, const char *path, const char *constraint);
/* 0 when nothing was recorded; otherwise sets the ValidationException
 * "N validation error(s) detected: ..." and returns -1. */
int rd_verr_finish(const rd_verrs_t *v, ddb_err_t *err);

#endif
