/* rd_op_streams: ListStreams, DescribeStream, GetShardIterator, GetRecords. A shard
 * iterator is "<StreamArn>|1|<base64 of shard ordinal, position, creation ms>": the
 * stream ARN up front as the service's are, the rest opaque; the position is the
 * next log sequence number to read. Sequence numbers are the log's, zero-padded to
 * 21 digits. Messages marked unconfirmed were not found in public sources. */
#include "rd_op_streams.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_hlc.h"
#include "ddb_value.h"
#include "rd_json.h"
#include "rd_stream.h"

#define LIST_MAX 100        /* ListStreams and DescribeStream Limit */
#define RECORDS_MAX 1000    /* GetRecords Limit */
#define RECORDS_BYTES_MAX (1024 * 1024)   /* GetRecords answers about 1 MB at most */
#define SEQ_DIGITS 21

/* ---- shared checks ---- */

/* Reads an optional Limit in 1..max into *limit (max when absent). */
static int s_limit(rd_req_t *req, int max, int *limit, rd_verrs_t *v)
{
    bool has;
    int64_t n;
    if (rd_json_long(req->body, "Limit", &has, &n, req->err) != 0)
        return -1;
    *limit = max;
    if (!has)
        return 0;
    char num[32], constraint[96];
    snprintf(num, sizeof(num), "%" PRId64, n);
    if (n < 1)
        rd_verr_value(v, num, "limit", "Member must have value greater than or equal to 1");
    else if (n > max) {
        snprintf(constraint, sizeof(constraint), "Member must have value less than or equal to %d", max);
        rd_verr_value(v, num, "limit", constraint);
    } else
        *limit = (int)n;
    return 0;
}

/* Reads a string member with the service's length bounds (required: not null). */
static int s_string(rd_req_t *req, const char *field, const char *path, size_t min, size_t max, bool required,
                    const char **out, rd_verrs_t *v)
{
    if (rd_json_string(req->body, field, out, req->err) != 0)
        return -1;
    char constraint[96];
    size_t len = *out ? strlen(*out) : 0;
    if (!*out && required)
        rd_verr_value(v, NULL, path, "Member must not be null");
    else if (*out && len < min) {
        snprintf(constraint, sizeof(constraint), "Member must have length greater than or equal to %zu", min);
        rd_verr_value(v, *out, path, constraint);
    } else if (*out && len > max) {
        snprintf(constraint, sizeof(constraint), "Member must have length less than or equal to %zu", max);
        rd_verr_value(v, *out, path, constraint);
    }
    return 0;
}

static void s_put_seq(ddb_buf_t *out, const char *name, int64_t seq)
{
    ddb_buf_printf(out, "\"%s\":\"%0*" PRId64 "\"", name, SEQ_DIGITS, seq);
}

/* ---- ListStreams ---- */

int rd_op_list_streams(rd_req_t *req)
{
    const char *table, *start;
    int limit;
    rd_verrs_t v = RD_VERRS_INIT;
    if (s_string(req, "ExclusiveStartStreamArn", "exclusiveStartStreamArn", 37, 1024, false, &start, &v) != 0 ||
        s_limit(req, LIST_MAX, &limit, &v) != 0 || rd_json_string(req->body, "TableName", &table, req->err) != 0)
        return -1;
    if (table)
        rd_table_name_check(table, true, "tableName", &v);
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    rd_stream_info_t page[LIST_MAX];
    bool more;
    int n = rd_stream_list(req->store, req->account, table, start, limit, req->arena, page, &more, req->err);
    if (n < 0)
        return -1;
    ddb_buf_puts(req->out, "{\"Streams\":[");
    for (int i = 0; i < n; i++) {
        ddb_buf_puts(req->out, i ? ",{\"StreamArn\":" : "{\"StreamArn\":");
        ddb_buf_json_str(req->out, page[i].arn, strlen(page[i].arn));
        ddb_buf_puts(req->out, ",\"TableName\":");
        ddb_buf_json_str(req->out, page[i].table_name, strlen(page[i].table_name));
        ddb_buf_printf(req->out, ",\"StreamLabel\":\"%s\"}", page[i].label);
    }
    ddb_buf_puts(req->out, "]");
    if (more && n > 0) {
        ddb_buf_puts(req->out, ",\"LastEvaluatedStreamArn\":");
        ddb_buf_json_str(req->out, page[n - 1].arn, strlen(page[n - 1].arn));
    }
    ddb_buf_puts(req->out, "}");
    return 0;
}

