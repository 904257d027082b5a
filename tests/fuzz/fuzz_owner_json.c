/* fuzz_owner_json.c — libFuzzer target of crd_owner_from_json() (src/crd/owner_json.c,
 * crd.md §6 VM ownership payload): the input is len bytes, not NUL-terminated, as read from
 * a region copy. Any input is accepted (0) or refused with -EINVAL / -E2BIG and a message;
 * what is accepted serialises with crd_owner_to_json() to text that parses again to the
 * same text. */
#include "crd/owner.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crd_owner_region r, r2;
	struct sec_err err = {0};
	char *s1, *s2;
	int rc;

	rc = crd_owner_from_json((const char *)data, size, &r, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc != 0) {
		FUZZ_CHECK(err.msg[0] != '\0');
		return 0;
	}
	s1 = crd_owner_to_json(&r);
	FUZZ_CHECK(s1 != NULL);
	memset(&err, 0, sizeof(err));
	rc = crd_owner_from_json(s1, strlen(s1), &r2, &err);
	if (rc != 0)
		fprintf(stderr, "re-parse of '%s' failed: %s\n", s1, err.msg);
	FUZZ_CHECK(rc == 0);
	s2 = crd_owner_to_json(&r2);
	FUZZ_CHECK(s2 != NULL && strcmp(s1, s2) == 0);
	free(s1);
	free(s2);
	return 0;
}
