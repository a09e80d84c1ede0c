/* ddb_expr_parse: a hand-written lexer and recursive-descent parser for DynamoDB's
 * condition, key condition, projection and update expressions, followed by the
 * service's semantic checks in the order it reports them (syntax first, then reserved
 * words, names and values, operand types...). Recursion is bounded: parentheses and NOT
 * by DDB_EXPR_MAX_NESTING, everything else by the 300-operator limit. */
#include "ddb_expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ------------------------------------------------------------------------ */

typedef enum s_tok_kind {
    S_T_EOF = 0,
    S_T_IDENT,      /* [A-Za-z_][A-Za-z0-9_]*, keywords included */
    S_T_NAME,       /* #name */
    S_T_VALUE,      /* :value */
    S_T_NUMBER,     /* [0-9]+ (list indexes) */
    S_T_LPAREN, S_T_RPAREN, S_T_LBRACKET, S_T_RBRACKET, S_T_DOT, S_T_COMMA,
    S_T_EQ, S_T_NE, S_T_LT, S_T_LE, S_T_GT, S_T_GE, S_T_PLUS, S_T_MINUS,
    S_T_BAD,        /* a character the language does not have */
} s_tok_kind_t;

typedef struct s_tok {
    s_tok_kind_t kind;
    uint32_t pos;
    uint32_t len;
} s_tok_t;

typedef struct s_parser {
    ddb_expr_ctx_t *ctx;
    ddb_arena_t *a;
    ddb_err_t *err;
    ddb_expr_kind_t kind;
    const char *src;
    size_t len;
    s_tok_t *toks;          /* ends with one S_T_EOF */
    size_t ntoks;
    size_t at;              /* current token */
    int depth;              /* parentheses and NOT nesting */
    int operators;          /* operators and functions seen */
    bool redundant_parens;  /* saw ((x)) */
    bool failed;
} s_parser_t;

/* A growable array of node pointers in the arena. */
typedef struct s_nodes {
    ddb_expr_node_t **items;
    size_t count, cap;
} s_nodes_t;

static void s_nodes_push(ddb_arena_t *a, s_nodes_t *v, ddb_expr_node_t *n)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        ddb_expr_node_t **grown = ddb_arena_alloc(a, cap * sizeof(*grown));
        if (v->count)
            memcpy(grown, v->items, v->count * sizeof(*grown));
        v->items = grown;
        v->cap = cap;
    }
    v->items[v->count++] = n;
}

static bool s_is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool s_is_ident_char(char c)
{
    return s_is_ident_start(c) || (c >= '0' && c <= '9');
}

static size_t s_utf8_seq_len(unsigned char c)
{
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    if (c >= 0xE0)
        return c < 0xF0 ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}

/* Splits src into tokens; never fails (unknown characters become S_T_BAD). */
static void s_lex(s_parser_t *p)
{
    const char *s = p->src;
    size_t n = p->len, i = 0, count = 0;
    p->toks = ddb_arena_alloc(p->a, (n + 1) * sizeof(s_tok_t));
    while (i < n) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        s_tok_t *t = &p->toks[count++];
        t->pos = (uint32_t)i;
        size_t j = i + 1;
        if (s_is_ident_start(c)) {
            while (j < n && s_is_ident_char(s[j]))
                j++;
            t->kind = S_T_IDENT;
        } else if (c >= '0' && c <= '9') {
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
            t->kind = S_T_NUMBER;
        } else if (c == '#' || c == ':') {
            while (j < n && s_is_ident_char(s[j]))
                j++;
            t->kind = j > i + 1 ? (c == '#' ? S_T_NAME : S_T_VALUE) : S_T_BAD;
        } else {
            switch (c) {
            case '(': t->kind = S_T_LPAREN; break;
            case ')': t->kind = S_T_RPAREN; break;
            case '[': t->kind = S_T_LBRACKET; break;
            case ']': t->kind = S_T_RBRACKET; break;
            case '.': t->kind = S_T_DOT; break;
            case ',': t->kind = S_T_COMMA; break;
            case '+': t->kind = S_T_PLUS; break;
            case '-': t->kind = S_T_MINUS; break;
            case '=': t->kind = S_T_EQ; break;
            case '<':
                t->kind = S_T_LT;
                if (j < n && s[j] == '=') {
                    t->kind = S_T_LE;
                    j++;
                } else if (j < n && s[j] == '>') {
                    t->kind = S_T_NE;
                    j++;
                }
                break;
            case '>':
                t->kind = S_T_GT;
                if (j < n && s[j] == '=') {
                    t->kind = S_T_GE;
                    j++;
                }
                break;
            default:
                t->kind = S_T_BAD;
                j = i + s_utf8_seq_len((unsigned char)c);
                if (j > n)
                    j = n;
                break;
            }
        }
        t->len = (uint32_t)(j - i);
        i = j;
    }
    p->toks[count].kind = S_T_EOF;
    p->toks[count].pos = (uint32_t)n;
    p->toks[count].len = 0;
    p->ntoks = count + 1;
}

/* ---- parser helpers ------------------------------------------------------------------ */

static const s_tok_t *s_cur(const s_parser_t *p)
{
    return &p->toks[p->at];
}

