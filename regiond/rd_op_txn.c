/* rd_op_txn: TransactWriteItems and TransactGetItems. The whole request is checked
 * first (every action, table, key; one item touched twice is refused); a write
 * transaction then reads every item and evaluates every condition and update before
 * it writes anything, so a cancelled transaction writes nothing and reports one
 * reason per action, in order. ClientRequestToken answers repeat without re-running
 * for ten minutes, from a small table of tokens kept in the same database. */
#include "rd_op_txn.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_hlc.h"
#include "rd_cond.h"
#include "rd_index.h"
#include "rd_item.h"
#include "rd_json.h"
#include "rd_op_update.h"

#define TXN_MAX_ACTIONS 100
#define TOKEN_TTL_MS (10 * 60 * 1000)
#define TOKEN_MAX_LEN 36
#define SIZE_EXCEEDED "Item size has exceeded the maximum allowed size"
#define TXN_MAX_SIZE (4u * 1024 * 1024)   /* aggregate size of a write transaction's items */

typedef enum s_kind { S_CONDITION_CHECK = 0, S_PUT, S_DELETE, S_UPDATE, S_GET } s_kind_t;

static const char *const s_kind_members[] = { "ConditionCheck", "Put", "Delete", "Update", "Get" };

/* One action of a transaction, checked, then executed. */
typedef struct s_action {
    s_kind_t kind;
    rd_req_t sub;                     /* the action's object as a request */
    rd_item_opts_t opts;              /* ReturnValuesOnConditionCheckFailure */
    ddb_value_t *map;                 /* Put's Item, or the Key */
    ddb_expr_cond_t *cond;            /* NULL: none */
    ddb_expr_update_t *update;        /* Update only */
    rd_item_projection_t projection;  /* Get only */
    rd_item_key_t key;
    rd_item_text_t old_text;          /* the item before the transaction */
    ddb_value_t *old;                 /* and its value, when parsed (NULL: absent or not parsed) */
    ddb_value_t *new_item;            /* what Put/Update write */
    const char *code;                 /* cancellation reason code; NULL: None */
    const char *message;              /* and its message */
} s_action_t;

/* ---- checking the request ---- */

