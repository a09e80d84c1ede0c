/* rd_op_query: Query and Scan, on a table or on one of its secondary indexes. A
 * request is validated the service's way (Select, expressions or their legacy forms,
 * ExclusiveStartKey, parallel-scan segments), then one page is read with one SQLite
 * range statement (cached per table or index and shape) that stops at Limit or once
 * 1 MB of items was read, before FilterExpression, as the service does. */
#include "rd_op_query.h"

#include <stdio.h>
#include <string.h>

#include "ddb_expr.h"
#include "ddb_key.h"
#include "rd_cond.h"
#include "rd_index.h"
#include "rd_item.h"
#include "rd_json.h"

#define ENVELOPE "1 validation error detected: "
#define INVALID "One or more parameter values were invalid: "
#define PAGE_BYTES (1024 * 1024)     /* a page stops once this much was read */
#define MAX_SEGMENTS 1000000

typedef enum s_select {
    S_SEL_ALL = 0,        /* ALL_ATTRIBUTES */
    S_SEL_PROJECTED,      /* ALL_PROJECTED_ATTRIBUTES */
    S_SEL_SPECIFIC,       /* SPECIFIC_ATTRIBUTES */
    S_SEL_COUNT,          /* COUNT */
} s_select_t;

/* One validated Query or Scan. */
typedef struct s_read {
    bool is_scan;
    const char *index_name;            /* IndexName or NULL */
    rd_index_t *index;                 /* the index read, NULL: the table */
    const rd_attr_def_t *hash, *range; /* key schema read (range NULL when none) */
    bool has_select;
    s_select_t select;
    rd_capacity_mode_t capacity;
    bool has_limit;
    int64_t limit;
    bool consistent;
    bool forward;                      /* ScanIndexForward */
    bool has_segment, has_total;
    int64_t segment, total;
    const cJSON *start_json;           /* ExclusiveStartKey */
    ddb_expr_ctx_t *ctx;
    ddb_key_query_t kq;                /* Query: the key condition */
    ddb_expr_cond_t *filter;           /* FilterExpression / QueryFilter / ScanFilter */
    const ddb_expr_path_t *paths;      /* projection (NULL: whole items) */
    size_t n_paths;
    bool fetch;                        /* LSI: read the table's item for attributes it lacks */
} s_read_t;

/* The bound values of one page read (encoded keys, arena). */
typedef struct s_bounds {
    unsigned variant;
    ddb_str_t hash, lo, hi;
    ddb_str_t start[4];                /* exclusive start key columns */
} s_bounds_t;

/* What a page read produced. */
typedef struct s_page {
    int64_t count, scanned;
    int64_t bytes;                     /* sizes of the entries read */
    double fetch_units;                /* table reads an LSI needed */
    bool more;                         /* LastEvaluatedKey follows */
    ddb_buf_t items;                   /* "{...},{...}" */
    ddb_buf_t last_key;                /* the LastEvaluatedKey map */
} s_page_t;

/* ---- members ---- */

static const char *const s_select_names[] = { "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES",
                                              "COUNT", NULL };
static const char *const s_rcc_names[] = { "NONE", "TOTAL", "INDEXES", NULL };

static int s_enum_member(rd_req_t *req, const char *field, const char *path, const char *const *names,
                         const char *set, bool *present, int *index, rd_verrs_t *v)
{
    const char *s;
    *index = 0;
    if (rd_json_string(req->body, field, &s, req->err) != 0)
        return -1;
    if (present)
        *present = s != NULL;
    if (!s)
        return 0;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0) {
            *index = i;
            return 0;
        }
    char constraint[160];
    snprintf(constraint, sizeof(constraint), "Member must satisfy enum value set: [%s]", set);
    rd_verr_value(v, s, path, constraint);
    return 0;
}

static void s_long_range(rd_verrs_t *v, bool present, int64_t n, const char *path, int64_t lo, int64_t hi)
{
    char num[32], constraint[96];
    if (!present)
        return;
    snprintf(num, sizeof(num), "%lld", (long long)n);
    if (n < lo) {
        snprintf(constraint, sizeof(constraint), "Member must have value greater than or equal to %lld", (long long)lo);
        rd_verr_value(v, num, path, constraint);
    } else if (hi > 0 && n > hi) {
        snprintf(constraint, sizeof(constraint), "Member must have value less than or equal to %lld", (long long)hi);
        rd_verr_value(v, num, path, constraint);
    }
}

