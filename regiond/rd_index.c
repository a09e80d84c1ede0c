/* rd_index: secondary indexes (LSI and GSI). Definitions are read from CreateTable
 * and UpdateTable, validated the service's way, stored in the table's catalog JSON
 * and described; each index is an SQLite table of projected entries, ordered by
 * (ipk, isk, pk, sk) so that a Query on it is one index range, and maintained in the
 * base write's transaction. A GSI added later is backfilled synchronously. */
#include "rd_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_key.h"
#include "ddb_log.h"
#include "rd_dispatch.h"
#include "rd_item.h"
#include "rd_json.h"

#define INVALID "One or more parameter values were invalid: "

static char *s_strdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

static const char *s_type_name(ddb_type_t t)
{
    return t == DDB_T_N ? "N" : t == DDB_T_B ? "B" : "S";
}

static const char *const s_proj_names[] = { "KEYS_ONLY", "INCLUDE", "ALL" };

static rd_table_ix_t *s_ix(rd_table_t *t)
{
    if (!t->ix) {
        t->ix = calloc(1, sizeof(*t->ix));
        if (!t->ix)
            abort();
        t->ix->next_id = 1;
    }
    return t->ix;
}

static size_t s_count(const rd_table_t *t)
{
    return t->ix ? t->ix->count : 0;
}

rd_index_t *rd_index_find(const rd_table_t *t, const char *name)
{
    for (size_t i = 0; i < s_count(t); i++)
        if (strcmp(t->ix->list[i].name, name) == 0)
            return &t->ix->list[i];
    return NULL;
}

static void s_stmts_finalize(rd_index_t *ix)
{
    sqlite3_finalize(ix->put);
    sqlite3_finalize(ix->del);
    ix->put = ix->del = NULL;
    for (int v = 0; v < RD_READ_VARIANTS; v++) {
        sqlite3_finalize(ix->reads[v]);
        ix->reads[v] = NULL;
    }
}

void rd_index_finalize(rd_table_t *t)
{
    if (!t->ix)
        return;
    for (size_t i = 0; i < t->ix->count; i++)
        s_stmts_finalize(&t->ix->list[i]);
    for (int v = 0; v < RD_READ_VARIANTS; v++) {
        sqlite3_finalize(t->ix->reads[v]);
        t->ix->reads[v] = NULL;
    }
}

static void s_index_free(rd_index_t *ix)
{
    free(ix->name);
    free(ix->hash_key.name);
    free(ix->range_key.name);
    for (size_t j = 0; j < ix->n_non_key; j++)
        free(ix->non_key[j]);
    free(ix->non_key);
}

void rd_index_free(rd_table_t *t)
{
    if (!t->ix)
        return;
    for (size_t i = 0; i < t->ix->count; i++)
        s_index_free(&t->ix->list[i]);
    free(t->ix->list);
    free(t->ix);
    t->ix = NULL;
}

static rd_index_t *s_append(rd_table_t *t)
{
    rd_table_ix_t *x = s_ix(t);
    x->list = realloc(x->list, (x->count + 1) * sizeof(*x->list));
    if (!x->list)
        abort();
    rd_index_t *ix = &x->list[x->count++];
    memset(ix, 0, sizeof(*ix));
    return ix;
}

/* ---- catalog JSON ---- */

void rd_index_save(const rd_table_t *t, cJSON *def)
{
    if (!t->ix)
        return;
    cJSON_AddNumberToObject(def, "NextIndexId", (double)t->ix->next_id);
    cJSON *arr = cJSON_AddArrayToObject(def, "Indexes");
    for (size_t i = 0; i < t->ix->count; i++) {
        const rd_index_t *ix = &t->ix->list[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", ix->name);
        cJSON_AddBoolToObject(o, "Global", ix->global);
        cJSON_AddNumberToObject(o, "Id", (double)ix->id);
        cJSON_AddStringToObject(o, "Hash", ix->hash_key.name);
        cJSON_AddStringToObject(o, "HashType", s_type_name(ix->hash_key.type));
        if (ix->range_key.name) {
            cJSON_AddStringToObject(o, "Range", ix->range_key.name);
            cJSON_AddStringToObject(o, "RangeType", s_type_name(ix->range_key.type));
        }
        cJSON_AddStringToObject(o, "Projection", s_proj_names[ix->projection]);
        cJSON *nk = cJSON_AddArrayToObject(o, "NonKey");
        for (size_t j = 0; j < ix->n_non_key; j++)
            cJSON_AddItemToArray(nk, cJSON_CreateString(ix->non_key[j]));
        cJSON_AddNumberToObject(o, "RCU", (double)ix->rcu);
        cJSON_AddNumberToObject(o, "WCU", (double)ix->wcu);
        cJSON_AddNumberToObject(o, "Created", ix->created);
        cJSON_AddItemToArray(arr, o);
    }
}

static const char *s_str(const cJSON *o, const char *field)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, field);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

static double s_num(const cJSON *o, const char *field)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, field);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

int rd_index_load(rd_table_t *t, const cJSON *def)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(def, "Indexes");
    if (!cJSON_IsArray(arr))
        return 0;
    s_ix(t)->next_id = (int64_t)s_num(def, "NextIndexId");
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        const char *name = s_str(o, "Name"), *hash = s_str(o, "Hash"), *proj = s_str(o, "Projection");
        if (!name || !hash || !proj)
            return -1;
        rd_index_t *ix = s_append(t);
        ix->name = s_strdup(name);
        ix->global = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "Global"));
        ix->id = (int64_t)s_num(o, "Id");
        ix->hash_key.name = s_strdup(hash);
        ddb_type_parse(s_str(o, "HashType") ? s_str(o, "HashType") : "S", &ix->hash_key.type);
        if (s_str(o, "Range")) {
            ix->range_key.name = s_strdup(s_str(o, "Range"));
            ddb_type_parse(s_str(o, "RangeType") ? s_str(o, "RangeType") : "S", &ix->range_key.type);
        }
        for (int p = 0; p < 3; p++)
            if (strcmp(proj, s_proj_names[p]) == 0)
                ix->projection = (rd_projection_t)p;
        const cJSON *nk = cJSON_GetObjectItemCaseSensitive(o, "NonKey"), *e;
        ix->n_non_key = 0;
        ix->non_key = calloc((size_t)cJSON_GetArraySize(nk) + 1, sizeof(char *));
        if (!ix->non_key)
            abort();
        cJSON_ArrayForEach(e, nk)
            if (cJSON_IsString(e))
                ix->non_key[ix->n_non_key++] = s_strdup(e->valuestring);
        ix->rcu = (int64_t)s_num(o, "RCU");
        ix->wcu = (int64_t)s_num(o, "WCU");
        ix->created = s_num(o, "Created");
    }
    return 0;
}