/* ---- DescribeStream ---- */

static void s_describe_shard(ddb_buf_t *out, const rd_shard_t *sh)
{
    ddb_buf_printf(out, "{\"ShardId\":\"%s\"", sh->shard_id);
    if (sh->parent_id)
        ddb_buf_printf(out, ",\"ParentShardId\":\"%s\"", sh->parent_id);
    ddb_buf_puts(out, ",\"SequenceNumberRange\":{");
    s_put_seq(out, "StartingSequenceNumber", sh->start_seq);
    if (sh->end_seq >= 0) {
        ddb_buf_putc(out, ',');
        s_put_seq(out, "EndingSequenceNumber", sh->end_seq);
    }
    ddb_buf_puts(out, "}}");
}

int rd_op_describe_stream(rd_req_t *req)
{
    const char *arn, *start;
    int limit;
    rd_verrs_t v = RD_VERRS_INIT;
    if (s_string(req, "StreamArn", "streamArn", 37, 1024, true, &arn, &v) != 0 ||
        s_string(req, "ExclusiveStartShardId", "exclusiveStartShardId", 28, 65, false, &start, &v) != 0 ||
        s_limit(req, LIST_MAX, &limit, &v) != 0)
        return -1;
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    rd_stream_info_t st;
    if (rd_stream_find(req->store, arn, req->account, req->arena, &st, req->err) != 0)
        return -1;
    rd_shard_t shards[LIST_MAX];
    bool more;
    int n = rd_stream_shards(req->store, &st, start, limit, req->arena, shards, &more, req->err);
    if (n < 0)
        return -1;
    ddb_buf_t *out = req->out;
    ddb_buf_puts(out, "{\"StreamDescription\":{\"StreamArn\":");
    ddb_buf_json_str(out, st.arn, strlen(st.arn));
    ddb_buf_printf(out, ",\"StreamLabel\":\"%s\",\"StreamStatus\":\"%s\",\"StreamViewType\":\"%s\"", st.label,
                   st.status, st.view_type);
    ddb_buf_printf(out, ",\"CreationRequestDateTime\":%.3f,\"TableName\":", (double)st.created_ms / 1000.0);
    ddb_buf_json_str(out, st.table_name, strlen(st.table_name));
    ddb_buf_printf(out, ",\"KeySchema\":%s,\"Shards\":[", st.key_schema);
    for (int i = 0; i < n; i++) {
        if (i)
            ddb_buf_putc(out, ',');
        s_describe_shard(out, &shards[i]);
    }
    ddb_buf_puts(out, "]");
    if (more && n > 0)
        ddb_buf_printf(out, ",\"LastEvaluatedShardId\":\"%s\"", shards[n - 1].shard_id);
    ddb_buf_puts(out, "}}");
    return 0;
}

/* ---- iterators ---- */

typedef struct s_iterator {
    const char *arn;      /* arena-owned */
    int64_t ordinal;      /* the shard */
    int64_t pos;          /* next sequence number to read */
    int64_t created_ms;   /* for expiry */
} s_iterator_t;

