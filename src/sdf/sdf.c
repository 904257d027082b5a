/* sdf.c — the SDF command parser (vm2000.md §4, vm2000-facts.md §3, docs/sdf.md): command
 * name, keyword and positional operands, lists, structures, defaults. Recursive descent over
 * the tokens of sdf_lex.c; the tree lives in one bounded arena (sdf_tree.c), so a failed
 * parse frees everything at once and nothing half-built escapes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdf/sdf_priv.h"

#define MAX_OPS 64 /* operands of one command or structure in a table */

struct ctx {
	struct sdf_lexed *lx;
	size_t i; /* current token */
	void *arena;
	struct sdf_errctx *e;
	bool is_default; /* parsing a table default: positions are 0 */
};

static int parse_value(struct ctx *c, const struct sdf_operand_def *od, struct sdf_value *v,
		       int depth);

static struct sdf_tok *cur(struct ctx *c)
{
	return &c->lx->toks[c->i];
}

static struct sdf_tok *peek(struct ctx *c, size_t k)
{
	size_t j = c->i + k;

	return &c->lx->toks[j < c->lx->n ? j : c->lx->n - 1];
}

static void advance(struct ctx *c)
{
	if (c->i + 1 < c->lx->n)
		c->i++;
}

static size_t tpos(struct ctx *c, const struct sdf_tok *t)
{
	return c->is_default ? 0 : t->pos;
}

/* 'WORD' for messages: user text cut to 40 characters. */
static const char *found(const struct sdf_tok *t, char *buf, size_t size)
{
	if (t->kind == SDF_TOK_END)
		return "the end of the input";
	snprintf(buf, size, "%s'%.40s%s'", t->kind == SDF_TOK_STRING ? "string " : "", t->text,
		 t->len > 40 ? "..." : "");
	return buf;
}

static void *alloc(struct ctx *c, size_t size)
{
	bool enomem;
	void *p = sdf_arena_alloc(c->arena, size, &enomem);

	if (!p)
		sdf_errat(c->e, enomem ? -ENOMEM : -E2BIG, tpos(c, cur(c)),
			  enomem ? "out of memory"
				 : "command too complex: its tree exceeds %u bytes; expected fewer "
				   "values",
			  SDF_MAX_TREE);
	return p;
}