static const s_tok_t *s_peek(const s_parser_t *p, size_t ahead)
{
    size_t i = p->at + ahead;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static bool s_tok_is_word(const s_parser_t *p, const s_tok_t *t, const char *word)
{
    size_t wl = strlen(word);
    if (t->kind != S_T_IDENT || t->len != wl)
        return false;
    for (size_t i = 0; i < wl; i++) {
        char c = p->src[t->pos + i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != word[i])
            return false;
    }
    return true;
}

static bool s_is_kw(const s_parser_t *p, const char *word)
{
    return s_tok_is_word(p, s_cur(p), word);
}

/* Keywords of the grammar being parsed cannot be attribute names. */
static bool s_tok_is_keyword(const s_parser_t *p, const s_tok_t *t)
{
    if (t->kind != S_T_IDENT)
        return false;
    if (p->kind == DDB_EXPR_UPDATE)
        return s_tok_is_word(p, t, "SET") || s_tok_is_word(p, t, "REMOVE") ||
               s_tok_is_word(p, t, "ADD") || s_tok_is_word(p, t, "DELETE");
    if (p->kind == DDB_EXPR_PROJECTION)
        return false;
    return s_tok_is_word(p, t, "AND") || s_tok_is_word(p, t, "OR") ||
           s_tok_is_word(p, t, "NOT") || s_tok_is_word(p, t, "BETWEEN") ||
           s_tok_is_word(p, t, "IN");
}

static void *s_syntax_error(s_parser_t *p)
{
    if (p->failed)
        return NULL;
    p->failed = true;
    size_t i = p->at;
    const s_tok_t *t = &p->toks[i];
    if (t->kind == S_T_BAD) {
        /* A character no token starts with: the service names it without context. */
        ddb_expr_fail(p->err, p->kind, "Syntax error; token: \"%.*s\"", (int)t->len,
                      p->src + t->pos);
        return NULL;
    }
    /* near: from the previous token to the one after the offending token. */
    size_t start = i > 0 ? p->toks[i - 1].pos : t->pos;
    size_t end;
    if (t->kind == S_T_EOF)
        end = i > 0 ? p->toks[i - 1].pos + p->toks[i - 1].len : t->pos;
    else if (i + 1 < p->ntoks && p->toks[i + 1].kind != S_T_EOF)
        end = p->toks[i + 1].pos + p->toks[i + 1].len;
    else
        end = t->pos + t->len;
    if (t->kind == S_T_EOF)
        ddb_expr_fail(p->err, p->kind, "Syntax error; token: \"<EOF>\", near: \"%.*s\"",
                      (int)(end - start), p->src + start);
    else
        ddb_expr_fail(p->err, p->kind, "Syntax error; token: \"%.*s\", near: \"%.*s\"",
                      (int)t->len, p->src + t->pos, (int)(end - start), p->src + start);
    return NULL;
}

static bool s_expect(s_parser_t *p, s_tok_kind_t kind)
{
    if (s_cur(p)->kind != kind) {
        s_syntax_error(p);
        return false;
    }
    p->at++;
    return true;
}

static bool s_enter(s_parser_t *p)
{
    if (++p->depth > DDB_EXPR_MAX_NESTING) {
        if (!p->failed) {
            p->failed = true;
            ddb_expr_fail(p->err, p->kind,
                          "The expression is nested more than %d levels deep",
                          DDB_EXPR_MAX_NESTING);
        }
        return false;
    }
    return true;
}

static ddb_expr_node_t *s_node(s_parser_t *p, ddb_expr_node_kind_t kind, const s_tok_t *t)
{
    ddb_expr_node_t *n = ddb_arena_calloc(p->a, 1, sizeof(*n));
    n->kind = kind;
    n->pos = t->pos;
    n->len = t->len;
    return n;
}

static void s_set_args(s_parser_t *p, ddb_expr_node_t *n, ddb_expr_node_t *const *args,
                       size_t count)
{
    n->args = ddb_arena_alloc(p->a, (count ? count : 1) * sizeof(*n->args));
    memcpy(n->args, args, count * sizeof(*n->args));
    n->nargs = count;
}

/* Index of the ')' matching the '(' at token i, or of EOF when unbalanced. */
static size_t s_matching_paren(const s_parser_t *p, size_t i)
{
    int level = 0;
    for (; i < p->ntoks; i++) {
        if (p->toks[i].kind == S_T_LPAREN)
            level++;
        else if (p->toks[i].kind == S_T_RPAREN && --level == 0)
            return i;
    }
    return p->ntoks - 1;
}

static bool s_tok_is_comparator(const s_tok_t *t)
{
    return t->kind >= S_T_EQ && t->kind <= S_T_GE;
}

static ddb_expr_func_t s_func_lookup(const char *name, size_t len)
{
    static const struct { const char *name; ddb_expr_func_t func; } funcs[] = {
        { "attribute_exists", DDB_XF_ATTRIBUTE_EXISTS },
        { "attribute_not_exists", DDB_XF_ATTRIBUTE_NOT_EXISTS },
        { "attribute_type", DDB_XF_ATTRIBUTE_TYPE },
        { "begins_with", DDB_XF_BEGINS_WITH },
        { "contains", DDB_XF_CONTAINS },
        { "size", DDB_XF_SIZE },
        { "if_not_exists", DDB_XF_IF_NOT_EXISTS },
        { "list_append", DDB_XF_LIST_APPEND },
    };
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)   /* case-sensitive */
        if (strlen(funcs[i].name) == len && memcmp(funcs[i].name, name, len) == 0)
            return funcs[i].func;
    return DDB_XF_UNKNOWN;
}

/* ---- operands and paths -------------------------------------------------------------- */

static ddb_expr_node_t *s_operand(s_parser_t *p);

/* path := (ident | #name) ( '.' (ident | #name) | '[' number ']' )* */
static bool s_is_path_name(const s_parser_t *p, const s_tok_t *t)
{
    return (t->kind == S_T_IDENT || t->kind == S_T_NAME) && !s_tok_is_keyword(p, t);
}

static void s_raw_push(s_parser_t *p, ddb_expr_node_t *n, size_t *cap, ddb_expr_raw_elem_t e)
{
    if (n->nraw == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 4;
        ddb_expr_raw_elem_t *grown = ddb_arena_alloc(p->a, grown_cap * sizeof(*grown));
        if (n->nraw)
            memcpy(grown, n->raw, n->nraw * sizeof(*grown));
        n->raw = grown;
        *cap = grown_cap;
    }
    n->raw[n->nraw++] = e;
}

static ddb_expr_raw_elem_t s_name_elem(const s_tok_t *t)
{
    ddb_expr_raw_elem_t e = { 0 };
    e.kind = t->kind == S_T_NAME ? DDB_XR_NAME_REF : DDB_XR_IDENT;
    e.pos = t->pos;
    e.len = t->len;
    return e;
}

static ddb_expr_node_t *s_path(s_parser_t *p)
{
    const s_tok_t *t = s_cur(p);
    if (!s_is_path_name(p, t))
        return s_syntax_error(p);
    ddb_expr_node_t *n = s_node(p, DDB_XN_PATH, t);
    size_t cap = 0;
    s_raw_push(p, n, &cap, s_name_elem(t));
    p->at++;
    for (;;) {
        t = s_cur(p);
        if (t->kind == S_T_DOT) {
            p->at++;
            t = s_cur(p);
            if (!s_is_path_name(p, t))
                return s_syntax_error(p);
            s_raw_push(p, n, &cap, s_name_elem(t));
            p->at++;
        } else if (t->kind == S_T_LBRACKET) {
            p->at++;
            t = s_cur(p);
            if (t->kind != S_T_NUMBER)
                return s_syntax_error(p);
            unsigned long long idx = 0;
            for (uint32_t k = 0; k < t->len; k++) {
                idx = idx * 10 + (unsigned)(p->src[t->pos + k] - '0');
                if (idx > 0x7fffffffULL)
                    return s_syntax_error(p);
            }
            ddb_expr_raw_elem_t e = { 0 };
            e.kind = DDB_XR_INDEX;
            e.pos = t->pos;
            e.len = t->len;
            e.index = (uint32_t)idx;
            s_raw_push(p, n, &cap, e);
            p->at++;
            if (!s_expect(p, S_T_RBRACKET))
                return NULL;
        } else {
            return n;
        }
    }
}

/* call := ident '(' operand (',' operand)* ')' */
static ddb_expr_node_t *s_call(s_parser_t *p)
{
    const s_tok_t *name = s_cur(p);
    ddb_expr_node_t *n = s_node(p, DDB_XN_CALL, name);
    n->func = s_func_lookup(p->src + name->pos, name->len);
    p->operators++;
    p->at += 2;   /* name and '(' */
    if (!s_enter(p))
        return NULL;
    s_nodes_t args = { 0 };
    for (;;) {
        ddb_expr_node_t *arg = s_operand(p);
        if (!arg)
            return NULL;
        s_nodes_push(p->a, &args, arg);
        if (s_cur(p)->kind != S_T_COMMA)
            break;
        p->at++;
    }
    if (!s_expect(p, S_T_RPAREN))
        return NULL;
    p->depth--;
    s_set_args(p, n, args.items, args.count);
    return n;
}

