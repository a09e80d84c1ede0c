/* rd_op_tags: TagResource, UntagResource and ListTagsOfResource. A table's tags live
 * in its definition (t->tags, the list CreateTable's Tags started), addressed by the
 * table's ARN; a key appears once, in the order it was first set. Also the account's
 * questions, DescribeLimits and DescribeEndpoints. */
#include "rd_op_tags.h"

#include <string.h>

#include "rd_json.h"

#define TAGS_MAX 50
#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256

/* ---- the resource ---- */

/* The table a ResourceArn names: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME of this
 * region and the caller's account. */
static int s_resource(rd_req_t *req)
{
    const char *arn;
    if (rd_json_string(req->body, "ResourceArn", &arn, req->err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    if (!arn)
        rd_verr_value(&v, NULL, "resourceArn", "Member must not be null");
    else if (strlen(arn) > 1283)
        rd_verr_value(&v, arn, "resourceArn", "Member must have length less than or equal to 1283");
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    if (strncmp(arn, "arn:", 4) != 0)   /* unconfirmed */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Invalid TableArn: Invalid ResourceArn provided as input %s",
                           arn);
    const char *name = strstr(arn, ":table/") ? rd_table_name_from_arg(arn, req->region, req->account) : NULL;
    req->table = name && name != arn ? rd_store_find(req->store, req->account, name) : NULL;
    if (!req->table)
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND,
                           "Requested resource not found: ResourcArn: %s not found", arn);
    return 0;
}

/* The table's tag with this key, or NULL. */
static cJSON *s_find_tag(const cJSON *tags, const char *key)
{
    cJSON *tag;
    cJSON_ArrayForEach(tag, tags) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(tag, "Key");
        if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0)
            return tag;
    }
    return NULL;
}

/* ---- TagResource ---- */

/* Tags: a list of 1.. {Key (1..128), Value (0..256)}. */
static int s_check_tags(rd_req_t *req, const cJSON *tags)
{
    rd_verrs_t v = RD_VERRS_INIT;
    if (!tags)
        rd_verr_value(&v, NULL, "tags", "Member must not be null");
    int i = 0;
    const cJSON *tag;
    cJSON_ArrayForEach(tag, tags) {
        const char *key, *value;
        char path[64];
        i++;
        if (rd_json_expect_object(tag, req->err) != 0 || rd_json_string(tag, "Key", &key, req->err) != 0 ||
            rd_json_string(tag, "Value", &value, req->err) != 0)
            return -1;
        snprintf(path, sizeof(path), "tags.%d.member.key", i);
        if (!key)
            rd_verr_value(&v, NULL, path, "Member must not be null");
        else if (!*key || strlen(key) > TAG_KEY_MAX)
            rd_verr_value(&v, key, path, *key ? "Member must have length less than or equal to 128"
                                              : "Member must have length greater than or equal to 1");
        snprintf(path, sizeof(path), "tags.%d.member.value", i);
        if (!value)
            rd_verr_value(&v, NULL, path, "Member must not be null");
        else if (strlen(value) > TAG_VALUE_MAX)
            rd_verr_value(&v, value, path, "Member must have length less than or equal to 256");
    }
    return rd_verr_finish(&v, req->err);
}

int rd_op_tag_resource(rd_req_t *req)
{
    const cJSON *tags, *tag;
    if (rd_json_list(req->body, "Tags", &tags, req->err) != 0 || s_check_tags(req, tags) != 0 || s_resource(req) != 0)
        return -1;
    rd_table_t *t = req->table;
    int added = 0, existing = t->tags ? cJSON_GetArraySize(t->tags) : 0;
    cJSON_ArrayForEach(tag, tags)
        added += s_find_tag(t->tags, cJSON_GetObjectItemCaseSensitive(tag, "Key")->valuestring) ? 0 : 1;
    if (existing + added > TAGS_MAX)   /* unconfirmed: the kind and words of this error */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "One or more parameter values were invalid: The number of tags exceeds the limit of %d",
                           TAGS_MAX);
    if (!t->tags)
        t->tags = cJSON_CreateArray();
    cJSON_ArrayForEach(tag, tags) {
        const char *key = cJSON_GetObjectItemCaseSensitive(tag, "Key")->valuestring;
        const char *value = cJSON_GetObjectItemCaseSensitive(tag, "Value")->valuestring;
        cJSON *old = s_find_tag(t->tags, key);
        if (old) {
            cJSON_ReplaceItemInObjectCaseSensitive(old, "Value", cJSON_CreateString(value));
            continue;
        }
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "Key", key);
        cJSON_AddStringToObject(entry, "Value", value);
        cJSON_AddItemToArray(t->tags, entry);
    }
    if (rd_store_update_table(req->store, t, req->err) != 0)
        return -1;
    ddb_buf_puts(req->out, "{}");
    return 0;
}