static char *dup(struct ctx *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = alloc(c, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static const char *opname(size_t i, const void *arg)
{
	return ((const struct sdf_operand_def *)arg)[i].name;
}

static const char *altname(size_t i, const void *arg)
{
	const struct sdf_value_def *d = &((const struct sdf_operand_def *)arg)->alt[i];

	return d->type == SDF_T_KEYWORD ? d->keyword : "";
}

static const char *cmdname(size_t i, const void *arg)
{
	return ((const struct sdf_command_def *)arg)[i].name;
}

/* "A, B, C" of a name list cut with ", ..." to fit. */
static void names(size_t n, const char *(*get)(size_t, const void *), const void *arg, char *buf,
		  size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *s = get(i, arg);
		if (used + strlen(s) + 8 >= size) {
			snprintf(buf + used, size - used, ", ...");
			return;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", s);
	}
}

/* The table default of od, parsed like input (a table error is reported as internal). */
static int fill_default(struct ctx *c, const struct sdf_operand_def *od, struct sdf_value *v,
			int depth, size_t at)
{
	struct sdf_error derr = {0};
	struct sdf_errctx de = {.err = &derr};
	struct sdf_lexed lx;
	int r = sdf_lex(od->def, false, &lx, &de);

	if (r == 0) {
		struct ctx dc = {.lx = &lx, .arena = c->arena, .e = &de, .is_default = true};
		r = parse_value(&dc, od, v, depth);
		if (r == 0 && cur(&dc)->kind != SDF_TOK_END)
			r = sdf_errat(&de, -EINVAL, 0, "junk after the default");
		sdf_lexed_release(&lx);
	}
	if (r < 0)
		return sdf_errat(c->e, r, at, "internal error: default '%s' of operand %s: %s",
				 od->def, od->name, derr.msg);
	return 0;
}

/* Operands of a command (closer SDF_TOK_END) or structure (closer ')', consumed); with
 * empty, no input is read: every operand gets its default (required ones are an error). */
static int parse_operands(struct ctx *c, const struct sdf_operand_def *defs, size_t n,
			  enum sdf_tok_kind closer, bool empty, const char *owner, int depth,
			  struct sdf_operand **ret_ops)
{
	size_t gpos[MAX_OPS] = {0}, npos = 0;
	bool kw_seen = false;
	char fb[64], list[200];
	struct sdf_operand *ops;
	int r;

	if (n > MAX_OPS)
		return sdf_errat(c->e, -EINVAL, 0, "internal error: %s has more than %d operands",
				 owner, MAX_OPS);
	ops = n ? alloc(c, n * sizeof(*ops)) : NULL;
	if (n && !ops)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		ops[i].def = &defs[i];
	if (empty || cur(c)->kind == closer)
		goto filled;
	for (;;) {
		struct sdf_tok *t = cur(c);
		size_t idx;
		if (t->kind == SDF_TOK_WORD && peek(c, 1)->kind == SDF_TOK_EQ) {
			int k = sdf_lookup(t->text, n, opname, defs, list, sizeof(list));
			if (k == -2)
				return sdf_errat(c->e, -EINVAL, t->pos,
						 "ambiguous operand name %s of %s; candidates: %s",
						 found(t, fb, sizeof(fb)), owner, list);
			if (k < 0) {
				names(n, opname, defs, list, sizeof(list));
				return sdf_errat(c->e, -EINVAL, t->pos,
						 "unknown operand %s of %s; expected one of %s",
						 found(t, fb, sizeof(fb)), owner,
						 n ? list : "(none: no operands)");
			}
			idx = (size_t)k;
			if (ops[idx].given)
				return sdf_errat(c->e, -EINVAL, t->pos,
						 "operand %s given twice (first at position %zu); "
						 "expected each operand at most once",
						 defs[idx].name, gpos[idx]);
			kw_seen = true;
			advance(c);
			advance(c);
		} else if (t->kind == SDF_TOK_WORD || t->kind == SDF_TOK_STRING ||
			   t->kind == SDF_TOK_LPAREN) {
			if (kw_seen)
				return sdf_errat(c->e, -EINVAL, t->pos,
						 "positional operand %s after keyword operands; "
						 "expected OPERAND=value",
						 found(t, fb, sizeof(fb)));
			if (npos >= n)
				return sdf_errat(c->e, -EINVAL, t->pos,
						 "too many positional operands: %s has %zu; "
						 "found %s",
						 owner, n, found(t, fb, sizeof(fb)));
			idx = npos++;
		} else {
			return sdf_errat(c->e, -EINVAL, t->pos,
					 "expected an operand of %s; found %s", owner,
					 t->kind == SDF_TOK_END ? "the end of the input"
								: found(t, fb, sizeof(fb)));
		}
		gpos[idx] = t->pos;
		ops[idx].given = true;
		r = parse_value(c, &defs[idx], &ops[idx].val, depth);
		if (r < 0)
			return r;
		t = cur(c);
		if (t->kind == SDF_TOK_COMMA) {
			advance(c);
			continue;
		}
		if (t->kind == closer)
			break;
		return sdf_errat(c->e, -EINVAL, t->pos,
				 "expected ',' or %s after the value of %s; found %s",
				 closer == SDF_TOK_END ? "the end of the command" : "')'",
				 defs[idx].name, found(t, fb, sizeof(fb)));
	}
filled:
	for (size_t i = 0; i < n; i++) {
		if (ops[i].given)
			continue;
		size_t at = c->is_default ? 0 : cur(c)->pos;
		if (!defs[i].def) {
			sdf_operand_def_describe(&defs[i], list, sizeof(list));
			return sdf_errat(c->e, -EINVAL, at,
					 "required operand %s of %s missing; expected %s=%s",
					 defs[i].name, owner, defs[i].name, list);
		}
		r = fill_default(c, &defs[i], &ops[i].val, depth, at);
		if (r < 0)
			return r;
	}
	if (!empty && closer == SDF_TOK_RPAREN)
		advance(c);
	*ret_ops = ops;
	return 0;
}

static int value_error(struct ctx *c, const struct sdf_operand_def *od, const struct sdf_tok *t,
		       const char *what)
{
	char fb[64], list[200];

	sdf_operand_def_describe(od, list, sizeof(list));
	return sdf_errat(c->e, -EINVAL, tpos(c, t), "%s %s for %s; expected %s", what,
			 found(t, fb, sizeof(fb)), od->name, list);
}

/* A keyword value: w with its '*' ("*EXCL"), exact or abbreviated; -1 none, -2 reported. */
static int keyword(struct ctx *c, const struct sdf_operand_def *od, const struct sdf_tok *t,
		   const char *w)
{
	char list[200];
	int k = sdf_lookup(w, od->n_alt, altname, od, list, sizeof(list));

	if (k == -2)
		sdf_errat(c->e, -EINVAL, tpos(c, t),
			  "ambiguous value '%.40s' for %s; candidates: %s", w, od->name, list);
	return k;
}

static bool is_hexstr(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

/* One value (not a list) of od at the current token, with the structure it opens. */
static int parse_single(struct ctx *c, const struct sdf_operand_def *od, struct sdf_value *v,
			int depth)
{
	struct sdf_tok *t = cur(c);
	const struct sdf_value_def *alt = NULL;
	char why[200] = "", fb[64];
	int64_t num = 0;

	v->pos = tpos(c, t);
	if (t->kind == SDF_TOK_STRING) {
		enum sdf_type want = t->skind == 'X' ? SDF_T_X_STRING : SDF_T_C_STRING;
		for (size_t i = 0; i < od->n_alt && !alt; i++)
			if (od->alt[i].type == want)
				alt = &od->alt[i];
		if (!alt)
			return value_error(c, od, t, "unexpected");
		if (want == SDF_T_X_STRING && !is_hexstr(t->text))
			return value_error(c, od, t, "non-hexadecimal character in");
		if ((int64_t)t->len < alt->min || (int64_t)t->len > alt->max) {
			sdf_value_def_describe(alt, why, sizeof(why));
			return sdf_errat(c->e, -EINVAL, tpos(c, t),
					 "string of %zu characters for %s; expected %s", t->len,
					 od->name, why);
		}
		if (memchr(t->text, '\0', t->len))
			return value_error(c, od, t, "NUL in");
	} else if (t->kind == SDF_TOK_WORD) {
		const char *w = t->text;
		bool range = false;
		int k = -1;
		if (w[0] == '*') {
			k = keyword(c, od, t, w);
			if (k == -2)
				return -EINVAL;
		}
		for (size_t i = 0; k < 0 && i < od->n_alt && !alt; i++) {
			const struct sdf_value_def *d = &od->alt[i];
			if (d->type == SDF_T_KEYWORD || (w[0] == '*' && !(d->flags & SDF_F_WILD)))
				continue;
			char one[200];
			enum sdf_check ck = sdf_check_word(d, w, &num, one, sizeof(one));
			if (ck == SDF_CHECK_OK)
				alt = d;
			else if (ck == SDF_CHECK_RANGE && !range) {
				range = true;
				memcpy(why, one, sizeof(why));
			}
		}
		if (k < 0 && !alt && range)
			return sdf_errat(c->e, -EINVAL, tpos(c, t), "value %s for %s %s",
					 found(t, fb, sizeof(fb)), od->name, why);
		if (k < 0 && !alt && w[0] != '*') {
			/* a keyword without its '*': no variable alternative took the word */
			char star[64];
			if (t->len + 2 <= sizeof(star)) {
				snprintf(star, sizeof(star), "*%s", w);
				k = keyword(c, od, t, star);
				if (k == -2)
					return -EINVAL;
			}
		}
		if (k >= 0)
			alt = &od->alt[k];
		if (!alt)
			return value_error(c, od, t, "unknown value");
	} else {
		sdf_operand_def_describe(od, why, sizeof(why));
		return sdf_errat(c->e, -EINVAL, tpos(c, t),
				 "expected a value for %s (%s); found %s", od->name, why,
				 t->kind == SDF_TOK_END ? "the end of the input"
							: found(t, fb, sizeof(fb)));
	}
	v->def = alt;
	v->num = num;
	if (alt->type == SDF_T_INTEGER)
		snprintf(why, sizeof(why), "%lld", (long long)num);
	else if (alt->type == SDF_T_FIXED)
		snprintf(why, sizeof(why), "%lld.%02lld", (long long)(num / 100),
			 (long long)(num % 100));
	v->text = dup(c, alt->type == SDF_T_KEYWORD				  ? alt->keyword
			 : alt->type == SDF_T_INTEGER || alt->type == SDF_T_FIXED ? why
										  : t->text);
	if (!v->text)
		return -E2BIG;
	advance(c);
	bool open = cur(c)->kind == SDF_TOK_LPAREN;
	if (open && !alt->sub)
		return sdf_errat(c->e, -EINVAL, tpos(c, cur(c)),
				 "value %s of %s opens no structure; expected ',' instead of '('",
				 found(t, fb, sizeof(fb)), od->name);
	if (!alt->sub)
		return 0;
	if (depth + 1 > SDF_MAX_DEPTH)
		return sdf_errat(c->e, -E2BIG, tpos(c, cur(c)),
				 "structures nested deeper than %d levels; expected at most %d",
				 SDF_MAX_DEPTH, SDF_MAX_DEPTH);
	if (open)
		advance(c);
	/* without '(' the structure gets its defaults (a required operand is an error) */
	v->n_sub = alt->n_sub;
	return parse_operands(c, alt->sub, alt->n_sub, SDF_TOK_RPAREN, !open,
			      alt->keyword ? alt->keyword : od->name, depth + 1, &v->sub);
}

static int parse_value(struct ctx *c, const struct sdf_operand_def *od, struct sdf_value *v,
		       int depth)
{
	struct sdf_tok *t = cur(c);
	char fb[64], list[200];
	int r;

	if (!od->list_max) {
		if (t->kind == SDF_TOK_LPAREN) {
			sdf_operand_def_describe(od, list, sizeof(list));
			return sdf_errat(c->e, -EINVAL, tpos(c, t),
					 "%s takes no list; expected one value: %s", od->name,
					 list);
		}
		return parse_single(c, od, v, depth);
	}
	unsigned max = od->list_max < SDF_MAX_LIST ? od->list_max : SDF_MAX_LIST;
	v->is_list = true;
	v->text = "";
	v->pos = tpos(c, t);
	if (t->kind != SDF_TOK_LPAREN) {
		v->items = alloc(c, sizeof(*v->items));
		if (!v->items)
			return -E2BIG;
		v->n_items = 1;
		return parse_single(c, od, &v->items[0], depth);
	}
	advance(c);
	v->items = alloc(c, max * sizeof(*v->items));
	if (!v->items)
		return -E2BIG;
	for (;;) {
		t = cur(c);
		if (v->n_items == max)
			return sdf_errat(c->e, -EINVAL, tpos(c, t),
					 "list of %s longer than %u elements; expected ')'",
					 od->name, max);
		r = parse_single(c, od, &v->items[v->n_items], depth);
		if (r < 0)
			return r;
		v->n_items++;
		t = cur(c);
		if (t->kind == SDF_TOK_RPAREN)
			break;
		if (t->kind != SDF_TOK_COMMA)
			return sdf_errat(c->e, -EINVAL, tpos(c, t),
					 "expected ',' or ')' in the list of %s; found %s",
					 od->name, found(t, fb, sizeof(fb)));
		advance(c);
	}
	advance(c);
	for (size_t i = 0; v->n_items > 1 && i < v->n_items; i++)
		if (!(v->items[i].def->flags & SDF_F_LIST))
			return sdf_errat(c->e, -EINVAL, v->items[i].pos,
					 "value '%s' of %s cannot be an element of a list; "
					 "expected it alone",
					 v->items[i].text, od->name);
	return 0;
}

int sdf_parse(const struct sdf_command_def *tab, size_t n, const char *text, struct sdf_cmd **ret,
	      struct sdf_error *err)
{
	struct sdf_errctx e = {.err = err};
	struct sdf_lexed lx;
	struct ctx c = {.lx = &lx, .e = &e};
	struct sdf_cmd *cmd;
	char fb[64], list[200], owner[80];
	int r, k;

	if (err)
		*err = (struct sdf_error){0};
	if (!text)
		return sdf_errat(&e, -EINVAL, 1, "no input; expected a command");
	r = sdf_lex(text, true, &lx, &e);
	if (r < 0)
		return r;
	c.arena = sdf_arena_new();
	if (!c.arena) {
		r = sdf_errat(&e, -ENOMEM, 1, "out of memory");
		goto out;
	}
	struct sdf_tok *t = cur(&c);
	if (t->kind != SDF_TOK_WORD) {
		r = sdf_errat(&e, -EINVAL, t->pos, "expected a command name; found %s",
			      found(t, fb, sizeof(fb)));
		goto out;
	}
	k = sdf_lookup(t->text, n, cmdname, tab, list, sizeof(list));
	if (k == -2) {
		r = sdf_errat(&e, -EINVAL, t->pos, "ambiguous command name %s; candidates: %s",
			      found(t, fb, sizeof(fb)), list);
		goto out;
	}
	if (k < 0) {
		names(n, cmdname, tab, list, sizeof(list));
		r = sdf_errat(&e, -EINVAL, t->pos, "unknown command %s; expected one of %s",
			      found(t, fb, sizeof(fb)), list);
		goto out;
	}
	cmd = alloc(&c, sizeof(*cmd));
	if (!cmd) {
		r = -ENOMEM;
		goto out;
	}
	cmd->def = &tab[k];
	cmd->arena = c.arena;
	cmd->n_ops = tab[k].n_ops;
	advance(&c);
	if (cur(&c)->kind != SDF_TOK_END && cur(&c)->pos == t->end) {
		r = sdf_errat(&e, -EINVAL, cur(&c)->pos,
			      "expected a blank between the command name and its operands; "
			      "found %s",
			      found(cur(&c), fb, sizeof(fb)));
		goto out;
	}
	snprintf(owner, sizeof(owner), "/%s", tab[k].name);
	r = parse_operands(&c, tab[k].ops, tab[k].n_ops, SDF_TOK_END, false, owner, 0, &cmd->ops);
	if (r < 0)
		goto out;
	*ret = cmd;
	c.arena = NULL;
out:
	if (r < 0 && !e.set)
		sdf_errat(&e, r, 1, "internal error %d", r);
	sdf_arena_free(c.arena);
	sdf_lexed_release(&lx);
	return r < 0 ? e.code : 0;
}