/* TransactItems: a list of 1..100 structures. */
static int s_transact_items(rd_req_t *req, const cJSON **list)
{
    if (rd_json_list(req->body, "TransactItems", list, req->err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    int n = *list ? cJSON_GetArraySize(*list) : 0;
    if (!*list)
        rd_verr_value(&v, NULL, "transactItems", "Member must not be null");
    else if (n == 0)
        rd_verr_value(&v, "[]", "transactItems", "Member must have length greater than or equal to 1");
    else if (n > TXN_MAX_ACTIONS)   /* unconfirmed: the service prints the whole list as the value */
        rd_verr_add(&v, "Value at 'transactItems' failed to satisfy constraint: Member must have length less than "
                        "or equal to %d", TXN_MAX_ACTIONS);
    return rd_verr_finish(&v, req->err);
}

/* Which of the kinds in [first, last] the element holds: exactly one. */
static int s_action_kind(rd_req_t *req, const cJSON *elem, s_kind_t first, s_kind_t last, s_action_t *a)
{
    const cJSON *found = NULL, *member;
    if (rd_json_expect_object(elem, req->err) != 0)
        return -1;
    for (int k = (int)first; k <= (int)last; k++) {
        if (rd_json_object(elem, s_kind_members[k], &member, req->err) != 0)
            return -1;
        if (member && found)
            found = NULL, k = (int)last + 1;   /* two kinds: invalid */
        else if (member)
            found = member, a->kind = (s_kind_t)k;
    }
    if (!found)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "The action or operation requested is invalid. Verify that the action is typed correctly.");
    a->sub = rd_item_subreq(req, found);
    return 0;
}

/* The action's TableName (a name or this region's table ARN). */
static int s_action_table_name(s_action_t *a)
{
    const char *arg;
    if (rd_json_string(a->sub.body, "TableName", &arg, a->sub.err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    rd_table_name_check(arg, false, "tableName", &v);
    if (rd_verr_finish(&v, a->sub.err) != 0)
        return -1;
    const char *name = rd_table_name_from_arg(arg, a->sub.region, a->sub.account);
    a->sub.table_name = name ? name : arg;
    return 0;
}

/* A member the action cannot go without. */
static int s_required(s_action_t *a, const char *field, const char *path)
{
    if (rd_json_has(a->sub.body, field))
        return 0;
    rd_verrs_t v = RD_VERRS_INIT;
    rd_verr_value(&v, NULL, path, "Member must not be null");
    return rd_verr_finish(&v, a->sub.err);
}

/* One write action's members, the way PutItem, DeleteItem and UpdateItem check
 * theirs (no legacy parameters in a transaction). */
static int s_write_action_check(s_action_t *a)
{
    static const char *const cond_exprs[] = { "ConditionExpression", NULL };
    static const char *const no_legacy[] = { NULL };
    rd_req_t *sub = &a->sub;
    const cJSON *map_json;
    if (s_action_table_name(a) != 0 ||
        rd_item_read_opts(sub, RD_ITEM_HAS_CONDITIONS, a->kind == S_PUT ? "Item" : "Key", &a->opts, &map_json) != 0)
        return -1;
    if (a->kind == S_UPDATE) {
        if (s_required(a, "UpdateExpression", "transactItems.member.update.updateExpression") != 0)
            return -1;
        return rd_update_parse(sub, &map_json, &a->map, &a->update, &a->cond);
    }
    if (a->kind == S_CONDITION_CHECK &&
        s_required(a, "ConditionExpression", "transactItems.member.conditionCheck.conditionExpression") != 0)
        return -1;
    if (rd_cond_check_params(sub, cond_exprs, no_legacy) != 0 ||
        !(a->map = ddb_item_from_json(map_json, sub->arena, sub->err)))
        return -1;
    if (a->kind == S_PUT && ddb_item_size(a->map) > DDB_ITEM_MAX_SIZE)
        return ddb_err_set(sub->err, DDB_ERR_VALIDATION, SIZE_EXCEEDED);
    return rd_cond_read(sub, &a->cond);
}

/* A Get action: Key, TableName, projection. */
static int s_get_action_check(s_action_t *a)
{
    const cJSON *key_json;
    if (s_action_table_name(a) != 0 || rd_item_read_opts(&a->sub, 0, "Key", &a->opts, &key_json) != 0 ||
        rd_item_projection(&a->sub, &a->projection) != 0)
        return -1;
    a->map = ddb_item_from_json(key_json, a->sub.arena, a->sub.err);
    return a->map ? 0 : -1;
}

/* Every action's table and key; an item named by two actions is refused. */
static int s_resolve(s_action_t *actions, int n)
{
    for (int i = 0; i < n; i++) {
        s_action_t *a = &actions[i];
        if (rd_req_table(&a->sub) != 0)
            return -1;
        int rc = a->kind == S_PUT ? rd_item_key_of_item(&a->sub, a->map, &a->key)
                                  : rd_item_key_of_arg(&a->sub, a->map, &a->key);
        if (rc != 0 || (a->kind == S_UPDATE && rd_update_check_keys(&a->sub, a->update) != 0))
            return -1;
        for (int j = 0; j < i; j++)
            if (actions[j].sub.table == a->sub.table && rd_item_key_equal(&actions[j].key.bytes, &a->key.bytes))
                return ddb_err_set(a->sub.err, DDB_ERR_VALIDATION,
                                   "Transaction request cannot include multiple operations on one item");
    }
    return 0;
}

/* Parses and checks every action (kinds first..last) of TransactItems. */
static s_action_t *s_check_actions(rd_req_t *req, s_kind_t first, s_kind_t last, int *n)
{
    const cJSON *list, *elem;
    if (s_transact_items(req, &list) != 0)
        return NULL;
    *n = cJSON_GetArraySize(list);
    s_action_t *actions = ddb_arena_calloc(req->arena, (size_t)*n, sizeof(*actions));
    int i = 0;
    cJSON_ArrayForEach(elem, list) {
        s_action_t *a = &actions[i++];
        if (s_action_kind(req, elem, first, last, a) != 0 ||
            (a->kind == S_GET ? s_get_action_check(a) : s_write_action_check(a)) != 0)
            return NULL;
    }
    if (s_resolve(actions, *n) != 0)
        return NULL;
    size_t total = 0;   /* the items a write transaction puts, and the keys it names */
    for (int k = 0; k < *n; k++)
        total += actions[k].kind == S_GET ? 0 : ddb_item_size(actions[k].map);
    if (total > TXN_MAX_SIZE) {
        /* The service's limit (4 MB aggregate); its message is not published: this is
         * the text another emulator's conformance suite settled on. */
        ddb_err_set(req->err, DDB_ERR_VALIDATION, "Transaction item size has exceeded the 4 MB limit");
        return NULL;
    }
    return actions;
}

/* ---- ClientRequestToken ---- */

/* The request as compared between calls with one token: the body without the token. */
static char *s_fingerprint(rd_req_t *req)
{
    cJSON *copy = cJSON_Duplicate(req->body, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "ClientRequestToken");
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    char *out = ddb_arena_strndup(req->arena, text ? text : "", text ? strlen(text) : 0);
    cJSON_free(text);
    return out;
}

static int s_db_fail(rd_req_t *req, sqlite3_stmt *st)
{
    sqlite3_finalize(st);
    return ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
}

/* Looks the token up (forgetting expired ones): *answer gets the stored answer when
 * the same request already succeeded; a different request is refused. 0 or -1. */
static int s_token_lookup(rd_req_t *req, const char *token, const char *fingerprint, const char **answer)
{
    sqlite3 *db = rd_store_db(req->store);
    sqlite3_stmt *st = NULL;
    *answer = NULL;
    if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS txn_tokens (account TEXT NOT NULL, token TEXT NOT NULL,"
                         " request TEXT NOT NULL, answer TEXT NOT NULL, expires INTEGER NOT NULL,"
                         " PRIMARY KEY (account, token)) WITHOUT ROWID", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "DELETE FROM txn_tokens WHERE expires < ?1", -1, &st, NULL) != SQLITE_OK)
        return s_db_fail(req, st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)ddb_wall_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        return s_db_fail(req, st);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT request, answer FROM txn_tokens WHERE account = ?1 AND token = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return s_db_fail(req, st);
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        bool same = strcmp((const char *)sqlite3_column_text(st, 0), fingerprint) == 0;
        *answer = same ? ddb_arena_strndup(req->arena, (const char *)sqlite3_column_text(st, 1),
                                           (size_t)sqlite3_column_bytes(st, 1)) : NULL;
        sqlite3_finalize(st);
        if (!same)   /* unconfirmed: the API reference's description, as the message */
            return ddb_err_set(req->err, DDB_ERR_IDEMPOTENT_PARAMETER_MISMATCH,
                               "DynamoDB rejected the request because you retried a request with a different "
                               "payload but with an idempotent token that was already used.");
        return 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
}

/* Remembers a successful answer for ten minutes, in the request's transaction. */
static int s_token_store(rd_req_t *req, const char *token, const char *fingerprint)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rd_store_db(req->store),
                           "INSERT OR REPLACE INTO txn_tokens (account, token, request, answer, expires)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
        return s_db_fail(req, st);
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, req->out->data ? req->out->data : "{}", (int)req->out->len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)(ddb_wall_ms() + TOKEN_TTL_MS));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
}