/* operand := '(' operand ')' | :value | call | path */
static ddb_expr_node_t *s_operand(s_parser_t *p)
{
    const s_tok_t *t = s_cur(p);
    if (t->kind == S_T_LPAREN) {
        p->at++;
        if (!s_enter(p))
            return NULL;
        ddb_expr_node_t *inner = s_operand(p);
        if (!inner || !s_expect(p, S_T_RPAREN))
            return NULL;
        p->depth--;
        if (inner->parenthesized)
            p->redundant_parens = true;
        inner->parenthesized = true;
        return inner;
    }
    if (t->kind == S_T_VALUE) {
        p->at++;
        return s_node(p, DDB_XN_VALUE, t);
    }
    if (t->kind == S_T_IDENT && !s_tok_is_keyword(p, t) && s_peek(p, 1)->kind == S_T_LPAREN)
        return s_call(p);
    return s_path(p);
}

/* ---- conditions ---------------------------------------------------------------------- */

static ddb_expr_node_t *s_cond_or(s_parser_t *p);

static ddb_expr_cmp_t s_cmp_of(s_tok_kind_t k)
{
    switch (k) {
    case S_T_NE: return DDB_XC_NE;
    case S_T_LT: return DDB_XC_LT;
    case S_T_LE: return DDB_XC_LE;
    case S_T_GT: return DDB_XC_GT;
    case S_T_GE: return DDB_XC_GE;
    default: return DDB_XC_EQ;
    }
}

/* comparison := operand ( comparator operand | BETWEEN operand AND operand
 *                         | IN '(' operand (',' operand)* ')' ) */
static ddb_expr_node_t *s_comparison(s_parser_t *p, ddb_expr_node_t *left)
{
    if (!left && !(left = s_operand(p)))
        return NULL;
    const s_tok_t *t = s_cur(p);
    ddb_expr_node_t *n;
    if (s_tok_is_comparator(t)) {
        p->at++;
        ddb_expr_node_t *right = s_operand(p);
        if (!right)
            return NULL;
        n = s_node(p, DDB_XN_CMP, t);
        n->op = (int)s_cmp_of(t->kind);
        ddb_expr_node_t *args[2] = { left, right };
        s_set_args(p, n, args, 2);
    } else if (s_is_kw(p, "BETWEEN")) {
        p->at++;
        ddb_expr_node_t *lo = s_operand(p);
        if (!lo)
            return NULL;
        if (!s_is_kw(p, "AND"))
            return s_syntax_error(p);
        p->at++;
        ddb_expr_node_t *hi = s_operand(p);
        if (!hi)
            return NULL;
        n = s_node(p, DDB_XN_BETWEEN, t);
        ddb_expr_node_t *args[3] = { left, lo, hi };
        s_set_args(p, n, args, 3);
    } else if (s_is_kw(p, "IN")) {
        p->at++;
        if (!s_expect(p, S_T_LPAREN))
            return NULL;
        s_nodes_t args = { 0 };
        s_nodes_push(p->a, &args, left);
        for (;;) {
            ddb_expr_node_t *o = s_operand(p);
            if (!o)
                return NULL;
            s_nodes_push(p->a, &args, o);
            if (s_cur(p)->kind != S_T_COMMA)
                break;
            p->at++;
        }
        if (!s_expect(p, S_T_RPAREN))
            return NULL;
        n = s_node(p, DDB_XN_IN, t);
        s_set_args(p, n, args.items, args.count);
    } else {
        return s_syntax_error(p);
    }
    p->operators++;
    return n;
}

/* Whether the token after the ')' matching the '(' at the cursor continues an operand
 * ("(a) = :v") rather than ending a parenthesised condition. */
static bool s_paren_is_operand(const s_parser_t *p)
{
    size_t close = s_matching_paren(p, p->at);
    if (close + 1 >= p->ntoks)
        return false;
    const s_tok_t *after = &p->toks[close + 1];
    return s_tok_is_comparator(after) || s_tok_is_word(p, after, "BETWEEN") ||
           s_tok_is_word(p, after, "IN");
}

static ddb_expr_node_t *s_cond_primary(s_parser_t *p)
{
    const s_tok_t *t = s_cur(p);
    if (t->kind == S_T_LPAREN && !s_paren_is_operand(p)) {
        p->at++;
        if (!s_enter(p))
            return NULL;
        ddb_expr_node_t *inner = s_cond_or(p);
        if (!inner || !s_expect(p, S_T_RPAREN))
            return NULL;
        p->depth--;
        if (inner->parenthesized)
            p->redundant_parens = true;
        inner->parenthesized = true;
        return inner;
    }
    if (t->kind == S_T_IDENT && !s_tok_is_keyword(p, t) && s_peek(p, 1)->kind == S_T_LPAREN) {
        ddb_expr_node_t *call = s_call(p);
        if (!call)
            return NULL;
        const s_tok_t *after = s_cur(p);
        if (s_tok_is_comparator(after) || s_is_kw(p, "BETWEEN") || s_is_kw(p, "IN"))
            return s_comparison(p, call);
        return call;   /* a function used as a condition */
    }
    return s_comparison(p, NULL);
}

static ddb_expr_node_t *s_cond_not(s_parser_t *p)
{
    if (!s_is_kw(p, "NOT"))
        return s_cond_primary(p);
    const s_tok_t *t = s_cur(p);
    p->at++;
    if (!s_enter(p))
        return NULL;
    ddb_expr_node_t *inner = s_cond_not(p);
    if (!inner)
        return NULL;
    p->depth--;
    ddb_expr_node_t *n = s_node(p, DDB_XN_NOT, t);
    s_set_args(p, n, &inner, 1);
    p->operators++;
    return n;
}

/* One left-associative level of AND or OR: operand (keyword operand)*. */
static ddb_expr_node_t *s_cond_chain(s_parser_t *p, const char *keyword, ddb_expr_node_kind_t kind,
                                     ddb_expr_node_t *(*operand)(s_parser_t *))
{
    ddb_expr_node_t *left = operand(p);
    while (left && s_is_kw(p, keyword)) {
        const s_tok_t *t = s_cur(p);
        p->at++;
        ddb_expr_node_t *right = operand(p);
        if (!right)
            return NULL;
        ddb_expr_node_t *n = s_node(p, kind, t);
        ddb_expr_node_t *args[2] = { left, right };
        s_set_args(p, n, args, 2);
        p->operators++;
        left = n;
    }
    return left;
}

static ddb_expr_node_t *s_cond_and(s_parser_t *p)
{
    return s_cond_chain(p, "AND", DDB_XN_AND, s_cond_not);
}

static ddb_expr_node_t *s_cond_or(s_parser_t *p)
{
    return s_cond_chain(p, "OR", DDB_XN_OR, s_cond_and);
}

/* ---- common entry checks ------------------------------------------------------------- */

