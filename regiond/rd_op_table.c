/* rd_op_table: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, checked
 * in the service's order (JSON types, member constraints, rules between members, the
 * table's existence). Tables are ACTIVE once stored; answers show the service's
 * transitional status. Features of later issues are refused, never ignored. */
#include "rd_op_table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rd_index.h"
#include "rd_json.h"
#include "rd_stream.h"
#include "rd_replica.h"
#include "rd_table.h"

#define MAX_CAPACITY_UNITS 1000000000000LL   /* above this: "Given value N ... is out of bounds" */
#define FREE_DECREASES_PER_DAY 4             /* then one decrease per hour */

static const char s_invalid[] = "One or more parameter values were invalid: ";

/* Appends {"<wrapper>":<TableDescription>} for t as it is now. */
static int s_answer_description(rd_req_t *req, const char *wrapper, const rd_table_t *t, const char *status,
                                 bool is_create)
{
    rd_describe_opts_t opts = { req->region, status, 0, 0, is_create, req->store };
    if (!is_create && rd_store_table_counts(req->store, t, &opts.item_count, &opts.size_bytes, req->err) != 0)
        return -1;
    ddb_buf_printf(req->out, "{\"%s\":", wrapper);
    rd_table_describe(t, &opts, req->out);
    ddb_buf_puts(req->out, "}");
    return 0;
}

/* A feature a later issue adds: refused with a ValidationException that says so. */
static int s_refuse_unsupported(rd_req_t *req, const char *const *members)
{
    for (; *members; members++)
        if (rd_json_has(req->body, *members))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s%s is not supported by Meridian yet", s_invalid,
                               *members);
    return 0;
}

/* A specification whose `flag` is false (StreamSpecification {StreamEnabled:false},
 * SSESpecification {Enabled:false}) asks for nothing; an enabled one is a feature a
 * later issue adds. */
static int s_refuse_enabled(rd_req_t *req, const char *member, const char *flag)
{
    const cJSON *spec;
    if (rd_json_object(req->body, member, &spec, req->err) != 0)
        return -1;
    bool present, enabled = false;
    if (spec && rd_json_bool(spec, flag, &present, &enabled, req->err) != 0)
        return -1;
    if (spec && enabled)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s%s is not supported by Meridian yet", s_invalid, member);
    return 0;
}

/* ---- ProvisionedThroughput ---- */

typedef struct s_throughput {
    bool given;           /* the member was present */
    bool rcu_set, wcu_set;
    int64_t rcu, wcu;
} s_throughput_t;

/* Reads ProvisionedThroughput, recording null and < 1 members as violations. */
static int s_throughput_parse(rd_req_t *req, s_throughput_t *pt, rd_verrs_t *v)
{
    memset(pt, 0, sizeof(*pt));
    const cJSON *obj;
    if (rd_json_object(req->body, "ProvisionedThroughput", &obj, req->err) != 0)
        return -1;
    if (!obj)
        return 0;
    pt->given = true;
    if (rd_json_long(obj, "WriteCapacityUnits", &pt->wcu_set, &pt->wcu, req->err) != 0 ||
        rd_json_long(obj, "ReadCapacityUnits", &pt->rcu_set, &pt->rcu, req->err) != 0)
        return -1;
    char num[32];
    if (!pt->wcu_set)
        rd_verr_value(v, NULL, "provisionedThroughput.writeCapacityUnits", "Member must not be null");
    else if (pt->wcu < 1) {
        snprintf(num, sizeof(num), "%" PRId64, pt->wcu);
        rd_verr_value(v, num, "provisionedThroughput.writeCapacityUnits",
                      "Member must have value greater than or equal to 1");
    }
    if (!pt->rcu_set)
        rd_verr_value(v, NULL, "provisionedThroughput.readCapacityUnits", "Member must not be null");
    else if (pt->rcu < 1) {
        snprintf(num, sizeof(num), "%" PRId64, pt->rcu);
        rd_verr_value(v, num, "provisionedThroughput.readCapacityUnits",
                      "Member must have value greater than or equal to 1");
    }
    return 0;
}

