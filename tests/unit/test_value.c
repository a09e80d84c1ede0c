/* test_value: the attribute-value model. JSON round trips of every type (unicode,
 * binary, nesting), the service's validation and serialization errors with their
 * exact messages, the nesting limit, equality, and item sizes. */
#include "ddb_value.h"
#include "unit.h"

#include <stdlib.h>

#define INVALID "One or more parameter values were invalid: "
#define EMPTY_AV "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
#define MULTI_AV "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
#define NAN_MSG "The parameter cannot be converted to a numeric value"
#define AV_CLASS "com.amazonaws.dynamodb.v20120810.AttributeValue"

static ddb_arena_t *s_arena;
static ddb_buf_t s_out = DDB_BUF_INIT;
static ddb_err_t s_err = DDB_ERR_INIT;

/* Parses json as one AttributeValue (item=0) or an attribute map (item=1) and
 * returns its canonical JSON, or "ERROR <kind>: <message>". */
static const char *run(const char *json, int item)
{
    ddb_buf_clear(&s_out);
    ddb_err_clear(&s_err);
    cJSON *j = cJSON_Parse(json);
    if (!j) {
        fprintf(stderr, "bad test JSON: %s\n", json);
        abort();
    }
    ddb_value_t *v = item ? ddb_item_from_json(j, s_arena, &s_err) : ddb_value_from_json(j, s_arena, &s_err);
    cJSON_Delete(j);   /* the tree must not depend on the cJSON input */
    if (!v) {
        ddb_buf_printf(&s_out, "ERROR %s: %s", ddb_err_name(s_err.kind), s_err.message);
        return s_out.data;
    }
    if (s_err.kind != DDB_OK)
        return "error set on success";
    if (item)
        ddb_item_to_json(v, &s_out);
    else
        ddb_value_to_json(v, &s_out);
    return s_out.data;
}

static ddb_value_t *value(const char *json, int item)
{
    cJSON *j = cJSON_Parse(json);
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *v = item ? ddb_item_from_json(j, s_arena, &err) : ddb_value_from_json(j, s_arena, &err);
    cJSON_Delete(j);
    if (!v) {
        fprintf(stderr, "bad test value %s: %s\n", json, err.message);
        abort();
    }
    return v;
}

#define SAME(json) CHECK_STR(run(json, 0), json)
#define VAL(json, want) CHECK_STR(run(json, 0), want)
#define VERR(json, msg) CHECK_STR(run(json, 0), "ERROR ValidationException: " msg)
#define SERR(json, msg) CHECK_STR(run(json, 0), "ERROR SerializationException: " msg)