static bool s_begin(s_parser_t *p, ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind, const char *text,
                    size_t len, ddb_err_t *err)
{
    memset(p, 0, sizeof(*p));
    p->ctx = ctx;
    p->a = ctx->arena;
    p->err = err;
    p->kind = kind;
    p->src = text;
    p->len = len;
    if (!text || len == 0) {
        ddb_expr_fail(err, kind, "The expression can not be empty;");
        return false;
    }
    if (len > DDB_EXPR_MAX_BYTES) {
        /* The service adds the size for FilterExpression only. */
        if (kind == DDB_EXPR_FILTER)
            ddb_expr_fail(err, kind,
                          "Expression size has exceeded the maximum allowed size; "
                          "expression size: %zu", len);
        else
            ddb_expr_fail(err, kind, "Expression size has exceeded the maximum allowed size;");
        return false;
    }
    s_lex(p);
    return true;
}

/* After the grammar: whatever is left is a syntax error; then the operator limit. */
static bool s_end(s_parser_t *p)
{
    if (p->failed)
        return false;
    if (s_cur(p)->kind != S_T_EOF) {
        s_syntax_error(p);
        return false;
    }
    if (p->operators > DDB_EXPR_MAX_OPERATORS) {
        ddb_expr_fail(p->err, p->kind,
                      "The expression contains too many operators; operator count: %d",
                      p->operators);
        return false;
    }
    return true;
}

/* ---- semantic checks ------------------------------------------------------------------ */

typedef bool (*s_visit_fn)(s_parser_t *p, ddb_expr_node_t *n, void *arg);

/* Depth-first, in textual order; stops when fn returns false. */
static bool s_walk(s_parser_t *p, ddb_expr_node_t *n, s_visit_fn fn, void *arg)
{
    if (!fn(p, n, arg))
        return false;
    for (size_t i = 0; i < n->nargs; i++)
        if (!s_walk(p, n->args[i], fn, arg))
            return false;
    return true;
}

static bool s_visit_reserved(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    (void)arg;
    if (n->kind != DDB_XN_PATH)
        return true;
    for (size_t i = 0; i < n->nraw; i++) {
        const ddb_expr_raw_elem_t *e = &n->raw[i];
        if (e->kind == DDB_XR_IDENT && ddb_expr_is_reserved_word(p->src + e->pos, e->len)) {
            ddb_expr_fail(p->err, p->kind,
                          "Attribute name is a reserved keyword; reserved keyword: %.*s",
                          (int)e->len, p->src + e->pos);
            return false;
        }
    }
    return true;
}

static bool s_func_allowed(const s_parser_t *p, ddb_expr_func_t f)
{
    if (f == DDB_XF_UNKNOWN)
        return false;
    if (p->kind == DDB_EXPR_UPDATE)
        return f == DDB_XF_IF_NOT_EXISTS || f == DDB_XF_LIST_APPEND;
    return true;   /* update-only functions in conditions are reported apart */
}

static bool s_visit_unknown_func(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    (void)arg;
    if (n->kind != DDB_XN_CALL)
        return true;
    if (!s_func_allowed(p, n->func)) {
        ddb_expr_fail(p->err, p->kind, "Invalid function name; function: %.*s", (int)n->len,
                      p->src + n->pos);
        return false;
    }
    if (p->kind != DDB_EXPR_UPDATE &&
        (n->func == DDB_XF_IF_NOT_EXISTS || n->func == DDB_XF_LIST_APPEND)) {
        ddb_expr_fail(p->err, p->kind,
                      "The function is not allowed in a condition expression; function: %.*s",
                      (int)n->len, p->src + n->pos);
        return false;
    }
    return true;
}

/* A function other than size() used as an operand, or size() used as a condition. */
static bool s_check_misused(s_parser_t *p, ddb_expr_node_t *n, bool as_operand)
{
    if (n->kind == DDB_XN_CALL && (as_operand ? n->func != DDB_XF_SIZE : n->func == DDB_XF_SIZE)) {
        ddb_expr_fail(p->err, p->kind,
                      "The function is not allowed to be used this way in an expression; "
                      "function: %.*s", (int)n->len, p->src + n->pos);
        return false;
    }
    bool children_are_operands = n->kind == DDB_XN_CMP || n->kind == DDB_XN_BETWEEN ||
                                 n->kind == DDB_XN_IN || n->kind == DDB_XN_CALL;
    for (size_t i = 0; i < n->nargs; i++)
        if (!s_check_misused(p, n->args[i], children_are_operands))
            return false;
    return true;
}

static bool s_resolve_path(s_parser_t *p, ddb_expr_node_t *n)
{
    n->path.elems = ddb_arena_calloc(p->a, n->nraw, sizeof(*n->path.elems));
    n->path.count = n->nraw;
    for (size_t i = 0; i < n->nraw; i++) {
        const ddb_expr_raw_elem_t *e = &n->raw[i];
        ddb_expr_path_elem_t *out = &n->path.elems[i];
        const char *text = p->src + e->pos;
        if (e->kind == DDB_XR_INDEX) {
            out->is_index = true;
            out->index = e->index;
        } else if (e->kind == DDB_XR_IDENT) {
            out->name.ptr = ddb_arena_strndup(p->a, text, e->len);
            out->name.len = e->len;
        } else {
            ddb_expr_entry_t *entry = ddb_expr_table_find(&p->ctx->names, text, e->len);
            if (!entry) {
                ddb_expr_fail(p->err, p->kind,
                              "An expression attribute name used in the document path is not "
                              "defined; attribute name: %.*s", (int)e->len, text);
                return false;
            }
            out->name = entry->name;
        }
    }
    return true;
}

static bool s_resolve_value(s_parser_t *p, ddb_expr_node_t *n)
{
    ddb_expr_entry_t *entry = ddb_expr_table_find(&p->ctx->values, p->src + n->pos, n->len);
    if (!entry) {
        ddb_expr_fail(p->err, p->kind,
                      "An expression attribute value used in expression is not defined; "
                      "attribute value: %.*s", (int)n->len, p->src + n->pos);
        return false;
    }
    n->value = entry->value;
    return true;
}

/* arg: 1 = names only, 2 = values only, 3 = both */
static bool s_visit_resolve(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    int which = *(int *)arg;
    if (n->kind == DDB_XN_PATH && (which & 1))
        return s_resolve_path(p, n);
    if (n->kind == DDB_XN_VALUE && (which & 2))
        return s_resolve_value(p, n);
    return true;
}

static bool s_resolve_all(s_parser_t *p, ddb_expr_node_t *n, int which)
{
    return s_walk(p, n, s_visit_resolve, &which);
}

static int s_func_arity(ddb_expr_func_t f)
{
    switch (f) {
    case DDB_XF_ATTRIBUTE_EXISTS:
    case DDB_XF_ATTRIBUTE_NOT_EXISTS:
    case DDB_XF_SIZE:
        return 1;
    default:
        return 2;
    }
}

static bool s_visit_arity(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    (void)arg;
    if (n->kind != DDB_XN_CALL || (int)n->nargs == s_func_arity(n->func))
        return true;
    ddb_expr_fail(p->err, p->kind,
                  "Incorrect number of operands for operator or function; operator or "
                  "function: %.*s, number of operands: %zu", (int)n->len, p->src + n->pos,
                  n->nargs);
    return false;
}