static int s_throughput_bounds(rd_req_t *req, const s_throughput_t *pt)
{
    if (pt->given && pt->rcu > MAX_CAPACITY_UNITS)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Given value %" PRId64 " for ReadCapacityUnits is out of bounds",
                           pt->rcu);
    if (pt->given && pt->wcu > MAX_CAPACITY_UNITS)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Given value %" PRId64 " for WriteCapacityUnits is out of bounds", pt->wcu);
    return 0;
}

/* Reads an enum member, recording a value outside `allowed` (the service lists the
 * set in its message as `set`). */
static int s_enum(rd_req_t *req, const char *field, const char *path, const char *const *allowed, const char *set,
                  const char **out, rd_verrs_t *v)
{
    if (rd_json_string(req->body, field, out, req->err) != 0)
        return -1;
    if (!*out)
        return 0;
    for (const char *const *a = allowed; *a; a++)
        if (strcmp(*out, *a) == 0)
            return 0;
    char constraint[160];
    snprintf(constraint, sizeof(constraint), "Member must satisfy enum value set: %s", set);
    rd_verr_value(v, *out, path, constraint);
    return 0;
}

static const char *const s_billing_modes[] = { "PROVISIONED", "PAY_PER_REQUEST", NULL };
static const char *const s_table_classes[] = { "STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL };
#define BILLING_SET "[PROVISIONED, PAY_PER_REQUEST]"
#define CLASS_SET "[STANDARD, STANDARD_INFREQUENT_ACCESS]"

/* ---- CreateTable ---- */

/* The parsed and type-checked CreateTable input (pointers borrow from the body). */
typedef struct s_create_input {
    const char *name;                 /* TableName */
    const cJSON *attr_defs;           /* AttributeDefinitions */
    const cJSON *key_schema;          /* KeySchema */
    const char *billing;              /* BillingMode or NULL */
    s_throughput_t pt;                /* ProvisionedThroughput */
    bool protection;                  /* DeletionProtectionEnabled */
    const char *table_class;          /* TableClass or NULL */
    const cJSON *tags;                /* Tags or NULL */
} s_create_input_t;

/* Checks the members of one AttributeDefinition or KeySchemaElement list. */
static int s_check_elements(rd_req_t *req, const cJSON *list, const char *path, const char *kind_field,
                            const char *kind_path, const char *const *kinds, const char *kind_set, rd_verrs_t *v)
{
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        i++;
        const char *name, *kind;
        if (rd_json_expect_object(e, req->err) != 0 || rd_json_string(e, "AttributeName", &name, req->err) != 0 ||
            rd_json_string(e, kind_field, &kind, req->err) != 0)
            return -1;
        char p[96];
        snprintf(p, sizeof(p), "%s.%d.member.attributeName", path, i);
        if (!name)
            rd_verr_value(v, NULL, p, "Member must not be null");
        else if (name[0] == '\0')   /* API reference: AttributeName length 1..255 */
            rd_verr_value(v, name, p, "Member must have length greater than or equal to 1");
        else if (strlen(name) > 255)
            rd_verr_value(v, name, p, "Member must have length less than or equal to 255");
        snprintf(p, sizeof(p), "%s.%d.member.%s", path, i, kind_path);
        if (!kind) {
            rd_verr_value(v, NULL, p, "Member must not be null");
            continue;
        }
        const char *const *k = kinds;
        while (*k && strcmp(*k, kind) != 0)
            k++;
        if (!*k) {
            char constraint[96];
            snprintf(constraint, sizeof(constraint), "Member must satisfy enum value set: %s", kind_set);
            rd_verr_value(v, kind, p, constraint);
        }
    }
    return 0;
}

static const char *const s_attr_types[] = { "B", "N", "S", NULL };
static const char *const s_key_types[] = { "HASH", "RANGE", NULL };

