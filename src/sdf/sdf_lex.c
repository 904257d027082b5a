/* sdf_lex.c — the input of the SDF parser: continuation lines joined, then tokens
 * (docs/sdf.md "Lines" and "Tokens"). Positions in errors and tokens are 1-based character
 * positions in the joined input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdf/sdf_priv.h"

int sdf_errat(struct sdf_errctx *e, int code, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (e->set)
		return code;
	e->set = true;
	e->code = code;
	if (!e->err)
		return code;
	e->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(e->err->msg, sizeof(e->err->msg), fmt, ap);
	va_end(ap);
	return code;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool rest_is_blank(const char *s)
{
	for (; *s; s++)
		if (!is_blank(*s) && *s != '\r' && *s != '\n')
			return false;
	return true;
}

/* Joins lines ending with '-' into out (at least strlen(text)+1 bytes). */
static int join(const char *text, size_t len, char *out, size_t *ret_len, struct sdf_errctx *e)
{
	size_t a = 0, j = 0;
	bool cont = false;

	for (;;) {
		size_t b = a, t;
		bool last;

		while (b < len && text[b] != '\n')
			b++;
		last = b >= len || rest_is_blank(text + b + 1);
		size_t lend = b;
		if (lend > a && text[lend - 1] == '\r')
			lend--;
		if (cont)
			while (a < lend && is_blank(text[a]))
				a++;
		for (size_t i = a; i < lend; i++) {
			unsigned char c = (unsigned char)text[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return sdf_errat(
				    e, -EINVAL, j + (i - a) + 1,
				    "invalid character 0x%02x; expected printable text", c);
		}
		t = lend;
		while (t > a && is_blank(text[t - 1]))
			t--;
		cont = t > a && text[t - 1] == '-';
		size_t copy = cont ? t - 1 - a : t - a;
		for (size_t i = 0; i < copy; i++)
			out[j + i] = text[a + i] == '\t' ? ' ' : text[a + i];
		j += copy;
		if (cont && last)
			return sdf_errat(e, -EINVAL, j + 1,
					 "input ends with the continuation character '-'; "
					 "expected a continuation line");
		if (last)
			break;
		if (!cont)
			return sdf_errat(e, -EINVAL, j + 1,
					 "line ends without the continuation character '-'; "
					 "expected '-' at the end of a line that continues");
		a = b + 1;
	}
	out[j] = '\0';
	*ret_len = j;
	return 0;
}

static bool is_delim(char c)
{
	return c == '\0' || c == ' ' || c == '=' || c == ',' || c == '(' || c == ')' || c == '\'';
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static int push(struct sdf_lexed *l, size_t *cap, enum sdf_tok_kind kind, size_t pos,
		struct sdf_errctx *e)
{
	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct sdf_tok *t = realloc(l->toks, ncap * sizeof(*t));
		if (!t)
			return sdf_errat(e, -ENOMEM, pos, "out of memory");
		l->toks = t;
		*cap = ncap;
	}
	l->toks[l->n] = (struct sdf_tok){.kind = kind, .pos = pos, .end = pos + 1};
	l->n++;
	return 0;
}

/* A string starting at joined[i] (the quote); appends its decoded text at *sb. */
static int lex_string(struct sdf_lexed *l, size_t *i, size_t start, char skind, char **sb,
		      struct sdf_errctx *e)
{
	struct sdf_tok *t = &l->toks[l->n - 1];
	const char *s = l->joined;
	size_t k = *i + 1;

	t->text = *sb;
	t->skind = skind;
	for (;;) {
		if (s[k] == '\0')
			return sdf_errat(e, -EINVAL, start + 1,
					 "string not closed; expected a closing quote (') "
					 "before the end of the input");
		if (s[k] == '\'') {
			if (s[k + 1] != '\'')
				break;
			k++;
		}
		*(*sb)++ = skind == 'X' ? upper(s[k]) : s[k];
		k++;
	}
	t->len = (size_t)(*sb - t->text);
	*(*sb)++ = '\0';
	*i = k + 1;
	t->end = *i + 1;
	return 0;
}

int sdf_lex(const char *text, bool skip_slash, struct sdf_lexed *ret, struct sdf_errctx *e)
{
	struct sdf_lexed l = {0};
	size_t len = strnlen(text, SDF_MAX_INPUT + 1), cap = 0, i = 0;
	char *sb;
	int r;

	if (len > SDF_MAX_INPUT)
		return sdf_errat(e, -E2BIG, SDF_MAX_INPUT + 1,
				 "input longer than %d bytes; expected a shorter command",
				 SDF_MAX_INPUT);
	l.joined = malloc(len + 1);
	l.strbuf = malloc(2 * len + 2);
	if (!l.joined || !l.strbuf) {
		r = sdf_errat(e, -ENOMEM, 1, "out of memory");
		goto fail;
	}
	r = join(text, len, l.joined, &l.jlen, e);
	if (r < 0)
		goto fail;
	sb = l.strbuf;
	if (skip_slash) {
		while (l.joined[i] == ' ')
			i++;
		if (l.joined[i] == '/')
			i++;
	}
	for (;;) {
		const char *s = l.joined;
		while (s[i] == ' ')
			i++;
		char c = s[i];
		enum sdf_tok_kind k = c == '\0'	 ? SDF_TOK_END
				      : c == '=' ? SDF_TOK_EQ
				      : c == ',' ? SDF_TOK_COMMA
				      : c == '(' ? SDF_TOK_LPAREN
				      : c == ')' ? SDF_TOK_RPAREN
						 : 0;
		if (k) {
			r = push(&l, &cap, k, i + 1, e);
			if (r < 0)
				goto fail;
			if (k == SDF_TOK_END)
				break;
			l.toks[l.n - 1].text = (char *)(c == '='   ? "="
							: c == ',' ? ","
							: c == '(' ? "("
								   : ")");
			l.toks[l.n - 1].len = 1;
			i++;
			continue;
		}
		r = push(&l, &cap, SDF_TOK_WORD, i + 1, e);
		if (r < 0)
			goto fail;
		if (c == '\'' || ((upper(c) == 'C' || upper(c) == 'X') && s[i + 1] == '\'')) {
			size_t start = i;
			l.toks[l.n - 1].kind = SDF_TOK_STRING;
			if (c != '\'')
				i++;
			r = lex_string(&l, &i, start, c == '\'' ? 'C' : upper(c), &sb, e);
			if (r < 0)
				goto fail;
			continue;
		}
		struct sdf_tok *t = &l.toks[l.n - 1];
		t->text = sb;
		while (!is_delim(s[i])) {
			if ((unsigned char)s[i] >= 0x80) {
				r = sdf_errat(e, -EINVAL, i + 1,
					      "invalid character 0x%02x outside a string; "
					      "expected A-Z, 0-9 or one of $#@*/:.-",
					      (unsigned char)s[i]);
				goto fail;
			}
			*sb++ = upper(s[i++]);
		}
		t->len = (size_t)(sb - t->text);
		*sb++ = '\0';
		t->end = i + 1;
	}
	*ret = l;
	return 0;
fail:
	sdf_lexed_release(&l);
	return r;
}

void sdf_lexed_release(struct sdf_lexed *l)
{
	free(l->joined);
	free(l->toks);
	free(l->strbuf);
	*l = (struct sdf_lexed){0};
}