static bool s_paths_equal(const ddb_expr_path_t *x, const ddb_expr_path_t *y)
{
    if (x->count != y->count)
        return false;
    for (size_t i = 0; i < x->count; i++) {
        const ddb_expr_path_elem_t *a = &x->elems[i], *b = &y->elems[i];
        if (a->is_index != b->is_index)
            return false;
        if (a->is_index ? a->index != b->index
                        : (a->name.len != b->name.len ||
                           memcmp(a->name.ptr, b->name.ptr, a->name.len) != 0))
            return false;
    }
    return true;
}

static const char *s_cmp_text(int op)
{
    static const char *const texts[] = { "=", "<>", "<", "<=", ">", ">=" };
    return op >= 0 && op < 6 ? texts[op] : "=";
}

/* The operator as the service names it in messages. */
static void s_op_name(const s_parser_t *p, const ddb_expr_node_t *n, char *buf, size_t size)
{
    switch (n->kind) {
    case DDB_XN_CMP: snprintf(buf, size, "%s", s_cmp_text(n->op)); break;
    case DDB_XN_BETWEEN: snprintf(buf, size, "BETWEEN"); break;
    case DDB_XN_IN: snprintf(buf, size, "IN"); break;
    case DDB_XN_ARITH: snprintf(buf, size, "%c", n->op); break;
    default: snprintf(buf, size, "%.*s", (int)n->len, p->src + n->pos); break;
    }
}

/* "The first operand must be distinct from the remaining operands" */
static bool s_check_distinct(s_parser_t *p, ddb_expr_node_t *n)
{
    bool applies = n->kind == DDB_XN_CMP || n->kind == DDB_XN_BETWEEN || n->kind == DDB_XN_IN ||
                   (n->kind == DDB_XN_CALL && n->nargs == 2);
    if (!applies || n->nargs < 2 || n->args[0]->kind != DDB_XN_PATH)
        return true;
    for (size_t i = 1; i < n->nargs; i++) {
        if (n->args[i]->kind == DDB_XN_PATH && s_paths_equal(&n->args[0]->path, &n->args[i]->path)) {
            char op[64];
            ddb_buf_t path = DDB_BUF_INIT;
            s_op_name(p, n, op, sizeof(op));
            ddb_expr_path_format(&n->args[0]->path, &path);
            ddb_expr_fail(p->err, p->kind,
                          "The first operand must be distinct from the remaining operands for "
                          "this operator or function; operator: %s, first operand: %s", op,
                          path.data);
            ddb_buf_free(&path);
            return false;
        }
    }
    return true;
}

/* The type an operand is known to have before any item is read, or NULL. */
static const char *s_static_type(const ddb_expr_node_t *n)
{
    if (n->kind == DDB_XN_VALUE && n->value)
        return ddb_type_name(n->value->type);
    if (n->kind == DDB_XN_CALL && n->func == DDB_XF_SIZE)
        return "N";
    return NULL;
}

static bool s_is_orderable(const char *type)
{
    return !type || !strcmp(type, "S") || !strcmp(type, "N") || !strcmp(type, "B");
}

static bool s_fail_operand_type(s_parser_t *p, const ddb_expr_node_t *n, const char *type)
{
    char op[64];
    s_op_name(p, n, op, sizeof(op));
    ddb_expr_fail(p->err, p->kind,
                  "Incorrect operand type for operator or function; operator or function: %s, "
                  "operand type: %s", op, type);
    return false;
}

static void s_render_bound(const ddb_value_t *v, ddb_buf_t *out)
{
    ddb_buf_printf(out, "AttributeValue: {%s:", ddb_type_name(v->type));
    if (v->type == DDB_T_B)
        ddb_buf_base64(out, (const unsigned char *)v->u.str.ptr, v->u.str.len);
    else
        ddb_buf_append(out, v->u.str.ptr, v->u.str.len);
    ddb_buf_putc(out, '}');
}

static bool s_check_between_bounds(s_parser_t *p, const ddb_expr_node_t *n)
{
    const ddb_expr_node_t *lo = n->args[1], *hi = n->args[2];
    if (lo->kind != DDB_XN_VALUE || hi->kind != DDB_XN_VALUE)
        return true;
    const char *problem = NULL;
    if (lo->value->type != hi->value->type)
        problem = "The BETWEEN operator requires same data type for lower and upper bounds";
    else if (ddb_expr_scalar_cmp(lo->value, hi->value) > 0)
        problem = "The BETWEEN operator requires upper bound to be greater than or equal to "
                  "lower bound";
    if (!problem)
        return true;
    ddb_buf_t l = DDB_BUF_INIT, u = DDB_BUF_INIT;
    s_render_bound(lo->value, &l);
    s_render_bound(hi->value, &u);
    ddb_expr_fail(p->err, p->kind, "%s; lower bound operand: %s, upper bound operand: %s",
                  problem, l.data, u.data);
    ddb_buf_free(&l);
    ddb_buf_free(&u);
    return false;
}

