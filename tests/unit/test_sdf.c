/* test_sdf.c — the SDF command parser (src/sdf/sdf.h) with the VM2000 syntax table
 * (src/su/syntax.c): a table of command lines with the expected tree in canonical form
 * (sdf_cmd_format) or the expected error position and message; then the abbreviation rule,
 * the tree accessors, the limits (nesting, list, tree size, input length), and a sweep of
 * every prefix of every table line (never a crash, every error inside the input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdf/sdf_priv.h"
#include "su/syntax.h"

#include "sdf_cases.h"


static void test_table(void **state)
{
	char buf[4096];
	size_t ok = 0, bad = 0;

	for (size_t i = 0; i < SDF_N_CASES; i++) {
		const struct sdf_case *t = &sdf_cases[i];
		struct sdf_cmd *c = (struct sdf_cmd *)0x1;
		struct sdf_error e;
		int r = sdf_parse(su_syntax, su_syntax_n, t->in, &c, &e);

		print_message("case %zu: %s\n", i, t->in);
		if (t->out) {
			if (r != 0)
				print_message("  error at %zu: %s\n", e.pos, e.msg);
			assert_int_equal(r, 0);
			size_t n = sdf_cmd_format(c, buf, sizeof(buf));
			assert_true(n < sizeof(buf));
			assert_string_equal(buf, t->out);
			c = sdf_cmd_free(c);
			ok++;
		} else {
			assert_int_equal(r, -EINVAL);
			assert_ptr_equal(c, (struct sdf_cmd *)0x1); /* untouched */
			assert_string_equal(e.msg, t->msg);
			assert_int_equal(e.pos, t->pos);
			bad++;
		}
	}
	assert_true(ok >= 30 && bad >= 30);
}

/* The input form of every valid line parses to the same tree with every operand given. */
static void test_input_form(void **state)
{
	char in[4096], again[4096], canon1[4096], canon2[4096];

	for (size_t i = 0; i < SDF_N_CASES; i++) {
		struct sdf_cmd *c, *c2 = NULL;
		struct sdf_error e;
		if (!sdf_cases[i].out)
			continue;
		assert_int_equal(sdf_parse(su_syntax, su_syntax_n, sdf_cases[i].in, &c, &e), 0);
		assert_true(sdf_cmd_format_input(c, in, sizeof(in)) < sizeof(in));
		sdf_cmd_format(c, canon1, sizeof(canon1));
		if (sdf_parse(su_syntax, su_syntax_n, in, &c2, &e) != 0)
			print_message("%s: position %zu: %s\n", in, e.pos, e.msg);
		assert_non_null(c2);
		sdf_cmd_format_input(c2, again, sizeof(again));
		assert_string_equal(in, again);
		sdf_cmd_format(c2, canon2, sizeof(canon2));
		assert_null(strchr(canon2, '['));
		for (size_t k = 0; k < c2->n_ops; k++)
			assert_true(c2->ops[k].given);
		/* the canonical forms differ only by the brackets of defaults */
		char *w = canon1;
		for (const char *r = canon1; *r; r++)
			if (*r != '[' && *r != ']')
				*w++ = *r;
		*w = '\0';
		assert_string_equal(canon1, canon2);
		sdf_cmd_free(c);
		sdf_cmd_free(c2);
	}
	/* one example in full */
	struct sdf_cmd *c;
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, "/HOLD-VM", &c, NULL), 0);
	sdf_cmd_format_input(c, in, sizeof(in));
	assert_string_equal(in, "/HOLD-VM VM-IDENTIFICATION=*CURRENT");
	sdf_cmd_free(c);
}

/* Every prefix of every table line: parsed or refused with a position inside the input
 * (1 .. joined length + 1) and a message; nothing leaks (ASan build). */
static void test_prefixes(void **state)
{
	char buf[512];

	for (size_t i = 0; i < SDF_N_CASES; i++) {
		size_t len = strlen(sdf_cases[i].in);
		for (size_t k = 0; k <= len; k++) {
			struct sdf_cmd *c = NULL;
			struct sdf_error e;
			memcpy(buf, sdf_cases[i].in, k < sizeof(buf) - 1 ? k : sizeof(buf) - 1);
			buf[k < sizeof(buf) - 1 ? k : sizeof(buf) - 1] = '\0';
			int r = sdf_parse(su_syntax, su_syntax_n, buf, &c, &e);
			if (r == 0) {
				assert_non_null(c);
				c = sdf_cmd_free(c);
				continue;
			}
			assert_true(r == -EINVAL);
			assert_true(e.pos >= 1 && e.pos <= strlen(buf) + 1);
			assert_true(e.msg[0] != '\0');
			assert_true(strncmp(e.msg, "internal error", 14) != 0);
		}
	}
}