static int s_token_check(rd_req_t *req, const char *token)
{
    rd_verrs_t v = RD_VERRS_INIT;
    if (token && (strlen(token) < 1 || strlen(token) > TOKEN_MAX_LEN))
        rd_verr_value(&v, token, "clientRequestToken",
                      strlen(token) < 1 ? "Member must have length greater than or equal to 1"
                                        : "Member must have length less than or equal to 36");
    return rd_verr_finish(&v, req->err);
}

/* ---- executing a write transaction ---- */

/* Reads the action's item and decides its outcome: the condition, then the item it
 * writes; a failure becomes the action's cancellation reason, not an error. */
static int s_prepare(s_action_t *a)
{
    rd_req_t *sub = &a->sub;
    ddb_value_t *old = NULL;
    bool need_value = a->cond || a->kind == S_UPDATE;
    if (rd_item_load(sub, &a->key, &a->old_text, need_value ? &old : NULL) != 0)
        return -1;
    a->old = old;
    if (a->cond && !ddb_expr_eval(a->cond, old)) {
        a->code = "ConditionalCheckFailed";
        a->message = "The conditional request failed";
        return 0;
    }
    if (a->kind == S_PUT)
        a->new_item = a->map;
    if (a->kind == S_UPDATE) {
        ddb_err_t err = DDB_ERR_INIT, *request_err = sub->err;
        sub->err = &err;
        int rc = rd_update_apply(sub, a->update, &a->key, old, &a->new_item);
        sub->err = request_err;
        if (rc == 0 && ddb_item_size(a->new_item) > DDB_ITEM_MAX_SIZE)
            rc = ddb_err_set(&err, DDB_ERR_VALIDATION, RD_UPDATE_SIZE_EXCEEDED);
        if (rc != 0) {
            a->code = "ValidationError";
            a->message = ddb_arena_strndup(sub->arena, err.message, strlen(err.message));
        }
        ddb_err_clear(&err);
    }
    return 0;
}