/* The members every Query and Scan has, with their constraints. */
static int s_members(rd_req_t *req, s_read_t *r)
{
    rd_verrs_t v = RD_VERRS_INIT;
    int sel, rcc, cop;
    bool present;
    static const char *const cop_names[] = { "AND", "OR", NULL };
    r->forward = true;
    if (s_enum_member(req, "Select", "select", s_select_names,
                      "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES", &r->has_select, &sel,
                      &v) != 0 ||
        s_enum_member(req, "ReturnConsumedCapacity", "returnConsumedCapacity", s_rcc_names, "INDEXES, TOTAL, NONE",
                      NULL, &rcc, &v) != 0 ||
        s_enum_member(req, "ConditionalOperator", "conditionalOperator", cop_names, "OR, AND", NULL, &cop, &v) != 0 ||
        rd_json_long(req->body, "Limit", &r->has_limit, &r->limit, req->err) != 0 ||
        rd_json_bool(req->body, "ConsistentRead", &present, &r->consistent, req->err) != 0 ||
        rd_json_bool(req->body, "ScanIndexForward", &present, &r->forward, req->err) != 0 ||
        rd_json_string(req->body, "IndexName", &r->index_name, req->err) != 0 ||
        rd_json_object(req->body, "ExclusiveStartKey", &r->start_json, req->err) != 0)
        return -1;
    if (!present)
        r->forward = true;
    r->select = (s_select_t)sel;
    r->capacity = (rd_capacity_mode_t)rcc;
    if (r->is_scan && (rd_json_long(req->body, "Segment", &r->has_segment, &r->segment, req->err) != 0 ||
                       rd_json_long(req->body, "TotalSegments", &r->has_total, &r->total, req->err) != 0))
        return -1;
    s_long_range(&v, r->has_limit, r->limit, "limit", 1, 0);
    if (r->index_name) {
        size_t len = strlen(r->index_name);
        if (len < 3)
            rd_verr_value(&v, r->index_name, "indexName", "Member must have length greater than or equal to 3");
        else if (len > 255)
            rd_verr_value(&v, r->index_name, "indexName", "Member must have length less than or equal to 255");
    }
    s_long_range(&v, r->has_segment, r->segment, "segment", 0, MAX_SEGMENTS - 1);
    s_long_range(&v, r->has_total, r->total, "totalSegments", 1, MAX_SEGMENTS);
    return rd_verr_finish(&v, req->err);
}

/* Segment and TotalSegments go together, Segment < TotalSegments. */
static int s_check_segments(rd_req_t *req, const s_read_t *r)
{
    if (r->has_total && !r->has_segment)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The Segment parameter is required but was not present in the request when parameter "
                           "TotalSegments is present");
    if (r->has_segment && !r->has_total)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The TotalSegments parameter is required but was not present in the request when Segment "
                           "parameter is present");
    if (r->has_segment && r->segment >= r->total)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                           "Segment: %lld is not less than TotalSegments: %lld",
                           (long long)r->segment, (long long)r->total);
    return 0;
}

/* Select against the projection parameters. */
static int s_check_select(rd_req_t *req, s_read_t *r)
{
    const char *proj = rd_json_has(req->body, "ProjectionExpression") ? "ProjectionExpression"
                       : rd_json_has(req->body, "AttributesToGet")    ? "AttributesToGet"
                                                                      : NULL;
    if (!r->has_select) {
        r->select = proj ? S_SEL_SPECIFIC : r->index_name ? S_SEL_PROJECTED : S_SEL_ALL;
        return 0;
    }
    if (r->select == S_SEL_SPECIFIC && !proj)
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Must specify the ProjectionExpression or AttributesToGet when choosing to get "
                           "SPECIFIC_ATTRIBUTES");
    if (r->select != S_SEL_SPECIFIC && proj)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Cannot specify the %s when choosing to get %s", proj,
                           r->select == S_SEL_COUNT ? "only the Count" : s_select_names[r->select]);
    if (r->select == S_SEL_PROJECTED && !r->index_name)
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
    return 0;
}

/* ---- legacy parameters ---- */

typedef struct s_legacy_op {
    const char *name;
    int nargs;            /* -1: one or more */
    const char *fmt;      /* with %1$s the name, %2$s/%3$s values */
} s_legacy_op_t;

static const s_legacy_op_t s_legacy_ops[] = {
    { "EQ", 1, "%s = %s" }, { "NE", 1, "%s <> %s" }, { "LE", 1, "%s <= %s" }, { "LT", 1, "%s < %s" },
    { "GE", 1, "%s >= %s" }, { "GT", 1, "%s > %s" }, { "NOT_NULL", 0, "attribute_exists(%s)" },
    { "NULL", 0, "attribute_not_exists(%s)" }, { "CONTAINS", 1, "contains(%s, %s)" },
    { "NOT_CONTAINS", 1, "NOT contains(%s, %s)" }, { "BEGINS_WITH", 1, "begins_with(%s, %s)" },
    { "IN", -1, NULL }, { "BETWEEN", 2, "%s BETWEEN %s AND %s" },
};