static void test_abbrev(void **state)
{
	assert_true(sdf_abbrev_of("CRE-VM-DEF", "CREATE-VM-DEFINITION"));
	assert_true(sdf_abbrev_of("CREATE-VM", "CREATE-VM-DEFINITION"));
	assert_true(sdf_abbrev_of("C", "CREATE-VM-DEFINITION"));
	assert_true(sdf_abbrev_of("MEM", "MEMORY-SIZE"));
	assert_true(sdf_abbrev_of("*EXCL", "*EXCLUSIVE"));
	assert_true(sdf_abbrev_of("VM-ID", "VM-IDENTIFICATION"));
	assert_false(sdf_abbrev_of("CREATE-VM-DEFINITIONS", "CREATE-VM-DEFINITION"));
	assert_false(sdf_abbrev_of("CRE--DEF", "CREATE-VM-DEFINITION"));
	assert_false(sdf_abbrev_of("CRE-DEF", "CREATE-VM-DEFINITION")); /* a middle part dropped */
	assert_false(sdf_abbrev_of("CREATE-VM-", "CREATE-VM-DEFINITION"));
	assert_false(sdf_abbrev_of("VM-ID-X", "VM-IDENTIFICATION"));
	assert_false(sdf_abbrev_of("*", "*EXCLUSIVE"));
	assert_false(sdf_abbrev_of("", "*EXCLUSIVE"));
	assert_false(sdf_abbrev_of("EXCL", "*EXCLUSIVE"));
}

/* The tree as the command processor reads it. */
static void test_accessors(void **state)
{
	struct sdf_cmd *c;
	struct sdf_error e;

	assert_int_equal(sdf_parse(su_syntax, su_syntax_n,
				   "/CRE-VM-DEF VM1,MEM=2(DIM=*GIGA),DEV=*PAR(UNITS=(A0,"
				   "*DEV-R(B000,B007,*SHARED)))",
				   &c, &e),
			 0);
	assert_int_equal(c->def->id, SU_CMD_CREATE_VM_DEFINITION);
	assert_string_equal(su_cmd_id_to_string((enum su_cmd_id)c->def->id),
			    "CREATE-VM-DEFINITION");
	const struct sdf_operand *o = sdf_cmd_operand(c, "VM-NAME");
	assert_true(o->given);
	assert_int_equal(o->val.def->type, SDF_T_NAME);
	assert_string_equal(o->val.text, "VM1");
	assert_int_equal(o->val.pos, 13);
	o = sdf_cmd_operand(c, "VM-INDEX");
	assert_false(o->given);
	assert_true(sdf_value_is(&o->val, "*ANY"));
	assert_int_equal(o->val.pos, 0);
	o = sdf_cmd_operand(c, "MEMORY-SIZE");
	assert_int_equal(o->val.def->type, SDF_T_INTEGER);
	assert_int_equal(o->val.num, 2);
	assert_true(sdf_value_is(&sdf_value_operand(&o->val, "DIMENSION")->val, "*GIGABYTE"));
	o = sdf_cmd_operand(c, "DEVICES");
	assert_true(sdf_value_is(&o->val, "*PARAMETERS"));
	const struct sdf_operand *u = sdf_value_operand(&o->val, "UNITS");
	assert_true(u->val.is_list);
	assert_int_equal(u->val.n_items, 2);
	assert_string_equal(u->val.items[0].text, "A0");
	assert_true(sdf_value_is(&u->val.items[1], "*DEVICE-RANGE"));
	assert_string_equal(sdf_value_operand(&u->val.items[1], "TO")->val.text, "B007");
	assert_int_equal(sdf_value_operand(&u->val.items[1], "TO")->val.def->type, SDF_T_X_TEXT);
	assert_true(sdf_value_is(&sdf_value_operand(&u->val.items[1], "USAGE")->val, "*SHARED"));
	assert_false(sdf_value_operand(&o->val, "USAGE")->given);
	assert_null(sdf_cmd_operand(c, "NO-SUCH"));
	assert_null(sdf_value_operand(&u->val.items[0], "FROM"));
	/* the canonical form reports the length it needs */
	char small[8];
	size_t need = sdf_cmd_format(c, small, sizeof(small));
	assert_true(need > sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	c = sdf_cmd_free(c);
	assert_null(sdf_cmd_free(NULL));

	/* a list operand given one value or its default is a list of one */
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, "/SHOW-VM-RES", &c, &e), 0);
	o = sdf_cmd_operand(c, "UNITS");
	assert_true(o->val.is_list && o->val.n_items == 1);
	assert_true(sdf_value_is(&o->val.items[0], "*ALL"));
	c = sdf_cmd_free(c);

	/* fixed: × 100; c-string content with its case and one quote */
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n,
				   "/MOD-VM-ATTR 3,CPU-QUOTA=1.5,PASSWORD=C'It''s'", &c, &e),
			 0);
	assert_int_equal(sdf_cmd_operand(c, "CPU-QUOTA")->val.num, 150);
	assert_string_equal(sdf_cmd_operand(c, "CPU-QUOTA")->val.text, "1.50");
	assert_string_equal(sdf_cmd_operand(c, "PASSWORD")->val.text, "It's");
	assert_int_equal(sdf_cmd_operand(c, "VM-IDENTIFICATION")->val.num, 3);
	c = sdf_cmd_free(c);

	/* err may be NULL */
	c = NULL;
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, "/NOTHING", &c, NULL), -EINVAL);
	assert_null(c);
	assert_int_equal(sdf_parse(su_syntax, su_syntax_n, NULL, &c, &e), -EINVAL);
}