/* Types and member constraints of a CreateTable request. */
static int s_create_parse(rd_req_t *req, s_create_input_t *in)
{
    memset(in, 0, sizeof(*in));
    rd_verrs_t v = RD_VERRS_INIT;
    bool present;
    if (rd_json_string(req->body, "TableName", &in->name, req->err) != 0 ||
        rd_json_list(req->body, "AttributeDefinitions", &in->attr_defs, req->err) != 0 ||
        rd_json_list(req->body, "KeySchema", &in->key_schema, req->err) != 0 ||
        rd_json_bool(req->body, "DeletionProtectionEnabled", &present, &in->protection, req->err) != 0 ||
        rd_json_list(req->body, "Tags", &in->tags, req->err) != 0)
        return -1;
    if (!in->attr_defs)
        rd_verr_value(&v, NULL, "attributeDefinitions", "Member must not be null");
    else if (s_check_elements(req, in->attr_defs, "attributeDefinitions", "AttributeType", "attributeType",
                              s_attr_types, "[B, N, S]", &v) != 0)
        return -1;
    rd_table_name_check(in->name, true, "tableName", &v);
    if (s_throughput_parse(req, &in->pt, &v) != 0)
        return -1;
    if (!in->key_schema)
        rd_verr_value(&v, NULL, "keySchema", "Member must not be null");
    else if (cJSON_GetArraySize(in->key_schema) == 0)
        rd_verr_value(&v, "[]", "keySchema", "Member must have length greater than or equal to 1");
    else if (cJSON_GetArraySize(in->key_schema) > 2)
        rd_verr_value(&v, "[KeySchemaElement, ...]", "keySchema", "Member must have length less than or equal to 2");
    else if (s_check_elements(req, in->key_schema, "keySchema", "KeyType", "keyType", s_key_types, "[HASH, RANGE]",
                              &v) != 0)
        return -1;
    if (s_enum(req, "BillingMode", "billingMode", s_billing_modes, BILLING_SET, &in->billing, &v) != 0 ||
        s_enum(req, "TableClass", "tableClass", s_table_classes, CLASS_SET, &in->table_class, &v) != 0)
        return -1;
    return rd_verr_finish(&v, req->err);
}

/* BillingMode against ProvisionedThroughput (PROVISIONED is the default). */
static int s_create_check_billing(rd_req_t *req, const s_create_input_t *in)
{
    bool ppr = in->billing && strcmp(in->billing, "PAY_PER_REQUEST") == 0;
    if (ppr && in->pt.given)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sNeither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
                           "PAY_PER_REQUEST", s_invalid);
    if (!ppr && !in->pt.given)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is "
                           "PROVISIONED", s_invalid);
    return s_throughput_bounds(req, &in->pt);
}

static const char *s_elem_str(const cJSON *e, const char *field)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, field);
    return cJSON_IsString(s) ? s->valuestring : "";
}

/* Appends "a, b" (the AttributeName of each element) to buf. */
static void s_join_names(const cJSON *list, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", s_elem_str(e, "AttributeName"));
        if (n < 0 || (size_t)n >= size - len)
            return;
        len += (size_t)n;
    }
}

static bool s_defined(const cJSON *defs, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
        if (strcmp(s_elem_str(d, "AttributeName"), name) == 0)
            return true;
    return false;
}

