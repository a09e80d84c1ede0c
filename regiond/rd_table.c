/* rd_table: table definitions. The catalog stores each definition as one JSON text
 * (so later issues can add indexes, streams and replicas without a schema change);
 * this module converts it to and from rd_table_t and renders the TableDescription
 * with the fields, defaults and omissions the service shows. */
#include "rd_table.h"
#include "rd_index.h"
#include "rd_stream.h"
#include "rd_replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *s_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p)
        abort();
    memcpy(p, s, n);
    return p;
}

double rd_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

rd_table_t *rd_table_new(const char *account, const char *name)
{
    rd_table_t *t = calloc(1, sizeof(*t));
    if (!t)
        abort();
    t->account = s_strdup(account);
    t->name = s_strdup(name);
    snprintf(t->status, sizeof(t->status), "ACTIVE");
    return t;
}

void rd_table_destroy(rd_table_t **p)
{
    if (!p || !*p)
        return;
    rd_table_t *t = *p;
    free(t->account);
    free(t->name);
    free(t->hash_key.name);
    free(t->range_key.name);
    for (size_t i = 0; i < t->n_attr_defs; i++)
        free(t->attr_defs[i].name);
    free(t->attr_defs);
    free(t->table_class);
    cJSON_Delete(t->tags);
    rd_index_free(t);
    free(t->ttl_attr);
    free(t);
    *p = NULL;
}

static const char *s_type_name(ddb_type_t type)
{
    return type == DDB_T_N ? "N" : type == DDB_T_B ? "B" : "S";
}

static double s_num(const cJSON *obj, const char *field)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

static const char *s_str(const cJSON *obj, const char *field)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* Reads AttributeDefinitions, then resolves the key schema's types from them. */
static int s_load_keys(rd_table_t *t, const cJSON *def)
{
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(def, "AttributeDefinitions");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(def, "KeySchema");
    int n = cJSON_GetArraySize(defs);
    if (!cJSON_IsArray(defs) || !cJSON_IsArray(keys) || n < 1)
        return -1;
    t->attr_defs = calloc((size_t)n, sizeof(*t->attr_defs));
    if (!t->attr_defs)
        abort();
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) {
        const char *name = s_str(d, "AttributeName"), *type = s_str(d, "AttributeType");
        ddb_type_t ty;
        if (!name || !type || ddb_type_parse(type, &ty) != 0)
            return -1;
        t->attr_defs[t->n_attr_defs].name = s_strdup(name);
        t->attr_defs[t->n_attr_defs++].type = ty;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, keys) {
        const char *name = s_str(k, "AttributeName"), *kind = s_str(k, "KeyType");
        if (!name || !kind)
            return -1;
        rd_attr_def_t *slot = strcmp(kind, "HASH") == 0 ? &t->hash_key : &t->range_key;
        slot->name = s_strdup(name);
        slot->type = DDB_T_S;
        for (size_t i = 0; i < t->n_attr_defs; i++)
            if (strcmp(t->attr_defs[i].name, name) == 0)
                slot->type = t->attr_defs[i].type;
    }
    return t->hash_key.name ? 0 : -1;
}