static void test_round_trips(void)
{
    SAME("{\"S\":\"hello\"}");
    SAME("{\"S\":\"\"}");
    SAME("{\"S\":\"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"}");
    VAL("{\"S\":\"\\u00e9\\u65e5\\ud83d\\ude00\"}", "{\"S\":\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\"}");
    SAME("{\"S\":\"quote \\\" backslash \\\\ newline \\n tab \\t ctl \\u0001\"}");
    VAL("{\"S\":\"slash \\/\"}", "{\"S\":\"slash /\"}");
    SAME("{\"N\":\"1\"}");
    VAL("{\"N\":\"1.50\"}", "{\"N\":\"1.5\"}");
    VAL("{\"N\":\"-0\"}", "{\"N\":\"0\"}");
    VAL("{\"N\":\"1E+3\"}", "{\"N\":\"1000\"}");
    VAL("{\"N\":\"+.5e-3\"}", "{\"N\":\"0.0005\"}");
    SAME("{\"B\":\"AAEC/w==\"}");
    SAME("{\"B\":\"\"}");
    SAME("{\"B\":\"Yg==\"}");
    SAME("{\"B\":\"YWI=\"}");
    SAME("{\"B\":\"+/+/\"}");
    SAME("{\"BOOL\":true}");
    SAME("{\"BOOL\":false}");
    SAME("{\"NULL\":true}");
    SAME("{\"M\":{}}");
    SAME("{\"L\":[]}");
    SAME("{\"SS\":[\"b\",\"a\",\"\"]}");
    VAL("{\"NS\":[\"3\",\"2.50\",\"-0\",\"1e2\"]}", "{\"NS\":[\"3\",\"2.5\",\"0\",\"100\"]}");
    SAME("{\"BS\":[\"AQ==\",\"AA==\",\"\"]}");
    SAME("{\"M\":{\"a\":{\"S\":\"x\"},\"b\":{\"L\":[{\"N\":\"1\"},{\"NULL\":true},{\"M\":{\"c\":{\"BS\":[\"Yg==\"]}}}]}}}");
    SAME("{\"L\":[{\"S\":\"a\"},{\"N\":\"-56.789\"},{\"B\":\"Yg==\"},{\"BOOL\":true},{\"NULL\":true},"
         "{\"SS\":[\"a\"]},{\"NS\":[\"-56.789\"]},{\"BS\":[\"Yg==\"]},{\"L\":[]},{\"M\":{}}]}");
    SAME("{\"M\":{\"\xe5\x90\x8d\":{\"S\":\"v\"},\"with \\\"quote\\\"\":{\"N\":\"2\"}}}");
    /* unknown and null members are dropped, as the service's deserializer does */
    VAL("{\"S\":\"a\",\"foo\":1}", "{\"S\":\"a\"}");
    VAL("{\"S\":\"a\",\"N\":null}", "{\"S\":\"a\"}");
    VAL("{\"s\":\"lowercase is unknown\",\"N\":\"2\"}", "{\"N\":\"2\"}");

    /* items */
    CHECK_STR(run("{}", 1), "{}");
    CHECK_STR(run("{\"pk\":{\"S\":\"k\"},\"n\":{\"N\":\"0010\"},\"b\":{\"B\":\"AAA=\"}}", 1),
              "{\"pk\":{\"S\":\"k\"},\"n\":{\"N\":\"10\"},\"b\":{\"B\":\"AAA=\"}}");
    /* a repeated name: the last value wins, at the first position */
    CHECK_STR(run("{\"a\":{\"S\":\"1\"},\"b\":{\"S\":\"2\"},\"a\":{\"S\":\"3\"}}", 1),
              "{\"a\":{\"S\":\"3\"},\"b\":{\"S\":\"2\"}}");
    VAL("{\"M\":{\"x\":{\"N\":\"1\"},\"x\":{\"N\":\"2\"},\"y\":{\"N\":\"3\"},\"x\":{\"N\":\"4\"}}}",
        "{\"M\":{\"x\":{\"N\":\"4\"},\"y\":{\"N\":\"3\"}}}");

    /* a big map with repeats takes the sorting path */
    ddb_buf_t big = DDB_BUF_INIT, want = DDB_BUF_INIT;
    ddb_buf_puts(&big, "{");
    ddb_buf_puts(&want, "{");
    for (int i = 0; i < 40; i++)
        ddb_buf_printf(&big, "%s\"k%02d\":{\"N\":\"%d\"}", i ? "," : "", i, i);
    for (int i = 0; i < 40; i += 3)
        ddb_buf_printf(&big, ",\"k%02d\":{\"S\":\"again\"}", i);
    for (int i = 0; i < 40; i++) {
        if (i % 3 == 0)
            ddb_buf_printf(&want, "%s\"k%02d\":{\"S\":\"again\"}", i ? "," : "", i);
        else
            ddb_buf_printf(&want, ",\"k%02d\":{\"N\":\"%d\"}", i, i);
    }
    ddb_buf_puts(&big, "}");
    ddb_buf_puts(&want, "}");
    CHECK_STR(run(big.data, 1), want.data);
    ddb_buf_free(&big);
    ddb_buf_free(&want);

    /* binary bytes survive, zero bytes included */
    ddb_value_t *b = value("{\"B\":\"AAEC/w==\"}", 0);
    CHECK_INT(b->u.str.len, 4);
    CHECK(memcmp(b->u.str.ptr, "\x00\x01\x02\xff", 4) == 0);
    ddb_value_t *s = value("{\"S\":\"abc\"}", 0);
    CHECK_INT(s->u.str.len, 3);
    CHECK_INT(s->u.str.ptr[3], 0);   /* NUL-terminated */
}