/* KeySchema against AttributeDefinitions, in the order the service checks. */
static int s_create_check_keys(rd_req_t *req, const s_create_input_t *in)
{
    int nkeys = cJSON_GetArraySize(in->key_schema);
    const cJSON *k0 = cJSON_GetArrayItem(in->key_schema, 0), *k1 = cJSON_GetArrayItem(in->key_schema, 1);
    const char *n0 = s_elem_str(k0, "AttributeName"), *n1 = k1 ? s_elem_str(k1, "AttributeName") : NULL;
    bool all_defined = s_defined(in->attr_defs, n0) && (!n1 || s_defined(in->attr_defs, n1));
    if (nkeys == 2 && (!all_defined || (strcmp(n0, n1) == 0 && cJSON_GetArraySize(in->attr_defs) == 1)))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Invalid KeySchema: Some index key attribute have no definition");
    if (nkeys == 1 && !all_defined) {
        char keys[512], defs[512];
        s_join_names(in->key_schema, keys, sizeof(keys));
        s_join_names(in->attr_defs, defs, sizeof(defs));
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sSome index key attributes are not defined in AttributeDefinitions. Keys: [%s], "
                           "AttributeDefinitions: [%s]", s_invalid, keys, defs);
    }
    if (n1 && strcmp(n0, n1) == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    if (strcmp(s_elem_str(k0, "KeyType"), "HASH") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    if (k1 && strcmp(s_elem_str(k1, "KeyType"), "RANGE") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    bool has_indexes = rd_json_has(req->body, "LocalSecondaryIndexes") ||
                       rd_json_has(req->body, "GlobalSecondaryIndexes");
    if (!has_indexes && nkeys != cJSON_GetArraySize(in->attr_defs))   /* else rd_index_parse_create checks */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sNumber of attributes in KeySchema does not exactly match number of attributes defined "
                           "in AttributeDefinitions", s_invalid);
    return 0;
}

/* Tags: a list of {Key, Value} strings. */
static int s_create_check_tags(rd_req_t *req, const cJSON *tags)
{
    rd_verrs_t v = RD_VERRS_INIT;
    int i = 0;
    const cJSON *tag;
    cJSON_ArrayForEach(tag, tags) {
        i++;
        const char *key, *value;
        if (rd_json_expect_object(tag, req->err) != 0 || rd_json_string(tag, "Key", &key, req->err) != 0 ||
            rd_json_string(tag, "Value", &value, req->err) != 0)
            return -1;
        char path[64];
        snprintf(path, sizeof(path), "tags.%d.member.key", i);
        if (!key)
            rd_verr_value(&v, NULL, path, "Member must not be null");
        snprintf(path, sizeof(path), "tags.%d.member.value", i);
        if (!value)
            rd_verr_value(&v, NULL, path, "Member must not be null");
    }
    return rd_verr_finish(&v, req->err);
}

/* Builds the stored definition from a validated request. */
static rd_table_t *s_create_definition(rd_req_t *req, const s_create_input_t *in)
{
    rd_table_t *t = rd_table_new(req->account, in->name);
    size_t n = (size_t)cJSON_GetArraySize(in->attr_defs);
    t->attr_defs = calloc(n, sizeof(*t->attr_defs));
    if (!t->attr_defs)
        abort();
    const cJSON *d;
    cJSON_ArrayForEach(d, in->attr_defs) {
        rd_attr_def_t *a = &t->attr_defs[t->n_attr_defs++];
        a->name = strdup(s_elem_str(d, "AttributeName"));
        ddb_type_parse(s_elem_str(d, "AttributeType"), &a->type);
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, in->key_schema) {
        rd_attr_def_t *slot = strcmp(s_elem_str(k, "KeyType"), "HASH") == 0 ? &t->hash_key : &t->range_key;
        slot->name = strdup(s_elem_str(k, "AttributeName"));
        for (size_t i = 0; i < t->n_attr_defs; i++)
            if (strcmp(t->attr_defs[i].name, slot->name) == 0)
                slot->type = t->attr_defs[i].type;
    }
    bool ppr = in->billing && strcmp(in->billing, "PAY_PER_REQUEST") == 0;
    t->billing = ppr ? RD_BILLING_PAY_PER_REQUEST : RD_BILLING_PROVISIONED;
    t->rcu = ppr ? 0 : in->pt.rcu;
    t->wcu = ppr ? 0 : in->pt.wcu;
    t->warm_read = ppr ? RD_WARM_PPR_READ : t->rcu;
    t->warm_write = ppr ? RD_WARM_PPR_WRITE : t->wcu;
    t->created = rd_now_seconds();
    t->last_update_to_ppr = ppr ? t->created : 0;
    t->deletion_protection = in->protection;
    t->table_class = in->table_class ? strdup(in->table_class) : NULL;
    t->tags = in->tags ? cJSON_Duplicate(in->tags, 1) : NULL;
    return t;
}

static const char *const s_create_unsupported[] = {
    "OnDemandThroughput", "WarmThroughput",
    "ResourcePolicy", "GlobalTableSourceArn", NULL,
};

int rd_op_create_table(rd_req_t *req)
{
    s_create_input_t in;
    rd_stream_spec_t stream;
    if (s_create_parse(req, &in) != 0 || s_refuse_unsupported(req, s_create_unsupported) != 0 ||
        rd_stream_spec_parse(req->body, &stream, req->err) != 0 ||
        s_refuse_enabled(req, "SSESpecification", "Enabled") != 0 || s_create_check_billing(req, &in) != 0 || s_create_check_keys(req, &in) != 0 ||
        s_create_check_tags(req, in.tags) != 0)
        return -1;
    if (rd_store_find(req->store, req->account, in.name))
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_IN_USE, "Table already exists: %s", in.name);
    rd_table_t *t = s_create_definition(req, &in);
    if (rd_index_parse_create(req, t) != 0) {
        rd_table_destroy(&t);
        return -1;
    }
    if (rd_store_create_table(req->store, &t, req->err) != 0) {
        rd_table_destroy(&t);
        return -1;
    }
    rd_table_t *created = rd_store_find(req->store, req->account, in.name);
    if (stream.enabled && rd_stream_apply_spec(req->store, created, req->region, &stream, req->err) != 0)
        return -1;
    return s_answer_description(req, "TableDescription", created, "CREATING", true);
}