/* Appends the iterator as a JSON string. */
static void s_iterator_encode(const s_iterator_t *it, ddb_buf_t *out)
{
    char payload[96];
    int len = snprintf(payload, sizeof(payload), "v1/%" PRId64 "/%" PRId64 "/%" PRId64, it->ordinal, it->pos,
                       it->created_ms);
    ddb_buf_t text = DDB_BUF_INIT;
    ddb_buf_puts(&text, it->arn);
    ddb_buf_puts(&text, "|1|");
    ddb_buf_base64(&text, (const unsigned char *)payload, (size_t)len);
    ddb_buf_json_str(out, text.data, text.len);
    ddb_buf_free(&text);
}

/* Parses a ShardIterator; -1 (ValidationException) when it is not one of ours. */
static int s_iterator_decode(rd_req_t *req, const char *text, s_iterator_t *it)
{
    const char *bar = strstr(text, "|1|");
    const char *b64 = bar ? bar + 3 : NULL;
    unsigned char payload[96];
    long n = b64 && strlen(b64) < 120 ? ddb_base64_decode(b64, strlen(b64), payload) : -1;
    long long ordinal = 0, pos = 0, created = 0;
    int used = 0;
    if (n > 0 && n < (long)sizeof(payload)) {
        payload[n] = '\0';
        if (sscanf((const char *)payload, "v1/%lld/%lld/%lld%n", &ordinal, &pos, &created, &used) != 3 ||
            used != n)
            n = -1;
    } else
        n = -1;
    if (n < 0 || ordinal < 1 || pos < 1)   /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Invalid ShardIterator");
    it->arn = ddb_arena_strndup(req->arena, text, (size_t)(bar - text));
    it->ordinal = ordinal;
    it->pos = pos;
    it->created_ms = created;
    return 0;
}

/* ---- GetShardIterator ---- */

static const char *const s_iterator_types[] = {
    "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", NULL,
};

/* A sequence number as given: decimal digits. -1 when it is not one. */
static int64_t s_parse_seq(const char *text)
{
    if (!text || !*text || strlen(text) > 40 || strspn(text, "0123456789") != strlen(text))
        return -1;
    while (*text == '0' && text[1])
        text++;
    if (strlen(text) > 18)
        return -1;
    return strtoll(text, NULL, 10);
}

/* The position an iterator of `type` starts at in shard sh. */
static int s_start_position(rd_req_t *req, const rd_stream_info_t *st, const rd_shard_t *sh, const char *type,
                            const char *seq_text, int64_t *pos)
{
    int64_t trimmed = rd_stream_log_trimmed(req->store, st->phys);
    int64_t last = sh->end_seq >= 0 ? sh->end_seq : rd_stream_log_max(req->store, st->phys);
    if (strcmp(type, "TRIM_HORIZON") == 0) {
        *pos = sh->start_seq > trimmed ? sh->start_seq : trimmed + 1;
        return 0;
    }
    if (strcmp(type, "LATEST") == 0) {
        *pos = last + 1 > sh->start_seq ? last + 1 : sh->start_seq;
        return 0;
    }
    if (!seq_text)   /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "SequenceNumber is required for ShardIteratorType %s", type);
    int64_t seq = s_parse_seq(seq_text);
    if (seq < sh->start_seq || seq > last)   /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Invalid SequenceNumber %s for shard %s", seq_text,
                           sh->shard_id);
    if (seq <= trimmed)
        return ddb_err_set(req->err, DDB_ERR_TRIMMED_DATA_ACCESS,
                           "The data you are trying to access has been trimmed");
    *pos = strcmp(type, "AT_SEQUENCE_NUMBER") == 0 ? seq : seq + 1;
    return 0;
}