/* Reads and checks one legacy entry: its operator (*op), and its values (*list). */
static int s_legacy_entry(rd_req_t *req, const cJSON *entry, const char *member, bool keys, const s_legacy_op_t **op,
                          const cJSON **list)
{
    const char *name;
    if (rd_json_expect_object(entry, req->err) != 0 ||
        rd_json_string(entry, "ComparisonOperator", &name, req->err) != 0 ||
        rd_json_list(entry, "AttributeValueList", list, req->err) != 0)
        return -1;
    if (!name)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           ENVELOPE "Value null at '%s.%s.member.comparisonOperator' failed to satisfy constraint: "
                           "Member must not be null", member, entry->string);
    *op = NULL;
    for (size_t i = 0; i < sizeof(s_legacy_ops) / sizeof(s_legacy_ops[0]); i++)
        if (strcmp(s_legacy_ops[i].name, name) == 0)
            *op = &s_legacy_ops[i];
    if (!*op)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           ENVELOPE "Value '%s' at '%s.%s.member.comparisonOperator' failed to satisfy constraint: "
                           "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, "
                           "NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", name, member, entry->string);
    static const char *const key_ops = " EQ LE LT GE GT BEGINS_WITH BETWEEN ";
    char word[32];
    snprintf(word, sizeof(word), " %s ", name);
    if (keys && !strstr(key_ops, word))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, INVALID "Unsupported operator on KeyCondition: %s", name);
    int nargs = cJSON_GetArraySize(*list);
    if (((*op)->nargs >= 0 && nargs != (*op)->nargs) || ((*op)->nargs < 0 && nargs < 1))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           INVALID "Invalid number of argument(s) for the %s ComparisonOperator", name);
    return 0;
}

/* Translates a legacy condition map (KeyConditions, QueryFilter, ScanFilter) into
 * expression text over placeholders "#<prefix>n" / ":<prefix>n_i" in ctx. Returns
 * the number of conditions, or -1. */
static int s_legacy_map(rd_req_t *req, s_read_t *r, const cJSON *map, const char *member, const char *prefix,
                        const char *joiner, bool keys, ddb_buf_t *text)
{
    int n = 0;
    const cJSON *entry, *list, *it;
    cJSON_ArrayForEach(entry, map) {
        const s_legacy_op_t *op = NULL;
        if (s_legacy_entry(req, entry, member, keys, &op, &list) != 0)
            return -1;
        const char *name = rd_cond_legacy_name(req, r->ctx, prefix, n, entry->string);
        if (!name)
            return -1;
        const char *vals[128];
        char vprefix[16];
        snprintf(vprefix, sizeof(vprefix), "%s%d_", prefix, n);
        int i = 0;
        cJSON_ArrayForEach(it, list) {
            ddb_value_t *val = i < 128 ? ddb_value_from_json(it, req->arena, req->err) : NULL;
            if (!val || !(vals[i] = rd_cond_legacy_value(req, r->ctx, vprefix, i, val)))
                return i < 128 ? -1 : ddb_err_set(req->err, DDB_ERR_VALIDATION, INVALID "Too many arguments");
            i++;
        }
        if (n++)
            ddb_buf_puts(text, joiner);
        if (op->nargs >= 0) {
            ddb_buf_printf(text, op->fmt, name, i > 0 ? vals[0] : "", i > 1 ? vals[1] : "");
            continue;
        }
        ddb_buf_printf(text, "%s IN (", name);
        for (int k = 0; k < i; k++)
            ddb_buf_printf(text, "%s%s", k ? ", " : "", vals[k]);
        ddb_buf_putc(text, ')');
    }
    return n;
}

/* AttributesToGet: top-level names, each once. */
static int s_attributes_to_get(rd_req_t *req, s_read_t *r, const cJSON *list)
{
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           ENVELOPE "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have "
                           "length greater than or equal to 1");
    ddb_expr_path_t *paths = ddb_arena_calloc(req->arena, (size_t)n, sizeof(*paths));
    size_t count = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        if (rd_json_expect_string(e, req->err) != 0)
            return -1;
        for (size_t i = 0; i < count; i++)
            if (strcmp(paths[i].elems[0].name.ptr, e->valuestring) == 0)
                return ddb_err_set(req->err, DDB_ERR_VALIDATION, INVALID "Duplicate value in attribute name: %s",
                                   e->valuestring);
        ddb_expr_path_elem_t *elem = ddb_arena_calloc(req->arena, 1, sizeof(*elem));
        elem->name.ptr = e->valuestring;
        elem->name.len = strlen(e->valuestring);
        paths[count].elems = elem;
        paths[count++].count = 1;
    }
    r->paths = paths;
    r->n_paths = count;
    return 0;
}

/* ---- expressions ---- */

static const char *const s_query_exprs[] = { "ProjectionExpression", "FilterExpression", "KeyConditionExpression",
                                             NULL };
static const char *const s_query_legacy[] = { "AttributesToGet", "QueryFilter", "ConditionalOperator",
                                              "KeyConditions", NULL };
static const char *const s_scan_exprs[] = { "ProjectionExpression", "FilterExpression", NULL };
static const char *const s_scan_legacy[] = { "AttributesToGet", "ScanFilter", "ConditionalOperator", NULL };