rd_table_t *rd_table_from_row(const char *account, const char *name, const char *table_id, int64_t phys,
                              const char *status, double created, const char *def_json)
{
    cJSON *def = cJSON_Parse(def_json);
    if (!cJSON_IsObject(def)) {
        cJSON_Delete(def);
        return NULL;
    }
    rd_table_t *t = rd_table_new(account, name);
    snprintf(t->table_id, sizeof(t->table_id), "%s", table_id);
    snprintf(t->status, sizeof(t->status), "%s", status);
    t->phys = phys;
    t->created = created;
    if (s_load_keys(t, def) != 0) {
        cJSON_Delete(def);
        rd_table_destroy(&t);
        return NULL;
    }
    const char *billing = s_str(def, "BillingMode");
    t->billing = billing && strcmp(billing, "PAY_PER_REQUEST") == 0 ? RD_BILLING_PAY_PER_REQUEST
                                                                   : RD_BILLING_PROVISIONED;
    t->rcu = (int64_t)s_num(def, "ReadCapacityUnits");
    t->wcu = (int64_t)s_num(def, "WriteCapacityUnits");
    t->last_increase = s_num(def, "LastIncreaseDateTime");
    t->last_decrease = s_num(def, "LastDecreaseDateTime");
    t->decrease_day = (int64_t)s_num(def, "DecreaseDay");
    t->decreases_today = (int)s_num(def, "NumberOfDecreasesToday");
    t->last_update_to_ppr = s_num(def, "LastUpdateToPayPerRequestDateTime");
    t->warm_read = (int64_t)s_num(def, "WarmReadUnitsPerSecond");
    t->warm_write = (int64_t)s_num(def, "WarmWriteUnitsPerSecond");
    t->deletion_protection = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(def, "DeletionProtectionEnabled"));
    const char *cls = s_str(def, "TableClass");
    t->table_class = cls ? s_strdup(cls) : NULL;
    t->table_class_updated = s_num(def, "TableClassUpdated");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(def, "Tags");
    t->tags = cJSON_IsArray(tags) ? cJSON_Duplicate(tags, 1) : NULL;
    const char *ttl_attr = s_str(def, "TimeToLiveAttribute");
    t->ttl_attr = ttl_attr ? s_strdup(ttl_attr) : NULL;
    t->ttl_enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(def, "TimeToLiveEnabled"));
    if (rd_index_load(t, def) != 0) {
        cJSON_Delete(def);
        rd_table_destroy(&t);
        return NULL;
    }
    cJSON_Delete(def);
    return t;
}

static void s_add_key_element(cJSON *arr, const char *name, const char *kind)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "AttributeName", name);
    cJSON_AddStringToObject(e, "KeyType", kind);
    cJSON_AddItemToArray(arr, e);
}

char *rd_table_def_json(const rd_table_t *t)
{
    cJSON *def = cJSON_CreateObject();
    cJSON *keys = cJSON_AddArrayToObject(def, "KeySchema");
    s_add_key_element(keys, t->hash_key.name, "HASH");
    if (t->range_key.name)
        s_add_key_element(keys, t->range_key.name, "RANGE");
    cJSON *defs = cJSON_AddArrayToObject(def, "AttributeDefinitions");
    for (size_t i = 0; i < t->n_attr_defs; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "AttributeName", t->attr_defs[i].name);
        cJSON_AddStringToObject(d, "AttributeType", s_type_name(t->attr_defs[i].type));
        cJSON_AddItemToArray(defs, d);
    }
    cJSON_AddStringToObject(def, "BillingMode",
                            t->billing == RD_BILLING_PAY_PER_REQUEST ? "PAY_PER_REQUEST" : "PROVISIONED");
    cJSON_AddNumberToObject(def, "ReadCapacityUnits", (double)t->rcu);
    cJSON_AddNumberToObject(def, "WriteCapacityUnits", (double)t->wcu);
    cJSON_AddNumberToObject(def, "LastIncreaseDateTime", t->last_increase);
    cJSON_AddNumberToObject(def, "LastDecreaseDateTime", t->last_decrease);
    cJSON_AddNumberToObject(def, "DecreaseDay", (double)t->decrease_day);
    cJSON_AddNumberToObject(def, "NumberOfDecreasesToday", t->decreases_today);
    cJSON_AddNumberToObject(def, "LastUpdateToPayPerRequestDateTime", t->last_update_to_ppr);
    cJSON_AddNumberToObject(def, "WarmReadUnitsPerSecond", (double)t->warm_read);
    cJSON_AddNumberToObject(def, "WarmWriteUnitsPerSecond", (double)t->warm_write);
    cJSON_AddBoolToObject(def, "DeletionProtectionEnabled", t->deletion_protection);
    if (t->table_class)
        cJSON_AddStringToObject(def, "TableClass", t->table_class);
    cJSON_AddNumberToObject(def, "TableClassUpdated", t->table_class_updated);
    if (t->tags)
        cJSON_AddItemToObject(def, "Tags", cJSON_Duplicate(t->tags, 1));
    if (t->ttl_attr)
        cJSON_AddStringToObject(def, "TimeToLiveAttribute", t->ttl_attr);
    cJSON_AddBoolToObject(def, "TimeToLiveEnabled", t->ttl_enabled);
    rd_index_save(t, def);
    char *text = cJSON_PrintUnformatted(def);
    cJSON_Delete(def);
    if (!text)
        abort();
    return text;
}