/* Every command of the table: ids in order, and its defaults parse (a command alone is
 * either complete or misses a required operand, never an internal error). */
static void test_syntax_table(void **state)
{
	char line[64];

	assert_int_equal(su_syntax_n, SU_CMD_MAX - 1);
	for (size_t i = 0; i < su_syntax_n; i++) {
		struct sdf_cmd *c = NULL;
		struct sdf_error e;
		assert_int_equal(su_syntax[i].id, (int)i + 1);
		snprintf(line, sizeof(line), "/%s", su_syntax[i].name);
		int r = sdf_parse(su_syntax, su_syntax_n, line, &c, &e);
		if (r < 0) {
			print_message("%s: %s\n", line, e.msg);
			assert_non_null(strstr(e.msg, "required operand"));
		} else {
			assert_ptr_equal(c->def, &su_syntax[i]);
			c = sdf_cmd_free(c);
		}
	}
	assert_string_equal(su_cmd_id_to_string(SU_CMD_HELP_MSG_INFORMATION), "HELP-MSG-INFORMATION");
	assert_string_equal(su_cmd_id_to_string(SU_CMD_MAX), "?");
}

/* ---- a test table for what the VM2000 table does not exercise ---- */

static const struct sdf_operand_def s_nest[1];
static const struct sdf_value_def v_nest[] = {
	{.type = SDF_T_KEYWORD, .keyword = "*NEST", .sub = s_nest, .n_sub = 1},
	{.type = SDF_T_INTEGER, .min = 0, .max = 9},
};
static const struct sdf_operand_def s_nest[1] = {{.name = "INNER", .alt = v_nest, .n_alt = 2, .def = "0"}};
static const struct sdf_value_def v_key[] = {
	{.type = SDF_T_KEYWORD, .keyword = "*SD"},
	{.type = SDF_T_KEYWORD, .keyword = "*SDX"},
	{.type = SDF_T_KEYWORD, .keyword = "*SHARED-DEVICE"},
};
static const struct sdf_value_def v_int[] = {{.type = SDF_T_INTEGER, .min = 0, .max = 9}};

/* wide: a list of *A, each 16 × 16 × 16 operands of defaults */
#define OP16(v, d)                                                                          \
	{"P01", v, 1, d, 0}, {"P02", v, 1, d, 0}, {"P03", v, 1, d, 0}, {"P04", v, 1, d, 0},     \
	{"P05", v, 1, d, 0}, {"P06", v, 1, d, 0}, {"P07", v, 1, d, 0}, {"P08", v, 1, d, 0},     \
	{"P09", v, 1, d, 0}, {"P10", v, 1, d, 0}, {"P11", v, 1, d, 0}, {"P12", v, 1, d, 0},     \
	{"P13", v, 1, d, 0}, {"P14", v, 1, d, 0}, {"P15", v, 1, d, 0}, {"P16", v, 1, d, 0}
static const struct sdf_operand_def s_c[] = {OP16(v_int, "0")};
static const struct sdf_value_def v_c[] = {{.type = SDF_T_KEYWORD, .keyword = "*C", .sub = s_c, .n_sub = 16}};
static const struct sdf_operand_def s_b[] = {OP16(v_c, "*C")};
static const struct sdf_value_def v_b[] = {{.type = SDF_T_KEYWORD, .keyword = "*B", .sub = s_b, .n_sub = 16}};
static const struct sdf_operand_def s_a[] = {OP16(v_b, "*B")};
static const struct sdf_value_def v_a[] = {
	{.type = SDF_T_KEYWORD, .keyword = "*A", .sub = s_a, .n_sub = 16, .flags = SDF_F_LIST}};
static const struct sdf_value_def v_bad[] = {{.type = SDF_T_INTEGER, .min = 0, .max = 9}};