/* ---- validation of index definitions ---- */

/* One index definition as given in a request (borrowed from the body). */
typedef struct s_spec {
    const char *name;
    const cJSON *key_schema;
    const cJSON *projection;
    const char *proj_type;
    const cJSON *non_key;
    const cJSON *throughput;
    int64_t rcu, wcu;
    bool global;
} s_spec_t;

static bool s_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len < 3 || len > 255)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

/* Member types and constraints of one index element; path is e.g.
 * "globalSecondaryIndexes.1.member" for constraint messages. */
static int s_spec_read(rd_req_t *req, const cJSON *e, bool global, const char *path, s_spec_t *sp, rd_verrs_t *v)
{
    memset(sp, 0, sizeof(*sp));
    sp->global = global;
    char p[160];
    if (rd_json_expect_object(e, req->err) != 0 || rd_json_string(e, "IndexName", &sp->name, req->err) != 0 ||
        rd_json_list(e, "KeySchema", &sp->key_schema, req->err) != 0 ||
        rd_json_object(e, "Projection", &sp->projection, req->err) != 0 ||
        rd_json_object(e, "ProvisionedThroughput", &sp->throughput, req->err) != 0)
        return -1;
    if (sp->projection && (rd_json_string(sp->projection, "ProjectionType", &sp->proj_type, req->err) != 0 ||
                           rd_json_list(sp->projection, "NonKeyAttributes", &sp->non_key, req->err) != 0))
        return -1;
    snprintf(p, sizeof(p), "%s.indexName", path);
    if (!sp->name)
        rd_verr_value(v, NULL, p, "Member must not be null");
    else if (!s_name_ok(sp->name))
        rd_verr_value(v, sp->name, p,
                      strlen(sp->name) < 3 ? "Member must have length greater than or equal to 3"
                      : strlen(sp->name) > 255 ? "Member must have length less than or equal to 255"
                                               : "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    snprintf(p, sizeof(p), "%s.keySchema", path);
    int nkeys = cJSON_GetArraySize(sp->key_schema);
    if (!sp->key_schema)
        rd_verr_value(v, NULL, p, "Member must not be null");
    else if (nkeys < 1 || nkeys > 2)
        rd_verr_value(v, nkeys < 1 ? "[]" : "[KeySchemaElement, ...]", p,
                      nkeys < 1 ? "Member must have length greater than or equal to 1"
                                : "Member must have length less than or equal to 2");
    snprintf(p, sizeof(p), "%s.projection", path);
    if (!sp->projection)
        rd_verr_value(v, NULL, p, "Member must not be null");
    else if (sp->proj_type && strcmp(sp->proj_type, "ALL") != 0 && strcmp(sp->proj_type, "KEYS_ONLY") != 0 &&
             strcmp(sp->proj_type, "INCLUDE") != 0) {
        snprintf(p, sizeof(p), "%s.projection.projectionType", path);
        rd_verr_value(v, sp->proj_type, p, "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]");
    }
    if (sp->throughput) {
        bool r, w;
        if (rd_json_long(sp->throughput, "ReadCapacityUnits", &r, &sp->rcu, req->err) != 0 ||
            rd_json_long(sp->throughput, "WriteCapacityUnits", &w, &sp->wcu, req->err) != 0)
            return -1;
        snprintf(p, sizeof(p), "%s.provisionedThroughput.readCapacityUnits", path);
        if (!r)
            rd_verr_value(v, NULL, p, "Member must not be null");
        snprintf(p, sizeof(p), "%s.provisionedThroughput.writeCapacityUnits", path);
        if (!w)
            rd_verr_value(v, NULL, p, "Member must not be null");
    }
    return 0;
}

static const char *s_key_name(const cJSON *ks, int i, const char **kind)
{
    const cJSON *e = cJSON_GetArrayItem(ks, i);
    *kind = e ? s_str(e, "KeyType") : NULL;
    return e ? s_str(e, "AttributeName") : NULL;
}

/* The type AttributeDefinitions give name, or -1 when it is not defined. */
static int s_defined_type(const rd_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->n_attr_defs; i++)
        if (strcmp(t->attr_defs[i].name, name) == 0)
            return (int)t->attr_defs[i].type;
    return -1;
}

/* The index's KeySchema: HASH then RANGE, defined attributes, and for an LSI the
 * table's partition key and a sort key. Sets k0 and k1 to the key names (k1 NULL). */
static int s_spec_check_keys(rd_req_t *req, const rd_table_t *t, const s_spec_t *sp, const char **k0,
                             const char **k1)
{
    const char *kind0, *kind1 = NULL;
    bool two = cJSON_GetArraySize(sp->key_schema) == 2;
    *k1 = NULL;
    *k0 = s_key_name(sp->key_schema, 0, &kind0);
    if (two)
        *k1 = s_key_name(sp->key_schema, 1, &kind1);
    if (!*k0 || !kind0 || (two && (!*k1 || !kind1)))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sInvalid KeySchema for index: %s", INVALID, sp->name);
    if (rd_index_find(t, sp->name))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sDuplicate index name: %s", INVALID, sp->name);
    if (strcmp(kind0, "HASH") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    if (*k1 && strcmp(kind1, "RANGE") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    if (*k1 && strcmp(*k0, *k1) == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    if (s_defined_type(t, *k0) < 0 || (*k1 && s_defined_type(t, *k1) < 0))
        /* unconfirmed: the service's wording for an index key missing from AttributeDefinitions */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sSome index key attributes are not defined in AttributeDefinitions. Keys: [%s%s%s], "
                           "AttributeDefinitions: [...]", INVALID, *k0, *k1 ? ", " : "", *k1 ? *k1 : "");
    if (sp->global)
        return 0;
    if (!t->range_key.name)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sTable KeySchema does not have a range key, which is required when specifying a "
                           "LocalSecondaryIndex", INVALID);
    if (!*k1)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sIndex KeySchema does not have a range key for index: %s",
                           INVALID, sp->name);
    if (strcmp(*k0, t->hash_key.name) != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sIndex KeySchema does not have the same leading hash key as table KeySchema for index: "
                           "%s. index hash key: %s, table hash key: %s", INVALID, sp->name, *k0, t->hash_key.name);
    return 0;
}