/* TransactionCanceledException with one reason per action, in order. */
static int s_cancel(rd_req_t *req, s_action_t *actions, int n)
{
    ddb_buf_t codes = DDB_BUF_INIT, reasons = DDB_BUF_INIT;
    ddb_buf_puts(&reasons, "\"CancellationReasons\":[");
    for (int i = 0; i < n; i++) {
        s_action_t *a = &actions[i];
        const char *code = a->code ? a->code : "None";
        ddb_buf_printf(&codes, "%s%s", i ? ", " : "", code);
        ddb_buf_printf(&reasons, "%s{\"Code\":\"%s\"", i ? "," : "", code);
        if (a->message) {
            ddb_buf_puts(&reasons, ",\"Message\":");
            ddb_buf_json_str(&reasons, a->message, strlen(a->message));
        }
        if (a->code && a->opts.old_on_failure && a->old_text.json) {
            ddb_buf_puts(&reasons, ",\"Item\":");
            ddb_buf_append(&reasons, a->old_text.json, a->old_text.len);
        }
        ddb_buf_putc(&reasons, '}');
    }
    ddb_buf_putc(&reasons, ']');
    ddb_err_set(req->err, DDB_ERR_TRANSACTION_CANCELED,
                "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", codes.data);
    req->err->extra_json = reasons.data;   /* the error owns it now */
    ddb_buf_free(&codes);
    return -1;
}

/* ConsumedCapacity per table, in the order tables first appear. Transactional
 * reads and writes cost twice their plain units. */
static void s_capacity(rd_req_t *req, s_action_t *actions, int n, rd_capacity_mode_t mode, bool writes)
{
    ddb_buf_puts(req->out, "\"ConsumedCapacity\":[");
    bool comma = false;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = actions[j].sub.table == actions[i].sub.table;
        if (seen)
            continue;
        rd_item_units_t units = { 0, NULL };   /* a ConditionCheck reads: table units only */
        for (int j = i; j < n; j++) {
            s_action_t *a = &actions[j];
            if (a->sub.table != actions[i].sub.table)
                continue;
            int64_t old_size = a->old_text.json ? a->old_text.size : 0;
            if (!writes || a->kind == S_CONDITION_CHECK)
                units.table += 2 * rd_item_read_units(old_size, true);
            else
                rd_item_units_add(&a->sub, &units, &a->old_text, a->old, a->new_item, 2);
        }
        if (comma)
            ddb_buf_putc(req->out, ',');
        comma = true;
        if (writes)
            rd_item_write_capacity_json(req->out, actions[i].sub.table, &units, mode);
        else
            rd_item_capacity_json(req->out, actions[i].sub.table->name, units.table, mode);
    }
    ddb_buf_putc(req->out, ']');
}

/* True when action i writes an item collection an earlier write action wrote. */
static bool s_collection_seen(const s_action_t *actions, int i)
{
    const rd_key_bytes_t *k = &actions[i].key.bytes;
    for (int j = 0; j < i; j++)
        if (actions[j].kind != S_CONDITION_CHECK && actions[j].sub.table == actions[i].sub.table &&
            actions[j].key.bytes.pk_len == k->pk_len && memcmp(actions[j].key.bytes.pk, k->pk, k->pk_len) == 0)
            return true;
    return false;
}

/* ItemCollectionMetrics: per table with an LSI, in the order tables first appear,
 * one entry per item collection a Put, Update or Delete wrote (unconfirmed, as in
 * BatchWriteItem: one entry per collection); nothing without such a table. */