/* The filter (FilterExpression, or QueryFilter/ScanFilter with ConditionalOperator). */
static int s_parse_filter(rd_req_t *req, s_read_t *r)
{
    const char *text, *cop;
    const cJSON *legacy;
    const char *member = r->is_scan ? "ScanFilter" : "QueryFilter";
    if (rd_json_string(req->body, "FilterExpression", &text, req->err) != 0 ||
        rd_json_object(req->body, member, &legacy, req->err) != 0 ||
        rd_json_string(req->body, "ConditionalOperator", &cop, req->err) != 0)
        return -1;
    if (text)
        return (r->filter = ddb_expr_parse_condition(r->ctx, DDB_EXPR_FILTER, text, strlen(text), req->err)) ? 0 : -1;
    if (!legacy)
        return 0;
    ddb_buf_t expr = DDB_BUF_INIT;
    int n = s_legacy_map(req, r, legacy, r->is_scan ? "scanFilter" : "queryFilter", "f",
                         cop && strcmp(cop, "OR") == 0 ? " OR " : " AND ", false, &expr);
    if (n > 0)
        r->filter = ddb_expr_parse_condition(r->ctx, DDB_EXPR_FILTER, expr.data, expr.len, req->err);
    ddb_buf_free(&expr);
    return n < 0 || (n > 0 && !r->filter) ? -1 : 0;
}

/* KeyConditionExpression or KeyConditions, parsed (matched to the schema later). */
static ddb_key_conds_t *s_parse_key_conds(rd_req_t *req, s_read_t *r)
{
    const char *text;
    const cJSON *legacy;
    if (rd_json_string(req->body, "KeyConditionExpression", &text, req->err) != 0 ||
        rd_json_object(req->body, "KeyConditions", &legacy, req->err) != 0)
        return NULL;
    if (text)
        return ddb_expr_parse_key_condition(r->ctx, text, strlen(text), req->err);
    if (!legacy) {
        ddb_err_set(req->err, DDB_ERR_VALIDATION,
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
        return NULL;
    }
    ddb_buf_t expr = DDB_BUF_INIT;
    ddb_key_conds_t *conds = NULL;
    int n = s_legacy_map(req, r, legacy, "keyConditions", "k", " AND ", true, &expr);
    if (n == 0)
        ddb_err_set(req->err, DDB_ERR_VALIDATION,
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
    else if (n > 0)
        conds = ddb_expr_parse_key_condition(r->ctx, expr.data, expr.len, req->err);
    ddb_buf_free(&expr);
    return conds;
}

static int s_parse_projection(rd_req_t *req, s_read_t *r)
{
    const char *text;
    const cJSON *attrs;
    if (rd_json_string(req->body, "ProjectionExpression", &text, req->err) != 0 ||
        rd_json_list(req->body, "AttributesToGet", &attrs, req->err) != 0)
        return -1;
    if (attrs)
        return s_attributes_to_get(req, r, attrs);
    if (!text)
        return 0;
    ddb_expr_projection_t *p = ddb_expr_parse_projection(r->ctx, text, strlen(text), req->err);
    if (!p)
        return -1;
    r->paths = p->paths;
    r->n_paths = p->count;
    return 0;
}

/* ---- the table or index read ---- */

/* IndexName against the table, and the rules on reading it. */
static int s_target(rd_req_t *req, s_read_t *r)
{
    rd_table_t *t = req->table;
    r->hash = &t->hash_key;
    r->range = t->range_key.name ? &t->range_key : NULL;
    if (!r->index_name)
        return 0;
    r->index = rd_index_find(t, r->index_name);
    if (!r->index)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "The table does not have the specified index: %s",
                           r->index_name);
    r->hash = &r->index->hash_key;
    r->range = r->index->range_key.name ? &r->index->range_key : NULL;
    if (r->index->global && r->consistent)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Consistent reads are not supported on global secondary indexes");
    if (r->index->global && r->select == S_SEL_ALL && r->index->projection != RD_PROJ_ALL)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           INVALID "Select type ALL_ATTRIBUTES is not supported for global secondary index %s because "
                           "its projection type is not ALL", r->index->name);
    return 0;
}

static bool s_name_is(const ddb_str_t *n, const char *name)
{
    return name && strlen(name) == n->len && memcmp(name, n->ptr, n->len) == 0;
}

/* Whether index ix keeps top-level attribute name. */
static bool s_projected(const rd_table_t *t, const rd_index_t *ix, const ddb_str_t *name)
{
    if (ix->projection == RD_PROJ_ALL || s_name_is(name, t->hash_key.name) || s_name_is(name, t->range_key.name) ||
        s_name_is(name, ix->hash_key.name) || s_name_is(name, ix->range_key.name))
        return true;
    for (size_t j = 0; ix->projection == RD_PROJ_INCLUDE && j < ix->n_non_key; j++)
        if (s_name_is(name, ix->non_key[j]))
            return true;
    return false;
}

