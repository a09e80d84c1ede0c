/* ddb_expr_update: applies a parsed UpdateExpression to an item, copy-on-write: every
 * SET value is computed from the item as it was, then the actions run (SET/ADD/DELETE
 * in path order, so appends past the end of a list land in index order; REMOVE last,
 * highest index first, so list removals refer to the original positions). Containers
 * on a changed path are copied into the arena; everything else is shared. */
#include "ddb_expr_int.h"

#include <stdlib.h>
#include <string.h>

#define S_MSG_INVALID_PATH "The document path provided in the update expression is invalid for update"
#define S_MSG_BAD_TYPE "An operand in the update expression has an incorrect data type"
#define S_MSG_NO_ATTR "The provided expression refers to an attribute that does not exist in the item"

/* A container this update has copied and may modify, with its array capacity. */
typedef struct s_owned {
    ddb_value_t *node;
    size_t cap;
} s_owned_t;

typedef struct s_apply {
    ddb_arena_t *a;
    ddb_err_t *err;
    const ddb_value_t *old;   /* the item before the update */
    s_owned_t *owned;
    size_t nowned, capowned;
} s_apply_t;

static int s_fail(s_apply_t *ap, const char *msg)
{
    return ddb_err_set(ap->err, DDB_ERR_VALIDATION, "%s", msg);
}

/* ---- copy-on-write containers ---- */

static s_owned_t *s_find_owned(s_apply_t *ap, const ddb_value_t *v)
{
    for (size_t i = 0; i < ap->nowned; i++)
        if (ap->owned[i].node == v)
            return &ap->owned[i];
    return NULL;
}

static size_t s_count_of(const ddb_value_t *v)
{
    return v->type == DDB_T_M ? v->u.map.count : v->u.list.count;
}

/* Copies a map or list into the arena with room to grow, and remembers it as ours. */
static ddb_value_t *s_copy_container(s_apply_t *ap, const ddb_value_t *v, size_t extra)
{
    ddb_value_t *copy = ddb_arena_calloc(ap->a, 1, sizeof(*copy));
    *copy = *v;
    size_t count = s_count_of(v), cap = count + extra + 4;
    if (v->type == DDB_T_M) {
        copy->u.map.attrs = ddb_arena_alloc(ap->a, cap * sizeof(ddb_attr_t));
        if (count)
            memcpy(copy->u.map.attrs, v->u.map.attrs, count * sizeof(ddb_attr_t));
    } else {
        copy->u.list.items = ddb_arena_alloc(ap->a, cap * sizeof(ddb_value_t *));
        if (count)
            memcpy(copy->u.list.items, v->u.list.items, count * sizeof(ddb_value_t *));
    }
    if (ap->nowned == ap->capowned) {
        size_t grown_cap = ap->capowned ? ap->capowned * 2 : 16;
        s_owned_t *grown = ddb_arena_alloc(ap->a, grown_cap * sizeof(*grown));
        if (ap->nowned)
            memcpy(grown, ap->owned, ap->nowned * sizeof(*grown));
        ap->owned = grown;
        ap->capowned = grown_cap;
    }
    ap->owned[ap->nowned].node = copy;
    ap->owned[ap->nowned].cap = cap;
    ap->nowned++;
    return copy;
}

static ddb_value_t *s_own(s_apply_t *ap, ddb_value_t *v)
{
    return s_find_owned(ap, v) ? v : s_copy_container(ap, v, 0);
}

/* Makes room for one more entry in an owned container. */
static void s_reserve_one(s_apply_t *ap, ddb_value_t *v)
{
    s_owned_t *o = s_find_owned(ap, v);
    size_t count = s_count_of(v);
    if (count < o->cap)
        return;
    size_t cap = o->cap * 2;
    if (v->type == DDB_T_M) {
        ddb_attr_t *grown = ddb_arena_alloc(ap->a, cap * sizeof(*grown));
        memcpy(grown, v->u.map.attrs, count * sizeof(*grown));
        v->u.map.attrs = grown;
    } else {
        ddb_value_t **grown = ddb_arena_alloc(ap->a, cap * sizeof(*grown));
        memcpy(grown, v->u.list.items, count * sizeof(*grown));
        v->u.list.items = grown;
    }
    o->cap = cap;
}