static void test_validation_errors(void)
{
    VERR("{}", EMPTY_AV);
    VERR("{\"a\":\"\"}", EMPTY_AV);
    VERR("{\"S\":null}", EMPTY_AV);
    VERR("{\"M\":{\"a\":{}}}", EMPTY_AV);
    VERR("{\"L\":[{}]}", EMPTY_AV);
    VERR("{\"L\":[{\"a\":{}}]}", EMPTY_AV);
    VERR("{\"L\":[null]}", EMPTY_AV);
    CHECK_STR(run("null", 0), "ERROR ValidationException: " EMPTY_AV);
    VERR("{\"S\":\"a\",\"N\":\"1\"}", MULTI_AV);
    VERR("{\"BOOL\":true,\"NULL\":true}", MULTI_AV);
    /* each datatype is validated before the count */
    VERR("{\"S\":\"a\",\"N\":\"b\"}", NAN_MSG ": b");
    VERR("{\"S\":\"\",\"N\":\"\"}", NAN_MSG);
    VERR("{\"S\":\"a\",\"N\":\"\"}", NAN_MSG);
    VERR("{\"N\":\"b\"}", NAN_MSG ": b");
    VERR("{\"N\":\" 1\"}", NAN_MSG ":  1");
    VERR("{\"N\":\"NaN\"}", NAN_MSG ": NaN");
    VERR("{\"N\":\"123456789012345678901234567890123456789\"}",
         "Attempting to store more than 38 significant digits in a Number");
    VERR("{\"N\":\"1e126\"}", "Number overflow. Attempting to store a number with magnitude larger than supported range");
    VERR("{\"N\":\"-1e-131\"}",
         "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    VERR("{\"NULL\":false}", INVALID "Null attribute value types must have the value of true");
    VERR("{\"SS\":[]}", INVALID "An string set  may not be empty");
    VERR("{\"NS\":[]}", INVALID "An number set  may not be empty");
    VERR("{\"BS\":[]}", INVALID "Binary sets should not be empty");
    VERR("{\"SS\":[\"a\",\"a\"]}", INVALID "Input collection [a, a] contains duplicates.");
    VERR("{\"SS\":[\"a\",\"b\",\"\",\"b\"]}", INVALID "Input collection [a, b, , b] contains duplicates.");
    VERR("{\"BS\":[\"Yg==\",\"Yg==\"]}", INVALID "Input collection [Yg==, Yg==]of type BS contains duplicates.");
    VERR("{\"NS\":[\"1\",\"1\"]}", "Input collection contains duplicates");
    VERR("{\"NS\":[\"1\",\"1.0\"]}", "Input collection contains duplicates");
    VERR("{\"NS\":[\"-0\",\"0e7\"]}", "Input collection contains duplicates");
    VERR("{\"NS\":[\"1\",\"\"]}", NAN_MSG);
    VERR("{\"NS\":[\"1\",\"b\",\"a\"]}", NAN_MSG ": b");
    VERR("{\"NS\":[\"1\",\"1e999\"]}", "Number overflow. Attempting to store a number with magnitude larger than supported range");
    VERR("{\"M\":{\"deep\":{\"L\":[{\"NULL\":false}]}}}", INVALID "Null attribute value types must have the value of true");
    /* empty strings and binaries are fine outside keys, also as set members */
    VAL("{\"SS\":[\"\"]}", "{\"SS\":[\"\"]}");
    VAL("{\"BS\":[\"\"]}", "{\"BS\":[\"\"]}");

    /* large sets: duplicates found by sorting */
    ddb_buf_t js = DDB_BUF_INIT;
    ddb_buf_puts(&js, "{\"NS\":[");
    for (int i = 0; i < 500; i++)
        ddb_buf_printf(&js, "%s\"%d\"", i ? "," : "", i);
    ddb_buf_puts(&js, "]}");
    CHECK(strncmp(run(js.data, 0), "{\"NS\":[\"0\",\"1\",", 15) == 0);
    js.len -= 2;
    ddb_buf_puts(&js, ",\"250.000\"]}");
    VERR(js.data, "Input collection contains duplicates");
    ddb_buf_clear(&js);
    ddb_buf_puts(&js, "{\"SS\":[");
    for (int i = 0; i < 300; i++)
        ddb_buf_printf(&js, "%s\"s%d\"", i ? "," : "", i);
    ddb_buf_puts(&js, ",\"s7\"]}");
    CHECK(strncmp(run(js.data, 0), "ERROR ValidationException: " INVALID "Input collection [s0, s1, s2,", 80) == 0);
    js.len -= 7;
    ddb_buf_puts(&js, "]}");
    CHECK(strncmp(run(js.data, 0), "{\"SS\":[\"s0\"", 11) == 0);
    ddb_buf_free(&js);
}

static void test_serialization_errors(void)
{
    SERR("{\"S\":1}", "NUMBER_VALUE cannot be converted to String");
    SERR("{\"S\":-2147483648}", "NUMBER_VALUE cannot be converted to String");
    SERR("{\"S\":34.56}", "DECIMAL_VALUE cannot be converted to String");
    SERR("{\"S\":true}", "TRUE_VALUE cannot be converted to String");
    SERR("{\"S\":false}", "FALSE_VALUE cannot be converted to String");
    SERR("{\"S\":[]}", "Unrecognized collection type class java.lang.String");
    SERR("{\"S\":{}}", "Start of structure or map found where not expected");
    SERR("{\"N\":123}", "NUMBER_VALUE cannot be converted to String");
    SERR("{\"N\":{\"x\":1}}", "Start of structure or map found where not expected");
    SERR("{\"B\":true}", "only base-64-encoded strings are convertible to bytes");
    SERR("{\"B\":23}", "only base-64-encoded strings are convertible to bytes");
    SERR("{\"B\":[]}", "Unrecognized collection type class java.nio.ByteBuffer");
    SERR("{\"B\":{}}", "Start of structure or map found where not expected");
    SERR("{\"B\":\"23456\"}", "Base64 encoded length is expected a multiple of 4 bytes but found: 5");
    SERR("{\"B\":\"Yg\"}", "Base64 encoded length is expected a multiple of 4 bytes but found: 2");
    SERR("{\"B\":\"=+/=\"}", "Invalid last non-pad Base64 character dectected");
    SERR("{\"B\":\"+/+=\"}", "Invalid last non-pad Base64 character dectected");
    SERR("{\"B\":\"Yh==\"}", "Invalid last non-pad Base64 character dectected");
    SERR("{\"B\":\"a===\"}", "Invalid last non-pad Base64 character dectected");
    SERR("{\"B\":\"ab!d\"}", "Invalid Base64 character: '!'");
    SERR("{\"BOOL\":\"true\"}", "Unexpected token received from parser");
    SERR("{\"BOOL\":1}", "NUMBER_VALUE cannot be converted to Boolean");
    SERR("{\"BOOL\":34.56}", "DECIMAL_VALUE cannot be converted to Boolean");
    SERR("{\"NULL\":[]}", "Unrecognized collection type class java.lang.Boolean");
    SERR("{\"NULL\":{}}", "Start of structure or map found where not expected");
    SERR("{\"SS\":\"a\"}", "Unexpected field type");
    SERR("{\"SS\":true}", "Unexpected field type");
    SERR("{\"SS\":{}}", "Start of structure or map found where not expected");
    SERR("{\"SS\":[1]}", "NUMBER_VALUE cannot be converted to String");
    SERR("{\"NS\":[\"1\",2]}", "NUMBER_VALUE cannot be converted to String");
    SERR("{\"BS\":[\"ab\"]}", "Base64 encoded length is expected a multiple of 4 bytes but found: 2");
    SERR("{\"BS\":[true]}", "only base-64-encoded strings are convertible to bytes");
    SERR("{\"L\":\"x\"}", "Unexpected field type");
    SERR("{\"L\":{}}", "Start of structure or map found where not expected");
    SERR("{\"L\":[1]}", "Unexpected value type in payload");
    SERR("{\"L\":[\"23\"]}", "Unexpected value type in payload");
    SERR("{\"L\":[[]]}", "Unrecognized collection type class " AV_CLASS);
    SERR("{\"M\":[]}", "Unrecognized collection type java.util.Map<java.lang.String, " AV_CLASS ">");
    SERR("{\"M\":1}", "Unexpected field type");
    SERR("{\"M\":{\"a\":1}}", "Unexpected value type in payload");
    SERR("{\"M\":{\"a\":{\"L\":[{\"BS\":[\"x\"]}]}}}",
         "Base64 encoded length is expected a multiple of 4 bytes but found: 1");
    CHECK_STR(run("[]", 0), "ERROR SerializationException: Unrecognized collection type class " AV_CLASS);
    CHECK_STR(run("\"x\"", 0), "ERROR SerializationException: Unexpected value type in payload");
    /* a serialization error anywhere wins over a validation error earlier on */
    SERR("{\"L\":[{\"SS\":[]},{\"S\":5}]}", "NUMBER_VALUE cannot be converted to String");
    SERR("{\"S\":\"a\",\"N\":\"1\",\"B\":7}", "only base-64-encoded strings are convertible to bytes");
    /* unknown members are not type-checked */
    VAL("{\"X\":[1,2],\"S\":\"ok\"}", "{\"S\":\"ok\"}");

    /* attribute maps */
    CHECK_STR(run("[]", 1), "ERROR SerializationException: Unrecognized collection type java.util.Map<java.lang.String, " AV_CLASS ">");
    CHECK_STR(run("5", 1), "ERROR SerializationException: Unexpected field type");
    CHECK_STR(run("{\"a\":5}", 1), "ERROR SerializationException: Unexpected value type in payload");
    CHECK_STR(run("{\"a\":{\"SS\":[]},\"b\":{\"S\":true}}", 1),
              "ERROR SerializationException: TRUE_VALUE cannot be converted to String");
    CHECK_STR(run("{\"a\":{\"SS\":[]},\"b\":{\"S\":\"x\"}}", 1),
              "ERROR ValidationException: " INVALID "An string set  may not be empty");
    CHECK_STR(run("{\"a\":{}}", 1), "ERROR ValidationException: " EMPTY_AV);
    CHECK_STR(run("{\"a\":null}", 1), "ERROR ValidationException: " EMPTY_AV);

    /* the error JSON the client sees */
    run("{\"S\":1}", 0);
    ddb_buf_t body = DDB_BUF_INIT;
    ddb_err_to_json(&s_err, &body);
    CHECK_STR(body.data, "{\"__type\":\"com.amazon.coral.service#SerializationException\","
                         "\"Message\":\"NUMBER_VALUE cannot be converted to String\"}");
    ddb_buf_free(&body);
}

/* Nests kind ("M" or "L") levels deep around a string. */
static char *nested(const char *kind, int levels)
{
    ddb_buf_t b = DDB_BUF_INIT;
    for (int i = 0; i < levels; i++)
        ddb_buf_printf(&b, kind[0] == 'M' ? "{\"M\":{\"k\":" : "{\"L\":[");
    ddb_buf_puts(&b, "{\"S\":\"leaf\"}");
    for (int i = 0; i < levels; i++)
        ddb_buf_puts(&b, kind[0] == 'M' ? "}}" : "]}");
    return ddb_buf_steal(&b, NULL);
}

static void test_depth(void)
{
    char *ok_m = nested("M", 32), *bad_m = nested("M", 33), *ok_l = nested("L", 32), *bad_l = nested("L", 33);
    CHECK_STR(run(ok_m, 0), ok_m);
    CHECK_STR(run(ok_l, 0), ok_l);
    VERR(bad_m, "Nesting Levels have exceeded supported limits");
    VERR(bad_l, "Nesting Levels have exceeded supported limits");
    /* as an item attribute the top-level value is level 1 too */
    char item[8192];
    snprintf(item, sizeof(item), "{\"a\":%s}", ok_m);
    CHECK(strncmp(run(item, 1), "{\"a\":{\"M\"", 9) == 0);
    snprintf(item, sizeof(item), "{\"a\":%s}", bad_l);
    CHECK_STR(run(item, 1), "ERROR ValidationException: Nesting Levels have exceeded supported limits");
    /* ddb_value_depth / ddb_item_check_depth agree with the parser's limit */
    CHECK_INT((int)ddb_value_depth(value(ok_m, 0)), 32);
    CHECK_INT((int)ddb_value_depth(value("{\"S\":\"x\"}", 0)), 0);
    snprintf(item, sizeof(item), "{\"a\":%s}", ok_l);
    ddb_value_t *deep_item = value(item, 1);
    ddb_err_t derr = DDB_ERR_INIT;
    CHECK_INT(ddb_item_check_depth(deep_item, &derr), 0);
    ddb_value_t *wrapper = ddb_value_new_map(s_arena, 1);
    ddb_value_t *list = ddb_arena_calloc(s_arena, 1, sizeof(*list));
    list->type = DDB_T_L;
    list->u.list.items = ddb_arena_calloc(s_arena, 1, sizeof(ddb_value_t *));
    list->u.list.items[0] = deep_item->u.map.attrs[0].value;
    list->u.list.count = 1;
    ddb_map_put(wrapper, deep_item->u.map.attrs[0].name, list);
    CHECK_INT(ddb_item_check_depth(wrapper, &derr), -1);
    CHECK_STR(derr.message, "Nesting Levels have exceeded supported limits");
    free(ok_m);
    free(bad_m);
    free(ok_l);
    free(bad_l);
    /* very deep JSON that cJSON still accepts is refused, not a crash */
    char *deep = nested("L", 400);   /* 800 JSON levels: under cJSON's limit */
    VERR(deep, "Nesting Levels have exceeded supported limits");
    free(deep);
}

static int equal(const char *x, const char *y)
{
    return ddb_value_equal(value(x, 0), value(y, 0));
}

static void test_equal(void)
{
    CHECK(equal("{\"S\":\"a\"}", "{\"S\":\"a\"}"));
    CHECK(!equal("{\"S\":\"a\"}", "{\"S\":\"b\"}"));
    CHECK(!equal("{\"S\":\"1\"}", "{\"N\":\"1\"}"));
    CHECK(equal("{\"N\":\"1\"}", "{\"N\":\"1.000\"}"));
    CHECK(!equal("{\"N\":\"1\"}", "{\"N\":\"-1\"}"));
    CHECK(equal("{\"B\":\"AAE=\"}", "{\"B\":\"AAE=\"}"));
    CHECK(!equal("{\"B\":\"AAE=\"}", "{\"B\":\"AAA=\"}"));
    CHECK(!equal("{\"B\":\"AA==\"}", "{\"B\":\"AAA=\"}"));
    CHECK(equal("{\"BOOL\":true}", "{\"BOOL\":true}"));
    CHECK(!equal("{\"BOOL\":true}", "{\"BOOL\":false}"));
    CHECK(equal("{\"NULL\":true}", "{\"NULL\":true}"));
    CHECK(equal("{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"b\",\"a\"]}"));
    CHECK(!equal("{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"a\",\"c\"]}"));
    CHECK(!equal("{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"a\"]}"));
    CHECK(equal("{\"NS\":[\"1\",\"2\"]}", "{\"NS\":[\"2.0\",\"1e0\"]}"));
    CHECK(equal("{\"BS\":[\"AA==\",\"AQ==\"]}", "{\"BS\":[\"AQ==\",\"AA==\"]}"));
    CHECK(!equal("{\"SS\":[\"a\"]}", "{\"NS\":[\"1\"]}"));
    CHECK(equal("{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}", "{\"L\":[{\"S\":\"a\"},{\"N\":\"1.0\"}]}"));
    CHECK(!equal("{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}", "{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"}]}"));
    CHECK(!equal("{\"L\":[{\"S\":\"a\"}]}", "{\"L\":[{\"S\":\"a\"},{\"S\":\"a\"}]}"));
    CHECK(equal("{\"M\":{\"a\":{\"S\":\"x\"},\"b\":{\"N\":\"2\"}}}", "{\"M\":{\"b\":{\"N\":\"2\"},\"a\":{\"S\":\"x\"}}}"));
    CHECK(!equal("{\"M\":{\"a\":{\"S\":\"x\"}}}", "{\"M\":{\"b\":{\"S\":\"x\"}}}"));
    CHECK(!equal("{\"M\":{\"a\":{\"S\":\"x\"}}}", "{\"M\":{\"a\":{\"S\":\"y\"}}}"));
    CHECK(equal("{\"M\":{}}", "{\"M\":{}}"));
    CHECK(!equal("{\"M\":{}}", "{\"L\":[]}"));
    CHECK(ddb_value_equal(NULL, NULL));
    CHECK(!ddb_value_equal(value("{\"S\":\"a\"}", 0), NULL));
    /* non-canonical texts built by hand still compare numerically */
    ddb_value_t *x = ddb_value_new_str(s_arena, DDB_T_N, "1.50", 4), *y = value("{\"N\":\"1.5\"}", 0);
    CHECK(ddb_value_equal(x, y));

    /* large sets and maps take the sorting paths */
    ddb_buf_t a = DDB_BUF_INIT, b = DDB_BUF_INIT, c = DDB_BUF_INIT;
    ddb_buf_puts(&a, "{\"NS\":[");
    ddb_buf_puts(&b, "{\"NS\":[");
    ddb_buf_puts(&c, "{\"NS\":[");
    for (int i = 0; i < 100; i++) {
        ddb_buf_printf(&a, "%s\"%d\"", i ? "," : "", i);
        ddb_buf_printf(&b, "%s\"%d.0\"", i ? "," : "", 99 - i);
        ddb_buf_printf(&c, "%s\"%d\"", i ? "," : "", i == 50 ? 1000 : i);
    }
    ddb_buf_puts(&a, "]}");
    ddb_buf_puts(&b, "]}");
    ddb_buf_puts(&c, "]}");
    CHECK(equal(a.data, b.data));
    CHECK(!equal(a.data, c.data));
    ddb_buf_clear(&a);
    ddb_buf_clear(&b);
    ddb_buf_clear(&c);
    for (int i = 0; i < 40; i++) {
        ddb_buf_printf(&a, "%s\"k%d\":{\"N\":\"%d\"}", i ? "," : "{", i, i);
        ddb_buf_printf(&b, "%s\"k%d\":{\"N\":\"%d\"}", i ? "," : "{", 39 - i, 39 - i);
        ddb_buf_printf(&c, "%s\"k%d\":{\"N\":\"%d\"}", i ? "," : "{", 39 - i, i);
    }
    ddb_buf_puts(&a, "}");
    ddb_buf_puts(&b, "}");
    ddb_buf_puts(&c, "}");
    CHECK(ddb_value_equal(value(a.data, 1), value(b.data, 1)));
    CHECK(!ddb_value_equal(value(a.data, 1), value(c.data, 1)));
    ddb_buf_free(&a);
    ddb_buf_free(&b);
    ddb_buf_free(&c);
}

