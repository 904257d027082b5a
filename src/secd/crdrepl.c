/* crdrepl.c — the online `sectl crd replace OLD NEW` (crd.md §1 "a master operation on a
 * running cluster"; docs/api.md POST /api/v1/crd/replace).
 *
 * A non-master MU forwards the request to the Master MU (forward.c). The master checks it,
 * audits it (Start, then OK or Failed) and hands it to its CRD runtime
 * (crd/unit.h crd_unit_replace: NEW formatted into the set with generation + 1, the
 * surviving disk given the new set, OLD marked RETIRED, this MU switched at once); the
 * request waits, suspended, for the outcome. Every other unit follows by itself within a
 * renew_interval or so: it reads the new set on the surviving disk (or RETIRED and the
 * paths record on OLD) and switches, each with its own CRD events. On success the master
 * raises `CRD disk 'ext2' replaced by '/crd/ext3' (disk set generation 2) by 'admin'`. */
#include "crd/setpaths.h"
#include "lib/log.h"
#include "secd/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct repl {
	struct secd *d;
	struct api_req *r; /* NULL once the server answered it (stopping) */
	char account[AUTH_ACCOUNT_MAX + 1];
	char old[CRD_SETPATHS_PATH_MAX], new_path[CRD_SETPATHS_PATH_MAX];
};

static void repl_cancel(struct api_req *r, void *arg)
{
	((struct repl *)arg)->r = NULL;
}

static void repl_done(void *arg, const struct crd_unit_replace_result *res)
{
	struct repl *p = arg;
	struct secd *d = p->d;

	if (res->result < 0) {
		if (p->r)
			api_reply_error(p->r, 409, "conflict", "%s", res->msg);
		secd_audit(d, p->account, "CRD", LB_AUDIT_FAILED,
			   "Action=ReplaceCrdDisk; Old=%s; New=%s --> %s", p->old, p->new_path,
			   res->msg);
		free(p);
		return;
	}
	if (p->r)
		api_reply_json(p->r, 200, json_pack("{s:s, s:s, s:I, s:b, s:s}", "old",
						    res->old_name, "new", p->new_path,
						    "generation", (json_int_t)res->generation,
						    "old_retired", res->old_retired, "note",
						    res->old_note));
	secd_audit(d, p->account, "CRD", LB_AUDIT_OK,
		   "Action=ReplaceCrdDisk; Old=%s; New=%s --> OK (disk set generation %" PRIu64
		   "; %s)", p->old, p->new_path, res->generation, res->old_note);
	secd_event(d, LB_NOTICE, "CRD", "CRD disk '%s' replaced by '%s' (disk set generation %"
		   PRIu64 ") by '%s'", res->old_name, p->new_path, res->generation, p->account);
	free(p);
}

void secd_route_crd_replace(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const struct auth_token_claims *c = api_req_claims(r);
	struct sec_err err = {0};
	const char *old, *nw;
	struct repl *p;
	json_t *j;
	int rc;

	if (!(j = api_req_json(r, &err))) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	old = json_string_value(json_object_get(j, "old"));
	nw = json_string_value(json_object_get(j, "new"));
	if (!old || !nw || !*old || !*nw || strlen(old) >= CRD_SETPATHS_PATH_MAX ||
	    strlen(nw) >= CRD_SETPATHS_PATH_MAX) {
		json_decref(j);
		api_reply_error(r, 400, "bad_request", "a replace needs the body {\"old\": the disk "
				"to replace (its path or name), \"new\": the new disk's path}");
		return;
	}
	if (secd_forward_to_master(d, r)) {
		json_decref(j);
		return;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		json_decref(j);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	p->d = d;
	p->r = r;
	snprintf(p->account, sizeof(p->account), "%s", c->account);
	snprintf(p->old, sizeof(p->old), "%s", old);
	snprintf(p->new_path, sizeof(p->new_path), "%s", nw);
	json_decref(j);
	secd_audit(d, p->account, "CRD", LB_AUDIT_START, "Action=ReplaceCrdDisk; Old=%s; New=%s",
		   p->old, p->new_path);
	rc = crd_unit_replace(d->unit, p->old, p->new_path, repl_done, p, &err);
	if (rc < 0) {
		unsigned st = rc == -EINVAL || rc == -ENOENT ? 400 : rc == -EPERM ? 503 : 409;
		api_reply_error(r, st, st == 400 ? "bad_request" : st == 503 ? "no_master"
							  : "conflict", "%s", err.msg);
		secd_audit(d, p->account, "CRD", LB_AUDIT_FAILED,
			   "Action=ReplaceCrdDisk; Old=%s; New=%s --> %s", p->old, p->new_path,
			   err.msg);
		free(p);
		return;
	}
	api_req_on_cancel(r, repl_cancel, p);
	log_info("%s: replacing CRD disk '%s' by '%s' for '%s'", d->who, p->old, p->new_path,
		 p->account);
}