/* ---- DescribeTable ---- */

int rd_op_describe_table(rd_req_t *req)
{
    if (rd_req_table(req) != 0)
        return -1;
    return s_answer_description(req, "Table", req->table, req->table->status, false);
}

/* ---- ListTables ---- */

#define LIST_TABLES_MAX 100

/* ExclusiveStartTableName (a valid table name) and Limit (1..100). */
static int s_list_parse(rd_req_t *req, const char **start, size_t *limit)
{
    bool has_limit;
    int64_t n;
    if (rd_json_string(req->body, "ExclusiveStartTableName", start, req->err) != 0 ||
        rd_json_long(req->body, "Limit", &has_limit, &n, req->err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    if (*start)
        rd_table_name_check(*start, true, "exclusiveStartTableName", &v);
    if (has_limit && (n < 1 || n > LIST_TABLES_MAX)) {
        char num[32];
        snprintf(num, sizeof(num), "%" PRId64, n);
        rd_verr_value(&v, num, "limit",
                      n < 1 ? "Member must have value greater than or equal to 1"
                            : "Member must have value less than or equal to 100");
    }
    *limit = has_limit ? (size_t)n : LIST_TABLES_MAX;
    return rd_verr_finish(&v, req->err);
}

int rd_op_list_tables(rd_req_t *req)
{
    const char *start;
    size_t limit;
    if (s_list_parse(req, &start, &limit) != 0)
        return -1;
    const rd_table_t *page[LIST_TABLES_MAX];
    bool more;
    size_t n = rd_store_list(req->store, req->account, start, limit, page, &more);
    ddb_buf_puts(req->out, "{\"TableNames\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            ddb_buf_putc(req->out, ',');
        ddb_buf_json_str(req->out, page[i]->name, strlen(page[i]->name));
    }
    ddb_buf_puts(req->out, "]");
    if (more && n > 0) {   /* only when more tables remain */
        ddb_buf_puts(req->out, ",\"LastEvaluatedTableName\":");
        ddb_buf_json_str(req->out, page[n - 1]->name, strlen(page[n - 1]->name));
    }
    ddb_buf_puts(req->out, "}");
    return 0;
}

/* ---- DeleteTable ---- */

int rd_op_delete_table(rd_req_t *req)
{
    if (rd_req_table(req) != 0)
        return -1;
    if (req->table->deletion_protection)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Resource cannot be deleted as it is currently protected against deletion. Disable "
                           "deletion protection first.");
    if (s_answer_description(req, "TableDescription", req->table, "DELETING", false) != 0)
        return -1;
    if (rd_replica_on_delete_table(req, req->table) != 0)   /* a global table's replica leaves its group */
        return -1;
    return rd_store_drop_table(req->store, &req->table, req->err);
}

/* ---- UpdateTable ---- */

typedef struct s_update_input {
    const char *billing;       /* BillingMode or NULL */
    s_throughput_t pt;         /* ProvisionedThroughput */
    bool protection_set;       /* DeletionProtectionEnabled present */
    bool protection;
    const char *table_class;   /* TableClass or NULL */
    rd_stream_spec_t stream;   /* StreamSpecification */
} s_update_input_t;

static const char *const s_update_unsupported[] = {
    "SSESpecification", "OnDemandThroughput", "WarmThroughput",
    "MultiRegionConsistency", "GlobalTableWitnessUpdates", NULL,
};

static int s_update_parse(rd_req_t *req, s_update_input_t *in)
{
    memset(in, 0, sizeof(*in));
    rd_verrs_t v = RD_VERRS_INIT;
    if (s_throughput_parse(req, &in->pt, &v) != 0 ||
        s_enum(req, "BillingMode", "billingMode", s_billing_modes, BILLING_SET, &in->billing, &v) != 0 ||
        s_enum(req, "TableClass", "tableClass", s_table_classes, CLASS_SET, &in->table_class, &v) != 0 ||
        rd_json_bool(req->body, "DeletionProtectionEnabled", &in->protection_set, &in->protection, req->err) != 0)
        return -1;
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    if (s_refuse_unsupported(req, s_update_unsupported) != 0 ||
        rd_stream_spec_parse(req->body, &in->stream, req->err) != 0)
        return -1;
    bool other = in->pt.given || in->billing || in->table_class || in->stream.given ||
                 rd_json_has(req->body, "GlobalSecondaryIndexUpdates");
    if (!other && !in->protection_set)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                           "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
    if (other && in->protection_set)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "DeletionProtection modification must be the only operation in the request");
    return s_throughput_bounds(req, &in->pt);
}

