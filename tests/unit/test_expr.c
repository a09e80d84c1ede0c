/* test_expr: unit tests of the expression module: the reserved-word table, the
 * request context (unused/missing names and values), condition, key condition,
 * projection and update parsing with the service's error messages, evaluation, update
 * application (exact decimal arithmetic, copy-on-write) and projection. JSON literals
 * are written with ' for " to keep them readable. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr.h"

static int g_passed, g_failed;
static ddb_arena_t *g_arena;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) {                                                       \
            g_passed++;                                                   \
        } else {                                                          \
            g_failed++;                                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* ---- helpers ---- */

static char *s_quotes(const char *s)
{
    char *copy = ddb_arena_strdup(g_arena, s);
    for (char *c = copy; *c; c++)
        if (*c == '\'')
            *c = '"';
    return copy;
}

static cJSON *s_json(const char *text)
{
    cJSON *j = cJSON_Parse(s_quotes(text));
    if (!j) {
        fprintf(stderr, "bad JSON in test: %s\n", text);
        abort();
    }
    return j;
}

static ddb_value_t *s_item(const char *text)
{
    if (!text)
        return NULL;
    cJSON *j = s_json(text);
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *v = ddb_item_from_json(j, g_arena, &err);
    cJSON_Delete(j);
    if (!v) {
        fprintf(stderr, "bad item in test: %s: %s\n", text, err.message);
        abort();
    }
    return v;
}

static char *s_item_text(const ddb_value_t *item)
{
    if (!item)
        return ddb_arena_strdup(g_arena, "(null)");
    ddb_buf_t b = DDB_BUF_INIT;
    ddb_item_to_json(item, &b);
    char *out = ddb_arena_strdup(g_arena, b.data ? b.data : "");
    ddb_buf_free(&b);
    return out;
}

/* A context from JSON objects of names and values (either may be NULL). */
static ddb_expr_ctx_t *s_ctx(const char *names, const char *values, ddb_err_t *err)
{
    ddb_expr_ctx_t *ctx = ddb_expr_ctx_new(g_arena);
    cJSON *jn = names ? s_json(names) : NULL, *jv = values ? s_json(values) : NULL;
    int rc = ddb_expr_ctx_load_json(ctx, jn, jv, err);
    cJSON_Delete(jn);
    cJSON_Delete(jv);
    return rc < 0 ? NULL : ctx;
}

static const char *s_kind_label(ddb_expr_kind_t k)
{
    return ddb_expr_kind_name(k);
}

/* Parses expr of the given kind; returns the error message, or NULL on success. */
static const char *s_parse_error(ddb_expr_kind_t kind, const char *expr, const char *names,
                                 const char *values)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx(names, values, &err);
    if (!ctx)
        return ddb_arena_strdup(g_arena, err.message);
    bool ok;
    size_t len = strlen(expr);
    switch (kind) {
    case DDB_EXPR_UPDATE: ok = ddb_expr_parse_update(ctx, expr, len, &err) != NULL; break;
    case DDB_EXPR_PROJECTION: ok = ddb_expr_parse_projection(ctx, expr, len, &err) != NULL; break;
    case DDB_EXPR_KEY_CONDITION: ok = ddb_expr_parse_key_condition(ctx, expr, len, &err) != NULL; break;
    default: ok = ddb_expr_parse_condition(ctx, kind, expr, len, &err) != NULL; break;
    }
    if (ok)
        return NULL;
    if (err.kind != DDB_ERR_VALIDATION) {
        g_failed++;
        fprintf(stderr, "FAIL [%s]: error kind %d is not ValidationException\n", expr, err.kind);
    }
    return ddb_arena_strdup(g_arena, err.message);
}

static void s_expect_error(int line, ddb_expr_kind_t kind, const char *expr, const char *names,
                           const char *values, const char *want, bool prefixed)
{
    const char *got = s_parse_error(kind, expr, names, values);
    char full[1200];
    if (prefixed)
        snprintf(full, sizeof(full), "Invalid %s: %s", s_kind_label(kind), want);
    else
        snprintf(full, sizeof(full), "%s", want);
    if (got && strcmp(got, full) == 0) {
        g_passed++;
        return;
    }
    g_failed++;
    fprintf(stderr, "FAIL line %d: %s [%s]\n   want: %s\n   got:  %s\n", line,
            s_kind_label(kind), expr, full, got ? got : "(parsed fine)");
}

/* error message after "Invalid <Kind>: " */
#define EXPECT_ERR(kind, expr, names, values, msg) \
    s_expect_error(__LINE__, kind, expr, names, values, msg, true)
/* whole error message */
#define EXPECT_ERR_RAW(kind, expr, names, values, msg) \
    s_expect_error(__LINE__, kind, expr, names, values, msg, false)
#define EXPECT_OK(kind, expr, names, values)                                          \
    do {                                                                              \
        const char *got_ = s_parse_error(kind, expr, names, values);                  \
        CHECK(!got_, "[%s] should parse, got: %s", expr, got_ ? got_ : "");           \
    } while (0)

#define COND DDB_EXPR_CONDITION
#define FILTER DDB_EXPR_FILTER
#define KEYC DDB_EXPR_KEY_CONDITION
#define PROJ DDB_EXPR_PROJECTION
#define UPD DDB_EXPR_UPDATE

/* Evaluates a condition against an item. */
static void s_expect_eval(int line, const char *item, const char *expr, const char *names,
                          const char *values, bool want)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx(names, values, &err);
    ddb_expr_cond_t *c = ctx ? ddb_expr_parse_condition(ctx, COND, expr, strlen(expr), &err) : NULL;
    if (!c) {
        g_failed++;
        fprintf(stderr, "FAIL line %d: [%s] did not parse: %s\n", line, expr, err.message);
        return;
    }
    bool got = ddb_expr_eval(c, s_item(item));
    if (got == want) {
        g_passed++;
        return;
    }
    g_failed++;
    fprintf(stderr, "FAIL line %d: [%s] on %s: want %s\n", line, expr, item ? item : "(no item)",
            want ? "true" : "false");
}

#define EXPECT_TRUE(item, expr, names, values) s_expect_eval(__LINE__, item, expr, names, values, true)
#define EXPECT_FALSE(item, expr, names, values) s_expect_eval(__LINE__, item, expr, names, values, false)

/* Applies an update; compares the new item (or the error message) with want. */
static void s_expect_update(int line, const char *item, const char *expr, const char *names,
                            const char *values, const char *want_item, const char *want_err)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx(names, values, &err);
    ddb_expr_update_t *u = ctx ? ddb_expr_parse_update(ctx, expr, strlen(expr), &err) : NULL;
    if (!u) {
        g_failed++;
        fprintf(stderr, "FAIL line %d: [%s] did not parse: %s\n", line, expr, err.message);
        return;
    }
    ddb_value_t *old = s_item(item);
    char *before = s_item_text(old);
    ddb_value_t *got = ddb_expr_apply_update(u, old, g_arena, &err);
    bool ok;
    if (want_err)
        ok = !got && err.kind == DDB_ERR_VALIDATION && strcmp(err.message, want_err) == 0;
    else
        ok = got && ddb_value_equal(got, s_item(want_item));
    /* copy-on-write: the old item never changes */
    ok = ok && strcmp(before, s_item_text(old)) == 0;
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    fprintf(stderr, "FAIL line %d: [%s] on %s\n   want: %s\n   got:  %s\n", line, expr,
            item ? item : "(no item)", want_err ? want_err : want_item,
            got ? s_item_text(got) : err.message);
}

#define EXPECT_UPDATE(item, expr, names, values, want) \
    s_expect_update(__LINE__, item, expr, names, values, want, NULL)
#define EXPECT_UPDATE_ERR(item, expr, names, values, msg) \
    s_expect_update(__LINE__, item, expr, names, values, NULL, msg)

/* ---- reserved words ---- */

static void test_reserved_words(void)
{
    CHECK(ddb_expr_reserved_word_count() == 573, "count %zu", ddb_expr_reserved_word_count());
    CHECK(ddb_expr_is_reserved_word("status", 6), "status");
    CHECK(ddb_expr_is_reserved_word("STATUS", 6), "STATUS");
    CHECK(ddb_expr_is_reserved_word("Abort", 5), "first word");
    CHECK(ddb_expr_is_reserved_word("zone", 4), "last word");
    CHECK(ddb_expr_is_reserved_word("localtimestamp", 14), "longest word");
    CHECK(!ddb_expr_is_reserved_word("statuses", 8), "statuses");
    CHECK(!ddb_expr_is_reserved_word("pk", 2), "pk");
    CHECK(!ddb_expr_is_reserved_word("", 0), "empty");
    CHECK(!ddb_expr_is_reserved_word("localtimestamps", 15), "too long");
}