int rd_op_get_shard_iterator(rd_req_t *req)
{
    const char *arn, *shard_id, *type, *seq_text;
    rd_verrs_t v = RD_VERRS_INIT;
    if (s_string(req, "StreamArn", "streamArn", 37, 1024, true, &arn, &v) != 0 ||
        s_string(req, "ShardId", "shardId", 28, 65, true, &shard_id, &v) != 0 ||
        s_string(req, "ShardIteratorType", "shardIteratorType", 0, 64, true, &type, &v) != 0 ||
        rd_json_string(req->body, "SequenceNumber", &seq_text, req->err) != 0)
        return -1;
    bool known = false;
    for (const char *const *p = s_iterator_types; type && *p; p++)
        known = known || strcmp(*p, type) == 0;
    if (type && !known)
        rd_verr_value(&v, type, "shardIteratorType",
                      "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, "
                      "TRIM_HORIZON]");
    if (seq_text && (strlen(seq_text) < 21 || strlen(seq_text) > 40))
        rd_verr_value(&v, seq_text, "sequenceNumber",
                      strlen(seq_text) < 21 ? "Member must have length greater than or equal to 21"
                                            : "Member must have length less than or equal to 40");
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    rd_stream_info_t st;
    rd_shard_t sh;
    if (rd_stream_find(req->store, arn, req->account, req->arena, &st, req->err) != 0)
        return -1;
    int found = rd_stream_shard(req->store, &st, shard_id, 0, req->arena, &sh, req->err);
    if (found < 0)
        return -1;
    if (!found)   /* unconfirmed wording */
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND,
                           "Requested resource not found: Shard: %s in Stream: %s not found", shard_id, arn);
    s_iterator_t it = { st.arn, sh.ordinal, 0, (int64_t)ddb_wall_ms() };
    if (s_start_position(req, &st, &sh, type, seq_text, &it.pos) != 0)
        return -1;
    ddb_buf_puts(req->out, "{\"ShardIterator\":");
    s_iterator_encode(&it, req->out);
    ddb_buf_puts(req->out, "}");
    return 0;
}

/* ---- GetRecords ---- */

static const char *const s_event_names[] = { "", "INSERT", "MODIFY", "REMOVE" };

/* A bijective 64-bit mix (splitmix64's finaliser), for event ids. */
static uint64_t s_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* The size of an item given as JSON text, as the service counts it (0 if absent). */
static size_t s_item_size(rd_req_t *req, const char *json)
{
    if (!json)
        return 0;
    cJSON *parsed = cJSON_Parse(json);
    ddb_err_t ignored = DDB_ERR_INIT;
    ddb_value_t *item = parsed ? ddb_item_from_json(parsed, req->arena, &ignored) : NULL;
    size_t size = item ? ddb_item_size(item) : 0;
    cJSON_Delete(parsed);
    ddb_err_clear(&ignored);
    return size;
}

static void s_put_record(rd_req_t *req, const rd_stream_info_t *st, const rd_stream_record_t *r)
{
    ddb_buf_t *out = req->out;
    bool keys_only = strcmp(st->view_type, "KEYS_ONLY") == 0;
    bool with_new = !keys_only && strcmp(st->view_type, "OLD_IMAGE") != 0 && r->new_image;
    bool with_old = !keys_only && strcmp(st->view_type, "NEW_IMAGE") != 0 && r->old_image;
    uint64_t id_hi = s_mix((uint64_t)st->phys * 0x9e3779b97f4a7c15ULL + (uint64_t)st->created_ms);
    ddb_buf_printf(out, "{\"eventID\":\"%016llx%016llx\",\"eventName\":\"%s\",\"eventVersion\":\"1.1\","
                        "\"eventSource\":\"aws:dynamodb\",\"awsRegion\":",
                   (unsigned long long)id_hi, (unsigned long long)s_mix((uint64_t)r->seq ^ id_hi),
                   s_event_names[r->event >= 1 && r->event <= 3 ? r->event : 0]);
    ddb_buf_json_str(out, req->region, strlen(req->region));
    ddb_buf_printf(out, ",\"dynamodb\":{\"ApproximateCreationDateTime\":%" PRId64 ",\"Keys\":%s", r->ts_ms / 1000,
                   r->keys);
    size_t size = s_item_size(req, r->keys);
    if (with_new) {
        ddb_buf_printf(out, ",\"NewImage\":%s", r->new_image);
        size += s_item_size(req, r->new_image);
    }
    if (with_old) {
        ddb_buf_printf(out, ",\"OldImage\":%s", r->old_image);
        size += s_item_size(req, r->old_image);
    }
    ddb_buf_putc(out, ',');
    s_put_seq(out, "SequenceNumber", r->seq);
    ddb_buf_printf(out, ",\"SizeBytes\":%zu,\"StreamViewType\":\"%s\"}", size, st->view_type);
    if (r->by_ttl)   /* Time to Live deleted it; the API's Identity members (Lambda events say type, principalId) */
        ddb_buf_puts(out, ",\"userIdentity\":{\"Type\":\"Service\",\"PrincipalId\":\"dynamodb.amazonaws.com\"}");
    ddb_buf_puts(out, "}");
}