void rd_table_arn(const rd_table_t *t, const char *region, ddb_buf_t *out)
{
    ddb_buf_printf(out, "arn:aws:dynamodb:%s:%s:table/%s", region, t->account, t->name);
}

/* Appends ,"name":"value" with JSON escaping. */
static void s_put_str(ddb_buf_t *out, const char *name, const char *value)
{
    ddb_buf_printf(out, ",\"%s\":", name);
    ddb_buf_json_str(out, value, strlen(value));
}

static void s_put_time(ddb_buf_t *out, const char *name, double when)
{
    ddb_buf_printf(out, ",\"%s\":%.3f", name, when);
}

static void s_describe_keys(const rd_table_t *t, ddb_buf_t *out)
{
    ddb_buf_puts(out, "\"AttributeDefinitions\":[");
    for (size_t i = 0; i < t->n_attr_defs; i++) {
        ddb_buf_puts(out, i ? ",{\"AttributeName\":" : "{\"AttributeName\":");
        ddb_buf_json_str(out, t->attr_defs[i].name, strlen(t->attr_defs[i].name));
        ddb_buf_printf(out, ",\"AttributeType\":\"%s\"}", s_type_name(t->attr_defs[i].type));
    }
    ddb_buf_puts(out, "]");
    s_put_str(out, "TableName", t->name);
    ddb_buf_puts(out, ",\"KeySchema\":[{\"AttributeName\":");
    ddb_buf_json_str(out, t->hash_key.name, strlen(t->hash_key.name));
    ddb_buf_puts(out, ",\"KeyType\":\"HASH\"}");
    if (t->range_key.name) {
        ddb_buf_puts(out, ",{\"AttributeName\":");
        ddb_buf_json_str(out, t->range_key.name, strlen(t->range_key.name));
        ddb_buf_puts(out, ",\"KeyType\":\"RANGE\"}");
    }
    ddb_buf_puts(out, "]");
}

/* ProvisionedThroughput: on-demand tables show 0/0, as the service does. */
static void s_describe_throughput(const rd_table_t *t, ddb_buf_t *out)
{
    bool ppr = t->billing == RD_BILLING_PAY_PER_REQUEST;
    int64_t today = (int64_t)(rd_now_seconds() / 86400);
    ddb_buf_puts(out, ",\"ProvisionedThroughput\":{");
    if (t->last_increase > 0)
        ddb_buf_printf(out, "\"LastIncreaseDateTime\":%.3f,", t->last_increase);
    if (t->last_decrease > 0)
        ddb_buf_printf(out, "\"LastDecreaseDateTime\":%.3f,", t->last_decrease);
    ddb_buf_printf(out, "\"NumberOfDecreasesToday\":%d,\"ReadCapacityUnits\":%lld,\"WriteCapacityUnits\":%lld}",
                   t->decrease_day == today ? t->decreases_today : 0, ppr ? 0LL : (long long)t->rcu,
                   ppr ? 0LL : (long long)t->wcu);
}

/* BillingModeSummary: on-demand tables always have it; a provisioned table only
 * once it has been on demand (the service omits it for tables created PROVISIONED). */