/* Projection and, for a GSI, ProvisionedThroughput against the billing mode. (An
 * LSI has no throughput of its own: the member is ignored.) */
static int s_spec_check_options(rd_req_t *req, const rd_table_t *t, const s_spec_t *sp)
{
    if (!sp->proj_type)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sUnknown ProjectionType: null", INVALID);
    if (strcmp(sp->proj_type, "INCLUDE") != 0 && sp->non_key)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sProjectionType is %s, but NonKeyAttributes is specified", INVALID, sp->proj_type);
    if (strcmp(sp->proj_type, "INCLUDE") == 0 && cJSON_GetArraySize(sp->non_key) == 0)
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sNonKeyAttributes must be specified for INCLUDE projection",
                           INVALID);
    if (!sp->global)
        return 0;
    bool ppr = t->billing == RD_BILLING_PAY_PER_REQUEST;
    if (ppr && sp->throughput)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sProvisionedThroughput should not be specified for index: %s when BillingMode is "
                           "PAY_PER_REQUEST", INVALID, sp->name);
    if (!ppr && !sp->throughput)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sProvisionedThroughput must be specified for index: %s",
                           INVALID, sp->name);
    if (sp->throughput && (sp->rcu < 1 || sp->wcu < 1))
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sProvisionedThroughput ReadCapacityUnits and WriteCapacityUnits must be greater than 0 "
                           "for index: %s", INVALID, sp->name);
    return 0;
}

/* Copies NonKeyAttributes into ix, refusing a name given twice. */
static int s_spec_non_key(rd_req_t *req, rd_index_t *ix, const s_spec_t *sp)
{
    ix->non_key = calloc((size_t)cJSON_GetArraySize(sp->non_key) + 1, sizeof(char *));
    if (!ix->non_key)
        abort();
    const cJSON *e;
    cJSON_ArrayForEach(e, sp->non_key) {
        if (!cJSON_IsString(e))
            return ddb_err_set(req->err, DDB_ERR_SERIALIZATION, "%s", "");
        for (size_t j = 0; j < ix->n_non_key; j++)
            if (strcmp(ix->non_key[j], e->valuestring) == 0)
                /* unconfirmed wording */
                return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sDuplicate NonKeyAttributes %s for index: %s",
                                   INVALID, e->valuestring, sp->name);
        ix->non_key[ix->n_non_key++] = s_strdup(e->valuestring);
    }
    return 0;
}

/* The service's rules on one index against the table; on success appends it to t
 * (on failure t may hold a partial entry: the caller discards t or reloads it). */
static int s_spec_add(rd_req_t *req, rd_table_t *t, const s_spec_t *sp)
{
    const char *k0, *k1;
    if (s_spec_check_keys(req, t, sp, &k0, &k1) != 0 || s_spec_check_options(req, t, sp) != 0)
        return -1;
    rd_index_t *ix = s_append(t);
    ix->name = s_strdup(sp->name);
    ix->global = sp->global;
    ix->id = t->ix->next_id++;
    ix->hash_key.name = s_strdup(k0);
    ix->hash_key.type = (ddb_type_t)s_defined_type(t, k0);
    if (k1) {
        ix->range_key.name = s_strdup(k1);
        ix->range_key.type = (ddb_type_t)s_defined_type(t, k1);
    }
    for (int p = 0; p < 3; p++)
        if (strcmp(sp->proj_type, s_proj_names[p]) == 0)
            ix->projection = (rd_projection_t)p;
    ix->rcu = sp->throughput ? sp->rcu : 0;
    ix->wcu = sp->throughput ? sp->wcu : 0;
    ix->created = rd_now_seconds();
    return s_spec_non_key(req, ix, sp);
}

/* Every attribute definition must be a key of the table or of an index. */
static int s_check_defs_used(rd_req_t *req, const rd_table_t *t)
{
    for (size_t i = 0; i < t->n_attr_defs; i++) {
        const char *n = t->attr_defs[i].name;
        bool used = strcmp(n, t->hash_key.name) == 0 || (t->range_key.name && strcmp(n, t->range_key.name) == 0);
        for (size_t j = 0; !used && j < s_count(t); j++) {
            const rd_index_t *ix = &t->ix->list[j];
            used = strcmp(n, ix->hash_key.name) == 0 || (ix->range_key.name && strcmp(n, ix->range_key.name) == 0);
        }
        if (!used)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sNumber of attributes in KeySchema does not exactly match number of attributes "
                               "defined in AttributeDefinitions", INVALID);
    }
    return 0;
}

/* NonKeyAttributes over all indexes: at most 100 distinct names. */
static int s_check_non_key_total(rd_req_t *req, const rd_table_t *t)
{
    size_t total = 0;
    for (size_t i = 0; i < s_count(t); i++)
        total += t->ix->list[i].n_non_key;
    if (total > RD_INDEX_MAX_NON_KEY)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sThe number of projected attributes in all indexes exceeds the limit of %d: %zu", INVALID,
                           RD_INDEX_MAX_NON_KEY, total);   /* unconfirmed wording */
    return 0;
}

static int s_parse_list(rd_req_t *req, rd_table_t *t, const char *member, const char *path, bool global)
{
    const cJSON *list, *e;
    if (rd_json_list(req->body, member, &list, req->err) != 0)
        return -1;
    if (!list)
        return 0;
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        /* unconfirmed: the service's message for an empty index list */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sList of %s is empty", INVALID, member);
    if (!global && n > RD_INDEX_MAX_LSI)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sNumber of LocalSecondaryIndexes exceeds per-table limit of %d", INVALID,
                           RD_INDEX_MAX_LSI);
    if (global && n > RD_INDEX_MAX_GSI)
        return ddb_err_set(req->err, DDB_ERR_LIMIT_EXCEEDED,
                           "Subscriber limit exceeded: The number of global secondary indexes for this table exceeds "
                           "the limit of %d", RD_INDEX_MAX_GSI);   /* unconfirmed wording */
    s_spec_t *specs = ddb_arena_calloc(req->arena, (size_t)n, sizeof(*specs));
    rd_verrs_t v = RD_VERRS_INIT;
    int i = 0;
    cJSON_ArrayForEach(e, list) {
        char p[96];
        snprintf(p, sizeof(p), "%s.%d.member", path, i + 1);
        if (s_spec_read(req, e, global, p, &specs[i], &v) != 0)
            return -1;
        i++;
    }
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (s_spec_add(req, t, &specs[i]) != 0)
            return -1;
    return 0;
}