static size_t vsize(const char *json)
{
    return ddb_value_size(value(json, 0));
}

static void test_size(void)
{
    CHECK_INT(vsize("{\"S\":\"abc\"}"), 3);
    CHECK_INT(vsize("{\"S\":\"\"}"), 0);
    CHECK_INT(vsize("{\"S\":\"\xc3\xa9\"}"), 2);
    CHECK_INT(vsize("{\"S\":\"\xf0\x9f\x98\x80\"}"), 4);
    CHECK_INT(vsize("{\"N\":\"27\"}"), 2);
    CHECK_INT(vsize("{\"N\":\"-27\"}"), 3);
    CHECK_INT(vsize("{\"N\":\"0\"}"), 1);
    CHECK_INT(vsize("{\"B\":\"AAEC\"}"), 3);
    CHECK_INT(vsize("{\"B\":\"\"}"), 0);
    CHECK_INT(vsize("{\"BOOL\":false}"), 1);
    CHECK_INT(vsize("{\"NULL\":true}"), 1);
    CHECK_INT(vsize("{\"M\":{}}"), 3);
    CHECK_INT(vsize("{\"L\":[]}"), 3);
    CHECK_INT(vsize("{\"M\":{\"a\":{\"S\":\"x\"},\"bb\":{\"N\":\"1\"}}}"), 3 + (1 + 1 + 1) + (1 + 2 + 2));
    CHECK_INT(vsize("{\"L\":[{\"S\":\"x\"},{\"N\":\"1\"}]}"), 3 + (1 + 1) + (1 + 2));
    CHECK_INT(vsize("{\"L\":[{\"L\":[]},{\"M\":{}}]}"), 3 + (1 + 3) + (1 + 3));
    CHECK_INT(vsize("{\"SS\":[\"ab\",\"c\"]}"), 3);
    CHECK_INT(vsize("{\"NS\":[\"27\",\"-27\"]}"), 5);
    CHECK_INT(vsize("{\"BS\":[\"AAEC\",\"AA==\"]}"), 4);
    ddb_value_t *item = value("{\"pk\":{\"S\":\"abc\"},\"n\":{\"N\":\"461\"},\"\xc3\xa9\":{\"BOOL\":true}}", 1);
    CHECK_INT(ddb_item_size(item), (2 + 3) + (1 + 3) + (2 + 1));
    CHECK_INT(ddb_item_size(value("{}", 1)), 0);

    /* the 400 KB limit boundary as the service draws it: names + values */
    size_t max = DDB_ITEM_MAX_SIZE;
    size_t fill = max - 1 - 5 - 1;   /* "a" + "k1234" + "b" */
    char *json = malloc(fill + 64);
    int n = snprintf(json, 64, "{\"a\":{\"S\":\"k1234\"},\"b\":{\"S\":\"");
    memset(json + n, 'x', fill);
    strcpy(json + n + fill, "\"}}");
    CHECK_INT(ddb_item_size(value(json, 1)), max);
    json[n + fill] = 'x';
    strcpy(json + n + fill + 1, "\"}}");
    CHECK_INT(ddb_item_size(value(json, 1)), max + 1);
    free(json);
}