/* An LSI read fetches the table's items when it needs attributes the index lacks. */
static void s_plan_fetch(rd_req_t *req, s_read_t *r)
{
    const rd_index_t *ix = r->index;
    if (!ix || ix->global || ix->projection == RD_PROJ_ALL)
        return;
    if (r->select == S_SEL_ALL) {
        r->fetch = true;
        return;
    }
    for (size_t i = 0; i < r->n_paths && !r->fetch; i++)
        r->fetch = !s_projected(req->table, ix, &r->paths[i].elems[0].name);
    size_t n = 0;
    const ddb_expr_path_t *fp = r->filter ? ddb_expr_cond_paths(r->filter, &n) : NULL;
    for (size_t i = 0; i < n && !r->fetch; i++)
        r->fetch = !s_projected(req->table, ix, &fp[i].elems[0].name);
}

/* Query's FilterExpression may not name a key attribute of what it reads. */
static int s_check_filter_keys(rd_req_t *req, const s_read_t *r)
{
    size_t n = 0;
    const ddb_expr_path_t *paths = r->filter ? ddb_expr_cond_paths(r->filter, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        const ddb_str_t *name = &paths[i].elems[0].name;
        if (s_name_is(name, r->hash->name) || (r->range && s_name_is(name, r->range->name)))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "Filter Expression can only contain non-primary key attributes: Primary key attribute: "
                               "%.*s", (int)name->len, name->ptr);
    }
    return 0;
}

/* ---- key bounds ---- */

static int s_encode(rd_req_t *req, const ddb_value_t *v, ddb_str_t *out)
{
    ddb_buf_t b = DDB_BUF_INIT;
    if (ddb_key_encode(v, &b, req->err) != 0) {
        ddb_buf_free(&b);
        return -1;
    }
    char *copy = ddb_arena_alloc(req->arena, b.len + 1);
    memcpy(copy, b.data ? b.data : "", b.len);
    out->ptr = copy;
    out->len = b.len;
    ddb_buf_free(&b);
    return 0;
}

/* The smallest byte string greater than every string with this prefix; len 0 when
 * there is none (the prefix is all 0xff). */
static ddb_str_t s_prefix_successor(rd_req_t *req, ddb_str_t prefix)
{
    unsigned char *p = ddb_arena_alloc(req->arena, prefix.len + 1);
    memcpy(p, prefix.ptr, prefix.len);
    size_t len = prefix.len;
    while (len > 0 && p[len - 1] == 0xff)
        len--;
    if (len > 0)
        p[len - 1]++;
    ddb_str_t out = { (const char *)p, len };
    return out;
}

/* The sort key condition as lower/upper bounds on the encoded sort key. */
static int s_range_bounds(rd_req_t *req, const s_read_t *r, s_bounds_t *b)
{
    const ddb_key_cond_t *c = &r->kq.range;
    if (!r->kq.has_range)
        return 0;
    if (c->op == DDB_KEY_BEGINS_WITH && r->range->type == DDB_T_N)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator "
                           "or function: begins_with, operand type: N");
    if (c->op == DDB_KEY_BETWEEN && ddb_expr_compare_scalars(c->values[0], c->values[1]) > 0) {
        ddb_buf_t lo = DDB_BUF_INIT, hi = DDB_BUF_INIT;
        ddb_value_to_json(c->values[0], &lo);
        ddb_value_to_json(c->values[1], &hi);
        /* unconfirmed: the service renders the operands as AttributeValue: {N:5} */
        ddb_err_set(req->err, DDB_ERR_VALIDATION,
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
                    "equal to lower bound; lower operand: AttributeValue: %s, upper operand: AttributeValue: %s",
                    lo.data, hi.data);
        ddb_buf_free(&lo);
        ddb_buf_free(&hi);
        return -1;
    }
    ddb_str_t v0, v1 = { NULL, 0 };
    if (s_encode(req, c->values[0], &v0) != 0 ||
        (c->op == DDB_KEY_BETWEEN && s_encode(req, c->values[1], &v1) != 0))
        return -1;
    switch (c->op) {
    case DDB_KEY_EQ: b->lo = b->hi = v0; b->variant |= RD_READ_LO_GE | RD_READ_HI_LE; break;
    case DDB_KEY_LT: b->hi = v0; b->variant |= RD_READ_HI_LT; break;
    case DDB_KEY_LE: b->hi = v0; b->variant |= RD_READ_HI_LE; break;
    case DDB_KEY_GT: b->lo = v0; b->variant |= RD_READ_LO_GT; break;
    case DDB_KEY_GE: b->lo = v0; b->variant |= RD_READ_LO_GE; break;
    case DDB_KEY_BETWEEN: b->lo = v0; b->hi = v1; b->variant |= RD_READ_LO_GE | RD_READ_HI_LE; break;
    case DDB_KEY_BEGINS_WITH:
        b->lo = v0;
        b->variant |= RD_READ_LO_GE;
        b->hi = s_prefix_successor(req, v0);
        if (b->hi.len)
            b->variant |= RD_READ_HI_LT;
        break;
    }
    return 0;
}

