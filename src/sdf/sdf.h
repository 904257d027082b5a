/* sdf.h — the SDF command parser (vm2000.md §4, vm2000-facts.md §3; syntax in docs/sdf.md).
 *
 * Usage: describe each command as a const table (struct sdf_command_def, see src/su/syntax.c),
 * then
 *
 *	struct sdf_cmd *c;
 *	struct sdf_error e;
 *	if (sdf_parse(su_syntax, su_syntax_n, "/START-VM IPL-UNIT=A000,VM-ID=VM1", &c, &e) < 0)
 *		printf("position %zu: %s\n", e.pos, e.msg);   // nothing was built
 *	const struct sdf_operand *o = sdf_cmd_operand(c, "IPL-UNIT");
 *	... o->given, o->val.def->type, o->val.text, o->val.num ...
 *	c = sdf_cmd_free(c);
 *
 * The result tree holds every operand of the command and of every structure in table order,
 * defaults filled in (given = false). Names in the tree are the full names of the table,
 * never the abbreviations that were typed; keyword values appear in full with their `*`.
 *
 * Shapes of a value (struct sdf_value):
 *  - a single value: def = the alternative that matched; text = its canonical text
 *    (keyword in full "*ANY"; integers in decimal, "5" for "+05"; fixed with two decimals,
 *    "1.50"; names and x-text upper-cased; c-string contents as typed without quotes, ''
 *    turned into '; x-string contents upper-cased without quotes); num = the integer
 *    (SDF_T_FIXED: value × 100, "1.5" → 150); sub/n_sub = the structure this value opens
 *    (every operand of def->sub, defaults filled) when def->sub != NULL, else NULL/0. A
 *    variable value can open a structure too: MEMORY-SIZE=2(DIMENSION=*GIGABYTE) is an
 *    SDF_T_INTEGER with num 2 and sub = {DIMENSION=*GIGABYTE}; MEMORY-SIZE=2048 has the
 *    same sub with the default.
 *  - the value of an operand with list_max > 0 is ALWAYS a list, even when one element or
 *    the default was given: def = NULL, is_list = true, items[0..n_items-1] single values
 *    (n_items >= 1). Only alternatives with SDF_F_LIST may appear in a list of two or more.
 *
 * Limits (no input makes the parser allocate without bound): SDF_MAX_INPUT bytes of input,
 * SDF_MAX_DEPTH nested structures, list_max elements per list (at most SDF_MAX_LIST), and
 * SDF_MAX_TREE bytes for the whole result tree.
 *
 * Thread safety: sdf_parse() keeps no state; the tables are read only.
 */
#ifndef SEC_SDF_H
#define SEC_SDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDF_MAX_INPUT 16384	 /* bytes of raw input (continuation lines included) */
#define SDF_MAX_DEPTH 8		 /* nested structure levels below the command */
#define SDF_MAX_LIST  64	 /* list-poss(n): n at most this */
#define SDF_MAX_TREE  (1u << 20) /* bytes of result tree */
#define SDF_MAX_WILD  20	 /* length of a with-wild(20) pattern */

enum sdf_type {
	SDF_T_KEYWORD = 1, /* keyword value: def->keyword, e.g. "*ANY" */
	SDF_T_INTEGER,	   /* <integer min..max>, optional sign */
	SDF_T_NAME,	   /* <name min..max>: A-Z 0-9 $ # @, first not a digit */
	SDF_T_ALNUM_NAME,  /* <alphanum-name min..max>: A-Z 0-9 $ # @ */
	SDF_T_X_TEXT,	   /* <x-text min..max>: hex digits, unquoted */
	SDF_T_X_STRING,	   /* <x-string min..max>: X'hex'; min/max count hex digits */
	SDF_T_C_STRING,	   /* <c-string min..max>: C'...' or '...', '' = one quote; case kept */
	SDF_T_FIXED,	   /* <fixed min..max>: digits[.digits] (≤ 2 decimals); min/max × 100 */
	SDF_T_FILENAME, /* <filename min..max>: [:catid:][$user.]name.parts (A-Z 0-9 $ # @ - .) */
	SDF_T_COMPOSED_NAME, /* <composed-name min..max>: A-Z 0-9 $ # @ - . */
	SDF_T_TYPE_MAX,
};

/* flags of a value alternative */
#define SDF_F_WILD 0x1 /* with-wild(20): also '*' (any string) and '/' (one character) */
#define SDF_F_LIST 0x2 /* may be an element of a list of two or more (list-poss part) */

struct sdf_operand_def;