static const struct sdf_operand_def o_test[] = {
	{.name = "NEST", .alt = v_nest, .n_alt = 2, .def = "0"},
	{.name = "KEY", .alt = v_key, .n_alt = 3, .def = "*SD"},
	{.name = "WIDE", .alt = v_a, .n_alt = 1, .def = "*A", .list_max = 64},
};
static const struct sdf_operand_def o_short[] = {{.name = "KEY", .alt = v_key, .n_alt = 3, .def = "*SD"}};
static const struct sdf_operand_def o_baddef[] = {{.name = "X", .alt = v_bad, .n_alt = 1, .def = "*NONE"}};
static const struct sdf_command_def test_tab[] = {
	{.name = "TEST-CMD", .id = 1, .ops = o_test, .n_ops = 3},
	{.name = "TEST", .id = 2, .ops = o_short, .n_ops = 1},
	{.name = "BAD-DEFAULT", .id = 3, .ops = o_baddef, .n_ops = 1},
};

static int parse_test(const char *in, struct sdf_error *e, char *out, size_t size)
{
	struct sdf_cmd *c = NULL;
	int r = sdf_parse(test_tab, 3, in, &c, e);

	if (r == 0) {
		sdf_cmd_format(c, out, size);
		sdf_cmd_free(c);
	}
	return r;
}

static void test_exact_wins(void **state)
{
	struct sdf_error e;
	char out[256];

	assert_int_equal(parse_test("/TEST", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST [KEY=*SD]");
	assert_int_equal(parse_test("/TES", &e, out, sizeof(out)), -EINVAL);
	assert_string_equal(e.msg, "ambiguous command name 'TES'; candidates: TEST-CMD, TEST");
	assert_int_equal(parse_test("/TEST KEY=*SD", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SD");
	assert_int_equal(parse_test("/TEST KEY=SD", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SD");
	assert_int_equal(parse_test("/TEST KEY=*SDX", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SDX");
	assert_int_equal(parse_test("/TEST KEY=*SH", &e, out, sizeof(out)), 0);
	assert_string_equal(out, "TEST KEY=*SHARED-DEVICE");
	assert_int_equal(parse_test("/TEST KEY=*S", &e, out, sizeof(out)), -EINVAL);
	assert_string_equal(e.msg, "ambiguous value '*S' for KEY; candidates: *SD, *SDX, *SHARED-DEVICE");
	assert_int_equal(e.pos, 11);
	/* a table default that does not parse is reported, not hidden */
	assert_int_equal(parse_test("/BAD-DEFAULT", &e, out, sizeof(out)), -EINVAL);
	assert_non_null(strstr(e.msg, "internal error: default '*NONE' of operand X"));
}

static void test_limits(void **state)
{
	struct sdf_error e;
	char in[SDF_MAX_INPUT + 64], out[512];

	/* nesting: 8 levels below the command are fine, 9 are not */
	strcpy(in, "/TEST-CMD NEST=");
	for (int i = 0; i < 8; i++)
		strcat(in, "*NEST(");
	strcat(in, "5");
	for (int i = 0; i < 8; i++)
		strcat(in, ")");
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "TEST-CMD NEST=*NEST(INNER=*NEST(INNER=*NEST(INNER="));
	assert_non_null(strstr(out, "(INNER=5)))))))) [KEY=*SD] [WIDE=*A([P01=*B([P01=*C([P01=0]"));

	/* the tree limit: one *A (16^3 operands of defaults) fits (above), three do not */
	assert_int_equal(parse_test("/TEST-CMD WIDE=(*A,*A,*A)", &e, out, sizeof(out)), -E2BIG);
	assert_non_null(strstr(e.msg, "command too complex: its tree exceeds 1048576 bytes"));

	/* nesting deeper than SDF_MAX_DEPTH, before any tree limit */
	strcpy(in, "/TEST-CMD NEST=");
	for (int i = 0; i < 9; i++)
		strcat(in, "*N(");
	strcat(in, "5");
	for (int i = 0; i < 9; i++)
		strcat(in, ")");
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), -E2BIG);
	assert_string_equal(e.msg, "structures nested deeper than 8 levels; expected at most 8");
	assert_int_equal(e.pos, 16 + 8 * 3 + 2);

	/* input length */
	memset(in, ' ', sizeof(in));
	memcpy(in, "/TEST", 5);
	in[SDF_MAX_INPUT] = '\0';
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), 0);
	in[SDF_MAX_INPUT] = ' ';
	in[SDF_MAX_INPUT + 1] = '\0';
	assert_int_equal(parse_test(in, &e, out, sizeof(out)), -E2BIG);
	assert_int_equal(e.pos, SDF_MAX_INPUT + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	  cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_abbrev),	  cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_syntax_table), cmocka_unit_test(test_exact_wins),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_input_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
