/* fuzz_sdf.c — libFuzzer target of sdf_parse() (src/sdf/sdf.h) with the VM2000 syntax table
 * (src/su/syntax.c): the input is the command text (cut at its first NUL byte, as a C string
 * would be). Any input is parsed (0) or refused with -EINVAL / -E2BIG, a message and a
 * position inside the input (1 .. length + 1); what parses renders to the input form
 * (sdf_cmd_format_input) that parses again to a tree with the same input form. */
#include "fuzz.h"
#include "sdf/sdf.h"
#include "su/syntax.h"

static char in[SDF_MAX_INPUT + 64], form[2 * SDF_MAX_INPUT], again[2 * SDF_MAX_INPUT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdf_cmd *c = NULL, *c2 = NULL;
	struct sdf_error e;
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;
	int rc;

	memcpy(in, data, n);
	in[n] = '\0';
	rc = sdf_parse(su_syntax, su_syntax_n, in, &c, &e);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc != 0) {
		FUZZ_CHECK(c == NULL);
		FUZZ_CHECK(e.msg[0] != '\0');
		FUZZ_CHECK(strncmp(e.msg, "internal error", 14) != 0); /* a table bug */
		FUZZ_CHECK(e.pos >= 1 && e.pos <= strlen(in) + 1);
		return 0;
	}
	FUZZ_CHECK(c != NULL);
	size_t len = sdf_cmd_format_input(c, form, sizeof(form));
	FUZZ_CHECK(len < sizeof(form));
	if (len <= SDF_MAX_INPUT) {
		rc = sdf_parse(su_syntax, su_syntax_n, form, &c2, &e);
		if (rc != 0)
			fprintf(stderr, "re-parse of '%s' failed at %zu: %s\n", form, e.pos, e.msg);
		FUZZ_CHECK(rc == 0 || rc == -E2BIG);
		if (rc == 0) {
			sdf_cmd_format_input(c2, again, sizeof(again));
			FUZZ_CHECK(strcmp(form, again) == 0);
		}
	}
	sdf_cmd_free(c);
	sdf_cmd_free(c2);
	return 0;
}