/* An ExclusiveStartKey that does not match the schema: the service words it
 * differently for Query and Scan (as probed by others against the service). */
static int s_bad_start(rd_req_t *req, const s_read_t *r)
{
    if (!r->is_scan)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "The provided starting key is invalid");
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       "The provided starting key is invalid: The provided key element does not match the schema");
}

/* ExclusiveStartKey: exactly the table's key attributes, plus the index's when
 * reading an index, rightly typed; encoded into b->start. */
static int s_start_key(rd_req_t *req, const s_read_t *r, s_bounds_t *b)
{
    if (!r->start_json)
        return 0;
    ddb_value_t *m = ddb_item_from_json(r->start_json, req->arena, req->err);
    if (!m)
        return -1;
    const rd_table_t *t = req->table;
    const rd_attr_def_t *keys[4] = { r->index ? &r->index->hash_key : NULL,
                                     r->index && r->index->range_key.name ? &r->index->range_key : NULL, &t->hash_key,
                                     t->range_key.name ? &t->range_key : NULL };
    size_t distinct = 0;
    for (int k = 0; k < 4; k++) {
        if (!keys[k])
            continue;
        bool dup = false;
        for (int j = 0; j < k; j++)
            dup = dup || (keys[j] && strcmp(keys[j]->name, keys[k]->name) == 0);
        distinct += !dup;
        const ddb_value_t *v = ddb_item_get(m, keys[k]->name, strlen(keys[k]->name));
        if (!v || v->type != keys[k]->type)
            return s_bad_start(req, r);
        int col = r->index ? k : k - 2;   /* tables: pk, sk; indexes: ipk, isk, pk, sk */
        if (s_encode(req, v, &b->start[col]) != 0)
            return -1;
    }
    if (m->u.map.count != distinct)
        return s_bad_start(req, r);
    if (!r->is_scan && (b->start[0].len != b->hash.len || memcmp(b->start[0].ptr, b->hash.ptr, b->hash.len) != 0))
        /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The provided starting key is outside query boundaries based on provided conditions");
    b->variant |= RD_READ_START;
    return 0;
}

/* SQLite compares BLOBs as memcmp, then by length. */
static int s_blob_cmp(ddb_str_t a, ddb_str_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* With a start key and a sort-key bound on the side the page starts from, only
 * the tighter of the two is kept, so that SQLite seeks straight to the page
 * instead of scanning from the bound to the start key on every page. */
static void s_tighten(s_bounds_t *b)
{
    if (!(b->variant & RD_READ_START) || (b->variant & RD_READ_SCAN))
        return;
    ddb_str_t start = b->start[1];   /* the sort key of what is read (sk or isk) */
    if (!(b->variant & RD_READ_DESC) && (b->variant & (RD_READ_LO_GT | RD_READ_LO_GE))) {
        int c = s_blob_cmp(start, b->lo);
        if (c > 0 || (c == 0 && (b->variant & RD_READ_LO_GE)))
            b->variant &= ~(unsigned)(RD_READ_LO_GT | RD_READ_LO_GE);
        else
            b->variant &= ~(unsigned)RD_READ_START;
    } else if ((b->variant & RD_READ_DESC) && (b->variant & (RD_READ_HI_LT | RD_READ_HI_LE))) {
        int c = s_blob_cmp(start, b->hi);
        if (c < 0 || (c == 0 && (b->variant & RD_READ_HI_LE)))
            b->variant &= ~(unsigned)(RD_READ_HI_LT | RD_READ_HI_LE);
        else
            b->variant &= ~(unsigned)RD_READ_START;
    }
}

/* ---- one page ---- */

static void s_bind(sqlite3_stmt *st, int col, ddb_str_t v)
{
    sqlite3_bind_blob(st, col, v.ptr ? (const void *)v.ptr : "", (int)v.len, SQLITE_STATIC);
}

static void s_bind_all(sqlite3_stmt *st, const s_read_t *r, const s_bounds_t *b)
{
    sqlite3_clear_bindings(st);
    if (!(b->variant & RD_READ_SCAN))
        s_bind(st, 1, b->hash);
    if (b->variant & (RD_READ_LO_GT | RD_READ_LO_GE))
        s_bind(st, 2, b->lo);
    if (b->variant & (RD_READ_HI_LT | RD_READ_HI_LE))
        s_bind(st, 3, b->hi);
    for (int i = 0; (b->variant & RD_READ_START) && i < (r->index ? 4 : 2); i++)
        s_bind(st, 4 + i, b->start[i]);
    if (b->variant & RD_READ_SEGMENT) {
        sqlite3_bind_int64(st, 8, r->segment);
        sqlite3_bind_int64(st, 9, r->total);
    }
    sqlite3_bind_int64(st, 10, r->has_limit ? r->limit : -1);
}

/* Appends a key attribute "name":{"T":...} decoded from its encoding. */
static void s_key_attr(rd_req_t *req, const rd_attr_def_t *def, const void *data, int len, bool comma, ddb_buf_t *out)
{
    ddb_value_t *v = ddb_key_decode(def->type, data ? data : "", (size_t)len, req->arena);
    if (comma)
        ddb_buf_putc(out, ',');
    ddb_buf_json_str(out, def->name, strlen(def->name));
    ddb_buf_putc(out, ':');
    if (v)
        ddb_value_to_json(v, out);
    else
        ddb_buf_puts(out, "{\"NULL\":true}");
}

/* LastEvaluatedKey from the row st is on: table key (+ index key). */
static void s_last_key(rd_req_t *req, const s_read_t *r, sqlite3_stmt *st, ddb_buf_t *out)
{
    const rd_table_t *t = req->table;
    int base = r->index ? 2 : 0;
    ddb_buf_clear(out);
    ddb_buf_putc(out, '{');
    s_key_attr(req, &t->hash_key, sqlite3_column_blob(st, base), sqlite3_column_bytes(st, base), false, out);
    if (t->range_key.name)
        s_key_attr(req, &t->range_key, sqlite3_column_blob(st, base + 1), sqlite3_column_bytes(st, base + 1), true,
                   out);
    if (r->index) {
        const rd_index_t *ix = r->index;
        if (!rd_table_key_attr(t, ix->hash_key.name, strlen(ix->hash_key.name)))
            s_key_attr(req, &ix->hash_key, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), true, out);
        if (ix->range_key.name && !rd_table_key_attr(t, ix->range_key.name, strlen(ix->range_key.name)))
            s_key_attr(req, &ix->range_key, sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), true, out);
    }
    ddb_buf_putc(out, '}');
}