/* The billing and throughput rules, against the table's current settings. */
static int s_update_check_billing(rd_req_t *req, const rd_table_t *t, const s_update_input_t *in)
{
    bool to_provisioned = in->billing && strcmp(in->billing, "PROVISIONED") == 0;
    bool ppr_after = in->billing ? !to_provisioned : t->billing == RD_BILLING_PAY_PER_REQUEST;
    if (to_provisioned && !in->pt.given)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sProvisionedThroughput must be specified when BillingMode is PROVISIONED", s_invalid);
    if (ppr_after && in->pt.given)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sNeither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
                           "PAY_PER_REQUEST", s_invalid);
    if (in->pt.given && t->billing == RD_BILLING_PROVISIONED && in->pt.rcu == t->rcu && in->pt.wcu == t->wcu)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The provisioned throughput for the table will not change. The requested value equals the "
                           "current value. Current ReadCapacityUnits provisioned for the table: %" PRId64
                           ". Requested ReadCapacityUnits: %" PRId64 ". Current WriteCapacityUnits provisioned for "
                           "the table: %" PRId64 ". Requested WriteCapacityUnits: %" PRId64 ". Refer to the Amazon "
                           "DynamoDB Developer Guide for current limits and how to request higher limits.",
                           t->rcu, in->pt.rcu, t->wcu, in->pt.wcu);
    return 0;
}

static void s_iso_time(double when, char *buf, size_t size)
{
    time_t secs = (time_t)when;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, size, "%a %b %d %H:%M:%S UTC %Y", &tm);
}

/* The service's daily budget of throughput decreases: 4 free, then one an hour. */
static int s_update_check_decrease(rd_req_t *req, const rd_table_t *t, const s_update_input_t *in, double now)
{
    bool decrease = in->pt.given && t->billing == RD_BILLING_PROVISIONED && (in->pt.rcu < t->rcu || in->pt.wcu < t->wcu);
    int64_t today = (int64_t)(now / 86400);
    if (!decrease || t->decrease_day != today || t->decreases_today < FREE_DECREASES_PER_DAY ||
        now - t->last_decrease >= 3600)
        return 0;
    char last[64], next[64];
    s_iso_time(t->last_decrease, last, sizeof(last));
    s_iso_time(t->last_decrease + 3600, next, sizeof(next));
    return ddb_err_set(req->err, DDB_ERR_LIMIT_EXCEEDED,
                       "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. "
                       "After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at "
                       "most once every 3600 seconds. Number of decreases today: %d. Last decrease at %s. Next "
                       "decrease can be made at %s",
                       t->decreases_today, last, next);
}

