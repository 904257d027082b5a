/* fuzz_global.c — libFuzzer target of cluster_global_from_json() (src/cluster/global.h: the
 * topology file of `sectl cluster init` and the region-0 document). The input is len bytes,
 * not NUL-terminated, parsed as both kinds. Any input is accepted (0) or refused with
 * -EINVAL / -E2BIG and a message; what is accepted serialises to text that parses again to
 * the same text, and its redacted form holds none of its hashes and not its token key. */
#include "cluster/global.h"
#include "fuzz.h"

static void one(const uint8_t *data, size_t size, unsigned flags)
{
	static struct cluster_global g, g2;
	struct sec_err err = {0};
	char *s1, *s2;
	int rc;

	rc = cluster_global_from_json((const char *)data, size, flags, &g, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc != 0) {
		FUZZ_CHECK(err.msg[0] != '\0');
		return;
	}
	s1 = cluster_global_to_string(&g, flags);
	FUZZ_CHECK(s1 != NULL);
	memset(&err, 0, sizeof(err));
	rc = cluster_global_from_json(s1, strlen(s1), flags, &g2, &err);
	if (rc != 0)
		fprintf(stderr, "re-parse of '%s' failed: %s\n", s1, err.msg);
	FUZZ_CHECK(rc == 0);
	s2 = cluster_global_to_string(&g2, flags);
	FUZZ_CHECK(s2 != NULL && strcmp(s1, s2) == 0);
	free(s2);
	s2 = cluster_global_to_string(&g, flags | CLUSTER_GLOBAL_REDACT);
	FUZZ_CHECK(s2 != NULL);
	/* no hash and no key in the redacted form, unless the public text holds the same
	 * bytes (a location may read like a hash) */
	char *pub = cluster_global_to_string(&g, CLUSTER_GLOBAL_TOPOLOGY);
	FUZZ_CHECK(pub != NULL);
	for (unsigned i = 0; i < g.n_accounts; i++)
		FUZZ_CHECK(strstr(s2, g.accounts[i].password_hash) == NULL ||
			   strstr(pub, g.accounts[i].password_hash) != NULL);
	if (g.has_token_key) {
		char hex[AUTH_KEY_HEX + 1];
		auth_key_to_hex(&g.token_key, hex);
		FUZZ_CHECK(strstr(s2, hex) == NULL || strstr(pub, hex) != NULL);
	}
	free(pub);
	free(s1);
	free(s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, CLUSTER_GLOBAL_TOPOLOGY);
	one(data, size, 0);
	return 0;
}