static ddb_value_t *s_parse_item(rd_req_t *req, const char *json, size_t len)
{
    cJSON *parsed = cJSON_ParseWithLength(json, len);
    ddb_err_t ignored = DDB_ERR_INIT;
    ddb_value_t *v = parsed ? ddb_item_from_json(parsed, req->arena, &ignored) : NULL;
    cJSON_Delete(parsed);
    ddb_err_clear(&ignored);
    return v;
}

/* Handles one row: fetch (LSI), filter, project, append. */
static int s_row(rd_req_t *req, const s_read_t *r, sqlite3_stmt *st, s_page_t *pg)
{
    int base = r->index ? 2 : 0;
    const char *json = (const char *)sqlite3_column_text(st, base + 2);
    size_t len = (size_t)sqlite3_column_bytes(st, base + 2);
    if (r->fetch) {
        rd_key_bytes_t key = { sqlite3_column_blob(st, base), (size_t)sqlite3_column_bytes(st, base),
                               sqlite3_column_blob(st, base + 1), (size_t)sqlite3_column_bytes(st, base + 1) };
        rd_item_text_t text;
        if (rd_store_item_get(req->store, req->table, &key, req->arena, &text, req->err) != 0)
            return -1;
        if (text.json) {
            json = text.json;
            len = text.len;
            pg->fetch_units += rd_item_read_units(text.size, r->consistent);
        }
    }
    bool need_value = r->filter || (r->paths && r->select != S_SEL_COUNT);
    if (!need_value) {
        pg->count++;
        if (r->select != S_SEL_COUNT) {
            if (pg->items.len)
                ddb_buf_putc(&pg->items, ',');
            ddb_buf_append(&pg->items, json, len);
        }
        return 0;
    }
    ddb_value_t *item = s_parse_item(req, json, len);
    if (!item)
        return ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    if (r->filter && !ddb_expr_eval(r->filter, item))
        return 0;
    pg->count++;
    if (r->select == S_SEL_COUNT)
        return 0;
    if (pg->items.len)
        ddb_buf_putc(&pg->items, ',');
    ddb_item_to_json(r->paths ? ddb_expr_project(item, r->paths, r->n_paths, req->arena) : item, &pg->items);
    return 0;
}

/* Reads one page: Limit items or 1 MB, whichever comes first. */
static int s_read_page(rd_req_t *req, const s_read_t *r, const s_bounds_t *b, s_page_t *pg)
{
    sqlite3_stmt *st = rd_index_read_stmt(req->store, req->table, r->index, b->variant);
    if (!st)
        return ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    s_bind_all(st, r, b);
    int base = r->index ? 2 : 0, rc, out = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pg->scanned++;
        pg->bytes += sqlite3_column_int64(st, base + 3);
        if (s_row(req, r, st, pg) != 0) {
            out = -1;
            break;
        }
        if ((r->has_limit && pg->scanned >= r->limit) || pg->bytes >= PAGE_BYTES) {
            pg->more = true;
            s_last_key(req, r, st, &pg->last_key);
            break;
        }
    }
    if (out == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        out = ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    sqlite3_reset(st);
    return out;
}

/* ---- the answer ---- */

static void s_units(ddb_buf_t *out, double units)
{
    ddb_buf_printf(out, "\"CapacityUnits\":%.1f", units);
}