static bool s_is_type_name(const ddb_str_t *s)
{
    static const char *const names[] = { "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == s->len && memcmp(names[i], s->ptr, s->len) == 0)
            return true;
    return false;
}

static bool s_fail_requires_path(s_parser_t *p, const ddb_expr_node_t *n)
{
    ddb_expr_fail(p->err, p->kind,
                  "Operator or function requires a document path; operator or function: %.*s",
                  (int)n->len, p->src + n->pos);
    return false;
}

/* Operand types of conditions and their functions, known from values alone. */
static bool s_visit_cond_types(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    (void)arg;
    const char *t;
    switch (n->kind) {
    case DDB_XN_CMP:
        if (n->op == DDB_XC_EQ || n->op == DDB_XC_NE)
            return true;
        for (size_t i = 0; i < 2; i++)
            if (!s_is_orderable(t = s_static_type(n->args[i])))
                return s_fail_operand_type(p, n, t);
        return true;
    case DDB_XN_BETWEEN:
        for (size_t i = 0; i < 3; i++)
            if (!s_is_orderable(t = s_static_type(n->args[i])))
                return s_fail_operand_type(p, n, t);
        return s_check_between_bounds(p, n);
    case DDB_XN_IN:
        if (n->nargs - 1 > DDB_EXPR_MAX_IN_OPERANDS) {
            ddb_expr_fail(p->err, p->kind,
                          "The IN operator is provided with too many operands; number of "
                          "operands: %zu", n->nargs - 1);
            return false;
        }
        return true;
    case DDB_XN_CALL:
        break;
    default:
        return true;
    }
    switch (n->func) {
    case DDB_XF_ATTRIBUTE_EXISTS:
    case DDB_XF_ATTRIBUTE_NOT_EXISTS:
        if (n->args[0]->kind != DDB_XN_PATH)
            return s_fail_requires_path(p, n);
        return true;
    case DDB_XF_ATTRIBUTE_TYPE:
        if (n->args[0]->kind != DDB_XN_PATH)
            return s_fail_requires_path(p, n);
        t = s_static_type(n->args[1]);
        if (!t)
            return s_fail_operand_type(p, n, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        if (strcmp(t, "S") != 0)
            return s_fail_operand_type(p, n, t);
        if (!s_is_type_name(&n->args[1]->value->u.str)) {
            ddb_expr_fail(p->err, p->kind,
                          "Invalid attribute type name found; type: %.*s, valid types: "
                          "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                          (int)n->args[1]->value->u.str.len, n->args[1]->value->u.str.ptr);
            return false;
        }
        return true;
    case DDB_XF_BEGINS_WITH:
        for (size_t i = 0; i < 2; i++) {
            t = s_static_type(n->args[i]);
            if (t && strcmp(t, "S") != 0 && strcmp(t, "B") != 0)
                return s_fail_operand_type(p, n, t);
        }
        return true;
    case DDB_XF_SIZE:
        t = s_static_type(n->args[0]);
        if (t && (!strcmp(t, "N") || !strcmp(t, "BOOL") || !strcmp(t, "NULL")))
            return s_fail_operand_type(p, n, t);
        return true;
    default:
        return true;
    }
}

/* The checks the service makes per comparison / function, in textual order. */
static bool s_check_leaf(s_parser_t *p, ddb_expr_node_t *n)
{
    return s_resolve_all(p, n, 3) && s_walk(p, n, s_visit_arity, NULL) &&
           s_check_distinct(p, n) && s_walk(p, n, s_visit_cond_types, NULL);
}

static bool s_check_leaves(s_parser_t *p, ddb_expr_node_t *n)
{
    if (n->kind == DDB_XN_AND || n->kind == DDB_XN_OR || n->kind == DDB_XN_NOT) {
        for (size_t i = 0; i < n->nargs; i++)
            if (!s_check_leaves(p, n->args[i]))
                return false;
        return true;
    }
    return s_check_leaf(p, n);
}

typedef struct s_path_list {
    ddb_expr_path_t *items;
    size_t count, cap;
} s_path_list_t;

static void s_paths_push(ddb_arena_t *a, s_path_list_t *l, const ddb_expr_path_t *path)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        ddb_expr_path_t *grown = ddb_arena_alloc(a, cap * sizeof(*grown));
        if (l->count)
            memcpy(grown, l->items, l->count * sizeof(*grown));
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->count++] = *path;
}

static bool s_visit_collect_paths(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    if (n->kind == DDB_XN_PATH)
        s_paths_push(p->a, arg, &n->path);
    return true;
}

/* Syntax, then: redundant parentheses, function names, functions used the wrong way,
 * reserved words, and per condition its names/values, operand counts, distinct
 * operands and operand types. */
static ddb_expr_node_t *s_parse_and_check_condition(s_parser_t *p)
{
    ddb_expr_node_t *root = s_cond_or(p);
    if (!root || !s_end(p))
        return NULL;
    if (p->redundant_parens) {
        ddb_expr_fail(p->err, p->kind, "The expression has redundant parentheses;");
        return NULL;
    }
    if (!s_walk(p, root, s_visit_unknown_func, NULL) || !s_check_misused(p, root, false) ||
        !s_walk(p, root, s_visit_reserved, NULL) || !s_check_leaves(p, root))
        return NULL;
    return root;
}

ddb_expr_cond_t *ddb_expr_parse_condition(ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind,
                                          const char *text, size_t len, ddb_err_t *err)
{
    s_parser_t p;
    if (!s_begin(&p, ctx, kind, text, len, err))
        return NULL;
    ddb_expr_node_t *root = s_parse_and_check_condition(&p);
    if (!root)
        return NULL;
    ddb_expr_cond_t *cond = ddb_arena_calloc(p.a, 1, sizeof(*cond));
    cond->root = root;
    s_path_list_t paths = { 0 };
    s_walk(&p, root, s_visit_collect_paths, &paths);
    cond->paths = paths.items;
    cond->npaths = paths.count;
    return cond;
}

const ddb_expr_path_t *ddb_expr_cond_paths(const ddb_expr_cond_t *cond, size_t *count)
{
    *count = cond->npaths;
    return cond->paths;
}

/* ---- key conditions --------------------------------------------------------------------- */

typedef struct s_key_state {
    ddb_key_cond_t *conds;
    size_t count, cap;
} s_key_state_t;

static bool s_key_fail(s_parser_t *p, const char *fmt, const char *detail)
{
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, detail);
    ddb_expr_fail(p->err, p->kind, "%s", msg);
    return false;
}

static bool s_key_leaf(s_parser_t *p, const ddb_expr_node_t *n, s_key_state_t *ks)
{
    char opname[64];
    s_op_name(p, n, opname, sizeof(opname));
    switch (n->kind) {
    case DDB_XN_OR: return s_key_fail(p, "Invalid operator used in KeyConditionExpression: %s", "OR");
    case DDB_XN_NOT: return s_key_fail(p, "Invalid operator used in KeyConditionExpression: %s", "NOT");
    case DDB_XN_IN: return s_key_fail(p, "Invalid operator used in KeyConditionExpression: %s", "IN");
    case DDB_XN_CMP:
        if (n->op == DDB_XC_NE)
            return s_key_fail(p, "Invalid operator used in KeyConditionExpression: %s", "<>");
        break;
    case DDB_XN_CALL:
        if (n->func != DDB_XF_BEGINS_WITH)
            return s_key_fail(p, "Invalid operator used in KeyConditionExpression: %s", opname);
        /* fall through */
    case DDB_XN_BETWEEN:
        if (n->args[0]->kind != DDB_XN_PATH)
            return s_key_fail(p, "Invalid condition in KeyConditionExpression: %s operator must "
                                 "have the key attribute as its first operand", opname);
        break;
    default:
        break;
    }
    const ddb_expr_node_t *attr = NULL;
    size_t attr_at = 0;
    for (size_t i = 0; i < n->nargs; i++) {
        const ddb_expr_node_t *a = n->args[i];
        if (a->kind == DDB_XN_CALL)
            return s_key_fail(p, "%s", "KeyConditionExpressions cannot contain nested operations");
        if (a->kind != DDB_XN_PATH)
            continue;
        if (attr)
            return s_key_fail(p, "%s", "Invalid condition in KeyConditionExpression: Multiple "
                                       "attribute names used in one condition");
        if (a->path.count > 1)
            return s_key_fail(p, "%s", "KeyConditionExpressions cannot have conditions on "
                                       "nested attributes");
        attr = a;
        attr_at = i;
    }
    if (!attr)
        return s_key_fail(p, "%s", "Invalid condition in KeyConditionExpression: No key "
                                   "attribute specified");
    const ddb_str_t *name = &attr->path.elems[0].name;
    for (size_t i = 0; i < ks->count; i++)
        if (ks->conds[i].attr.len == name->len &&
            memcmp(ks->conds[i].attr.ptr, name->ptr, name->len) == 0)
            return s_key_fail(p, "%s", "KeyConditionExpressions must only contain one "
                                       "condition per key");
    if (ks->count == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 4;
        ddb_key_cond_t *grown = ddb_arena_calloc(p->a, cap, sizeof(*grown));
        if (ks->count)
            memcpy(grown, ks->conds, ks->count * sizeof(*grown));
        ks->conds = grown;
        ks->cap = cap;
    }
    ddb_key_cond_t *c = &ks->conds[ks->count++];
    c->attr = *name;
    if (n->kind == DDB_XN_BETWEEN) {
        c->op = DDB_KEY_BETWEEN;
        c->values[0] = n->args[1]->value;
        c->values[1] = n->args[2]->value;
    } else if (n->kind == DDB_XN_CALL) {
        c->op = DDB_KEY_BEGINS_WITH;
        c->values[0] = n->args[1]->value;
    } else {
        /* ":v < k" is "k > :v" */
        static const ddb_key_op_t as_written[] = { DDB_KEY_EQ, DDB_KEY_EQ, DDB_KEY_LT,
                                                   DDB_KEY_LE, DDB_KEY_GT, DDB_KEY_GE };
        static const ddb_key_op_t flipped[] = { DDB_KEY_EQ, DDB_KEY_EQ, DDB_KEY_GT,
                                                DDB_KEY_GE, DDB_KEY_LT, DDB_KEY_LE };
        c->op = attr_at == 0 ? as_written[n->op] : flipped[n->op];
        c->values[0] = n->args[attr_at == 0 ? 1 : 0]->value;
    }
    return true;
}