static long s_map_find(const ddb_value_t *map, const ddb_str_t *name)
{
    for (size_t i = 0; i < map->u.map.count; i++) {
        const ddb_str_t *k = &map->u.map.attrs[i].name;
        if (k->len == name->len && memcmp(k->ptr, name->ptr, name->len) == 0)
            return (long)i;
    }
    return -1;
}

/* The child slot elem addresses in container c (owned), or NULL when absent. */
static ddb_value_t **s_slot(ddb_value_t *c, const ddb_expr_path_elem_t *e)
{
    if (e->is_index) {
        if (c->type != DDB_T_L || e->index >= c->u.list.count)
            return NULL;
        return &c->u.list.items[e->index];
    }
    if (c->type != DDB_T_M)
        return NULL;
    long i = s_map_find(c, &e->name);
    return i < 0 ? NULL : &c->u.map.attrs[i].value;
}

/* Walks to the container holding the path's last step, copying what it passes
 * through. NULL with the service's error when an intermediate step is missing or of
 * the wrong type. */
static ddb_value_t *s_parent_of(s_apply_t *ap, ddb_value_t *root, const ddb_expr_path_t *path)
{
    ddb_value_t *cur = root;
    for (size_t i = 0; i + 1 < path->count; i++) {
        ddb_value_t **slot = s_slot(cur, &path->elems[i]);
        ddb_type_t need = path->elems[i + 1].is_index ? DDB_T_L : DDB_T_M;
        if (!slot || (*slot)->type != need) {
            s_fail(ap, S_MSG_INVALID_PATH);
            return NULL;
        }
        *slot = s_own(ap, *slot);
        cur = *slot;
    }
    ddb_type_t need = path->elems[path->count - 1].is_index ? DDB_T_L : DDB_T_M;
    if (cur->type != need) {
        s_fail(ap, S_MSG_INVALID_PATH);
        return NULL;
    }
    return cur;
}

/* Sets the last step in parent: replaces, adds a key, or appends past the end. */
static void s_put(s_apply_t *ap, ddb_value_t *parent, const ddb_expr_path_elem_t *e,
                  ddb_value_t *value)
{
    ddb_value_t **slot = s_slot(parent, e);
    if (slot) {
        *slot = value;
        return;
    }
    s_reserve_one(ap, parent);
    if (e->is_index) {
        parent->u.list.items[parent->u.list.count++] = value;
    } else {
        ddb_attr_t *attr = &parent->u.map.attrs[parent->u.map.count++];
        attr->name = e->name;
        attr->value = value;
    }
}

static void s_remove(ddb_value_t *parent, const ddb_expr_path_elem_t *e)
{
    if (e->is_index) {
        size_t n = parent->u.list.count;
        if (e->index >= n)
            return;
        memmove(&parent->u.list.items[e->index], &parent->u.list.items[e->index + 1],
                (n - e->index - 1) * sizeof(ddb_value_t *));
        parent->u.list.count--;
        return;
    }
    long i = s_map_find(parent, &e->name);
    if (i < 0)
        return;
    size_t n = parent->u.map.count;
    memmove(&parent->u.map.attrs[i], &parent->u.map.attrs[i + 1],
            (n - (size_t)i - 1) * sizeof(ddb_attr_t));
    parent->u.map.count--;
}

/* ---- values ---- */

static ddb_value_t *s_arith(s_apply_t *ap, int op, const ddb_value_t *x, const ddb_value_t *y)
{
    if (x->type != DDB_T_N || y->type != DDB_T_N) {
        s_fail(ap, S_MSG_BAD_TYPE);
        return NULL;
    }
    ddb_num_t nx, ny, r;
    if (ddb_value_get_num(x, &nx, ap->err) < 0 || ddb_value_get_num(y, &ny, ap->err) < 0)
        return NULL;
    int rc = op == '+' ? ddb_num_add(&nx, &ny, &r, ap->err) : ddb_num_sub(&nx, &ny, &r, ap->err);
    return rc < 0 ? NULL : ddb_value_new_num(ap->a, &r);
}