/* One alternative of an operand's value: a keyword or a typed variable. */
struct sdf_value_def {
	enum sdf_type type;
	const char *keyword; /* SDF_T_KEYWORD: the full keyword with '*' ("*ANY"); else NULL */
	int64_t min, max;    /* integer/fixed range (fixed × 100), or length range of text types */
	unsigned flags;	     /* SDF_F_* */
	const struct sdf_operand_def *sub; /* the structure this value opens, or NULL */
	size_t n_sub;
};

struct sdf_operand_def {
	const char *name;		 /* full name, e.g. "VM-IDENTIFICATION" */
	const struct sdf_value_def *alt; /* alternatives in the order of the manual */
	size_t n_alt;
	const char *def;   /* default as input text ("*STD", "*MEGABYTE"); NULL = required */
	unsigned list_max; /* 0: no list; n: list-poss(n) */
};

struct sdf_command_def {
	const char *name; /* full name without '/', e.g. "CREATE-VM" */
	int id;		  /* the caller's id (enum su_cmd_id) */
	const struct sdf_operand_def *ops;
	size_t n_ops;
};

/* ---- result tree (owned by the struct sdf_cmd; all of it freed by sdf_cmd_free) ---- */

struct sdf_operand;

struct sdf_value {
	const struct sdf_value_def *def; /* the alternative that matched; NULL for a list */
	char *text;			 /* see the usage paragraph; "" for a list */
	int64_t num;			 /* integer, fixed × 100; 0 otherwise */
	struct sdf_operand *sub;	 /* structure: every operand of def->sub, defaults filled */
	size_t n_sub;
	bool is_list;
	struct sdf_value *items; /* list elements (is_list) */
	size_t n_items;
	size_t pos; /* 1-based position in the joined input; 0 for a default */
};

struct sdf_operand {
	const struct sdf_operand_def *def;
	bool given; /* false: the default was filled in */
	struct sdf_value val;
};

struct sdf_cmd {
	const struct sdf_command_def *def;
	struct sdf_operand *ops; /* n_ops = def->n_ops, table order */
	size_t n_ops;
	void *arena; /* private */
};

struct sdf_error {
	size_t pos;    /* 1-based character position in the joined input (continuations removed) */
	char msg[256]; /* what was found and what was expected, e.g. "unknown operand 'FOO' of
			* /START-VM; expected one of IPL-UNIT, MAIN-CONSOLE, ..." */
};

/* Parses one command. tab: n command definitions; text: NUL-terminated input, optionally
 * starting with '/', continuation lines joined where a line ends with '-'.
 * Returns 0 and *ret (owned by the caller, free with sdf_cmd_free) or, with nothing
 * allocated and *ret untouched: -EINVAL (syntax or value error, err filled), -E2BIG (input,
 * nesting, list or tree limit exceeded, err filled), -ENOMEM (err filled). err may be NULL. */
int sdf_parse(const struct sdf_command_def *tab, size_t n, const char *text, struct sdf_cmd **ret,
	      struct sdf_error *err);

/* Frees the tree; accepts NULL; returns NULL. */
struct sdf_cmd *sdf_cmd_free(struct sdf_cmd *c);

/* The operand of the command by its FULL name (as in the table), or NULL if the command has
 * no such operand (a programming error, never an input error). */
const struct sdf_operand *sdf_cmd_operand(const struct sdf_cmd *c, const char *name);

/* The operand of the structure a value opens, by full name, or NULL. */
const struct sdf_operand *sdf_value_operand(const struct sdf_value *v, const char *name);

/* true if v is the keyword kw (full name with '*', e.g. "*ANY"). */
bool sdf_value_is(const struct sdf_value *v, const char *kw);

/* The canonical one-line form of the tree into buf (size bytes, always NUL-terminated):
 * "CMD OP=V [OP=V] ..." — operands in table order, separated by one blank; a defaulted
 * operand in brackets; a structure as V(OP=V,[OP=V]); a list as (V,V); c-strings as C'..'
 * with inner quotes doubled, x-strings as X'..'. Returns the length it needed (like
 * snprintf). Used by tests and for logging a command. */
size_t sdf_cmd_format(const struct sdf_cmd *c, char *buf, size_t size);

/* The command as input text with every operand explicit, defaults included:
 * "/CMD OP=V,OP=V,..." (structures, lists and strings as in sdf_cmd_format). It parses to
 * the same tree, every operand given (the fuzz target checks this). For echoing a command
 * in full on the console. Returns the length it needed, like snprintf. */
size_t sdf_cmd_format_input(const struct sdf_cmd *c, char *buf, size_t size);

/* "keyword", "integer", "alphanum-name", ... (the SDF metasyntax names) for messages. */
const char *sdf_type_to_string(enum sdf_type t);

#endif