/* ---- UntagResource ---- */

int rd_op_untag_resource(rd_req_t *req)
{
    const cJSON *keys, *key;
    if (rd_json_list(req->body, "TagKeys", &keys, req->err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    if (!keys)
        rd_verr_value(&v, NULL, "tagKeys", "Member must not be null");
    cJSON_ArrayForEach(key, keys)
        if (rd_json_expect_string(key, req->err) != 0)
            return -1;
    if (rd_verr_finish(&v, req->err) != 0 || s_resource(req) != 0)
        return -1;
    rd_table_t *t = req->table;
    cJSON_ArrayForEach(key, keys) {   /* a key the table does not have is no error */
        cJSON *tag = s_find_tag(t->tags, key->valuestring);
        if (tag)
            cJSON_Delete(cJSON_DetachItemViaPointer(t->tags, tag));
    }
    if (rd_store_update_table(req->store, t, req->err) != 0)
        return -1;
    ddb_buf_puts(req->out, "{}");
    return 0;
}

/* ---- ListTagsOfResource ---- */

int rd_op_list_tags_of_resource(rd_req_t *req)
{
    const char *next;
    if (rd_json_string(req->body, "NextToken", &next, req->err) != 0 || s_resource(req) != 0)
        return -1;
    /* At most 50 tags a table: the service answers them all in one page and never
     * returns a NextToken (its answer to aws/aws-sdk#583); one given is ignored. */
    const cJSON *tag;
    bool comma = false;
    ddb_buf_puts(req->out, "{\"Tags\":[");
    cJSON_ArrayForEach(tag, req->table->tags) {
        const char *key = cJSON_GetObjectItemCaseSensitive(tag, "Key")->valuestring;
        const char *value = cJSON_GetObjectItemCaseSensitive(tag, "Value")->valuestring;
        ddb_buf_puts(req->out, comma ? ",{\"Key\":" : "{\"Key\":");
        ddb_buf_json_str(req->out, key, strlen(key));
        ddb_buf_puts(req->out, ",\"Value\":");
        ddb_buf_json_str(req->out, value, strlen(value));
        ddb_buf_putc(req->out, '}');
        comma = true;
    }
    ddb_buf_puts(req->out, "]}");
    return 0;
}

/* ---- DescribeLimits / DescribeEndpoints ---- */

int rd_op_describe_limits(rd_req_t *req)
{
    /* The service's default quotas per account and table in a region. */
    ddb_buf_puts(req->out, "{\"AccountMaxReadCapacityUnits\":80000,\"AccountMaxWriteCapacityUnits\":80000,"
                           "\"TableMaxReadCapacityUnits\":40000,\"TableMaxWriteCapacityUnits\":40000}");
    return 0;
}

int rd_op_describe_endpoints(rd_req_t *req)
{
    /* The service answers its own regional hostname, and Meridian follows it. SDKs
     * use the answer only with endpoint discovery turned on, which would then lead
     * them away from Meridian: leave discovery off. */
    ddb_buf_puts(req->out, "{\"Endpoints\":[{\"Address\":\"dynamodb.");
    ddb_buf_puts(req->out, req->region);
    ddb_buf_puts(req->out, ".amazonaws.com\",\"CachePeriodInMinutes\":1440}]}");
    return 0;
}