static void s_apply_throughput(rd_table_t *t, const s_throughput_t *pt, double now)
{
    bool was_provisioned = t->billing == RD_BILLING_PROVISIONED;
    if (was_provisioned && (pt->rcu > t->rcu || pt->wcu > t->wcu))
        t->last_increase = now;
    if (was_provisioned && (pt->rcu < t->rcu || pt->wcu < t->wcu)) {
        int64_t today = (int64_t)(now / 86400);
        t->decreases_today = t->decrease_day == today ? t->decreases_today + 1 : 1;
        t->decrease_day = today;
        t->last_decrease = now;
    }
    t->rcu = pt->rcu;
    t->wcu = pt->wcu;
    if (t->rcu > t->warm_read)
        t->warm_read = t->rcu;
    if (t->wcu > t->warm_write)
        t->warm_write = t->wcu;
}

/* Applies the request to the in-memory definition (stored by the caller). */
static void s_update_apply(rd_table_t *t, const s_update_input_t *in, double now)
{
    if (in->billing && strcmp(in->billing, "PAY_PER_REQUEST") == 0 && t->billing != RD_BILLING_PAY_PER_REQUEST) {
        t->billing = RD_BILLING_PAY_PER_REQUEST;
        t->last_update_to_ppr = now;
        if (t->warm_read < RD_WARM_PPR_READ)
            t->warm_read = RD_WARM_PPR_READ;
        if (t->warm_write < RD_WARM_PPR_WRITE)
            t->warm_write = RD_WARM_PPR_WRITE;
    }
    if (in->pt.given) {
        s_apply_throughput(t, &in->pt, now);
        t->billing = RD_BILLING_PROVISIONED;
    }
    if (in->protection_set)
        t->deletion_protection = in->protection;
    if (in->table_class && strcmp(in->table_class, t->table_class ? t->table_class : "STANDARD") != 0) {
        free(t->table_class);
        t->table_class = strdup(in->table_class);
        t->table_class_updated = now;
    }
}

/* The service answers a capacity or class change before applying it: UPDATING, the
 * old throughput and decrease counters, but already the new billing mode. */
static int s_answer_update(rd_req_t *req, const rd_table_t *t, const s_update_input_t *in)
{
    rd_table_t shown = *t;
    if (in->billing && strcmp(in->billing, "PAY_PER_REQUEST") == 0 && t->billing != RD_BILLING_PAY_PER_REQUEST) {
        shown.billing = RD_BILLING_PAY_PER_REQUEST;
        shown.last_update_to_ppr = 0;
    } else if (in->billing && strcmp(in->billing, "PROVISIONED") == 0 && t->billing != RD_BILLING_PROVISIONED) {
        shown.billing = RD_BILLING_PROVISIONED;
        shown.rcu = in->pt.rcu;
        shown.wcu = in->pt.wcu;
    }
    return s_answer_description(req, "TableDescription", &shown, "UPDATING", false);
}

int rd_op_update_table(rd_req_t *req)
{
    s_update_input_t in;
    if (rd_json_has(req->body, "ReplicaUpdates"))   /* global tables: rd_replica */
        return rd_replica_update_table(req);
    if (s_update_parse(req, &in) != 0 || rd_req_table(req) != 0 ||
        rd_replica_check_update(req, req->table, &in.stream) != 0)
        return -1;
    rd_table_t *t = req->table;
    double now = rd_now_seconds();
    if (s_update_check_billing(req, t, &in) != 0 || s_update_check_decrease(req, t, &in, now) != 0)
        return -1;
    if (rd_stream_apply_spec(req->store, t, req->region, &in.stream, req->err) != 0)
        return -1;
    if (rd_json_has(req->body, "GlobalSecondaryIndexUpdates") && rd_index_update_table(req) != 0)
        return -1;
    if (!in.protection_set && s_answer_update(req, t, &in) != 0)
        return -1;
    s_update_apply(t, &in, now);
    rd_index_settle(t);   /* the answer showed a new index CREATING; it is filled already */
    if (rd_store_update_table(req->store, t, req->err) != 0)
        return -1;
    rd_replica_propagate(req, t);   /* a global table's billing and indexes change on every replica */
    /* a deletion-protection change is synchronous: the answer already shows it, ACTIVE */
    return in.protection_set ? s_answer_description(req, "TableDescription", t, "ACTIVE", false) : 0;
}
