/* lmroutes.c — the MU side of Live Migration (docs/api.md "Live Migration"; issue 5
 * "Checks", "Migration"; seed 4.2 the SE Manager's LM dialog, 4.3 /CHECK-VM-MIGRATION and
 * /MIGRATE-VM, 4.7 rejection; vm2000.md §5).
 *
 * A person asks any MU about an LM from the source SU named in the path; the MU turns the
 * request into the VM2000 command and relays it to that SU (suroutes.c, audited like every
 * VM2000 command), or relays the read to the SU's LM status:
 *
 *   POST /api/v1/sus/{name}/migrations {"vm", "to", "check", "monjv"}
 *        check: /CHECK-VM-MIGRATION VM-ID=..,SERVER-UNIT-NAME=..         -> 200 SDF result
 *        else:  /MIGRATE-VM VM-ID=..,SERVER-UNIT-NAME=..[,MONJV=..]      -> 202 accepted
 *               (the SU's answer with "lm": {"lm_id"}) or 409 lm_rejected
 *   GET  /api/v1/sus/{name}/migrations          -> GET /api/v1/internal/lmstat
 *   GET  /api/v1/sus/{name}/migrations/{lm_id}  -> GET /api/v1/internal/lmstat?lm=<hex>
 *   POST /api/v1/sus/{name}/recover {"vm", "from"?, "confirm_down"?}  (issue 7, seed 5)
 *        -> /RECOVER-VM-DEFINITION VM-NAME=..,SERVER-UNIT-NAME=..|*UNIQUE on SU {name}
 *        (the surviving SU), relayed with "confirm_down"; 200 the SDF result (ok false:
 *        refused, the messages say why)
 *   POST /api/v1/sus/{name}/migrations/{lm_id}/resolve {"decision", "confirm": true}
 *        (administrators; crd.md §6: an LM in doubt whose target record cannot be read)
 *        -> POST /api/v1/internal/lm/{lm_id}/resolve, audited "Action=LM resolve"
 *
 * Bodies are checked here so that nothing a person sends can change the command's syntax
 * (no comma, parenthesis or blank gets into it): a bad field is a 400 naming the field. */
#include "secd/routes.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LM_VM_NAME_MAX 8  /* VM-NAME = <name 1..8> (vm2000-facts.md §1.3) */
#define LM_MONJV_MAX   54 /* MONJV = <filename 1..54> (vm2000-facts.md §1.8) */
#define LM_ID_HEX      16 /* lm_id: 64 bits as 16 hex digits (crd.md §6) */
#define HEX "0123456789abcdefABCDEF"