static bool s_key_walk(s_parser_t *p, const ddb_expr_node_t *n, s_key_state_t *ks)
{
    if (n->kind == DDB_XN_AND)
        return s_key_walk(p, n->args[0], ks) && s_key_walk(p, n->args[1], ks);
    return s_key_leaf(p, n, ks);
}

ddb_key_conds_t *ddb_expr_parse_key_condition(ddb_expr_ctx_t *ctx, const char *text,
                                              size_t len, ddb_err_t *err)
{
    s_parser_t p;
    if (!s_begin(&p, ctx, DDB_EXPR_KEY_CONDITION, text, len, err))
        return NULL;
    ddb_expr_node_t *root = s_parse_and_check_condition(&p);
    if (!root)
        return NULL;
    s_key_state_t ks = { 0 };
    if (!s_key_walk(&p, root, &ks))
        return NULL;
    ddb_key_conds_t *out = ddb_arena_calloc(p.a, 1, sizeof(*out));
    out->conds = ks.conds;
    out->count = ks.count;
    return out;
}

/* ---- path overlap (projection and update) ------------------------------------------------ */

/* 0: independent, 1: one is a prefix of the other, 2: same prefix, one indexes a list
 * where the other names a map key. */
static int s_path_relation(const ddb_expr_path_t *x, const ddb_expr_path_t *y)
{
    size_t n = x->count < y->count ? x->count : y->count;
    for (size_t i = 0; i < n; i++) {
        const ddb_expr_path_elem_t *a = &x->elems[i], *b = &y->elems[i];
        if (a->is_index != b->is_index)
            return 2;
        if (a->is_index ? a->index != b->index
                        : (a->name.len != b->name.len ||
                           memcmp(a->name.ptr, b->name.ptr, a->name.len) != 0))
            return 0;
    }
    return 1;
}

static bool s_fail_paths(s_parser_t *p, const char *what, const ddb_expr_path_t *one,
                         const ddb_expr_path_t *two)
{
    ddb_buf_t b1 = DDB_BUF_INIT, b2 = DDB_BUF_INIT;
    ddb_expr_path_format(one, &b1);
    ddb_expr_path_format(two, &b2);
    ddb_expr_fail(p->err, p->kind,
                  "Two document paths %s with each other; must remove or rewrite one of these "
                  "paths; path one: %s, path two: %s", what, b1.data, b2.data);
    ddb_buf_free(&b1);
    ddb_buf_free(&b2);
    return false;
}

/* An overlap anywhere is reported before a conflict. */
static bool s_check_overlaps(s_parser_t *p, const ddb_expr_path_t *paths, size_t n)
{
    const ddb_expr_path_t *c1 = NULL, *c2 = NULL;
    for (size_t j = 1; j < n; j++) {
        for (size_t i = 0; i < j; i++) {
            int rel = s_path_relation(&paths[i], &paths[j]);
            if (rel == 1)
                return s_fail_paths(p, "overlap", &paths[i], &paths[j]);
            if (rel == 2 && !c1) {
                c1 = &paths[i];
                c2 = &paths[j];
            }
        }
    }
    if (c1)
        return s_fail_paths(p, "conflict", c1, c2);
    return true;
}

/* ---- projection --------------------------------------------------------------------------- */

ddb_expr_projection_t *ddb_expr_parse_projection(ddb_expr_ctx_t *ctx, const char *text,
                                                 size_t len, ddb_err_t *err)
{
    s_parser_t p;
    if (!s_begin(&p, ctx, DDB_EXPR_PROJECTION, text, len, err))
        return NULL;
    s_nodes_t nodes = { 0 };
    for (;;) {
        ddb_expr_node_t *n = s_path(&p);
        if (!n)
            return NULL;
        s_nodes_push(p.a, &nodes, n);
        if (s_cur(&p)->kind != S_T_COMMA)
            break;
        p.at++;
    }
    if (!s_end(&p))
        return NULL;
    for (size_t i = 0; i < nodes.count; i++)
        if (!s_visit_reserved(&p, nodes.items[i], NULL))
            return NULL;
    ddb_expr_projection_t *proj = ddb_arena_calloc(p.a, 1, sizeof(*proj));
    proj->paths = ddb_arena_alloc(p.a, nodes.count * sizeof(*proj->paths));
    proj->count = nodes.count;
    for (size_t i = 0; i < nodes.count; i++) {
        if (!s_resolve_path(&p, nodes.items[i]))
            return NULL;
        proj->paths[i] = nodes.items[i]->path;
    }
    if (!s_check_overlaps(&p, proj->paths, proj->count))
        return NULL;
    return proj;
}

/* ---- update ------------------------------------------------------------------------------- */

/* set value := operand [ ('+' | '-') operand ], optionally inside one pair of ( ). */
static ddb_expr_node_t *s_set_value_inner(s_parser_t *p)
{
    ddb_expr_node_t *left = s_operand(p);
    if (!left)
        return NULL;
    const s_tok_t *t = s_cur(p);
    if (t->kind != S_T_PLUS && t->kind != S_T_MINUS)
        return left;
    p->at++;
    ddb_expr_node_t *right = s_operand(p);
    if (!right)
        return NULL;
    ddb_expr_node_t *n = s_node(p, DDB_XN_ARITH, t);
    n->op = t->kind == S_T_PLUS ? '+' : '-';
    ddb_expr_node_t *args[2] = { left, right };
    s_set_args(p, n, args, 2);
    p->operators++;
    return n;
}

static bool s_is_clause_word(const s_parser_t *p, const s_tok_t *t)
{
    return s_tok_is_word(p, t, "SET") || s_tok_is_word(p, t, "REMOVE") ||
           s_tok_is_word(p, t, "ADD") || s_tok_is_word(p, t, "DELETE");
}

static ddb_expr_node_t *s_set_value(s_parser_t *p)
{
    if (s_cur(p)->kind == S_T_LPAREN) {
        /* ( a + b ) around the whole value, as opposed to (a) + b */
        size_t close = s_matching_paren(p, p->at);
        const s_tok_t *after = close + 1 < p->ntoks ? &p->toks[close + 1] : NULL;
        if (after && (after->kind == S_T_COMMA || after->kind == S_T_EOF ||
                      s_is_clause_word(p, after))) {
            p->at++;
            if (!s_enter(p))
                return NULL;
            ddb_expr_node_t *v = s_set_value_inner(p);
            if (!v || !s_expect(p, S_T_RPAREN))
                return NULL;
            p->depth--;
            v->parenthesized = true;
            return v;
        }
    }
    return s_set_value_inner(p);
}

