/* sdf_priv.h — internals of the SDF parser shared by its files and its tests: the joined
 * input and its tokens (sdf_lex.c), name abbreviation and value types (sdf_type.c), the
 * result arena and the canonical form (sdf_tree.c). Not for other modules. */
#ifndef SEC_SDF_PRIV_H
#define SEC_SDF_PRIV_H

#include <stdarg.h>

#include "sdf/sdf.h"

enum sdf_tok_kind {
	SDF_TOK_END = 1,
	SDF_TOK_WORD,	/* text upper-cased */
	SDF_TOK_STRING, /* C'..' / '..' (skind 'C') or X'..' (skind 'X'); text decoded */
	SDF_TOK_EQ,
	SDF_TOK_COMMA,
	SDF_TOK_LPAREN,
	SDF_TOK_RPAREN,
};

struct sdf_tok {
	enum sdf_tok_kind kind;
	size_t pos; /* 1-based in the joined input */
	size_t end; /* 1-based position just after the token */
	char *text; /* NUL-terminated, points into sdf_lexed.strbuf */
	size_t len;
	char skind;
};

/* The tokens of one input; the last one is SDF_TOK_END. */
struct sdf_lexed {
	char *joined; /* continuation lines joined, NUL-terminated */
	size_t jlen;
	struct sdf_tok *toks;
	size_t n;
	char *strbuf;
};

/* Error sink: the first error wins. */
struct sdf_errctx {
	struct sdf_error *err; /* may be NULL */
	bool set;
	int code; /* of the first error */
};

int sdf_errat(struct sdf_errctx *e, int code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Joins and tokenizes text (sdf_lex.c). Returns 0, -EINVAL, -E2BIG or -ENOMEM (error filled).
 * skip_slash: drop one leading '/' (commands; not for table defaults). */
int sdf_lex(const char *text, bool skip_slash, struct sdf_lexed *ret, struct sdf_errctx *e);
void sdf_lexed_release(struct sdf_lexed *l);

/* Abbreviation (sdf_type.c): is w a legal abbreviation of the full name? Both upper case;
 * '*' counts as a character of the first part, but w's first part must have more. */
bool sdf_abbrev_of(const char *w, const char *full);

/* Looks w up among n names (names[i] via get(i, arg)). Returns the index (exact name first,
 * else the single abbreviation), -1 for none, -2 for ambiguous (cands gets "A, B, C"). */
int sdf_lookup(const char *w, size_t n, const char *(*get)(size_t i, const void *arg),
	       const void *arg, char *cands, size_t cands_size);

enum sdf_check {
	SDF_CHECK_NO = 0, /* not this type at all */
	SDF_CHECK_OK,	  /* this type, value in range; *num set */
	SDF_CHECK_RANGE, /* this type, but length or range wrong; why: "out of range; expected <..>"
			  */
};

/* Checks a word (upper case) against a variable alternative. */
enum sdf_check sdf_check_word(const struct sdf_value_def *d, const char *w, int64_t *num, char *why,
			      size_t why_size);

/* "<integer 2..99>", "*ANY", ... for messages. */
void sdf_value_def_describe(const struct sdf_value_def *d, char *buf, size_t size);
/* "*ANY / <integer 2..99>" — the alternatives of an operand, cut with ", ..." to fit. */
void sdf_operand_def_describe(const struct sdf_operand_def *o, char *buf, size_t size);

/* arena of the result tree (sdf_tree.c); NULL when SDF_MAX_TREE would be exceeded or on
 * out-of-memory (*enomem tells which). */
void *sdf_arena_new(void);
void *sdf_arena_alloc(void *arena, size_t size, bool *enomem);
void sdf_arena_free(void *arena);

#endif