/* s has 1..max bytes, each alphanumeric or in extra. */
static bool chars_ok(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n < 1 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

/* The body's fields as the command's operands; false after replying 400 naming the field. */
struct lm_req {
	char vm[16];			 /* VM-ID: "G1" or "3" */
	char to[CLUSTER_NAME_MAX];	 /* SERVER-UNIT-NAME: a unit name or "*UNIQUE" */
	char monjv[LM_MONJV_MAX + 1];	 /* "" = none */
	bool check;
};

static bool lm_req_parse(struct api_req *r, const json_t *b, struct lm_req *q)
{
	const json_t *vm = json_object_get(b, "vm"), *to = json_object_get(b, "to");
	const json_t *chk = json_object_get(b, "check"), *mj = json_object_get(b, "monjv");
	const char *key, *s;
	const json_t *v;

	*q = (struct lm_req){.to = "*UNIQUE"};
	json_object_foreach((json_t *)b, key, v)
		if (strcmp(key, "vm") && strcmp(key, "to") && strcmp(key, "check") &&
		    strcmp(key, "monjv")) {
			api_reply_error(r, 400, "bad_request", "%.40s: unknown field (the body has "
					"vm, to, check, monjv)", key);
			return false;
		}
	if (json_is_integer(vm) && json_integer_value(vm) >= 1 && json_integer_value(vm) <= 99) {
		snprintf(q->vm, sizeof(q->vm), "%d", (int)json_integer_value(vm));
	} else if ((s = json_string_value(vm)) && chars_ok(s, LM_VM_NAME_MAX, "$#@") &&
		   !isdigit((unsigned char)s[0])) {
		snprintf(q->vm, sizeof(q->vm), "%s", s);
	} else {
		api_reply_error(r, 400, "bad_request", "vm: a VM index 1..99 or a VM name of "
				"1..%d letters, digits, $, #, @ (not starting with a digit)",
				LM_VM_NAME_MAX);
		return false;
	}
	if (to && !json_is_null(to)) {
		s = json_string_value(to);
		if (!s || !(chars_ok(s, CLUSTER_NAME_MAX - 1, "$#@_-") || !strcasecmp(s, "*UNIQUE"))) {
			api_reply_error(r, 400, "bad_request", "to: the target SU's name (letters, "
					"digits, $, #, @, _, -) or \"*UNIQUE\" (the other SU of the "
					"SU Cluster)");
			return false;
		}
		snprintf(q->to, sizeof(q->to), "%s", s);
	}
	if (chk && !json_is_boolean(chk)) {
		api_reply_error(r, 400, "bad_request", "check: true (only check) or false "
				"(migrate)");
		return false;
	}
	q->check = json_is_true(chk);
	if (mj && !json_is_null(mj)) {
		s = json_string_value(mj);
		if (!s || !chars_ok(s, LM_MONJV_MAX, "$#@-.:")) {
			api_reply_error(r, 400, "bad_request", "monjv: a job variable name of 1..%d "
					"letters, digits, $, #, @, -, ., :", LM_MONJV_MAX);
			return false;
		}
		if (q->check) {
			api_reply_error(r, 400, "bad_request", "monjv: only for a migration, not "
					"with \"check\": true");
			return false;
		}
		snprintf(q->monjv, sizeof(q->monjv), "%s", s);
	}
	return true;
}

/* The SU's SDF result of /MIGRATE-VM: 202 accepted (lm.lm_id), 409 rejected with the
 * messages as details and the whole result as "result". */
static void migrate_answer(struct api_req *r, const char *su, long status, json_t *j, void *arg)
{
	const char *id = json_string_value(json_object_get(json_object_get(j, "lm"), "lm_id"));
	const char *mc = json_string_value(json_object_get(json_object_get(j, "rc"), "maincode"));
	bool ok = json_is_true(json_object_get(j, "ok"));
	char msg[160];
	json_t *o;

	if (ok && id && strlen(id) == LM_ID_HEX && strspn(id, HEX) == LM_ID_HEX) {
		api_reply_json(r, 202, j);
		return;
	}
	if (ok) {
		api_reply_error(r, 502, "su_error", "SU '%s' accepted /MIGRATE-VM without naming "
				"the live migration (no lm.lm_id of %d hex digits)", su, LM_ID_HEX);
		json_decref(j);
		return;
	}
	snprintf(msg, sizeof(msg), "live migration rejected by SU '%s' (%s)", su,
		 mc ? mc : "no return code");
	o = json_pack("{s:{s:s, s:s, s:O}, s:o}", "error", "code", "lm_rejected", "message", msg,
		      "details", json_object_get(j, "messages"), "result", j);
	if (o)
		api_reply_json(r, 409, o);
	else
		api_reply_error(r, 500, "internal", "out of memory");
	(void)status;
	(void)arg;
}

void secd_route_lm_start(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));
	char cmd[256];
	struct lm_req q;
	json_t *b;

	if (!u)
		return;
	if (!(b = api_req_json(r, &err))) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	if (!lm_req_parse(r, b, &q)) {
		json_decref(b);
		return;
	}
	json_decref(b);
	snprintf(cmd, sizeof(cmd), "/%s VM-ID=%s,SERVER-UNIT-NAME=%s%s%s",
		 q.check ? "CHECK-VM-MIGRATION" : "MIGRATE-VM", q.vm, q.to,
		 q.monjv[0] ? ",MONJV=" : "", q.monjv);
	secd_su_relay_sdf(d, r, u, cmd, q.check ? NULL : migrate_answer, NULL);
}

/* id is an LM id of 16 hex digits; false after replying 400. */
static bool lm_id_ok(struct api_req *r, const char *id)
{
	if (id && strlen(id) == LM_ID_HEX && strspn(id, HEX) == LM_ID_HEX)
		return true;
	api_reply_error(r, 400, "bad_request", "lm_id: %d hex digits, as POST .../migrations "
			"answered", LM_ID_HEX);
	return false;
}

/* GET .../migrations/{lm_id}: the one LM of the SU's list, or 404. */
static void show_answer(struct api_req *r, const char *su, long status, json_t *j, void *arg)
{
	json_t *lm = json_array_get(json_object_get(j, "lms"), 0);

	if (json_is_object(lm))
		api_reply_json(r, 200, json_pack("{s:O}", "lm", lm));
	else
		api_reply_error(r, 404, "not_found", "no live migration '%s' on SU '%s'",
				api_req_param(r, "lm_id"), su);
	json_decref(j);
	(void)status;
	(void)arg;
}