static void s_answer(rd_req_t *req, const s_read_t *r, s_page_t *pg)
{
    ddb_buf_t *out = req->out;
    ddb_buf_putc(out, '{');
    if (r->select != S_SEL_COUNT) {
        ddb_buf_puts(out, "\"Items\":[");
        ddb_buf_append(out, pg->items.data ? pg->items.data : "", pg->items.len);
        ddb_buf_puts(out, "],");
    }
    ddb_buf_printf(out, "\"Count\":%lld,\"ScannedCount\":%lld", (long long)pg->count, (long long)pg->scanned);
    if (pg->more) {
        ddb_buf_puts(out, ",\"LastEvaluatedKey\":");
        ddb_buf_append(out, pg->last_key.data, pg->last_key.len);
    }
    if (r->capacity != RD_RCC_NONE) {
        /* Reads are charged on the total size read, in 4 KB units, halved when
         * eventually consistent; an LSI's fetches from the table are extra reads. */
        double read = rd_item_read_units(pg->bytes, r->consistent);
        ddb_buf_puts(out, ",\"ConsumedCapacity\":{\"TableName\":");
        ddb_buf_json_str(out, req->table->name, strlen(req->table->name));
        ddb_buf_putc(out, ',');
        s_units(out, read + pg->fetch_units);
        if (r->capacity == RD_RCC_INDEXES) {
            if (!r->index || pg->fetch_units > 0) {
                ddb_buf_puts(out, ",\"Table\":{");
                s_units(out, r->index ? pg->fetch_units : read);
                ddb_buf_putc(out, '}');
            }
            if (r->index) {
                ddb_buf_printf(out, ",\"%s\":{", r->index->global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
                ddb_buf_json_str(out, r->index->name, strlen(r->index->name));
                ddb_buf_puts(out, ":{");
                s_units(out, read);
                ddb_buf_puts(out, "}}");
            }
        }
        ddb_buf_putc(out, '}');
    }
    ddb_buf_putc(out, '}');
}

/* ---- Query and Scan ---- */

/* Everything both operations check before they read. */
static int s_prepare_read(rd_req_t *req, s_read_t *r, ddb_key_conds_t **conds)
{
    if (s_members(req, r) != 0 ||
        rd_cond_check_params(req, r->is_scan ? s_scan_exprs : s_query_exprs,
                             r->is_scan ? s_scan_legacy : s_query_legacy) != 0 ||
        (r->is_scan && s_check_segments(req, r) != 0) || s_check_select(req, r) != 0 ||
        rd_cond_context(req, &r->ctx) != 0)
        return -1;
    if (!r->is_scan && !(*conds = s_parse_key_conds(req, r)))
        return -1;
    if (s_parse_filter(req, r) != 0 || s_parse_projection(req, r) != 0 ||
        ddb_expr_ctx_check_unused(r->ctx, req->err) != 0 || rd_req_table(req) != 0 || s_target(req, r) != 0)
        return -1;
    s_plan_fetch(req, r);
    return 0;
}

static int s_run(rd_req_t *req, s_read_t *r, s_bounds_t *b)
{
    s_page_t pg;
    memset(&pg, 0, sizeof(pg));
    if (!r->forward)
        b->variant |= RD_READ_DESC;
    s_tighten(b);
    int rc = s_read_page(req, r, b, &pg);
    if (rc == 0)
        s_answer(req, r, &pg);
    ddb_buf_free(&pg.items);
    ddb_buf_free(&pg.last_key);
    return rc;
}

int rd_op_query(rd_req_t *req)
{
    s_read_t r;
    s_bounds_t b;
    ddb_key_conds_t *conds = NULL;
    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    if (s_prepare_read(req, &r, &conds) != 0 ||
        ddb_expr_key_query(conds, r.hash->name, r.hash->type, r.range ? r.range->name : NULL,
                           r.range ? r.range->type : DDB_T_S, &r.kq, req->err) != 0 ||
        s_check_filter_keys(req, &r) != 0 || s_encode(req, r.kq.hash_value, &b.hash) != 0 ||
        s_range_bounds(req, &r, &b) != 0 || s_start_key(req, &r, &b) != 0)
        return -1;
    return s_run(req, &r, &b);
}

int rd_op_scan(rd_req_t *req)
{
    s_read_t r;
    s_bounds_t b;
    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    r.is_scan = true;
    b.variant = RD_READ_SCAN;
    if (s_prepare_read(req, &r, NULL) != 0 || s_start_key(req, &r, &b) != 0)
        return -1;
    if (r.has_segment)
        b.variant |= RD_READ_SEGMENT;
    if (r.has_segment && (b.variant & RD_READ_START) &&
        rd_index_segment(b.start[0].ptr, b.start[0].len, r.total) != r.segment)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                           "ExclusiveStartKey with correct Segment. TotalSegments: %lld Segment: %lld",
                           (long long)r.total, (long long)r.segment);
    r.forward = true;   /* Scan has no ScanIndexForward */
    return s_run(req, &r, &b);
}