static void s_describe_billing(const rd_table_t *t, bool is_create, ddb_buf_t *out)
{
    bool ppr = t->billing == RD_BILLING_PAY_PER_REQUEST;
    if (!ppr && t->last_update_to_ppr <= 0)
        return;
    ddb_buf_printf(out, ",\"BillingModeSummary\":{\"BillingMode\":\"%s\"", ppr ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (!is_create && t->last_update_to_ppr > 0)
        ddb_buf_printf(out, ",\"LastUpdateToPayPerRequestDateTime\":%.3f", t->last_update_to_ppr);
    ddb_buf_puts(out, "}");
}

void rd_table_describe(const rd_table_t *t, const rd_describe_opts_t *opts, ddb_buf_t *out)
{
    ddb_buf_puts(out, "{");
    s_describe_keys(t, out);
    s_put_str(out, "TableStatus", opts->status);
    s_put_time(out, "CreationDateTime", t->created);
    s_describe_throughput(t, out);
    ddb_buf_printf(out, ",\"TableSizeBytes\":%lld,\"ItemCount\":%lld,\"TableArn\":", (long long)opts->size_bytes,
                   (long long)opts->item_count);
    ddb_buf_t arn = DDB_BUF_INIT;
    rd_table_arn(t, opts->region, &arn);
    ddb_buf_json_str(out, arn.data, arn.len);
    ddb_buf_free(&arn);
    s_put_str(out, "TableId", t->table_id);
    rd_index_describe(t, opts->store, opts->region, opts->is_create, out);
    s_describe_billing(t, opts->is_create, out);
    if (t->table_class) {
        ddb_buf_puts(out, ",\"TableClassSummary\":{");
        ddb_buf_printf(out, "\"TableClass\":\"%s\"", t->table_class);
        if (t->table_class_updated > 0)
            ddb_buf_printf(out, ",\"LastUpdateDateTime\":%.3f", t->table_class_updated);
        ddb_buf_puts(out, "}");
    }
    ddb_buf_printf(out, ",\"DeletionProtectionEnabled\":%s", t->deletion_protection ? "true" : "false");
    if (opts->store)
        rd_stream_describe_table(opts->store, t, out);   /* StreamSpecification, LatestStreamArn/Label */
    if (opts->store)
        rd_replica_describe_table(opts->store, t, opts->region, out);   /* Replicas, GlobalTableVersion */
    if (!opts->is_create)
        ddb_buf_printf(out, ",\"WarmThroughput\":{\"ReadUnitsPerSecond\":%lld,\"WriteUnitsPerSecond\":%lld,"
                            "\"Status\":\"ACTIVE\"}",
                       (long long)t->warm_read, (long long)t->warm_write);
    ddb_buf_puts(out, "}");
}

static bool s_name_chars_ok(const char *name)
{
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

void rd_table_name_check(const char *name, bool for_create, const char *path, rd_verrs_t *v)
{
    if (!name) {
        rd_verr_value(v, NULL, path, "Member must not be null");
        return;
    }
    size_t len = strlen(name);
    if (!for_create && strncmp(name, "arn:", 4) == 0) {
        if (len > 1024)
            rd_verr_value(v, name, path, "Member must have length less than or equal to 1024");
        return;
    }
    if (!s_name_chars_ok(name) || (for_create && len == 0))
        rd_verr_value(v, name, path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    if (len < (for_create ? 3u : 1u))
        rd_verr_value(v, name, path,
                      for_create ? "Member must have length greater than or equal to 3"
                                 : "Member must have length greater than or equal to 1");
    if (len > 255)
        rd_verr_value(v, name, path, "Member must have length less than or equal to 255");
}

const char *rd_table_name_from_arg(const char *arg, const char *region, const char *account)
{
    if (strncmp(arg, "arn:", 4) != 0)
        return arg;
    /* arn:aws:dynamodb:REGION:ACCOUNT:table/NAME */
    const char *p = arg + 4;
    const char *parts[5];
    for (int i = 0; i < 5; i++) {
        parts[i] = p;
        const char *colon = strchr(p, ':');
        if (!colon && i < 4)
            return NULL;
        p = colon ? colon + 1 : p + strlen(p);
    }
    size_t rlen = strlen(region), alen = strlen(account);
    if (strncmp(parts[0], "aws:", 4) != 0 || strncmp(parts[1], "dynamodb:", 9) != 0 ||
        strncmp(parts[2], region, rlen) != 0 || parts[2][rlen] != ':' || strncmp(parts[3], account, alen) != 0 ||
        parts[3][alen] != ':' || strncmp(parts[4], "table/", 6) != 0)
        return NULL;
    return parts[4] + 6;
}

const rd_attr_def_t *rd_table_key_attr(const rd_table_t *t, const char *name, size_t len)
{
    if (strlen(t->hash_key.name) == len && memcmp(t->hash_key.name, name, len) == 0)
        return &t->hash_key;
    if (t->range_key.name && strlen(t->range_key.name) == len && memcmp(t->range_key.name, name, len) == 0)
        return &t->range_key;
    return NULL;
}