int rd_index_parse_create(rd_req_t *req, rd_table_t *t)
{
    if (s_parse_list(req, t, "LocalSecondaryIndexes", "localSecondaryIndexes", false) != 0 ||
        s_parse_list(req, t, "GlobalSecondaryIndexes", "globalSecondaryIndexes", true) != 0 ||
        s_check_non_key_total(req, t) != 0)
        return -1;
    return s_check_defs_used(req, t);
}

/* ---- description ---- */

static void s_key_schema_json(const rd_index_t *ix, ddb_buf_t *out)
{
    ddb_buf_puts(out, "\"KeySchema\":[{\"AttributeName\":");
    ddb_buf_json_str(out, ix->hash_key.name, strlen(ix->hash_key.name));
    ddb_buf_puts(out, ",\"KeyType\":\"HASH\"}");
    if (ix->range_key.name) {
        ddb_buf_puts(out, ",{\"AttributeName\":");
        ddb_buf_json_str(out, ix->range_key.name, strlen(ix->range_key.name));
        ddb_buf_puts(out, ",\"KeyType\":\"RANGE\"}");
    }
    ddb_buf_puts(out, "]");
}

static void s_counts(rd_store_t *s, const rd_table_t *t, const rd_index_t *ix, int64_t *items, int64_t *bytes)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*), coalesce(sum(size), 0) FROM ix_%lld_%lld", (long long)t->phys,
             (long long)ix->id);
    sqlite3_stmt *st = NULL;
    *items = *bytes = 0;
    if (sqlite3_prepare_v2(rd_store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *items = sqlite3_column_int64(st, 0);
        *bytes = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

static void s_describe_one(const rd_table_t *t, const rd_index_t *ix, rd_store_t *s, const char *region,
                           bool is_create, ddb_buf_t *out)
{
    ddb_buf_puts(out, "{\"IndexName\":");
    ddb_buf_json_str(out, ix->name, strlen(ix->name));
    ddb_buf_putc(out, ',');
    s_key_schema_json(ix, out);
    ddb_buf_printf(out, ",\"Projection\":{\"ProjectionType\":\"%s\"", s_proj_names[ix->projection]);
    if (ix->projection == RD_PROJ_INCLUDE) {
        ddb_buf_puts(out, ",\"NonKeyAttributes\":[");
        for (size_t j = 0; j < ix->n_non_key; j++) {
            if (j)
                ddb_buf_putc(out, ',');
            ddb_buf_json_str(out, ix->non_key[j], strlen(ix->non_key[j]));
        }
        ddb_buf_putc(out, ']');
    }
    ddb_buf_putc(out, '}');
    if (ix->global) {
        bool creating = is_create || ix->backfilling;
        ddb_buf_printf(out, ",\"IndexStatus\":\"%s\"",
                       ix->deleting ? "DELETING" : creating ? "CREATING" : "ACTIVE");
        if (ix->backfilling)
            ddb_buf_puts(out, ",\"Backfilling\":true");
        bool ppr = t->billing == RD_BILLING_PAY_PER_REQUEST;
        ddb_buf_printf(out, ",\"ProvisionedThroughput\":{\"NumberOfDecreasesToday\":0,\"ReadCapacityUnits\":%lld,"
                            "\"WriteCapacityUnits\":%lld}",
                       ppr ? 0LL : (long long)ix->rcu, ppr ? 0LL : (long long)ix->wcu);
    }
    int64_t items = 0, bytes = 0;
    if (!is_create && s && !ix->deleting)   /* a deleted index's storage is gone already */
        s_counts(s, t, ix, &items, &bytes);
    ddb_buf_printf(out, ",\"IndexSizeBytes\":%lld,\"ItemCount\":%lld,\"IndexArn\":", (long long)bytes,
                   (long long)items);
    ddb_buf_t arn = DDB_BUF_INIT;
    rd_table_arn(t, region, &arn);
    ddb_buf_printf(&arn, "/index/%s", ix->name);
    ddb_buf_json_str(out, arn.data, arn.len);
    ddb_buf_free(&arn);
    ddb_buf_putc(out, '}');
}

void rd_index_describe(const rd_table_t *t, rd_store_t *s, const char *region, bool is_create, ddb_buf_t *out)
{
    for (int global = 0; global < 2; global++) {
        bool any = false;
        for (size_t i = 0; i < s_count(t); i++) {
            const rd_index_t *ix = &t->ix->list[i];
            if (ix->global != (global == 1))
                continue;
            ddb_buf_puts(out, any ? "," : global ? ",\"GlobalSecondaryIndexes\":[" : ",\"LocalSecondaryIndexes\":[");
            any = true;
            s_describe_one(t, ix, s, region, is_create, out);
        }
        if (any)
            ddb_buf_putc(out, ']');
    }
}

/* ---- storage ---- */

static int s_exec(rd_store_t *s, const char *sql, ddb_err_t *err)
{
    char *msg = NULL;
    if (sqlite3_exec(rd_store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        DDB_ERROR("sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    }
    return 0;
}

static int s_create_one(rd_store_t *s, const rd_table_t *t, const rd_index_t *ix, ddb_err_t *err)
{
    char sql[512];
    long long p = (long long)t->phys, i = (long long)ix->id;
    snprintf(sql, sizeof(sql),
             "CREATE TABLE ix_%lld_%lld (ipk BLOB NOT NULL, isk BLOB NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,"
             " item TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (ipk, isk, pk, sk)) WITHOUT ROWID;"
             "CREATE INDEX ix_%lld_%lld_base ON ix_%lld_%lld (pk, sk)", p, i, p, i, p, i);
    return s_exec(s, sql, err);
}

static int s_drop_one(rd_store_t *s, const rd_table_t *t, rd_index_t *ix, ddb_err_t *err)
{
    s_stmts_finalize(ix);
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP TABLE ix_%lld_%lld", (long long)t->phys, (long long)ix->id);
    return s_exec(s, sql, err);
}

int rd_index_create_storage(rd_store_t *s, rd_table_t *t, ddb_err_t *err)
{
    for (size_t i = 0; i < s_count(t); i++)
        if (s_create_one(s, t, &t->ix->list[i], err) != 0)
            return -1;
    return 0;
}

int rd_index_drop_storage(rd_store_t *s, rd_table_t *t, ddb_err_t *err)
{
    for (size_t i = 0; i < s_count(t); i++)
        if (s_drop_one(s, t, &t->ix->list[i], err) != 0)
            return -1;
    return 0;
}

static sqlite3_stmt *s_prepare(rd_store_t *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(rd_store_db(s), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        DDB_ERROR("sqlite prepare: %s: %s", sql, sqlite3_errmsg(rd_store_db(s)));
        return NULL;
    }
    return st;
}

/* ---- maintenance ---- */

/* The index key of item for ix: 1 when the item belongs in the index (ipk/isk
 * appended to bufs), 0 when it lacks a key attribute (sparse), -1 on a wrong type
 * or an empty value, which the service refuses on write. */
static int s_entry_key(const rd_index_t *ix, const ddb_value_t *item, ddb_buf_t *ipk, ddb_buf_t *isk, ddb_err_t *err)
{
    const rd_attr_def_t *keys[2] = { &ix->hash_key, ix->range_key.name ? &ix->range_key : NULL };
    const ddb_value_t *vals[2] = { NULL, NULL };
    for (int k = 0; k < 2 && keys[k]; k++) {
        vals[k] = ddb_item_get(item, keys[k]->name, strlen(keys[k]->name));
        if (!vals[k])
            continue;
        if (vals[k]->type != keys[k]->type)
            return ddb_err_set(err, DDB_ERR_VALIDATION, "%sType mismatch for Index Key %s Expected: %s Actual: %s "
                               "IndexName: %s", INVALID, keys[k]->name, s_type_name(keys[k]->type),
                               ddb_type_name(vals[k]->type), ix->name);
        if (vals[k]->u.str.len == 0)
            return ddb_err_set(err, DDB_ERR_VALIDATION,
                               "One or more parameter values are not valid. A value specified for a secondary index "
                               "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
                               "%s value. IndexName: %s, IndexKey: %s",
                               vals[k]->type == DDB_T_B ? "binary" : "string", ix->name, keys[k]->name);
        size_t size = ddb_value_size(vals[k]), max = k == 0 ? RD_ITEM_HASH_KEY_MAX_BYTES : RD_ITEM_RANGE_KEY_MAX_BYTES;
        if (size > max)
            /* the service's words for a partition key (architect/dynalite#35); the
             * sort key's "Max Size: 1024" is unconfirmed */
            return ddb_err_set(err, DDB_ERR_VALIDATION, "%sSize limit exceeded for Index Key %s Actual Size: %zu "
                               "bytes Max Size: %zu bytes IndexName: %s", INVALID, keys[k]->name, size, max, ix->name);
    }
    if (!vals[0] || (keys[1] && !vals[1]))
        return 0;
    if (ddb_key_encode(vals[0], ipk, err) != 0 || (vals[1] && ddb_key_encode(vals[1], isk, err) != 0))
        return -1;
    return 1;
}

static bool s_is_key_of(const rd_table_t *t, const rd_index_t *ix, const ddb_str_t *name)
{
    const char *keys[4] = { t->hash_key.name, t->range_key.name, ix->hash_key.name, ix->range_key.name };
    for (int k = 0; k < 4; k++)
        if (keys[k] && strlen(keys[k]) == name->len && memcmp(keys[k], name->ptr, name->len) == 0)
            return true;
    return false;
}

static bool s_is_non_key(const rd_index_t *ix, const ddb_str_t *name)
{
    for (size_t j = 0; j < ix->n_non_key; j++)
        if (strlen(ix->non_key[j]) == name->len && memcmp(ix->non_key[j], name->ptr, name->len) == 0)
            return true;
    return false;
}

/* The entry ix keeps for item: the item itself under ALL, else its projection. */
static const ddb_value_t *s_projected(const rd_table_t *t, const rd_index_t *ix, const ddb_value_t *item,
                                      ddb_arena_t *a)
{
    if (ix->projection == RD_PROJ_ALL)
        return item;
    ddb_value_t *m = ddb_value_new_map(a, item->u.map.count);
    for (size_t i = 0; i < item->u.map.count; i++) {
        const ddb_attr_t *at = &item->u.map.attrs[i];
        if (s_is_key_of(t, ix, &at->name) || (ix->projection == RD_PROJ_INCLUDE && s_is_non_key(ix, &at->name)))
            ddb_map_put(m, at->name, at->value);
    }
    return m;
}

/* The entry item ix keeps for item (its projection): JSON text into out. */
static void s_project(const rd_table_t *t, const rd_index_t *ix, const ddb_value_t *item, ddb_arena_t *a,
                      ddb_buf_t *out, int64_t *size)
{
    const ddb_value_t *m = s_projected(t, ix, item, a);
    ddb_item_to_json(m, out);
    *size = (int64_t)ddb_item_size(m);
}

/* Removes the entry of the base key from ix. */
static int s_entry_delete(rd_store_t *s, const rd_table_t *t, rd_index_t *ix, const rd_key_bytes_t *key)
{
    if (!ix->del) {
        char sql[160];
        snprintf(sql, sizeof(sql), "DELETE FROM ix_%lld_%lld WHERE pk = ?1 AND sk = ?2", (long long)t->phys,
                 (long long)ix->id);
        if (!(ix->del = s_prepare(s, sql)))
            return -1;
    }
    sqlite3_bind_blob(ix->del, 1, key->pk, (int)key->pk_len, SQLITE_STATIC);
    sqlite3_bind_blob(ix->del, 2, key->sk_len ? (const void *)key->sk : "", (int)key->sk_len, SQLITE_STATIC);
    int rc = sqlite3_step(ix->del);
    sqlite3_reset(ix->del);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Inserts item's entry into ix when it has the index key. */
static int s_entry_insert(rd_store_t *s, const rd_table_t *t, rd_index_t *ix, const rd_key_bytes_t *key,
                          const ddb_value_t *item, const char *json, size_t json_len, int64_t size, ddb_arena_t *a,
                          ddb_err_t *err)
{
    ddb_buf_t ipk = DDB_BUF_INIT, isk = DDB_BUF_INIT, proj = DDB_BUF_INIT;
    int in = s_entry_key(ix, item, &ipk, &isk, err), rc = 0;
    if (in == 1) {
        if (ix->projection != RD_PROJ_ALL) {
            s_project(t, ix, item, a, &proj, &size);
            json = proj.data;
            json_len = proj.len;
        }
        if (!ix->put) {
            char sql[200];
            snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO ix_%lld_%lld (ipk, isk, pk, sk, item, size)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", (long long)t->phys, (long long)ix->id);
            ix->put = s_prepare(s, sql);
        }
        sqlite3_stmt *q = ix->put;
        if (q) {
            sqlite3_bind_blob(q, 1, ipk.data ? (const void *)ipk.data : "", (int)ipk.len, SQLITE_STATIC);
            sqlite3_bind_blob(q, 2, isk.data ? (const void *)isk.data : "", (int)isk.len, SQLITE_STATIC);
            sqlite3_bind_blob(q, 3, key->pk, (int)key->pk_len, SQLITE_STATIC);
            sqlite3_bind_blob(q, 4, key->sk_len ? (const void *)key->sk : "", (int)key->sk_len, SQLITE_STATIC);
            sqlite3_bind_text(q, 5, json, (int)json_len, SQLITE_STATIC);
            sqlite3_bind_int64(q, 6, size);
            int step = sqlite3_step(q);
            sqlite3_reset(q);
            sqlite3_clear_bindings(q);
            rc = step == SQLITE_DONE ? 0 : -1;
        } else {
            rc = -1;
        }
        if (rc != 0)
            ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    } else if (in < 0) {
        rc = -1;
    }
    ddb_buf_free(&ipk);
    ddb_buf_free(&isk);
    ddb_buf_free(&proj);
    return rc;
}

/* The item a write stores, as a value (parsed from its text when not given). */
static const ddb_value_t *s_new_value(const rd_write_t *w, ddb_arena_t *a)
{
    if (w->new_value)
        return w->new_value;
    cJSON *parsed = cJSON_ParseWithLength(w->new_json, w->new_len);
    ddb_err_t ignored = DDB_ERR_INIT;
    ddb_value_t *v = parsed ? ddb_item_from_json(parsed, a, &ignored) : NULL;
    cJSON_Delete(parsed);
    ddb_err_clear(&ignored);
    return v;
}

int rd_index_write(rd_store_t *s, rd_table_t *t, const rd_write_t *w, ddb_arena_t *a, ddb_err_t *err)
{
    const ddb_value_t *item = w->new_json ? s_new_value(w, a) : NULL;
    if (w->new_json && !item)
        return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    for (size_t i = 0; i < s_count(t); i++) {
        rd_index_t *ix = &t->ix->list[i];
        if (s_entry_delete(s, t, ix, &w->key) != 0)
            return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
        if (item && s_entry_insert(s, t, ix, &w->key, item, w->new_json, w->new_len, w->new_size, a, err) != 0)
            return -1;
    }
    return 0;
}

static bool s_buf_equal(const ddb_buf_t *a, const ddb_buf_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* What one write does to ix, by the developer guide's rules on index writes. */
static void s_change(const rd_table_t *t, const rd_index_t *ix, const ddb_value_t *old_item,
                     const ddb_value_t *new_item, ddb_arena_t *a, rd_index_change_t *c)
{
    ddb_buf_t old_pk = DDB_BUF_INIT, old_sk = DDB_BUF_INIT, new_pk = DDB_BUF_INIT, new_sk = DDB_BUF_INIT;
    ddb_err_t ignored = DDB_ERR_INIT;   /* a refused key fails the write itself, elsewhere */
    const ddb_value_t *old_entry = NULL, *new_entry = NULL;
    if (old_item && s_entry_key(ix, old_item, &old_pk, &old_sk, &ignored) == 1)
        old_entry = s_projected(t, ix, old_item, a);
    ddb_err_clear(&ignored);
    if (new_item && s_entry_key(ix, new_item, &new_pk, &new_sk, &ignored) == 1)
        new_entry = s_projected(t, ix, new_item, a);
    ddb_err_clear(&ignored);
    c->old_size = old_entry ? (int64_t)ddb_item_size(old_entry) : -1;
    c->new_size = new_entry ? (int64_t)ddb_item_size(new_entry) : -1;
    c->in_place = false;
    if (old_entry && new_entry && s_buf_equal(&old_pk, &new_pk) && s_buf_equal(&old_sk, &new_sk)) {
        if (ddb_value_equal(old_entry, new_entry))
            c->old_size = c->new_size = -1;   /* nothing the index holds changed */
        else
            c->in_place = true;
    }
    ddb_buf_free(&old_pk);
    ddb_buf_free(&old_sk);
    ddb_buf_free(&new_pk);
    ddb_buf_free(&new_sk);
}

void rd_index_changes(const rd_table_t *t, const ddb_value_t *old_item, const ddb_value_t *new_item, ddb_arena_t *a,
                      rd_index_change_t *changes)
{
    for (size_t i = 0; i < s_count(t); i++)
        s_change(t, &t->ix->list[i], old_item, new_item, a, &changes[i]);
}

bool rd_index_has_lsi(const rd_table_t *t)
{
    for (size_t i = 0; i < s_count(t); i++)
        if (!t->ix->list[i].global)
            return true;
    return false;
}

/* Adds the sum of the size column of rows of `table` with pk = key's to *bytes. */
static int s_sum_partition(rd_store_t *s, const char *table, const rd_key_bytes_t *key, int64_t *bytes)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT coalesce(sum(size), 0) FROM %s WHERE pk = ?1", table);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rd_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        DDB_ERROR("sqlite prepare: %s: %s", sql, sqlite3_errmsg(rd_store_db(s)));
        return -1;
    }
    sqlite3_bind_blob(st, 1, key->pk, (int)key->pk_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *bytes += sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int rd_index_collection_size(rd_store_t *s, const rd_table_t *t, const rd_key_bytes_t *key, int64_t *bytes,
                             ddb_err_t *err)
{
    char name[64];
    *bytes = 0;
    snprintf(name, sizeof(name), "items_%lld", (long long)t->phys);
    if (s_sum_partition(s, name, key, bytes) != 0)
        return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    for (size_t i = 0; i < s_count(t); i++) {
        const rd_index_t *ix = &t->ix->list[i];
        if (ix->global)
            continue;
        snprintf(name, sizeof(name), "ix_%lld_%lld", (long long)t->phys, (long long)ix->id);
        if (s_sum_partition(s, name, key, bytes) != 0)
            return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    }
    return 0;
}

/* Fills a new index from every item of the table (a GSI created by UpdateTable).
 * Items whose index key has the wrong type are left out of it. */
static int s_backfill(rd_store_t *s, rd_table_t *t, rd_index_t *ix, ddb_err_t *err)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT pk, sk, item, size FROM items_%lld", (long long)t->phys);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rd_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    ddb_arena_t *a = ddb_arena_new(64 * 1024);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rd_key_bytes_t key = { sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                               sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1) };
        rd_write_t w = { key, NULL, NULL, (const char *)sqlite3_column_text(st, 2),
                         (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_int64(st, 3), NULL, false, NULL, 0 };
        const ddb_value_t *item = s_new_value(&w, a);
        ddb_err_t skipped = DDB_ERR_INIT;
        if (item && s_entry_insert(s, t, ix, &key, item, w.new_json, w.new_len, w.new_size, a, &skipped) != 0 &&
            skipped.kind == DDB_ERR_INTERNAL) {
            ddb_err_clear(&skipped);
            rc = SQLITE_ERROR;
            break;
        }
        ddb_err_clear(&skipped);
        ddb_arena_reset(a);
    }
    sqlite3_finalize(st);
    ddb_arena_destroy(&a);
    if (rc != SQLITE_DONE)
        return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
    return 0;
}

/* ---- UpdateTable GlobalSecondaryIndexUpdates ---- */

/* Adds UpdateTable's AttributeDefinitions that t does not have yet; a redefinition
 * with another type is refused. */
static int s_merge_defs(rd_req_t *req, rd_table_t *t)
{
    const cJSON *defs, *d;
    if (rd_json_list(req->body, "AttributeDefinitions", &defs, req->err) != 0)
        return -1;
    cJSON_ArrayForEach(d, defs) {
        const char *name, *type;
        ddb_type_t ty;
        if (rd_json_expect_object(d, req->err) != 0 || rd_json_string(d, "AttributeName", &name, req->err) != 0 ||
            rd_json_string(d, "AttributeType", &type, req->err) != 0)
            return -1;
        if (!name || !type || ddb_type_parse(type, &ty) != 0 || ty > DDB_T_B)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sInvalid AttributeDefinitions", INVALID);
        int have = s_defined_type(t, name);
        if (have >= 0 && have != (int)ty)
            /* unconfirmed wording */
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sCannot change the type of attribute %s from %s to %s", INVALID, name,
                               s_type_name((ddb_type_t)have), type);
        if (have >= 0)
            continue;
        t->attr_defs = realloc(t->attr_defs, (t->n_attr_defs + 1) * sizeof(*t->attr_defs));
        if (!t->attr_defs)
            abort();
        t->attr_defs[t->n_attr_defs].name = s_strdup(name);
        t->attr_defs[t->n_attr_defs++].type = ty;
    }
    return 0;
}

/* Drops attribute definitions no key uses any more (after an index is deleted). */
static void s_prune_defs(rd_table_t *t)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->n_attr_defs; i++) {
        const char *n = t->attr_defs[i].name;
        bool used = strcmp(n, t->hash_key.name) == 0 || (t->range_key.name && strcmp(n, t->range_key.name) == 0);
        for (size_t j = 0; !used && j < s_count(t); j++) {
            const rd_index_t *ix = &t->ix->list[j];
            used = strcmp(n, ix->hash_key.name) == 0 || (ix->range_key.name && strcmp(n, ix->range_key.name) == 0);
        }
        if (used)
            t->attr_defs[kept++] = t->attr_defs[i];
        else
            free(t->attr_defs[i].name);
    }
    t->n_attr_defs = kept;
}

static size_t s_gsi_count(const rd_table_t *t)
{
    size_t n = 0;
    for (size_t i = 0; i < s_count(t); i++)
        n += t->ix->list[i].global;
    return n;
}

static int s_gsi_create(rd_req_t *req, rd_table_t *t, const cJSON *spec_json)
{
    s_spec_t sp;
    rd_verrs_t v = RD_VERRS_INIT;
    if (s_spec_read(req, spec_json, true, "globalSecondaryIndexUpdates.1.member.create", &sp, &v) != 0 ||
        rd_verr_finish(&v, req->err) != 0 || s_merge_defs(req, t) != 0)
        return -1;
    if (sp.name && rd_index_find(t, sp.name))
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sIndex name %s already exists", INVALID, sp.name);
    if (s_gsi_count(t) >= RD_INDEX_MAX_GSI)
        return ddb_err_set(req->err, DDB_ERR_LIMIT_EXCEEDED,
                           "Subscriber limit exceeded: The number of global secondary indexes for this table exceeds "
                           "the limit of %d", RD_INDEX_MAX_GSI);   /* unconfirmed wording */
    if (s_spec_add(req, t, &sp) != 0 || s_check_non_key_total(req, t) != 0 || s_check_defs_used(req, t) != 0)
        return -1;
    rd_index_t *ix = &t->ix->list[t->ix->count - 1];
    ix->backfilling = true;
    if (s_create_one(req->store, t, ix, req->err) != 0 || s_backfill(req->store, t, ix, req->err) != 0)
        return -1;
    return 0;
}

static int s_gsi_delete(rd_req_t *req, rd_table_t *t, const char *name)
{
    rd_index_t *ix = name ? rd_index_find(t, name) : NULL;
    if (!ix || !ix->global)
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND, "Requested resource not found: Index: %s not found",
                           name ? name : "");
    if (s_drop_one(req->store, t, ix, req->err) != 0)
        return -1;
    ix->deleting = true;   /* the answer shows it DELETING; rd_index_settle removes it */
    return 0;
}

static int s_gsi_update(rd_req_t *req, rd_table_t *t, const cJSON *upd)
{
    const char *name;
    const cJSON *pt;
    bool r = false, w = false;
    int64_t rcu = 0, wcu = 0;
    if (rd_json_string(upd, "IndexName", &name, req->err) != 0 ||
        rd_json_object(upd, "ProvisionedThroughput", &pt, req->err) != 0 ||
        (pt && (rd_json_long(pt, "ReadCapacityUnits", &r, &rcu, req->err) != 0 ||
                rd_json_long(pt, "WriteCapacityUnits", &w, &wcu, req->err) != 0)))
        return -1;
    rd_index_t *ix = name ? rd_index_find(t, name) : NULL;
    if (!ix || !ix->global)
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND, "Requested resource not found: Index: %s not found",
                           name ? name : "");
    const char *billing = NULL;   /* the billing mode this UpdateTable switches to, if any */
    if (rd_json_string(req->body, "BillingMode", &billing, req->err) != 0)
        return -1;
    bool ppr = billing ? strcmp(billing, "PAY_PER_REQUEST") == 0 : t->billing == RD_BILLING_PAY_PER_REQUEST;
    if (ppr)
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sProvisionedThroughput should not be specified for index: %s when BillingMode is "
                           "PAY_PER_REQUEST", INVALID, name);
    if (!r || !w || rcu < 1 || wcu < 1)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sProvisionedThroughput must be specified for index: %s",
                           INVALID, name);
    ix->rcu = rcu;
    ix->wcu = wcu;
    return 0;
}

