/* test_rd_link: the chaos link-fault table of a regiond: validation (a bad table
 * changes nothing), partition, seeded drops that repeat, delays that keep a link's
 * order, and the lag figures. */
#include <stdlib.h>
#include <string.h>

#include "rd_link.h"
#include "unit.h"

#define SELF "eu-west-1"

static int s_set(const char *json)
{
    char msg[200];
    return rd_link_set(SELF, json, strlen(json), msg, sizeof(msg));
}

static void test_validation_changes_nothing(void)
{
    rd_link_reset();
    CHECK(s_set("{\"links\":[{\"origin\":\"us-east-1\",\"destination\":\"eu-west-1\",\"partition\":true}]}") == 0);
    CHECK(rd_link_partitioned("us-east-1"));
    CHECK(s_set("not json") == -1);
    CHECK(s_set("{\"links\":[{\"origin\":\"us-east-1\",\"destination\":\"eu-west-1\",\"drop\":2}]}") == -1);
    CHECK(s_set("{\"links\":[{\"origin\":5,\"destination\":\"eu-west-1\"}]}") == -1);
    CHECK(rd_link_partitioned("us-east-1"));   /* still in force */
    uint64_t due = 0;
    CHECK(rd_link_check("us-east-1", false, 1000, &due) == RD_LINK_DROP);
    CHECK(rd_link_check("ap-south-1", false, 1000, &due) == RD_LINK_PASS);
    /* links to other destinations are not this region's business */
    CHECK(s_set("{\"links\":[{\"origin\":\"us-east-1\",\"destination\":\"ap-south-1\",\"partition\":true}]}") == 0);
    CHECK(!rd_link_partitioned("us-east-1"));
    CHECK(s_set("{\"links\":[]}") == 0);
}

static int s_drops(uint64_t seed)
{
    char json[200];
    snprintf(json, sizeof(json),
             "{\"seed\":%llu,\"links\":[{\"origin\":\"us-east-1\",\"destination\":\"eu-west-1\",\"drop\":0.5}]}",
             (unsigned long long)seed);
    rd_link_reset();
    s_set("{\"seed\":999999,\"links\":[]}");   /* a different seed first: the next one reseeds */
    s_set(json);
    int pattern = 0;
    uint64_t due;
    for (int i = 0; i < 30; i++)
        pattern = pattern * 2 + (rd_link_check("us-east-1", true, 0, &due) == RD_LINK_DROP);
    CHECK(rd_link_check("us-east-1", false, 0, &due) == RD_LINK_PASS);   /* control is never dropped */
    return pattern;
}

static void test_seeded_drops_repeat(void)
{
    int a = s_drops(42), b = s_drops(42), c = s_drops(43);
    CHECK(a == b);
    CHECK(a != c);
    CHECK(a != 0 && a != (1 << 30) - 1);
}

static void test_delay_keeps_order(void)
{
    rd_link_reset();
    CHECK(s_set("{\"seed\":1,\"links\":[{\"origin\":\"us-east-1\",\"destination\":\"eu-west-1\","
                "\"delay_ms\":200,\"jitter_ms\":100}]}") == 0);
    uint64_t last = 0;
    for (int i = 0; i < 50; i++) {
        uint64_t due = 0;
        CHECK(rd_link_check("us-east-1", true, 1000 + (uint64_t)i, &due) == RD_LINK_HOLD);
        CHECK(due >= 1200 + (uint64_t)i && due <= 1300 + (uint64_t)i);
        CHECK(due >= last);
        last = due;
        char byte = (char)i;
        CHECK(rd_link_hold("us-east-1", true, &byte, 1, due) == 0);
    }
    CHECK(rd_link_next_due(1199) == NULL);
    int expect = 0;
    for (rd_link_msg_t *m; (m = rd_link_next_due(5000)) != NULL; free(m))
        CHECK(m->data[0] == expect++ && m->len == 1 && strcmp(m->origin, "us-east-1") == 0);
    CHECK(expect == 50);
    rd_link_reset();
}

static void test_lag(void)
{
    rd_link_lag_t lag;
    memset(&lag, 0, sizeof(lag));
    CHECK(rd_link_lag_current(&lag, 5000, 600) == 0);
    rd_link_lag_applied(&lag, 1000, 1200);   /* written at 1000, applied at 1200 */
    CHECK(lag.last_ms == 200 && lag.count == 1 && lag.sum_ms == 200);
    CHECK(lag.buckets[5] == 1);               /* 100 < 200 <= 250 */
    CHECK(rd_link_lag_current(&lag, 1500, 600) == 200);    /* fresh: the transit time */
    CHECK(rd_link_lag_current(&lag, 5000, 600) == 4000);   /* nothing since: its age */
    rd_link_lag_caught_up(&lag, 4990, 5000);
    CHECK(rd_link_lag_current(&lag, 5100, 600) == 10);
    ddb_buf_t out = DDB_BUF_INIT;
    rd_link_lag_to_json(&lag, "us-east-1", 5100, 600, &out);
    ddb_buf_putc(&out, '\0');
    CHECK(strstr(out.data, "\"origin\":\"us-east-1\",\"current_lag_ms\":10,\"last_lag_ms\":200") != NULL);
    ddb_buf_free(&out);
}

int main(void)
{
    test_validation_changes_nothing();
    test_seeded_drops_repeat();
    test_delay_keeps_order();
    test_lag();
    rd_link_reset();
    return UNIT_DONE("test_rd_link");
}
