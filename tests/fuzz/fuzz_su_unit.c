/* fuzz_su_unit.c — libFuzzer target of the SU's unit data decoders (src/su): the first
 * byte chooses su_model_from_json() (the SU's CRD region payload, even) or
 * su_iocfg_parse() (the I/O configuration file, odd); the rest is the input, not
 * NUL-terminated. Any input is accepted or refused with -EINVAL / -E2BIG and a message;
 * an accepted region payload serialises to text that parses again to the same text. */
#include "fuzz.h"
#include "su/iocfg.h"
#include "su/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct su_iocfg io;
	struct sec_err err = {0};

	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		int rc = su_iocfg_parse("fuzz.conf", in, len, &io, &err);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
		FUZZ_CHECK(rc == 0 || err.msg[0] != '\0');
		return 0;
	}
	struct su_model *m = su_model_from_json(in, len, &err);
	if (!m) {
		FUZZ_CHECK(err.code == -EINVAL || err.code == -E2BIG);
		FUZZ_CHECK(err.msg[0] != '\0');
		return 0;
	}
	char *s1 = su_model_to_json(m);
	FUZZ_CHECK(s1 != NULL);
	memset(&err, 0, sizeof(err));
	struct su_model *m2 = su_model_from_json(s1, strlen(s1), &err);
	if (!m2)
		fprintf(stderr, "re-parse of '%s' failed: %s\n", s1, err.msg);
	FUZZ_CHECK(m2 != NULL);
	char *s2 = su_model_to_json(m2);
	FUZZ_CHECK(s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);
	su_model_free(m);
	su_model_free(m2);
	return 0;
}