/* A SET value, computed from the item as it was before the update. */
static ddb_value_t *s_eval_set(s_apply_t *ap, const ddb_expr_node_t *n)
{
    ddb_value_t *x, *y;
    switch (n->kind) {
    case DDB_XN_VALUE:
        return (ddb_value_t *)n->value;
    case DDB_XN_PATH:
        x = (ddb_value_t *)ddb_expr_path_get(ap->old, &n->path);
        if (!x)
            s_fail(ap, S_MSG_NO_ATTR);
        return x;
    case DDB_XN_ARITH:
        if (!(x = s_eval_set(ap, n->args[0])) || !(y = s_eval_set(ap, n->args[1])))
            return NULL;
        return s_arith(ap, n->op, x, y);
    case DDB_XN_CALL:
        if (n->func == DDB_XF_IF_NOT_EXISTS) {
            x = (ddb_value_t *)ddb_expr_path_get(ap->old, &n->args[0]->path);
            return x ? x : s_eval_set(ap, n->args[1]);
        }
        if (!(x = s_eval_set(ap, n->args[0])) || !(y = s_eval_set(ap, n->args[1])))
            return NULL;
        if (x->type != DDB_T_L || y->type != DDB_T_L) {   /* list_append */
            s_fail(ap, S_MSG_BAD_TYPE);
            return NULL;
        }
        ddb_value_t *list = ddb_arena_calloc(ap->a, 1, sizeof(*list));
        size_t n1 = x->u.list.count, n2 = y->u.list.count;
        list->type = DDB_T_L;
        list->u.list.items = ddb_arena_alloc(ap->a, (n1 + n2 + 1) * sizeof(ddb_value_t *));
        if (n1)
            memcpy(list->u.list.items, x->u.list.items, n1 * sizeof(ddb_value_t *));
        if (n2)
            memcpy(list->u.list.items + n1, y->u.list.items, n2 * sizeof(ddb_value_t *));
        list->u.list.count = n1 + n2;
        return list;
    default:
        s_fail(ap, S_MSG_BAD_TYPE);
        return NULL;
    }
}

static bool s_is_set(ddb_type_t t)
{
    return t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS;
}

/* cur + val for ADD: numbers add (a missing attribute counts as 0), sets unite. */
static ddb_value_t *s_add(s_apply_t *ap, const ddb_value_t *cur, const ddb_value_t *val)
{
    if (!cur)
        return (ddb_value_t *)val;
    if (val->type == DDB_T_N)
        return s_arith(ap, '+', cur, val);
    if (cur->type != val->type) {
        s_fail(ap, S_MSG_BAD_TYPE);
        return NULL;
    }
    size_t n = cur->u.set.count;
    ddb_value_t *set = ddb_arena_calloc(ap->a, 1, sizeof(*set));
    set->type = cur->type;
    set->u.set.members = ddb_arena_alloc(ap->a, (n + val->u.set.count) * sizeof(ddb_str_t));
    memcpy(set->u.set.members, cur->u.set.members, n * sizeof(ddb_str_t));
    set->u.set.count = n;
    for (size_t i = 0; i < val->u.set.count; i++)
        if (!ddb_expr_set_has(set, &val->u.set.members[i]))
            set->u.set.members[set->u.set.count++] = val->u.set.members[i];
    return set;
}

/* cur - val for DELETE; *emptied when nothing is left (the attribute goes away). */
static ddb_value_t *s_delete(s_apply_t *ap, const ddb_value_t *cur, const ddb_value_t *val,
                             bool *emptied)
{
    *emptied = false;
    if (!s_is_set(cur->type) || cur->type != val->type) {
        s_fail(ap, S_MSG_BAD_TYPE);
        return NULL;
    }
    ddb_value_t *set = ddb_arena_calloc(ap->a, 1, sizeof(*set));
    set->type = cur->type;
    set->u.set.members = ddb_arena_alloc(ap->a, (cur->u.set.count + 1) * sizeof(ddb_str_t));
    for (size_t i = 0; i < cur->u.set.count; i++)
        if (!ddb_expr_set_has(val, &cur->u.set.members[i]))
            set->u.set.members[set->u.set.count++] = cur->u.set.members[i];
    *emptied = set->u.set.count == 0;
    return set;
}

/* ---- ordering of actions ---- */

