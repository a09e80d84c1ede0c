/* rd_json: request members by type, answering wrong JSON types the way the service's
 * front end does (SerializationException naming what it found), and the collector
 * that turns member-constraint violations into one ValidationException. */
#include "rd_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The service's name for a JSON token it did not expect, e.g. NUMBER_VALUE. */
static const char *s_token_name(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return "NUMBER_VALUE";
    if (cJSON_IsTrue(item))
        return "TRUE_VALUE";
    if (cJSON_IsFalse(item))
        return "FALSE_VALUE";
    if (cJSON_IsString(item))
        return "STRING_VALUE";
    return "VALUE";
}

/* Sets the SerializationException for item found where `want` was expected. */
static int s_wrong_type(const cJSON *item, const char *want, ddb_err_t *err)
{
    if (cJSON_IsObject(item))
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Start of structure or map found where not expected");
    if (cJSON_IsArray(item))
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Start of list found where not expected");
    return ddb_err_set(err, DDB_ERR_SERIALIZATION, "%s cannot be converted to %s", s_token_name(item), want);
}

/* The member, or NULL when absent or JSON null. */
static const cJSON *s_member(const cJSON *obj, const char *field)
{
    const cJSON *item = obj ? cJSON_GetObjectItemCaseSensitive(obj, field) : NULL;
    return cJSON_IsNull(item) ? NULL : item;
}

bool rd_json_has(const cJSON *obj, const char *field)
{
    return s_member(obj, field) != NULL;
}

int rd_json_expect_string(const cJSON *item, ddb_err_t *err)
{
    return cJSON_IsString(item) ? 0 : s_wrong_type(item, "String", err);
}

int rd_json_expect_object(const cJSON *item, ddb_err_t *err)
{
    if (cJSON_IsObject(item))
        return 0;
    if (cJSON_IsArray(item))
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Start of list found where not expected");
    return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Unexpected value type in payload");
}

int rd_json_string(const cJSON *obj, const char *field, const char **out, ddb_err_t *err)
{
    const cJSON *item = s_member(obj, field);
    *out = NULL;
    if (!item)
        return 0;
    if (!cJSON_IsString(item))
        return s_wrong_type(item, "String", err);
    *out = item->valuestring;
    return 0;
}

int rd_json_long(const cJSON *obj, const char *field, bool *present, int64_t *out, ddb_err_t *err)
{
    const cJSON *item = s_member(obj, field);
    *present = false;
    *out = 0;
    if (!item)
        return 0;
    if (!cJSON_IsNumber(item))
        return s_wrong_type(item, "Long", err);
    double d = item->valuedouble;
    if (d > 9.2e18 || d < -9.2e18 || isnan(d))
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "NUMBER_VALUE cannot be converted to Long");
    *present = true;
    *out = (int64_t)d;
    return 0;
}

int rd_json_bool(const cJSON *obj, const char *field, bool *present, bool *out, ddb_err_t *err)
{
    const cJSON *item = s_member(obj, field);
    *present = false;
    *out = false;
    if (!item)
        return 0;
    if (!cJSON_IsBool(item))
        return s_wrong_type(item, "Boolean", err);
    *present = true;
    *out = cJSON_IsTrue(item);
    return 0;
}

int rd_json_list(const cJSON *obj, const char *field, const cJSON **out, ddb_err_t *err)
{
    const cJSON *item = s_member(obj, field);
    *out = NULL;
    if (!item)
        return 0;
    if (!cJSON_IsArray(item)) {
        if (cJSON_IsObject(item))
            return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Start of structure or map found where not expected");
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Unexpected value type in payload");
    }
    *out = item;
    return 0;
}

int rd_json_object(const cJSON *obj, const char *field, const cJSON **out, ddb_err_t *err)
{
    const cJSON *item = s_member(obj, field);
    *out = NULL;
    if (!item)
        return 0;
    if (rd_json_expect_object(item, err) != 0)
        return -1;
    *out = item;
    return 0;
}

void rd_verr_add(rd_verrs_t *v, const char *fmt, ...)
{
    size_t room = sizeof(v->text) - v->len;
    if (v->count > 0 && room > 2) {
        memcpy(v->text + v->len, "; ", 2);
        v->len += 2;
        room -= 2;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v->text + v->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len += (size_t)n < room ? (size_t)n : room - 1;
    v->count++;
}

void rd_verr_value(rd_verrs_t *v, const char *value, const char *path, const char *constraint)
{
    if (value)
        rd_verr_add(v, "Value '%s' at '%s' failed to satisfy constraint: %s", value, path, constraint);
    else
        rd_verr_add(v, "Value null at '%s' failed to satisfy constraint: %s", path, constraint);
}

int rd_verr_finish(const rd_verrs_t *v, ddb_err_t *err)
{
    if (v->count == 0)
        return 0;
    return ddb_err_set(err, DDB_ERR_VALIDATION, "%d validation error%s detected: %s", v->count,
                       v->count == 1 ? "" : "s", v->text);
}