void secd_route_lm_list(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));

	if (u)
		secd_su_relay_get(d, r, u, "/api/v1/internal/lmstat", NULL, NULL);
}

void secd_route_lm_show(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));
	const char *id = api_req_param(r, "lm_id");
	char path[96];

	if (!u)
		return;
	if (!lm_id_ok(r, id))
		return;
	snprintf(path, sizeof(path), "/api/v1/internal/lmstat?lm=%s", id);
	secd_su_relay_get(d, r, u, path, show_answer, NULL);
}

/* POST .../migrations/{lm_id}/resolve: the operator's decision on an LM in doubt. */
void secd_route_lm_resolve(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));
	const char *id = api_req_param(r, "lm_id"), *how, *key;
	char path[96], what[96];
	json_t *b, *v;

	if (!u)
		return;
	if (!lm_id_ok(r, id))
		return;
	if (!(b = api_req_json(r, &err))) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	json_object_foreach(b, key, v)
		if (strcmp(key, "decision") && strcmp(key, "confirm")) {
			api_reply_error(r, 400, "bad_request", "%.40s: unknown field (the body has "
					"decision, confirm)", key);
			goto out;
		}
	how = json_string_value(json_object_get(b, "decision"));
	if (!how || (strcmp(how, "resume-source") && strcmp(how, "discard-source"))) {
		api_reply_error(r, 400, "bad_request", "decision: \"resume-source\" (the guest "
				"continues on the source SU) or \"discard-source\" (the source SU "
				"quits its QEMU and drops its copy of the definition)");
		goto out;
	}
	if (!json_is_true(json_object_get(b, "confirm"))) {
		api_reply_error(r, 400, "bad_request", "confirm: true is required: the decision "
				"overrides what the CRD cannot tell (a wrong one runs the guest twice "
				"or loses it)");
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/internal/lm/%s/resolve", id);
	snprintf(what, sizeof(what), "lm-resolve %s %s", id, how);
	json_t *fw = json_pack("{s:s}", "decision", how);
	secd_su_relay_action(d, r, u, path, fw, "LM resolve", what, NULL, NULL);
	json_decref(fw);
out:
	json_decref(b);
}

/* POST /api/v1/sus/{name}/recover: /RECOVER-VM-DEFINITION on the surviving SU {name}. */
void secd_route_su_recover(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));
	const char *key, *vm, *from = "*UNIQUE";
	char cmd[160];
	json_t *b, *v;

	if (!u)
		return;
	if (!(b = api_req_json(r, &err))) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	json_object_foreach(b, key, v)
		if (strcmp(key, "vm") && strcmp(key, "from") && strcmp(key, "confirm_down")) {
			api_reply_error(r, 400, "bad_request", "%.40s: unknown field (the body has "
					"vm, from, confirm_down)", key);
			goto out;
		}
	vm = json_string_value(json_object_get(b, "vm"));
	if (!vm || !chars_ok(vm, LM_VM_NAME_MAX, "$#@") || isdigit((unsigned char)vm[0])) {
		api_reply_error(r, 400, "bad_request", "vm: a VM name of 1..%d letters, digits, $, "
				"#, @ (not starting with a digit)", LM_VM_NAME_MAX);
		goto out;
	}
	v = json_object_get(b, "from");
	if (v && !json_is_null(v)) {
		from = json_string_value(v);
		if (!from || !(chars_ok(from, CLUSTER_NAME_MAX - 1, "$#@_-") ||
			       !strcasecmp(from, "*UNIQUE"))) {
			api_reply_error(r, 400, "bad_request", "from: the failed SU's name (letters, "
					"digits, $, #, @, _, -) or \"*UNIQUE\" (the partner of the "
					"SU Cluster)");
			goto out;
		}
	}
	v = json_object_get(b, "confirm_down");
	if (v && !json_is_boolean(v)) {
		api_reply_error(r, 400, "bad_request", "confirm_down: true when the operator "
				"confirms that the remote SU is down (needed when its state cannot "
				"be determined), else false");
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "/RECOVER-VM-DEFINITION VM-NAME=%s,SERVER-UNIT-NAME=%s", vm,
		 from);
	secd_su_relay_sdf_confirmed(d, r, u, cmd, json_is_true(v), NULL, NULL);
out:
	json_decref(b);
}