static int s_path_order(const ddb_expr_path_t *x, const ddb_expr_path_t *y)
{
    size_t n = x->count < y->count ? x->count : y->count;
    for (size_t i = 0; i < n; i++) {
        const ddb_expr_path_elem_t *a = &x->elems[i], *b = &y->elems[i];
        if (a->is_index != b->is_index)
            return a->is_index ? 1 : -1;
        if (a->is_index) {
            if (a->index != b->index)
                return a->index < b->index ? -1 : 1;
            continue;
        }
        size_t m = a->name.len < b->name.len ? a->name.len : b->name.len;
        int c = m ? memcmp(a->name.ptr, b->name.ptr, m) : 0;
        if (c)
            return c;
        if (a->name.len != b->name.len)
            return a->name.len < b->name.len ? -1 : 1;
    }
    return (x->count > y->count) - (x->count < y->count);
}

typedef struct s_step {
    const ddb_expr_action_t *act;
    ddb_value_t *value;   /* SET: computed value */
    size_t order;         /* textual position, for a stable sort */
} s_step_t;

static int s_step_cmp(const void *pa, const void *pb)
{
    const s_step_t *x = pa, *y = pb;
    bool rx = x->act->kind == DDB_XA_REMOVE, ry = y->act->kind == DDB_XA_REMOVE;
    if (rx != ry)
        return rx ? 1 : -1;
    int c = s_path_order(&x->act->target->path, &y->act->target->path);
    if (rx)
        c = -c;   /* removals from the highest index down */
    if (c)
        return c;
    return (x->order > y->order) - (x->order < y->order);
}

/* ---- applying ---- */

/* Whether a list element being removed existed before the update (appends made by
 * this update are not what REMOVE a[i] refers to). */
static bool s_existed_before(s_apply_t *ap, const ddb_expr_path_t *path)
{
    return ddb_expr_path_get(ap->old, path) != NULL;
}

static int s_apply_step(s_apply_t *ap, ddb_value_t *root, const s_step_t *st)
{
    const ddb_expr_path_t *path = &st->act->target->path;
    const ddb_expr_path_elem_t *last = &path->elems[path->count - 1];
    ddb_value_t *parent = s_parent_of(ap, root, path);
    if (!parent)
        return -1;
    ddb_value_t **slot = s_slot(parent, last);
    const ddb_value_t *cur = slot ? *slot : NULL;
    const ddb_value_t *val = st->act->operand ? st->act->operand->value : NULL;
    ddb_value_t *result;
    bool emptied;
    switch (st->act->kind) {
    case DDB_XA_SET:
        s_put(ap, parent, last, st->value);
        return 0;
    case DDB_XA_REMOVE:
        if (!last->is_index || s_existed_before(ap, path))
            s_remove(parent, last);
        return 0;
    case DDB_XA_ADD:
        if (!(result = s_add(ap, cur, val)))
            return -1;
        s_put(ap, parent, last, result);
        return 0;
    case DDB_XA_DELETE:
        if (!cur)
            return 0;
        if (!(result = s_delete(ap, cur, val, &emptied)))
            return -1;
        if (emptied)
            s_remove(parent, last);
        else
            s_put(ap, parent, last, result);
        return 0;
    }
    return 0;
}

ddb_value_t *ddb_expr_apply_update(const ddb_expr_update_t *update, const ddb_value_t *item,
                                   ddb_arena_t *a, ddb_err_t *err)
{
    s_apply_t ap = { a, err, item, NULL, 0, 0 };
    ddb_value_t empty = { 0 };
    empty.type = DDB_T_M;
    if (!item)
        ap.old = item = &empty;
    ddb_value_t *root = s_copy_container(&ap, item, update->count);
    s_step_t *steps = ddb_arena_calloc(a, update->count ? update->count : 1, sizeof(*steps));
    for (size_t i = 0; i < update->count; i++) {
        steps[i].act = &update->actions[i];
        steps[i].order = i;
        if (steps[i].act->kind == DDB_XA_SET && !(steps[i].value = s_eval_set(&ap, steps[i].act->operand)))
            return NULL;
    }
    qsort(steps, update->count, sizeof(*steps), s_step_cmp);
    for (size_t i = 0; i < update->count; i++)
        if (s_apply_step(&ap, root, &steps[i]) < 0)
            return NULL;
    if (item == &empty)
        ap.old = NULL;
    return root;
}