int rd_index_update_table(rd_req_t *req)
{
    const cJSON *updates, *u;
    rd_table_t *t = req->table;
    if (rd_json_list(req->body, "GlobalSecondaryIndexUpdates", &updates, req->err) != 0)
        return -1;
    int online = 0;
    cJSON_ArrayForEach(u, updates) {
        if (rd_json_expect_object(u, req->err) != 0)
            return -1;
        online += rd_json_has(u, "Create") + rd_json_has(u, "Delete");
    }
    if (online > 1)
        return ddb_err_set(req->err, DDB_ERR_LIMIT_EXCEEDED,
                           "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
                           "per table");
    cJSON_ArrayForEach(u, updates) {
        const cJSON *create, *del, *upd;
        const char *name = NULL;
        if (rd_json_object(u, "Create", &create, req->err) != 0 || rd_json_object(u, "Delete", &del, req->err) != 0 ||
            rd_json_object(u, "Update", &upd, req->err) != 0 ||
            (del && rd_json_string(del, "IndexName", &name, req->err) != 0))
            return -1;
        int members = (create != NULL) + (del != NULL) + (upd != NULL);
        if (members != 1)
            /* unconfirmed wording */
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sOne of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified",
                               INVALID);
        int rc = create ? s_gsi_create(req, t, create) : del ? s_gsi_delete(req, t, name) : s_gsi_update(req, t, upd);
        if (rc != 0) {
            /* t may be half changed: marking the catalog changed makes the rollback
             * of this request reload it from the database */
            ddb_err_t ignored = DDB_ERR_INIT;
            rd_store_update_table(req->store, t, &ignored);
            ddb_err_clear(&ignored);
            return -1;
        }
    }
    return 0;
}