/* ---- context ---- */

static void test_context(void)
{
    ddb_err_t err = DDB_ERR_INIT;
    CHECK(!s_ctx("{'a':'x'}", NULL, &err) &&
              !strcmp(err.message, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""),
          "bad name key: %s", err.message);
    CHECK(!s_ctx(NULL, "{':ok':{'S':'a'},'b':{'S':'a'}}", &err) &&
              !strcmp(err.message, "ExpressionAttributeValues contains invalid key: Syntax error; key: \"b\""),
          "bad value key: %s", err.message);
    CHECK(!s_ctx("{}", NULL, &err) && !strcmp(err.message, "ExpressionAttributeNames must not be empty"),
          "empty names: %s", err.message);
    CHECK(!s_ctx(NULL, "{}", &err) && !strcmp(err.message, "ExpressionAttributeValues must not be empty"),
          "empty values: %s", err.message);
    CHECK(!s_ctx("{'#a-b':'x'}", NULL, &err), "dash in a name key");
    CHECK(!s_ctx(NULL, "{':v':{'SS':[]}}", &err) &&
              strstr(err.message, "ExpressionAttributeValues contains invalid value: ") == err.message &&
              strstr(err.message, " for key :v") != NULL,
          "invalid value: %s", err.message);

    /* unused and used across several expressions of one request */
    ddb_expr_ctx_t *ctx = s_ctx("{'#a':'a','#b':'b','#c':'c'}", "{':x':{'N':'1'},':y':{'N':'2'}}", &err);
    CHECK(ctx != NULL, "ctx");
    CHECK(ddb_expr_parse_condition(ctx, COND, "#a = :x", 7, &err) != NULL, "cond: %s", err.message);
    CHECK(ddb_expr_ctx_check_unused(ctx, &err) < 0 &&
              !strcmp(err.message, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}"),
          "unused names: %s", err.message);
    CHECK(ddb_expr_parse_projection(ctx, "#b, #c", 6, &err) != NULL, "proj: %s", err.message);
    CHECK(ddb_expr_ctx_check_unused(ctx, &err) < 0 &&
              !strcmp(err.message, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}"),
          "unused values: %s", err.message);
    CHECK(ddb_expr_parse_update(ctx, "SET z = :y", 10, &err) != NULL, "update: %s", err.message);
    CHECK(ddb_expr_ctx_check_unused(ctx, &err) == 0, "all used");

    ctx = s_ctx("{'#u':'x'}", NULL, &err);
    CHECK(ddb_expr_ctx_check_unused(ctx, &err) < 0 &&
              !strcmp(err.message, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"),
          "no expression at all: %s", err.message);
}

/* ---- malformed conditions ---- */

static void test_condition_errors(void)
{
    const char *v = "{':v':{'S':'x'}}";
    EXPECT_ERR(COND, "", NULL, NULL, "The expression can not be empty;");
    EXPECT_ERR(FILTER, "", NULL, NULL, "The expression can not be empty;");
    EXPECT_ERR(COND, "   ", NULL, NULL, "Syntax error; token: \"<EOF>\", near: \"\"");
    EXPECT_ERR(COND, "foo", NULL, NULL, "Syntax error; token: \"<EOF>\", near: \"foo\"");
    EXPECT_ERR(COND, "a = ", NULL, NULL, "Syntax error; token: \"<EOF>\", near: \"=\"");
    EXPECT_ERR(COND, "a == :v", NULL, v, "Syntax error; token: \"=\", near: \"== :v\"");
    EXPECT_ERR(COND, "a =< :v", NULL, v, "Syntax error; token: \"<\", near: \"=< :v\"");
    EXPECT_ERR(COND, "a = :v b", NULL, v, "Syntax error; token: \"b\", near: \":v b\"");
    EXPECT_ERR(FILTER, "#articleId attribute_not_exists :ckpst", NULL, NULL,
               "Syntax error; token: \"attribute_not_exists\", near: \"#articleId attribute_not_exists :ckpst\"");
    EXPECT_ERR(COND, "a = :v AND", NULL, v, "Syntax error; token: \"<EOF>\", near: \"AND\"");
    EXPECT_ERR(COND, "a = :v AND OR b = :v", NULL, v, "Syntax error; token: \"OR\", near: \"AND OR b\"");
    EXPECT_ERR(COND, "(a = :v", NULL, v, "Syntax error; token: \"<EOF>\", near: \":v\"");
    EXPECT_ERR(COND, "a = :v)", NULL, v, "Syntax error; token: \")\", near: \":v)\"");
    EXPECT_ERR(COND, "a > 4", NULL, NULL, "Syntax error; token: \"4\", near: \"> 4\"");
    EXPECT_ERR(COND, "pk = !!", NULL, NULL, "Syntax error; token: \"!\"");
    EXPECT_ERR(COND, "# = :v", NULL, v, "Syntax error; token: \"#\"");
    EXPECT_ERR(COND, "a = :", NULL, NULL, "Syntax error; token: \":\"");
    EXPECT_ERR(COND, "a BETWEEN :v :v", NULL, v, "Syntax error; token: \":v\", near: \":v :v\"");
    EXPECT_ERR(COND, "a IN :v", NULL, v, "Syntax error; token: \":v\", near: \"IN :v\"");
    EXPECT_ERR(COND, "a IN ()", NULL, NULL, "Syntax error; token: \")\", near: \"()\"");
    EXPECT_ERR(COND, "attribute_exists()", NULL, NULL, "Syntax error; token: \")\", near: \"()\"");
    EXPECT_ERR(COND, "a[x] = :v", NULL, v, "Syntax error; token: \"x\", near: \"[x]\"");
    EXPECT_ERR(COND, "a[99999999999] = :v", NULL, v,
               "Syntax error; token: \"99999999999\", near: \"[99999999999]\"");
    EXPECT_ERR(COND, "a. = :v", NULL, v, "Syntax error; token: \"=\", near: \". = :v\"");
    EXPECT_ERR(COND, "a = :v, b = :v", NULL, v, "Syntax error; token: \",\", near: \":v, b\"");
    EXPECT_ERR(COND, "BETWEEN = :v", NULL, v, "Syntax error; token: \"BETWEEN\", near: \"BETWEEN =\"");
    EXPECT_ERR(COND, "NOT", NULL, NULL, "Syntax error; token: \"<EOF>\", near: \"NOT\"");
    EXPECT_ERR(COND, "a = :v + :v", NULL, v, "Syntax error; token: \"+\", near: \":v + :v\"");
    EXPECT_ERR(COND, "(a).b = :v", NULL, v, "Syntax error; token: \")\", near: \"a).\"");
    EXPECT_ERR(COND, "foo(a)", NULL, NULL, "Invalid function name; function: foo");
    EXPECT_ERR(COND, "ATTRIBUTE_EXISTS(a)", NULL, NULL, "Invalid function name; function: ATTRIBUTE_EXISTS");
    EXPECT_ERR(COND, "if_not_exists(a, :v) = :v", NULL, v,
               "The function is not allowed in a condition expression; function: if_not_exists");
    EXPECT_ERR(COND, "attribute_exists(a, b)", NULL, NULL,
               "Incorrect number of operands for operator or function; operator or function: "
               "attribute_exists, number of operands: 2");
    EXPECT_ERR(COND, "contains(a)", NULL, NULL,
               "Incorrect number of operands for operator or function; operator or function: "
               "contains, number of operands: 1");
    EXPECT_ERR(COND, "size(a)", NULL, NULL,
               "The function is not allowed to be used this way in an expression; function: size");
    EXPECT_ERR(COND, "a = :v AND size(b)", NULL, v,
               "The function is not allowed to be used this way in an expression; function: size");
    EXPECT_ERR(COND, "attribute_exists(a) = :v", NULL, v,
               "The function is not allowed to be used this way in an expression; function: attribute_exists");
    EXPECT_ERR(COND, "status = :v", NULL, v, "Attribute name is a reserved keyword; reserved keyword: status");
    EXPECT_ERR(COND, "a.Size = :v", NULL, v, "Attribute name is a reserved keyword; reserved keyword: Size");
    EXPECT_ERR(COND, "#x = :v", NULL, v,
               "An expression attribute name used in the document path is not defined; attribute name: #x");
    EXPECT_ERR(COND, "a = :x", NULL, v,
               "An expression attribute value used in expression is not defined; attribute value: :x");
    EXPECT_ERR(COND, "((a = :v))", NULL, v, "The expression has redundant parentheses;");
    EXPECT_ERR(COND, "((a)) = :v", NULL, v, "The expression has redundant parentheses;");
    EXPECT_ERR(COND, "a = a", NULL, NULL,
               "The first operand must be distinct from the remaining operands for this operator or "
               "function; operator: =, first operand: [a]");
    EXPECT_ERR(COND, "contains(#a, #a)", "{'#a':'data'}", NULL,
               "The first operand must be distinct from the remaining operands for this operator or "
               "function; operator: contains, first operand: [data]");
    EXPECT_ERR(COND, "a.b[1] IN (:v, a.b[1])", NULL, v,
               "The first operand must be distinct from the remaining operands for this operator or "
               "function; operator: IN, first operand: [a, b, [1]]");
    EXPECT_ERR(COND, "a < :b", NULL, "{':b':{'BOOL':true}}",
               "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL");
    EXPECT_ERR(COND, "a BETWEEN :l AND :m", NULL, "{':l':{'L':[]},':m':{'N':'1'}}",
               "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: L");
    EXPECT_ERR(COND, "a BETWEEN :n AND :s", NULL, "{':n':{'N':'5'},':s':{'S':'x'}}",
               "The BETWEEN operator requires same data type for lower and upper bounds; lower bound "
               "operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:x}");
    EXPECT_ERR(COND, "a BETWEEN :lo AND :hi", NULL, "{':lo':{'N':'10.5'},':hi':{'N':'9'}}",
               "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
               "lower bound operand: AttributeValue: {N:10.5}, upper bound operand: AttributeValue: {N:9}");
    EXPECT_OK(COND, "a BETWEEN :lo AND :hi", NULL, "{':lo':{'N':'9'},':hi':{'N':'10.5'}}");
    EXPECT_ERR(COND, "missing = :v", NULL, v, "Attribute name is a reserved keyword; reserved keyword: missing");
    EXPECT_ERR(COND, "attribute_type(a, :t)", NULL, "{':t':{'S':'X'}}",
               "Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
    EXPECT_ERR(COND, "attribute_type(a, :t)", NULL, "{':t':{'N':'1'}}",
               "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N");
    EXPECT_ERR(COND, "begins_with(a, :n)", NULL, "{':n':{'N':'1'}}",
               "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
    EXPECT_ERR(COND, "attribute_exists(:v)", NULL, v,
               "Operator or function requires a document path; operator or function: attribute_exists");
    EXPECT_ERR(COND, "size(:n) > :n", NULL, "{':n':{'N':'1'}}",
               "Incorrect operand type for operator or function; operator or function: size, operand type: N");

    /* an undefined value in one condition is reported before a bad operand type later */
    EXPECT_ERR(COND, "a = :missing AND begins_with(b, :n)", NULL, "{':n':{'N':'1'}}",
               "An expression attribute value used in expression is not defined; attribute value: :missing");
    EXPECT_ERR(COND, "begins_with(b, :n) AND a = :missing", NULL, "{':n':{'N':'1'}}",
               "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");

    /* limits */
    char big[4200];
    memset(big, 'a', 4097);
    memcpy(big, "attribute_exists(", 17);
    big[4096] = ')';
    big[4097] = '\0';
    EXPECT_ERR(COND, big, NULL, NULL, "Expression size has exceeded the maximum allowed size;");
    EXPECT_ERR(FILTER, big, NULL, NULL,
               "Expression size has exceeded the maximum allowed size; expression size: 4097");
    big[4095] = ')';
    big[4096] = '\0';
    EXPECT_OK(COND, big, NULL, NULL);

    char in[1200];
    size_t n = (size_t)snprintf(in, sizeof(in), "a IN (");
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%s:v", i ? "," : "");
    snprintf(in + n, sizeof(in) - n, ")");
    EXPECT_ERR(COND, in, NULL, v, "The IN operator is provided with too many operands; number of operands: 101");
    memcpy(strrchr(in, ','), ")", 2);
    EXPECT_OK(COND, in, NULL, v);

    /* 151 comparisons and 150 ANDs: 301 operators */
    char ops[4096];
    n = 0;
    for (int i = 0; i < 151; i++)
        n += (size_t)snprintf(ops + n, sizeof(ops) - n, "%sa=:v", i ? " AND " : "");
    EXPECT_ERR(COND, ops, NULL, v, "The expression contains too many operators; operator count: 301");
    ops[n - 9] = '\0';   /* drop " AND a=:v": 300 operators */
    EXPECT_OK(COND, ops, NULL, v);

    char deep[700];
    for (int i = 0; i < 300; i++)
        deep[i] = '(';
    strcpy(deep + 300, "a = :v");
    EXPECT_ERR(COND, deep, NULL, v, "The expression is nested more than 256 levels deep");
    char nots[2000];
    n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(nots + n, sizeof(nots) - n, "NOT ");
    snprintf(nots + n, sizeof(nots) - n, "a = :v");
    EXPECT_ERR(COND, nots, NULL, v, "The expression is nested more than 256 levels deep");
}

/* ---- evaluation ---- */

#define ITEM "{'a':{'N':'1'},'b':{'N':'2'},'c':{'S':'hello'},'n9':{'N':'9'},'s9':{'S':'9'}," \
             "'ss':{'SS':['x','y']},'ns':{'NS':['1','20']},'bs':{'BS':['AQI=']}," \
             "'bin':{'B':'AQID'},'t':{'BOOL':true},'z':{'NULL':true}," \
             "'l':{'L':[{'N':'10'},{'S':'two'},{'L':[{'N':'7'}]}]}," \
             "'m':{'M':{'x':{'N':'1'},'y':{'M':{'q':{'S':'deep'}}},'status':{'S':'on'}}}," \
             "'u':{'S':'\u00e9\U0001D11E'}}"

static void test_eval(void)
{
    const char *nums = "{':one':{'N':'1'},':two':{'N':'2'},':three':{'N':'3'},':ten':{'N':'10'},"
                       "':sone':{'S':'1'},':s10':{'S':'10'}}";
    /* precedence: comparisons > NOT > AND > OR */
    EXPECT_TRUE(ITEM, "a = :one OR a = :two AND b = :three", NULL, nums);
    EXPECT_FALSE(ITEM, "(a = :one OR a = :two) AND b = :three", NULL, nums);
    EXPECT_TRUE(ITEM, "a = :two AND b = :three OR b = :two", NULL, nums);
    EXPECT_TRUE(ITEM, "NOT a = :two", NULL, nums);
    EXPECT_FALSE(ITEM, "NOT a = :one AND b = :two", NULL, nums);
    EXPECT_TRUE(ITEM, "NOT (a = :one AND b = :three)", NULL, nums);
    EXPECT_TRUE(ITEM, "NOT NOT a = :one", NULL, nums);
    EXPECT_TRUE(ITEM, "(a = :one) AND ((b = :two) OR (b = :three))", NULL, nums);
    EXPECT_TRUE(ITEM, "(a) = :one", NULL, nums);
    EXPECT_TRUE(ITEM, "a = :one and b = :two", NULL, nums);   /* keywords in any case */

    /* numbers compare numerically, strings by bytes, types never mix */
    EXPECT_TRUE(ITEM, "n9 < :ten", NULL, nums);
    EXPECT_TRUE(ITEM, "s9 > :s10", NULL, nums);
    EXPECT_FALSE(ITEM, "a = :sone", NULL, nums);
    EXPECT_TRUE(ITEM, "a <> :sone", NULL, nums);
    EXPECT_FALSE(ITEM, "a < :sone", NULL, nums);
    EXPECT_TRUE(ITEM, "a <= :one AND a >= :one", NULL, nums);
    EXPECT_TRUE(ITEM, "b > a", NULL, nums);
    EXPECT_FALSE(ITEM, "nope = :one", NULL, nums);
    EXPECT_TRUE(ITEM, "nope <> :one", NULL, nums);
    EXPECT_FALSE(ITEM, "nope < :one", NULL, nums);
    EXPECT_FALSE(ITEM, "NOT nope <> :one", NULL, nums);
    EXPECT_FALSE(ITEM, "ss < :one", NULL, nums);
    EXPECT_TRUE(ITEM, "ss = :ss", NULL, "{':ss':{'SS':['y','x']}}");
    EXPECT_TRUE(ITEM, "m.y = :m", NULL, "{':m':{'M':{'q':{'S':'deep'}}}}");

    /* BETWEEN and IN */
    EXPECT_TRUE(ITEM, "n9 BETWEEN :one AND :ten", NULL, nums);
    EXPECT_FALSE(ITEM, "n9 BETWEEN :one AND :two", NULL, nums);
    EXPECT_FALSE(ITEM, "c BETWEEN :one AND :ten", NULL, nums);
    EXPECT_TRUE(ITEM, "b IN (:one, :two)", NULL, nums);
    EXPECT_FALSE(ITEM, "b IN (:one, :three, :sone)", NULL, nums);
    EXPECT_FALSE(ITEM, "nope IN (:one)", NULL, nums);

    /* functions */
    EXPECT_TRUE(ITEM, "attribute_exists(a)", NULL, NULL);
    EXPECT_FALSE(ITEM, "attribute_exists(nope)", NULL, NULL);
    EXPECT_TRUE(ITEM, "attribute_not_exists(nope)", NULL, NULL);
    EXPECT_TRUE(ITEM, "attribute_exists(m.y.q) AND attribute_exists(l[2][0])", NULL, NULL);
    EXPECT_FALSE(ITEM, "attribute_exists(l[3])", NULL, NULL);
    EXPECT_FALSE(ITEM, "attribute_exists(a.b)", NULL, NULL);
    EXPECT_TRUE(ITEM, "attribute_not_exists(#s)", "{'#s':'status'}", NULL);
    EXPECT_TRUE(ITEM, "attribute_exists(m.#s)", "{'#s':'status'}", NULL);
    EXPECT_TRUE(ITEM, "attribute_type(a, :N) AND attribute_type(ss, :SS) AND attribute_type(z, :NULL)",
                NULL, "{':N':{'S':'N'},':SS':{'S':'SS'},':NULL':{'S':'NULL'}}");
    EXPECT_FALSE(ITEM, "attribute_type(a, :S)", NULL, "{':S':{'S':'S'}}");
    EXPECT_TRUE(ITEM, "begins_with(c, :p)", NULL, "{':p':{'S':'hel'}}");
    EXPECT_FALSE(ITEM, "begins_with(c, :p)", NULL, "{':p':{'S':'ello'}}");
    EXPECT_TRUE(ITEM, "begins_with(bin, :p)", NULL, "{':p':{'B':'AQI='}}");
    EXPECT_FALSE(ITEM, "begins_with(a, :p)", NULL, "{':p':{'S':'1'}}");
    EXPECT_TRUE(ITEM, "contains(c, :p)", NULL, "{':p':{'S':'ell'}}");
    EXPECT_FALSE(ITEM, "contains(c, :p)", NULL, "{':p':{'S':'xyz'}}");
    EXPECT_TRUE(ITEM, "contains(ss, :p)", NULL, "{':p':{'S':'y'}}");
    EXPECT_TRUE(ITEM, "contains(ns, :p)", NULL, "{':p':{'N':'20.0'}}");
    EXPECT_FALSE(ITEM, "contains(ns, :p)", NULL, "{':p':{'S':'20'}}");
    EXPECT_TRUE(ITEM, "contains(bs, :p)", NULL, "{':p':{'B':'AQI='}}");
    EXPECT_TRUE(ITEM, "contains(l, :p)", NULL, "{':p':{'S':'two'}}");
    EXPECT_TRUE(ITEM, "contains(l, :p)", NULL, "{':p':{'L':[{'N':'7'}]}}");
    EXPECT_FALSE(ITEM, "contains(a, :p)", NULL, "{':p':{'N':'1'}}");
    EXPECT_TRUE(ITEM, "contains(bin, :p)", NULL, "{':p':{'B':'AgM='}}");

    /* size(): strings in UTF-16 code units, binaries in bytes, collections by count */
    const char *sizes = "{':0':{'N':'0'},':1':{'N':'1'},':2':{'N':'2'},':3':{'N':'3'},':5':{'N':'5'}}";
    EXPECT_TRUE(ITEM, "size(c) = :5", NULL, sizes);
    EXPECT_TRUE(ITEM, "size(u) = :3", NULL, sizes);
    EXPECT_TRUE(ITEM, "size(bin) = :3", NULL, sizes);
    EXPECT_TRUE(ITEM, "size(ss) = :2 AND size(ns) = :2 AND size(bs) = :1", NULL, sizes);
    EXPECT_TRUE(ITEM, "size(l) = :3 AND size(m) = :3 AND size(l[2]) = :1", NULL, sizes);
    EXPECT_FALSE(ITEM, "size(a) >= :0", NULL, sizes);
    EXPECT_FALSE(ITEM, "size(nope) >= :0", NULL, sizes);
    EXPECT_TRUE(ITEM, "size(c) BETWEEN :3 AND :5", NULL, sizes);
    EXPECT_TRUE(ITEM, ":5 = size(c)", NULL, sizes);

    /* a missing item */
    EXPECT_TRUE(NULL, "attribute_not_exists(pk)", NULL, NULL);
    EXPECT_FALSE(NULL, "a = :one", NULL, nums);
    EXPECT_TRUE(NULL, "NOT a = :one", NULL, nums);

    /* nested paths and names */
    EXPECT_TRUE(ITEM, "m.y.q = :d AND l[2][0] = :seven", NULL, "{':d':{'S':'deep'},':seven':{'N':'7'}}");
    EXPECT_TRUE(ITEM, "#m.#y.#q = :d", "{'#m':'m','#y':'y','#q':'q'}", "{':d':{'S':'deep'}}");
    EXPECT_FALSE(ITEM, "l.x = :d", NULL, "{':d':{'S':'deep'}}");
    EXPECT_FALSE(ITEM, "m[0] = :d", NULL, "{':d':{'S':'deep'}}");
    EXPECT_TRUE(ITEM, "#dot = :one", "{'#dot':'a'}", "{':one':{'N':'1'}}");
    EXPECT_FALSE(ITEM, "#dot = :one", "{'#dot':'m.x'}", "{':one':{'N':'1'}}");

    /* the paths a condition reads */
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx("{'#k':'pk'}", "{':v':{'S':'x'}}", &err);
    ddb_expr_cond_t *c = ddb_expr_parse_condition(ctx, FILTER, "#k = :v OR size(m.x) > :v", 25, &err);
    size_t np = 0;
    const ddb_expr_path_t *paths = c ? ddb_expr_cond_paths(c, &np) : NULL;
    CHECK(np == 2 && paths[0].count == 1 && !memcmp(paths[0].elems[0].name.ptr, "pk", 2) &&
              paths[1].count == 2,
          "cond paths: %zu", np);
}

/* ---- key conditions ---- */

static void test_key_conditions(void)
{
    const char *v = "{':p':{'S':'p'},':a':{'N':'1'},':b':{'N':'5'},':s':{'S':'pre'}}";
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx("{'#sk':'sk'}", v, &err);
    const char *text = "pk = :p AND #sk BETWEEN :a AND :b";
    ddb_key_conds_t *kc = ddb_expr_parse_key_condition(ctx, text, strlen(text), &err);
    CHECK(kc && kc->count == 2 && kc->conds[1].op == DDB_KEY_BETWEEN && kc->conds[1].values[1] &&
              !strcmp(kc->conds[1].values[1]->u.str.ptr, "5"),
          "between: %s", err.message);
    ddb_key_query_t q;
    CHECK(kc && ddb_expr_key_query(kc, "pk", DDB_T_S, "sk", DDB_T_N, &q, &err) == 0 && q.has_range &&
              q.range.op == DDB_KEY_BETWEEN && !strcmp(q.hash_value->u.str.ptr, "p"),
          "key query: %s", err.message);
    CHECK(kc && ddb_expr_key_query(kc, "pk", DDB_T_S, "sk", DDB_T_S, &q, &err) < 0 &&
              !strcmp(err.message, "One or more parameter values were invalid: Condition parameter type does not match schema type"),
          "schema type: %s", err.message);
    CHECK(kc && ddb_expr_key_query(kc, "pk", DDB_T_S, NULL, DDB_T_S, &q, &err) < 0 &&
              !strcmp(err.message, "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)"),
          "too many conditions: %s", err.message);
    CHECK(kc && ddb_expr_key_query(kc, "id", DDB_T_S, "sk", DDB_T_N, &q, &err) < 0 &&
              !strcmp(err.message, "Query condition missed key schema element: id"),
          "missed hash: %s", err.message);
    CHECK(kc && ddb_expr_key_query(kc, "pk", DDB_T_S, "other", DDB_T_N, &q, &err) < 0 &&
              !strcmp(err.message, "Query condition missed key schema element: other"),
          "missed range: %s", err.message);

    ctx = s_ctx(NULL, v, &err);
    text = ":a < sk AND :p = pk";
    kc = ddb_expr_parse_key_condition(ctx, text, strlen(text), &err);
    CHECK(kc && kc->count == 2 && kc->conds[0].op == DDB_KEY_GT && kc->conds[1].op == DDB_KEY_EQ,
          "flipped: %s", err.message);
    CHECK(kc && ddb_expr_key_query(kc, "pk", DDB_T_S, "sk", DDB_T_N, &q, &err) == 0 && q.range.op == DDB_KEY_GT,
          "flipped query");

    ctx = s_ctx(NULL, v, &err);
    text = "begins_with(pk, :s)";
    kc = ddb_expr_parse_key_condition(ctx, text, strlen(text), &err);
    CHECK(kc && kc->conds[0].op == DDB_KEY_BEGINS_WITH &&
              ddb_expr_key_query(kc, "pk", DDB_T_S, NULL, DDB_T_S, &q, &err) < 0 &&
              !strcmp(err.message, "Query key condition not supported"),
          "hash not EQ: %s", err.message);

    EXPECT_ERR(KEYC, "pk = :p OR sk = :a", NULL, v, "Invalid operator used in KeyConditionExpression: OR");
    EXPECT_ERR(KEYC, "NOT pk = :p", NULL, v, "Invalid operator used in KeyConditionExpression: NOT");
    EXPECT_ERR(KEYC, "pk IN (:p, :s)", NULL, v, "Invalid operator used in KeyConditionExpression: IN");
    EXPECT_ERR(KEYC, "pk <> :p", NULL, v, "Invalid operator used in KeyConditionExpression: <>");
    EXPECT_ERR(KEYC, "attribute_exists(pk)", NULL, NULL,
               "Invalid operator used in KeyConditionExpression: attribute_exists");
    EXPECT_ERR(KEYC, "pk = :p AND contains(sk, :s)", NULL, v,
               "Invalid operator used in KeyConditionExpression: contains");
    EXPECT_ERR(KEYC, "pk = :p AND sk > :a AND sk < :b", NULL, v,
               "KeyConditionExpressions must only contain one condition per key");
    EXPECT_ERR(KEYC, "pk > size(sk)", NULL, NULL, "KeyConditionExpressions cannot contain nested operations");
    EXPECT_ERR(KEYC, "pk = sk", NULL, NULL,
               "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
    EXPECT_ERR(KEYC, ":p = :s", NULL, v, "Invalid condition in KeyConditionExpression: No key attribute specified");
    EXPECT_ERR(KEYC, "pk.x = :p", NULL, v, "KeyConditionExpressions cannot have conditions on nested attributes");
    EXPECT_ERR(KEYC, ":a BETWEEN sk AND :b", NULL, v,
               "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand");
    EXPECT_ERR(KEYC, "begins_with(:s, sk)", NULL, v,
               "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand");
    EXPECT_ERR(KEYC, "pk = :p AND begins_with(sk, :a)", NULL, v,
               "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
    EXPECT_ERR(KEYC, "pk = :p AND sk < :t", NULL, "{':p':{'S':'p'},':t':{'BOOL':true}}",
               "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL");
    EXPECT_ERR(KEYC, "pk = :p AND sk BETWEEN :b AND :a", NULL, v,
               "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
               "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}");
    EXPECT_ERR(KEYC, "", NULL, NULL, "The expression can not be empty;");
    EXPECT_ERR(KEYC, "things are not gonna be ok", NULL, NULL,
               "Syntax error; token: \"are\", near: \"things are not\"");
}

/* ---- projection ---- */

static void test_projection(void)
{
    EXPECT_OK(PROJ, "a, b.c, l[1], #n, m.x[0].y", "{'#n':'name'}", NULL);
    EXPECT_ERR(PROJ, "", NULL, NULL, "The expression can not be empty;");
    EXPECT_ERR(PROJ, "a,", NULL, NULL, "Syntax error; token: \"<EOF>\", near: \",\"");
    EXPECT_ERR(PROJ, "a b", NULL, NULL, "Syntax error; token: \"b\", near: \"a b\"");
    EXPECT_ERR(PROJ, "(a1)", NULL, NULL, "Syntax error; token: \"(\", near: \"(a1\"");
    EXPECT_ERR(PROJ, "a, name", NULL, NULL, "Attribute name is a reserved keyword; reserved keyword: name");
    EXPECT_ERR(PROJ, "#a", NULL, NULL,
               "An expression attribute name used in the document path is not defined; attribute name: #a");
    EXPECT_ERR(PROJ, "a, a.b", NULL, NULL,
               "Two document paths overlap with each other; must remove or rewrite one of these paths; "
               "path one: [a], path two: [a, b]");
    EXPECT_ERR(PROJ, "a.b, #x", "{'#x':'a'}", NULL,
               "Two document paths overlap with each other; must remove or rewrite one of these paths; "
               "path one: [a, b], path two: [a]");
    EXPECT_ERR(PROJ, "a[0], a.b", NULL, NULL,
               "Two document paths conflict with each other; must remove or rewrite one of these paths; "
               "path one: [a, [0]], path two: [a, b]");

    const char *item = "{'a':{'N':'1'},'m':{'M':{'x':{'N':'1'},'y':{'N':'2'},'z':{'M':{'q':{'N':'3'}}}}},"
                       "'l':{'L':[{'N':'10'},{'N':'20'},{'N':'30'},{'M':{'k':{'N':'1'},'j':{'N':'2'}}}]}}";
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx(NULL, NULL, &err);
    const char *text = "m.x, l[2], l[0], l[3].k, zz, m.z.nope, l[9], a.b";
    ddb_expr_projection_t *p = ddb_expr_parse_projection(ctx, text, strlen(text), &err);
    ddb_value_t *got = p ? ddb_expr_project(s_item(item), p->paths, p->count, g_arena) : NULL;
    CHECK(got && ddb_value_equal(got, s_item("{'m':{'M':{'x':{'N':'1'}}},"
                                            "'l':{'L':[{'N':'10'},{'N':'30'},{'M':{'k':{'N':'1'}}}]}}")),
          "nested projection: %s", s_item_text(got));
    text = "nothing, here";
    p = ddb_expr_parse_projection(ctx, text, strlen(text), &err);
    got = p ? ddb_expr_project(s_item(item), p->paths, p->count, g_arena) : NULL;
    CHECK(got && got->type == DDB_T_M && got->u.map.count == 0, "empty projection");
    CHECK(p && ddb_expr_project(NULL, p->paths, p->count, g_arena) == NULL, "no item");
    text = "m.z, a";
    p = ddb_expr_parse_projection(ctx, text, strlen(text), &err);
    got = p ? ddb_expr_project(s_item(item), p->paths, p->count, g_arena) : NULL;
    CHECK(got && ddb_value_equal(got, s_item("{'a':{'N':'1'},'m':{'M':{'z':{'M':{'q':{'N':'3'}}}}}}")),
          "whole nested map: %s", s_item_text(got));
}

/* ---- malformed updates ---- */

static void test_update_errors(void)
{
    const char *v = "{':v':{'S':'x'}}";
    EXPECT_ERR(UPD, "", NULL, NULL, "The expression can not be empty;");
    EXPECT_ERR(UPD, "whatever", NULL, NULL, "Syntax error; token: \"whatever\", near: \"whatever\"");
    EXPECT_ERR(UPD, "INVALID SYNTAX HERE", NULL, v, "Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
    EXPECT_ERR(UPD, "SET MyStr = myNum + 1", NULL, NULL, "Syntax error; token: \"1\", near: \"+ 1\"");
    EXPECT_ERR(UPD, "SET MyStr = myNum Mystr2 myNum2", NULL, NULL,
               "Syntax error; token: \"Mystr2\", near: \"myNum Mystr2 myNum2\"");
    EXPECT_ERR(UPD, "SET MyStr = my Num", NULL, NULL, "Syntax error; token: \"Num\", near: \"my Num\"");
    EXPECT_ERR(UPD, "set a", NULL, NULL, "Syntax error; token: \"<EOF>\", near: \"a\"");
    EXPECT_ERR(UPD, "set a=set", NULL, NULL, "Syntax error; token: \"set\", near: \"=set\"");
    EXPECT_ERR(UPD, "remove a = b", NULL, NULL, "Syntax error; token: \"=\", near: \"a = b\"");
    EXPECT_ERR(UPD, "delete a b", NULL, NULL, "Syntax error; token: \"b\", near: \"a b\"");
    EXPECT_ERR(UPD, "add a if_not_exists(b)", NULL, NULL,
               "Syntax error; token: \"if_not_exists\", near: \"a if_not_exists(\"");
    EXPECT_ERR(UPD, "set :a = b", NULL, v, "Syntax error; token: \":a\", near: \"set :a =\"");
    EXPECT_ERR(UPD, "set a = b * c", NULL, NULL, "Syntax error; token: \"*\"");
    EXPECT_ERR(UPD, "set a = b + c + d", NULL, NULL, "Syntax error; token: \"+\", near: \"c + d\"");
    EXPECT_ERR(UPD, "set (a = (b + c))", NULL, NULL, "Syntax error; token: \"(\", near: \"set (a\"");
    EXPECT_ERR(UPD, "set a = (b.c).d + e", NULL, NULL, "Syntax error; token: \".\", near: \").d\"");
    EXPECT_ERR(UPD, "SET if_not_exists(a, b) = a", NULL, NULL,
               "Syntax error; token: \"(\", near: \"if_not_exists(a\"");
    EXPECT_ERR(UPD, "SET a = :v,", NULL, v, "Syntax error; token: \"<EOF>\", near: \",\"");
    EXPECT_ERR(UPD, "SET a = if_not_exist(a, :v)", NULL, v, "Invalid function name; function: if_not_exist");
    EXPECT_ERR(UPD, "SET a = size(b)", NULL, NULL, "Invalid function name; function: size");
    EXPECT_ERR(UPD, " remove Absolute ", NULL, NULL,
               "Attribute name is a reserved keyword; reserved keyword: Absolute");
    EXPECT_ERR(UPD, "set a = :v set b = :v", NULL, v,
               "The \"SET\" section can only be used once in an update expression;");
    EXPECT_ERR(UPD, "remove d set a = :v remove e", NULL, v,
               "The \"REMOVE\" section can only be used once in an update expression;");
    EXPECT_ERR(UPD, "add d :v set a = :v add e :v", NULL, "{':v':{'N':'1'}}",
               "The \"ADD\" section can only be used once in an update expression;");
    EXPECT_ERR(UPD, "SET #c = :v", NULL, v,
               "An expression attribute name used in the document path is not defined; attribute name: #c");
    EXPECT_ERR(UPD, "SET c = :nope", NULL, v,
               "An expression attribute value used in expression is not defined; attribute value: :nope");
    EXPECT_ERR(UPD, "set a = :v remove a", NULL, v,
               "Two document paths overlap with each other; must remove or rewrite one of these paths; "
               "path one: [a], path two: [a]");
    EXPECT_ERR(UPD, "set c.b.#c = :v, c = :v", "{'#c':'c'}", v,
               "Two document paths overlap with each other; must remove or rewrite one of these paths; "
               "path one: [c, b, c], path two: [c]");
    EXPECT_ERR(UPD, "set d[1] = :v, d.b = :v, c[1].a = :v, #c = :v", "{'#c':'c'}", v,
               "Two document paths overlap with each other; must remove or rewrite one of these paths; "
               "path one: [c, [1], a], path two: [c]");
    EXPECT_ERR(UPD, "remove a.#c set a[1] = :v", "{'#c':'c'}", v,
               "Two document paths conflict with each other; must remove or rewrite one of these paths; "
               "path one: [a, c], path two: [a, [1]]");
    EXPECT_ERR(UPD, "set #c[3].#d = :v, #c.#d[3] = :v", "{'#c':'c','#d':'[3]'}", v,
               "Two document paths conflict with each other; must remove or rewrite one of these paths; "
               "path one: [c, [3], [3]], path two: [c, [3], [3]]");
    EXPECT_ERR(UPD, "add a :v", NULL, v,
               "Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
    EXPECT_ERR(UPD, "add a.b :v", NULL, "{':v':{'L':[]}}",
               "Incorrect operand type for operator or function; operator: ADD, operand type: LIST");
    EXPECT_ERR(UPD, "delete a :v", NULL, "{':v':{'N':'1'}}",
               "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER");
    EXPECT_ERR(UPD, "delete a :v", NULL, "{':v':{'M':{}}}",
               "Incorrect operand type for operator or function; operator: DELETE, operand type: MAP");
    EXPECT_ERR(UPD, "set a = if_not_exists(c)", NULL, NULL,
               "Incorrect number of operands for operator or function; operator or function: if_not_exists, "
               "number of operands: 1");
    EXPECT_ERR(UPD, "set a = list_append(c)", NULL, NULL,
               "Incorrect number of operands for operator or function; operator or function: list_append, "
               "number of operands: 1");
    EXPECT_ERR(UPD, "set a = if_not_exists(:v, c)", NULL, v,
               "Operator or function requires a document path; operator or function: if_not_exists");
    EXPECT_ERR(UPD, "set a = list_append(:v, a)", NULL, v,
               "Incorrect operand type for operator or function; operator or function: list_append, operand type: S");
    EXPECT_ERR(UPD, "set a = a + :v", NULL, v,
               "Incorrect operand type for operator or function; operator or function: +, operand type: S");
    EXPECT_ERR(UPD, "set a = :m - a", NULL, "{':m':{'M':{}}}",
               "Incorrect operand type for operator or function; operator or function: -, operand type: M");
    EXPECT_OK(UPD, "SET a = (b + c), d = (e), f = if_not_exists(f, :v) REMOVE set_x", NULL, v);
    EXPECT_OK(UPD, "set b.c=((c[1])+(b.a)),b.a = a", NULL, NULL);
}

/* ---- applying updates ---- */

static void test_updates(void)
{
    const char *base = "{'k':{'S':'key'},'n':{'N':'5'},'s':{'SS':['a','b']},'ns':{'NS':['1','2']},"
                       "'l':{'L':[{'N':'0'},{'N':'1'},{'N':'2'},{'N':'3'}]},"
                       "'m':{'M':{'x':{'N':'1'},'in':{'M':{}}}},'str':{'S':'text'}}";
    EXPECT_UPDATE(NULL, "SET a = :v", NULL, "{':v':{'S':'x'}}", "{'a':{'S':'x'}}");
    EXPECT_UPDATE("{'k':{'S':'key'}}", "SET a = :v, b = k", NULL, "{':v':{'N':'1'}}",
                  "{'k':{'S':'key'},'a':{'N':'1'},'b':{'S':'key'}}");

    /* exact decimal arithmetic */
    EXPECT_UPDATE("{'n':{'N':'99999999999999999999999999999999999998'}}", "SET n = n + :v", NULL,
                  "{':v':{'N':'1'}}", "{'n':{'N':'99999999999999999999999999999999999999'}}");
    EXPECT_UPDATE("{'n':{'N':'0.1'}}", "SET n = n + :v", NULL, "{':v':{'N':'0.2'}}", "{'n':{'N':'0.3'}}");
    EXPECT_UPDATE("{'n':{'N':'1'}}", "SET n = n - :v", NULL,
                  "{':v':{'N':'0.00000000000000000000000000000000000001'}}",
                  "{'n':{'N':'0.99999999999999999999999999999999999999'}}");
    EXPECT_UPDATE("{'n':{'N':'12345678901234567890123456789012345678'}}", "SET n = :v - n", NULL,
                  "{':v':{'N':'0'}}", "{'n':{'N':'-12345678901234567890123456789012345678'}}");
    EXPECT_UPDATE("{'n':{'N':'5'}}", "SET n = n + :v, o = :v + :v", NULL, "{':v':{'N':'-5.5'}}",
                  "{'n':{'N':'-0.5'},'o':{'N':'-11'}}");

    /* SET from other attributes, if_not_exists, list_append */
    EXPECT_UPDATE_ERR(base, "SET a = nope", NULL, NULL,
                      "The provided expression refers to an attribute that does not exist in the item");
    EXPECT_UPDATE_ERR(base, "SET a = nope + n", NULL, NULL,
                      "The provided expression refers to an attribute that does not exist in the item");
    EXPECT_UPDATE_ERR(base, "SET a = str + n", NULL, NULL,
                      "An operand in the update expression has an incorrect data type");
    EXPECT_UPDATE("{'n':{'N':'5'}}", "SET a = if_not_exists(nope, :v), n = if_not_exists(n, :v) + :one", NULL,
                  "{':v':{'N':'0'},':one':{'N':'1'}}", "{'n':{'N':'6'},'a':{'N':'0'}}");
    EXPECT_UPDATE("{'l':{'L':[{'N':'1'}]}}", "SET l = list_append(l, :l), r = list_append(:l, l)", NULL,
                  "{':l':{'L':[{'S':'x'}]}}",
                  "{'l':{'L':[{'N':'1'},{'S':'x'}]},'r':{'L':[{'S':'x'},{'N':'1'}]}}");
    EXPECT_UPDATE_ERR("{'l':{'N':'1'}}", "SET l = list_append(l, :l)", NULL, "{':l':{'L':[]}}",
                      "An operand in the update expression has an incorrect data type");
    EXPECT_UPDATE_ERR("{'d':{'NS':['1']}}", "SET e = list_append(d, if_not_exists(f, :a))", NULL,
                      "{':a':{'L':[]}}", "An operand in the update expression has an incorrect data type");

    /* nested SET */
    EXPECT_UPDATE("{'m':{'M':{'x':{'N':'1'}}}}", "SET m.y = :v, m.x = :v", NULL, "{':v':{'S':'v'}}",
                  "{'m':{'M':{'x':{'S':'v'},'y':{'S':'v'}}}}");
    EXPECT_UPDATE_ERR("{'k':{'S':'key'}}", "SET nope.x = :v", NULL, "{':v':{'S':'v'}}",
                      "The document path provided in the update expression is invalid for update");
    EXPECT_UPDATE_ERR("{'k':{'S':'key'}}", "SET b[1] = k", NULL, NULL,
                      "The document path provided in the update expression is invalid for update");
    EXPECT_UPDATE_ERR("{'m':{'M':{}}}", "SET m[0] = :v", NULL, "{':v':{'S':'v'}}",
                      "The document path provided in the update expression is invalid for update");
    EXPECT_UPDATE_ERR("{'l':{'L':[]}}", "SET l.x = :v", NULL, "{':v':{'S':'v'}}",
                      "The document path provided in the update expression is invalid for update");
    EXPECT_UPDATE("{'l':{'L':[{'S':'a'},{'S':'b'},{'S':'c'}]}}", "SET l[1] = :v, l[5] = :w", NULL,
                  "{':v':{'S':'B'},':w':{'S':'z'}}", "{'l':{'L':[{'S':'a'},{'S':'B'},{'S':'c'},{'S':'z'}]}}");
    EXPECT_UPDATE("{'l':{'L':[]}}", "SET l[0] = :v", NULL, "{':v':{'S':'first'}}", "{'l':{'L':[{'S':'first'}]}}");
    EXPECT_UPDATE("{'l':{'L':[{'S':'x'},{'S':'y'}]}}", "SET l[5] = :a, l[3] = :b", NULL,
                  "{':a':{'S':'a'},':b':{'S':'b'}}", "{'l':{'L':[{'S':'x'},{'S':'y'},{'S':'b'},{'S':'a'}]}}");
    /* every value is read from the item as it was; appends land in index order */
    EXPECT_UPDATE("{'a':{'S':'key'},'b':{'M':{'a':{'N':'1'},'b':{'N':'2'},'c':{'N':'3'}}},"
                  "'c':{'L':[{'N':'1'},{'N':'3'}]}}",
                  "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a",
                  NULL, "{':a':{'N':'2'},':b':{'SS':['a']}}",
                  "{'a':{'S':'key'},'b':{'M':{'a':{'S':'key'},'b':{'N':'2'},'c':{'N':'4'}}},"
                  "'c':{'L':[{'N':'1'},{'S':'key'},{'N':'3'},{'N':'-1'},{'N':'2'},{'SS':['a']}]}}");
    EXPECT_UPDATE("{'a':{'N':'1'},'b':{'N':'2'}}", "SET a = b, b = a", NULL, NULL, "{'a':{'N':'2'},'b':{'N':'1'}}");

    /* REMOVE */
    EXPECT_UPDATE(base, "REMOVE n, m.x, l[0], l[2], nope, m.nope", NULL, NULL,
                  "{'k':{'S':'key'},'s':{'SS':['a','b']},'ns':{'NS':['1','2']},"
                  "'l':{'L':[{'N':'1'},{'N':'3'}]},'m':{'M':{'in':{'M':{}}}},'str':{'S':'text'}}");
    EXPECT_UPDATE("{'l':{'L':[{'S':'x'},{'S':'y'}]}}", "REMOVE l[1]", NULL, NULL, "{'l':{'L':[{'S':'x'}]}}");
    EXPECT_UPDATE("{'l':{'L':[{'S':'x'},{'S':'y'}]}}", "REMOVE l[7]", NULL, NULL,
                  "{'l':{'L':[{'S':'x'},{'S':'y'}]}}");
    EXPECT_UPDATE("{'l':{'L':[{'S':'x'},{'S':'y'}]}}", "SET l[5] = :v REMOVE l[2]", NULL, "{':v':{'S':'z'}}",
                  "{'l':{'L':[{'S':'x'},{'S':'y'},{'S':'z'}]}}");
    EXPECT_UPDATE_ERR("{'k':{'S':'key'}}", "REMOVE y.a", NULL, NULL,
                      "The document path provided in the update expression is invalid for update");
    EXPECT_UPDATE_ERR("{'m':{'M':{}}}", "REMOVE m[1]", NULL, NULL,
                      "The document path provided in the update expression is invalid for update");

    /* ADD */
    EXPECT_UPDATE("{'k':{'S':'key'}}", "ADD n :v", NULL, "{':v':{'N':'1.2'}}", "{'k':{'S':'key'},'n':{'N':'1.2'}}");
    EXPECT_UPDATE("{'n':{'N':'5'}}", "ADD n :v", NULL, "{':v':{'N':'-0.5'}}", "{'n':{'N':'4.5'}}");
    EXPECT_UPDATE("{'s':{'SS':['a','b']}}", "ADD s :v", NULL, "{':v':{'SS':['b','c','d']}}",
                  "{'s':{'SS':['a','b','c','d']}}");
    EXPECT_UPDATE("{'ns':{'NS':['1','2']}}", "ADD ns :v", NULL, "{':v':{'NS':['2.0','3']}}",
                  "{'ns':{'NS':['1','2','3']}}");
    EXPECT_UPDATE("{'k':{'S':'key'}}", "ADD s :v", NULL, "{':v':{'BS':['AQI=']}}",
                  "{'k':{'S':'key'},'s':{'BS':['AQI=']}}");
    EXPECT_UPDATE("{'m':{'M':{'c':{'N':'1'}}}}", "ADD m.c :one, m.d :one", NULL, "{':one':{'N':'1'}}",
                  "{'m':{'M':{'c':{'N':'2'},'d':{'N':'1'}}}}");
    EXPECT_UPDATE_ERR("{'s':{'SS':['a']}}", "ADD s :v", NULL, "{':v':{'NS':['1']}}",
                      "An operand in the update expression has an incorrect data type");
    EXPECT_UPDATE_ERR("{'n':{'NS':['1']}}", "ADD n :v", NULL, "{':v':{'N':'1'}}",
                      "An operand in the update expression has an incorrect data type");
    EXPECT_UPDATE_ERR("{'n':{'S':'1'}}", "ADD n :v", NULL, "{':v':{'N':'1'}}",
                      "An operand in the update expression has an incorrect data type");
    EXPECT_UPDATE_ERR("{'k':{'S':'key'}}", "ADD y.a :v", NULL, "{':v':{'N':'1'}}",
                      "The document path provided in the update expression is invalid for update");

    /* DELETE */
    EXPECT_UPDATE("{'s':{'SS':['a','b','c']}}", "DELETE s :v", NULL, "{':v':{'SS':['a','x']}}",
                  "{'s':{'SS':['b','c']}}");
    EXPECT_UPDATE("{'k':{'S':'key'},'s':{'NS':['1','2']}}", "DELETE s :v", NULL, "{':v':{'NS':['2','1']}}",
                  "{'k':{'S':'key'}}");
    EXPECT_UPDATE("{'k':{'S':'key'}}", "DELETE s :v", NULL, "{':v':{'SS':['a']}}", "{'k':{'S':'key'}}");
    EXPECT_UPDATE_ERR("{'s':{'SS':['a']}}", "DELETE s :v", NULL, "{':v':{'NS':['1']}}",
                      "An operand in the update expression has an incorrect data type");
    EXPECT_UPDATE_ERR("{'n':{'N':'1'}}", "DELETE n :v", NULL, "{':v':{'NS':['1']}}",
                      "An operand in the update expression has an incorrect data type");

    /* several clauses on an item that only has its key */
    EXPECT_UPDATE("{'a':{'S':'key'}}", "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f", NULL,
                  "{':c':{'SS':['a','b']},':d':{'N':'5'},':e':{'SS':['a','b']},':f':{'L':[{'S':'a'},{'N':'1'}]}}",
                  "{'a':{'S':'key'},'d':{'N':'5'},'e':{'SS':['a','b']},'f':{'L':[{'S':'a'},{'N':'1'}]}}");
    EXPECT_UPDATE("{'a':{'S':'key'}}", "ADD #e :e,#d :d DELETE #c :c REMOVE #b SET #f = :f",
                  "{'#b':'b','#c':'c','#d':'d','#e':'e','#f':'f'}",
                  "{':c':{'SS':['a','b']},':d':{'N':'5'},':e':{'SS':['a','b']},':f':{'L':[{'S':'a'},{'N':'1'}]}}",
                  "{'a':{'S':'key'},'d':{'N':'5'},'e':{'SS':['a','b']},'f':{'L':[{'S':'a'},{'N':'1'}]}}");
}

/* The checks EXPECT_UPDATE could not express: errors out of ddb_num, and the paths
 * an update reports for UPDATED_OLD / UPDATED_NEW. */
static void test_update_details(void)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = s_ctx(NULL, "{':v':{'N':'1E+125'}}", &err);
    ddb_expr_update_t *u = ddb_expr_parse_update(ctx, "SET n = n + :v", 14, &err);
    ddb_value_t *got = u ? ddb_expr_apply_update(u, s_item("{'n':{'N':'9.9999999999999999999999999999999999999E+125'}}"),
                                                 g_arena, &err) : NULL;
    CHECK(!got && err.kind == DDB_ERR_VALIDATION && strstr(err.message, "overflow") != NULL,
          "number overflow: %s", err.message);

    /* UPDATED_NEW is the projection of the new item on the update's paths */
    const char *old_text = "{'a':{'S':'key'},'b':{'M':{'a':{'N':'1'},'b':{'N':'2'},'c':{'N':'3'}}},"
                           "'c':{'L':[{'N':'1'},{'N':'3'}]}}";
    const char *expr = "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a";
    ctx = s_ctx(NULL, "{':a':{'N':'2'},':b':{'SS':['a']}}", &err);
    u = ddb_expr_parse_update(ctx, expr, strlen(expr), &err);
    ddb_value_t *old = s_item(old_text);
    got = u ? ddb_expr_apply_update(u, old, g_arena, &err) : NULL;
    size_t n = 0;
    const ddb_expr_path_t *paths = u ? ddb_expr_update_paths(u, &n) : NULL;
    CHECK(n == 7 && paths[0].count == 2 && paths[6].count == 2 && paths[6].elems[1].is_index &&
              paths[6].elems[1].index == 6,
          "update paths: %zu", n);
    ddb_value_t *updated_new = got ? ddb_expr_project(got, paths, n, g_arena) : NULL;
    CHECK(updated_new && ddb_value_equal(updated_new,
                                         s_item("{'b':{'M':{'a':{'S':'key'},'c':{'N':'4'}}},"
                                                "'c':{'L':[{'S':'key'},{'N':'3'},{'N':'2'}]}}")),
          "UPDATED_NEW: %s", s_item_text(updated_new));
    ddb_value_t *updated_old = ddb_expr_project(old, paths, n, g_arena);
    CHECK(ddb_value_equal(updated_old, s_item("{'b':{'M':{'a':{'N':'1'},'c':{'N':'3'}}},'c':{'L':[{'N':'3'}]}}")),
          "UPDATED_OLD: %s", s_item_text(updated_old));

    ddb_buf_t b = DDB_BUF_INIT;
    ddb_expr_path_format(&paths[0], &b);
    CHECK(b.data && !strcmp(b.data, "[b, c]"), "path format: %s", b.data);
    ddb_buf_free(&b);
}

/* Never crash: every prefix of some tricky inputs, in every grammar. */
static void test_no_crash(void)
{
    static const char *const inputs[] = {
        "a.b[3].c[0][1] = :v AND NOT (size(#n) BETWEEN :v AND :w OR c IN (:v, :w))",
        "SET a = list_append(if_not_exists(b, :v), :w) REMOVE c[1] ADD d :v DELETE e :w",
        "((((a)))) <> ((:v))", "#n[0].#n, x[1]", "begins_with(contains(size(a), :v), :w)",
        "\x01\x02\xff\xfe", "a = :v AND \xe2\x82\xac", ")(", "[1] = :v", "a[", "a[]", "a.",
    };
    const char *names = "{'#n':'n'}", *values = "{':v':{'N':'1'},':w':{'N':'2'}}";
    int survived = 0;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        size_t len = strlen(inputs[i]);
        for (size_t cut = 0; cut <= len; cut++) {
            char *prefix = ddb_arena_strndup(g_arena, inputs[i], cut);
            for (int k = 0; k < 5; k++) {
                ddb_expr_kind_t kind = (ddb_expr_kind_t)k;
                if (cut == 0)
                    continue;
                s_parse_error(kind, prefix, names, values);
            }
        }
        survived++;
    }
    CHECK(survived == (int)(sizeof(inputs) / sizeof(inputs[0])), "fuzz prefixes");
}

/* ddb_expr_compare_scalars orders as conditions do (used for legacy BETWEEN bounds). */
static void test_compare_scalars(void)
{
    ddb_value_t *v = s_item("{'a':{'N':'10'},'b':{'N':'9.5'},'c':{'N':'1E1'},'s':{'S':'b'},'t':{'S':'ab'},"
                            "'x':{'B':'AP8='},'y':{'B':'AQ=='}}");
    ddb_value_t *a = ddb_item_get(v, "a", 1), *b = ddb_item_get(v, "b", 1), *c = ddb_item_get(v, "c", 1);
    ddb_value_t *s = ddb_item_get(v, "s", 1), *t = ddb_item_get(v, "t", 1);
    ddb_value_t *x = ddb_item_get(v, "x", 1), *y = ddb_item_get(v, "y", 1);
    CHECK(ddb_expr_compare_scalars(a, b) > 0, "10 > 9.5 numerically, not textually");
    CHECK(ddb_expr_compare_scalars(a, c) == 0, "10 == 1E1");
    CHECK(ddb_expr_compare_scalars(b, a) < 0, "9.5 < 10");
    CHECK(ddb_expr_compare_scalars(s, t) > 0, "'b' > 'ab' by bytes");
    CHECK(ddb_expr_compare_scalars(x, y) < 0, "00ff < 01 by unsigned bytes");
}

int main(void)
{
    g_arena = ddb_arena_new(64 * 1024);
    test_reserved_words();
    test_context();
    test_condition_errors();
    test_eval();
    test_key_conditions();
    test_projection();
    test_update_errors();
    test_updates();
    test_update_details();
    test_no_crash();
    test_compare_scalars();
    ddb_arena_destroy(&g_arena);
    printf("test_expr: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