static void test_access_and_constructors(void)
{
    ddb_value_t *item = value("{\"pk\":{\"S\":\"k\"},\"n\":{\"N\":\"5\"},\"m\":{\"M\":{\"x\":{\"S\":\"y\"}}}}", 1);
    ddb_value_t *n = ddb_item_get(item, "n", 1);
    CHECK(n && n->type == DDB_T_N);
    CHECK(ddb_item_get(item, "nn", 2) == NULL);
    CHECK(ddb_item_get(item, "x", 1) == NULL);   /* not nested lookups */
    CHECK(ddb_item_get(ddb_item_get(item, "m", 1), "x", 1) != NULL);
    CHECK(ddb_item_get(n, "n", 1) == NULL);      /* not a map */
    CHECK(ddb_item_get(NULL, "n", 1) == NULL);

    ddb_num_t num;
    ddb_err_t err = DDB_ERR_INIT;
    CHECK_INT(ddb_value_get_num(n, &num, &err), 0);
    ddb_num_t five;
    ddb_num_from_int64(5, &five);
    CHECK_INT(ddb_num_cmp(&num, &five), 0);
    CHECK_INT(ddb_value_get_num(ddb_item_get(item, "pk", 2), &num, &err), -1);

    ddb_value_t *map = ddb_value_new_map(s_arena, 6);
    ddb_str_t names[] = { { "s", 1 }, { "n", 1 }, { "b", 1 }, { "t", 1 }, { "z", 1 }, { "bin", 3 } };
    ddb_num_t big;
    ddb_num_parse("-12.50e3", 8, &big, &err);
    ddb_map_put(map, names[0], ddb_value_new_str(s_arena, DDB_T_S, "h\"i", 3));
    ddb_map_put(map, names[1], ddb_value_new_num(s_arena, &big));
    ddb_map_put(map, names[2], ddb_value_new_bool(s_arena, false));
    ddb_map_put(map, names[3], ddb_value_new_bool(s_arena, true));
    ddb_map_put(map, names[4], ddb_value_new_null(s_arena));
    ddb_map_put(map, names[5], ddb_value_new_str(s_arena, DDB_T_B, "\x00\xff", 2));
    ddb_buf_clear(&s_out);
    ddb_item_to_json(map, &s_out);
    CHECK_STR(s_out.data, "{\"s\":{\"S\":\"h\\\"i\"},\"n\":{\"N\":\"-12500\"},\"b\":{\"BOOL\":false},"
                          "\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true},\"bin\":{\"B\":\"AP8=\"}}");
    /* a map written out reads back equal */
    ddb_value_t *back = value(s_out.data, 1);
    CHECK(ddb_value_equal(map, back));
    ddb_buf_clear(&s_out);
    ddb_value_to_json(map, &s_out);
    CHECK(strncmp(s_out.data, "{\"M\":{\"s\":", 10) == 0);

    static const char *names_in[] = { "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS" };
    for (int t = DDB_T_S; t <= DDB_T_BS; t++) {
        ddb_type_t parsed;
        CHECK_STR(ddb_type_name((ddb_type_t)t), names_in[t]);
        CHECK(ddb_type_parse(names_in[t], &parsed) == 0 && parsed == (ddb_type_t)t);
    }
    ddb_type_t parsed;
    CHECK_INT(ddb_type_parse("s", &parsed), -1);
    CHECK_INT(ddb_type_parse("NUL", &parsed), -1);
    CHECK_INT(ddb_type_parse("BOOLEAN", &parsed), -1);
    CHECK_INT(ddb_type_parse("", &parsed), -1);
    CHECK_INT(ddb_type_parse(NULL, &parsed), -1);
}

int main(void)
{
    s_arena = ddb_arena_new(0);
    test_round_trips();
    test_validation_errors();
    test_serialization_errors();
    test_depth();
    test_equal();
    test_size();
    test_access_and_constructors();
    ddb_buf_free(&s_out);
    ddb_err_clear(&s_err);
    ddb_arena_destroy(&s_arena);
    return UNIT_DONE("test_value");
}