void rd_index_settle(rd_table_t *t)
{
    size_t kept = 0, n = s_count(t);
    bool deleted = false;
    for (size_t i = 0; i < n; i++) {
        rd_index_t *ix = &t->ix->list[i];
        ix->backfilling = false;
        if (ix->deleting) {
            s_index_free(ix);
            deleted = true;
            continue;
        }
        t->ix->list[kept++] = *ix;
    }
    if (n)
        t->ix->count = kept;
    if (deleted)
        s_prune_defs(t);
}

/* ---- page reads ---- */

int64_t rd_index_segment(const void *key, size_t len, int64_t total)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return total > 0 ? (int64_t)(h % (uint64_t)total) : 0;
}

/* rd_segment(blob, total) in SQL: rd_index_segment. */
static void s_segment_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int64(ctx, rd_index_segment(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]),
                                               sqlite3_value_int64(argv[1])));
}

static int s_register_segment(rd_store_t *s)
{
    static sqlite3 *registered;
    sqlite3 *db = rd_store_db(s);
    if (registered == db)
        return 0;
    if (sqlite3_create_function_v2(db, "rd_segment", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, s_segment_fn, NULL,
                                   NULL, NULL) != SQLITE_OK)
        return -1;
    registered = db;
    return 0;
}

/* Builds a variant's SQL. Tables have key columns (pk, sk), indexes (ipk, isk, pk, sk). */
static void s_read_sql(const rd_table_t *t, const rd_index_t *ix, unsigned v, ddb_buf_t *sql)
{
    bool is_ix = ix != NULL;
    const char *hcol = is_ix ? "ipk" : "pk", *rcol = is_ix ? "isk" : "sk";
    const char *dir = (v & RD_READ_DESC) ? " DESC" : "";
    if (is_ix)
        ddb_buf_printf(sql, "SELECT ipk, isk, pk, sk, item, size FROM ix_%lld_%lld WHERE 1", (long long)t->phys,
                       (long long)ix->id);
    else
        ddb_buf_printf(sql, "SELECT pk, sk, item, size FROM items_%lld WHERE 1", (long long)t->phys);
    if (!(v & RD_READ_SCAN)) {
        ddb_buf_printf(sql, " AND %s = ?1", hcol);
        if (v & (RD_READ_LO_GT | RD_READ_LO_GE))
            ddb_buf_printf(sql, " AND %s %s ?2", rcol, (v & RD_READ_LO_GT) ? ">" : ">=");
        if (v & (RD_READ_HI_LT | RD_READ_HI_LE))
            ddb_buf_printf(sql, " AND %s %s ?3", rcol, (v & RD_READ_HI_LT) ? "<" : "<=");
        if (v & RD_READ_START) {
            const char *op = (v & RD_READ_DESC) ? "<" : ">";
            if (is_ix)
                ddb_buf_printf(sql, " AND (isk, pk, sk) %s (?5, ?6, ?7)", op);
            else
                ddb_buf_printf(sql, " AND sk %s ?5", op);
        }
        if (is_ix)
            ddb_buf_printf(sql, " ORDER BY isk%s, pk%s, sk%s", dir, dir, dir);
        else
            ddb_buf_printf(sql, " ORDER BY sk%s", dir);
    } else {
        if (v & RD_READ_START)
            ddb_buf_puts(sql, is_ix ? " AND (ipk, isk, pk, sk) > (?4, ?5, ?6, ?7)" : " AND (pk, sk) > (?4, ?5)");
        if (v & RD_READ_SEGMENT)
            ddb_buf_printf(sql, " AND rd_segment(%s, ?9) = ?8", hcol);
        ddb_buf_puts(sql, is_ix ? " ORDER BY ipk, isk, pk, sk" : " ORDER BY pk, sk");
    }
    ddb_buf_puts(sql, " LIMIT ?10");
}

sqlite3_stmt *rd_index_read_stmt(rd_store_t *s, rd_table_t *t, rd_index_t *ix, unsigned variant)
{
    sqlite3_stmt **slot = ix ? &ix->reads[variant] : &s_ix(t)->reads[variant];
    if (*slot)
        return *slot;
    if ((variant & RD_READ_SEGMENT) && s_register_segment(s) != 0)
        return NULL;
    ddb_buf_t sql = DDB_BUF_INIT;
    s_read_sql(t, ix, variant, &sql);
    *slot = s_prepare(s, sql.data);
    ddb_buf_free(&sql);
    return *slot;
}