/* The iterator's stream and shard, checked for expiry and trimming. */
static int s_iterator_target(rd_req_t *req, const s_iterator_t *it, rd_stream_info_t *st, rd_shard_t *sh)
{
    int64_t age = (int64_t)ddb_wall_ms() - it->created_ms;
    if (age > rd_stream_config()->iterator_ttl_ms)   /* botocore's description of the message */
        return ddb_err_set(req->err, DDB_ERR_EXPIRED_ITERATOR, "The provided iterator exceeds the maximum age allowed.");
    if (rd_stream_find(req->store, it->arn, req->account, req->arena, st, req->err) != 0)
        return -1;
    int found = rd_stream_shard(req->store, st, NULL, it->ordinal, req->arena, sh, req->err);
    if (found < 0)
        return -1;
    if (!found)   /* the text real consumers quote */
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND, "Invalid ShardId in ShardIterator");
    int64_t trimmed = rd_stream_log_trimmed(req->store, st->phys);
    if (it->pos <= trimmed && (sh->end_seq < 0 || it->pos <= sh->end_seq))
        return ddb_err_set(req->err, DDB_ERR_TRIMMED_DATA_ACCESS,
                           "The data you are trying to access has been trimmed");
    return 0;
}

int rd_op_get_records(rd_req_t *req)
{
    const char *text;
    int limit;
    rd_verrs_t v = RD_VERRS_INIT;
    if (s_string(req, "ShardIterator", "shardIterator", 1, 2048, true, &text, &v) != 0 ||
        s_limit(req, RECORDS_MAX, &limit, &v) != 0)
        return -1;
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    s_iterator_t it = { NULL, 0, 0, 0 };
    rd_stream_info_t st;
    rd_shard_t sh;
    if (s_iterator_decode(req, text, &it) != 0 || s_iterator_target(req, &it, &st, &sh) != 0)
        return -1;
    rd_stream_record_t *recs = ddb_arena_alloc(req->arena, sizeof(*recs) * (size_t)limit);
    int n = rd_stream_read(req->store, st.phys, it.pos, sh.end_seq, limit, req->arena, recs, req->err);
    if (n < 0)
        return -1;
    ddb_buf_puts(req->out, "{\"Records\":[");
    size_t body_start = req->out->len;
    int shown = 0;
    for (; shown < n && (shown == 0 || req->out->len - body_start < RECORDS_BYTES_MAX); shown++) {
        if (shown)
            ddb_buf_putc(req->out, ',');
        s_put_record(req, &st, &recs[shown]);
    }
    ddb_buf_puts(req->out, "]");
    int64_t next = shown > 0 ? recs[shown - 1].seq + 1 : it.pos;
    bool exhausted = sh.end_seq >= 0 && ((n < limit && shown == n) || next > sh.end_seq);
    if (!exhausted) {   /* a closed shard read to its end has no next iterator */
        s_iterator_t following = { st.arn, sh.ordinal, next, (int64_t)ddb_wall_ms() };
        ddb_buf_puts(req->out, ",\"NextShardIterator\":");
        s_iterator_encode(&following, req->out);
    }
    ddb_buf_puts(req->out, "}");
    return 0;
}