typedef struct s_actions {
    ddb_expr_action_t *items;
    size_t count, cap;
} s_actions_t;

static void s_actions_push(ddb_arena_t *a, s_actions_t *l, ddb_expr_action_t act)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        ddb_expr_action_t *grown = ddb_arena_alloc(a, cap * sizeof(*grown));
        if (l->count)
            memcpy(grown, l->items, l->count * sizeof(*grown));
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->count++] = act;
}

static bool s_update_clauses(s_parser_t *p, s_actions_t *acts, int *dup_clause)
{
    static const char *const words[] = { "SET", "REMOVE", "ADD", "DELETE" };
    bool seen[4] = { false, false, false, false };
    *dup_clause = -1;
    do {
        int kind = -1;
        for (int k = 0; k < 4; k++)
            if (s_is_kw(p, words[k]))
                kind = k;
        if (kind < 0) {
            s_syntax_error(p);
            return false;
        }
        if (seen[kind] && *dup_clause < 0)
            *dup_clause = kind;
        seen[kind] = true;
        p->at++;
        for (;;) {
            ddb_expr_action_t act = { (ddb_expr_action_kind_t)kind, NULL, NULL };
            if (!(act.target = s_path(p)))
                return false;
            if (kind == DDB_XA_SET) {
                if (!s_expect(p, S_T_EQ) || !(act.operand = s_set_value(p)))
                    return false;
            } else if (kind != DDB_XA_REMOVE) {
                if (s_cur(p)->kind != S_T_VALUE) {
                    s_syntax_error(p);
                    return false;
                }
                act.operand = s_node(p, DDB_XN_VALUE, s_cur(p));
                p->at++;
            }
            s_actions_push(p->a, acts, act);
            if (s_cur(p)->kind != S_T_COMMA)
                break;
            p->at++;
        }
    } while (s_cur(p)->kind != S_T_EOF);
    return true;
}

static const char *s_update_type_name(ddb_type_t t)
{
    switch (t) {
    case DDB_T_S: return "STRING";
    case DDB_T_N: return "NUMBER";
    case DDB_T_B: return "BINARY";
    case DDB_T_BOOL: return "BOOLEAN";
    case DDB_T_NULL: return "NULL";
    case DDB_T_M: return "MAP";
    case DDB_T_L: return "LIST";
    default: return NULL;   /* sets are what ADD and DELETE take */
    }
}

/* Function misuse inside SET values: operand counts, paths, immediate operand types. */
static bool s_visit_update_funcs(s_parser_t *p, ddb_expr_node_t *n, void *arg)
{
    (void)arg;
    if (n->kind == DDB_XN_CALL) {
        if (!s_visit_arity(p, n, NULL))
            return false;
        if (n->func == DDB_XF_IF_NOT_EXISTS && n->args[0]->kind != DDB_XN_PATH)
            return s_fail_requires_path(p, n);
        if (n->func == DDB_XF_LIST_APPEND)
            for (size_t i = 0; i < n->nargs; i++)
                if (n->args[i]->kind == DDB_XN_VALUE && n->args[i]->value->type != DDB_T_L)
                    return s_fail_operand_type(p, n, ddb_type_name(n->args[i]->value->type));
    } else if (n->kind == DDB_XN_ARITH) {
        for (size_t i = 0; i < n->nargs; i++)
            if (n->args[i]->kind == DDB_XN_VALUE && n->args[i]->value->type != DDB_T_N)
                return s_fail_operand_type(p, n, ddb_type_name(n->args[i]->value->type));
    }
    return true;
}

/* Syntax, reserved words, function names, repeated clauses, names, values, overlapping
 * and conflicting paths, ADD/DELETE operand types, then function misuse. */
static bool s_check_update(s_parser_t *p, s_actions_t *acts, int dup_clause)
{
    static const char *const words[] = { "SET", "REMOVE", "ADD", "DELETE" };
    size_t i;
    for (i = 0; i < acts->count; i++)
        if (!s_walk(p, acts->items[i].target, s_visit_reserved, NULL) ||
            (acts->items[i].operand && !s_walk(p, acts->items[i].operand, s_visit_reserved, NULL)))
            return false;
    for (i = 0; i < acts->count; i++)
        if (acts->items[i].operand && !s_walk(p, acts->items[i].operand, s_visit_unknown_func, NULL))
            return false;
    if (dup_clause >= 0) {
        ddb_expr_fail(p->err, p->kind,
                      "The \"%s\" section can only be used once in an update expression;",
                      words[dup_clause]);
        return false;
    }
    for (int which = 1; which <= 2; which++)
        for (i = 0; i < acts->count; i++)
            if (!s_resolve_all(p, acts->items[i].target, which) ||
                (acts->items[i].operand && !s_resolve_all(p, acts->items[i].operand, which)))
                return false;
    ddb_expr_path_t *paths = ddb_arena_alloc(p->a, acts->count * sizeof(*paths));
    for (i = 0; i < acts->count; i++)
        paths[i] = acts->items[i].target->path;
    if (!s_check_overlaps(p, paths, acts->count))
        return false;
    for (i = 0; i < acts->count; i++) {
        const ddb_expr_action_t *act = &acts->items[i];
        if (act->kind != DDB_XA_ADD && act->kind != DDB_XA_DELETE)
            continue;
        ddb_type_t t = act->operand->value->type;
        const char *bad = s_update_type_name(t);
        if (act->kind == DDB_XA_ADD && t == DDB_T_N)
            bad = NULL;
        if (bad) {
            ddb_expr_fail(p->err, p->kind,
                          "Incorrect operand type for operator or function; operator: %s, "
                          "operand type: %s", words[act->kind], bad);
            return false;
        }
    }
    for (i = 0; i < acts->count; i++)
        if (acts->items[i].kind == DDB_XA_SET &&
            !s_walk(p, acts->items[i].operand, s_visit_update_funcs, NULL))
            return false;
    return true;
}

ddb_expr_update_t *ddb_expr_parse_update(ddb_expr_ctx_t *ctx, const char *text, size_t len,
                                         ddb_err_t *err)
{
    s_parser_t p;
    if (!s_begin(&p, ctx, DDB_EXPR_UPDATE, text, len, err))
        return NULL;
    s_actions_t acts = { 0 };
    int dup_clause;
    if (!s_update_clauses(&p, &acts, &dup_clause) || !s_end(&p) ||
        !s_check_update(&p, &acts, dup_clause))
        return NULL;
    ddb_expr_update_t *u = ddb_arena_calloc(p.a, 1, sizeof(*u));
    u->actions = acts.items;
    u->count = acts.count;
    u->paths = ddb_arena_alloc(p.a, (acts.count ? acts.count : 1) * sizeof(*u->paths));
    for (size_t i = 0; i < acts.count; i++)
        u->paths[i] = acts.items[i].target->path;
    return u;
}

const ddb_expr_path_t *ddb_expr_update_paths(const ddb_expr_update_t *update, size_t *count)
{
    *count = update->count;
    return update->paths;
}
