/* sdf_tree.c — the result tree of the SDF parser: its arena (one bounded allocation pool per
 * command, freed at once), lookups by full name, and the canonical one-line form. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdf/sdf_priv.h"

struct chunk {
	struct chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	size_t total;
};

#define CHUNK_SIZE 8192

void *sdf_arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void *sdf_arena_alloc(void *arena, size_t size, bool *enomem)
{
	struct arena *a = arena;
	struct chunk *c = a->head;

	*enomem = false;
	size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (size == 0)
		size = sizeof(max_align_t);
	if (!c || c->size - c->used < size) {
		size_t csize = size > CHUNK_SIZE ? size : CHUNK_SIZE;
		if (a->total + csize > SDF_MAX_TREE)
			return NULL;
		c = malloc(sizeof(*c) + csize);
		if (!c) {
			*enomem = true;
			return NULL;
		}
		c->next = a->head;
		c->size = csize;
		c->used = 0;
		a->head = c;
		a->total += csize;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

void sdf_arena_free(void *arena)
{
	struct arena *a = arena;

	if (!a)
		return;
	for (struct chunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

struct sdf_cmd *sdf_cmd_free(struct sdf_cmd *c)
{
	if (c)
		sdf_arena_free(c->arena); /* c itself lives in its arena */
	return NULL;
}

static const struct sdf_operand *find(const struct sdf_operand *ops, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ops[i].def->name, name) == 0)
			return &ops[i];
	return NULL;
}

const struct sdf_operand *sdf_cmd_operand(const struct sdf_cmd *c, const char *name)
{
	return c ? find(c->ops, c->n_ops, name) : NULL;
}

const struct sdf_operand *sdf_value_operand(const struct sdf_value *v, const char *name)
{
	return v ? find(v->sub, v->n_sub, name) : NULL;
}

bool sdf_value_is(const struct sdf_value *v, const char *kw)
{
	return v && v->def && v->def->type == SDF_T_KEYWORD && strcmp(v->def->keyword, kw) == 0;
}

/* ---- canonical form ---- */

struct out {
	char *buf;
	size_t size, len;
	bool input; /* sdf_cmd_format_input(): no brackets, ',' between operands */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->len += (size_t)k;
}

static void put_operands(struct out *o, const struct sdf_operand *ops, size_t n, const char *sep);

static void put_value(struct out *o, const struct sdf_value *v)
{
	if (v->is_list) {
		if (v->n_items == 1) {
			put_value(o, &v->items[0]);
			return;
		}
		put(o, "(");
		for (size_t i = 0; i < v->n_items; i++) {
			if (i)
				put(o, ",");
			put_value(o, &v->items[i]);
		}
		put(o, ")");
		return;
	}
	if (v->def->type == SDF_T_C_STRING || v->def->type == SDF_T_X_STRING) {
		put(o, "%c'", v->def->type == SDF_T_C_STRING ? 'C' : 'X');
		for (const char *p = v->text; *p; p++) {
			if (*p == '\'')
				put(o, "'");
			put(o, "%c", *p);
		}
		put(o, "'");
	} else {
		put(o, "%s", v->text);
	}
	if (v->def->sub) {
		put(o, "(");
		put_operands(o, v->sub, v->n_sub, ",");
		put(o, ")");
	}
}

static void put_operands(struct out *o, const struct sdf_operand *ops, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		bool mark = !ops[i].given && !o->input;
		put(o, "%s%s%s=", i ? sep : "", mark ? "[" : "", ops[i].def->name);
		put_value(o, &ops[i].val);
		if (mark)
			put(o, "]");
	}
}

size_t sdf_cmd_format(const struct sdf_cmd *c, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	if (size)
		buf[0] = '\0';
	put(&o, "%s", c->def->name);
	if (c->n_ops)
		put(&o, " ");
	put_operands(&o, c->ops, c->n_ops, " ");
	return o.len;
}

size_t sdf_cmd_format_input(const struct sdf_cmd *c, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size, .input = true};

	if (size)
		buf[0] = '\0';
	put(&o, "/%s", c->def->name);
	if (c->n_ops)
		put(&o, " ");
	put_operands(&o, c->ops, c->n_ops, ",");
	return o.len;
}
