/* crd_online.c — the online form of `sectl crd replace OLD NEW` (crd.md §1: "a master
 * operation on a running cluster"; docs/api.md POST /api/v1/crd/replace).
 *
 * Without --surviving, `sectl crd replace` talks to the running cluster named by --config
 * or SECTL_CONFIG: any MU takes the request and forwards it to the Master MU, which formats
 * NEW into the disk set (generation + 1), gives the surviving disk the new set, marks OLD
 * RETIRED, and switches at once; every unit follows within about a renew_interval. OLD is
 * the disk's configured path or its name (`ext2`); NEW is a path as every unit sees it (a
 * relative one is made absolute here). After it, update key `external` in each unit's
 * secd.conf before that unit's next restart (docs/decisions.md). */
#include "sectl/client.h"
#include "sectl/sectl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REPLACE_TIMEOUT_MS 300000 /* NEW is formatted and filled before the answer */

int sectl_crd_replace_online(const struct sectl_api_opts *o, const char *old, const char *new_path)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	json_t *body, *ans = NULL;
	int rc;

	if (new_path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)) ||
		    (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, new_path) >= sizeof(abs)) {
			fprintf(stderr, "sectl crd: cannot make '%s' an absolute path\n", new_path);
			return SECTL_EXIT_USAGE;
		}
		new_path = abs;
	}
	if ((rc = sectl_connect(o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	sectl_client_set_timeout(c, REPLACE_TIMEOUT_MS);
	body = json_pack("{s:s, s:s}", "old", old, "new", new_path);
	if (!body) {
		rc = sectl_fail(&(struct sec_err){.code = -ENOMEM, .msg = "out of memory"});
	} else if (sectl_client_call(c, "POST", "/api/v1/crd/replace", body, 0, &ans, &err) < 0) {
		rc = sectl_fail(&err);
	} else if (o->json) {
		rc = sectl_print_json(ans);
	} else {
		printf("replaced '%s' by '%s' (disk set generation %lld); %s\n",
		       json_string_value(json_object_get(ans, "old")),
		       json_string_value(json_object_get(ans, "new")),
		       (long long)json_integer_value(json_object_get(ans, "generation")),
		       json_string_value(json_object_get(ans, "note")));
		printf("every unit switches to the new set by itself; update key 'external' in each "
		       "unit's configuration before its next restart\n");
	}
	json_decref(body);
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}