static int s_collection_metrics(rd_req_t *req, s_action_t *actions, int n, bool comma)
{
    ddb_buf_t out = DDB_BUF_INIT;
    for (int i = 0; i < n; i++) {
        const rd_table_t *t = actions[i].sub.table;
        bool seen = !rd_index_has_lsi(t);
        for (int j = 0; j < i && !seen; j++)
            seen = actions[j].sub.table == t;
        if (seen)
            continue;
        bool first = true;
        for (int j = i; j < n; j++) {
            s_action_t *a = &actions[j];
            if (a->sub.table != t || a->kind == S_CONDITION_CHECK || s_collection_seen(actions, j))
                continue;
            if (first) {
                ddb_buf_puts(&out, out.len ? "," : "\"ItemCollectionMetrics\":{");
                ddb_buf_json_str(&out, t->name, strlen(t->name));
                ddb_buf_puts(&out, ":[");
            } else {
                ddb_buf_putc(&out, ',');
            }
            first = false;
            if (rd_item_collection_json(&a->sub, &a->key, &out) != 0) {
                ddb_buf_free(&out);
                return -1;
            }
        }
        if (!first)
            ddb_buf_putc(&out, ']');
    }
    if (out.len) {
        ddb_buf_puts(req->out, comma ? "," : "");
        ddb_buf_append(req->out, out.data, out.len);
        ddb_buf_putc(req->out, '}');
    }
    ddb_buf_free(&out);
    return 0;
}

int rd_op_transact_write_items(rd_req_t *req)
{
    rd_item_opts_t opts;
    const cJSON *unused;
    const char *token, *answer;
    int n;
    s_action_t *actions;
    if (rd_item_read_opts(req, RD_ITEM_HAS_COLLECTION, NULL, &opts, &unused) != 0 ||
        rd_json_string(req->body, "ClientRequestToken", &token, req->err) != 0 || s_token_check(req, token) != 0 ||
        !(actions = s_check_actions(req, S_CONDITION_CHECK, S_UPDATE, &n)))
        return -1;
    const char *fingerprint = token ? s_fingerprint(req) : NULL;
    if (token && s_token_lookup(req, token, fingerprint, &answer) != 0)
        return -1;
    if (token && answer) {   /* the same request again: its answer, nothing re-run */
        ddb_buf_puts(req->out, answer);
        return 0;
    }
    /* Every condition and update is decided before the first write, so that a
     * cancelled transaction has written nothing; the writes then run inside the
     * request's savepoint, which a storage failure rolls back whole. */
    bool cancelled = false;
    for (int i = 0; i < n; i++) {
        if (s_prepare(&actions[i]) != 0)
            return -1;
        cancelled = cancelled || actions[i].code;
    }
    if (cancelled)
        return s_cancel(req, actions, n);
    for (int i = 0; i < n; i++) {
        s_action_t *a = &actions[i];
        if (a->kind != S_CONDITION_CHECK &&
            rd_item_store(&a->sub, &a->key, a->new_item, &a->old_text, SIZE_EXCEEDED) != 0)
            return -1;
    }
    ddb_buf_putc(req->out, '{');
    if (opts.capacity != RD_RCC_NONE)
        s_capacity(req, actions, n, opts.capacity, true);
    if (opts.collection_size && s_collection_metrics(req, actions, n, opts.capacity != RD_RCC_NONE) != 0)
        return -1;
    ddb_buf_putc(req->out, '}');
    return token ? s_token_store(req, token, fingerprint) : 0;
}

/* ---- TransactGetItems ---- */

int rd_op_transact_get_items(rd_req_t *req)
{
    rd_item_opts_t opts;
    const cJSON *unused;
    int n;
    s_action_t *actions;
    if (rd_item_read_opts(req, 0, NULL, &opts, &unused) != 0 || !(actions = s_check_actions(req, S_GET, S_GET, &n)))
        return -1;
    /* One regiond thread serves the region: every read below sees one snapshot. */
    ddb_buf_puts(req->out, "{\"Responses\":[");
    for (int i = 0; i < n; i++) {
        s_action_t *a = &actions[i];
        ddb_value_t *item = NULL;
        if (rd_item_load(&a->sub, &a->key, &a->old_text, a->projection.paths ? &item : NULL) != 0)
            return -1;
        ddb_buf_puts(req->out, i ? ",{" : "{");
        if (item) {
            ddb_buf_puts(req->out, "\"Item\":");
            ddb_item_to_json(ddb_expr_project(item, a->projection.paths, a->projection.count, req->arena), req->out);
        } else if (a->old_text.json) {
            ddb_buf_puts(req->out, "\"Item\":");
            ddb_buf_append(req->out, a->old_text.json, a->old_text.len);
        }
        ddb_buf_putc(req->out, '}');
    }
    ddb_buf_putc(req->out, ']');
    if (opts.capacity != RD_RCC_NONE) {
        ddb_buf_putc(req->out, ',');
        s_capacity(req, actions, n, opts.capacity, false);
    }
    ddb_buf_putc(req->out, '}');
    return 0;
}
