/* sudefmig.c — /MIGRATE-VM-DEFINITION between the two SUs of an SU Cluster (seed 4.3;
 * vm2000-facts.md §1.10; crd.md §6; docs/su.md "Migrating a VM definition").
 *
 * The source SU plans the command against the target's region (sucmd.c, su/lmcheck.h);
 * its first effect, SU_EFF_PARTNER_DEF_WRITE, is the call here to the target's secd:
 *
 *   POST /api/v1/internal/su/defmig  {"vm": <su_vm_to_json>, "def": <crd_vmdef_to_json>,
 *                                     "source", "target", "source_unit", "target_unit"}
 *   200 {"ok": true, "messages": [...]}                  the target wrote it (VMS2322)
 *   409 {"ok": false, "msgid": "VMS4013", "messages"}    refused (VMS2324 + reason)
 *   500/503 {"ok": false, "error": {...}, "messages"}    its write failed / not serving
 *
 * The target runs the write as an internal command through ITS command FIFO
 * (secd_sucmd_submit_cmd, su_lm_defmig_target_plan), so it is serialised with its own
 * commands and shown on its monitor console; a request that waited there longer than
 * SECD_SUDEFMIG_QUEUE_MS is not carried out (its source may have given up: two SUs
 * migrating to each other at once would otherwise each write after the other's timeout).
 * Only then the source writes its own region without the definition (sucmd.c). */
#include "secd/routes.h"
#include "secd/su.h"

#include "lib/log.h"
#include "su/lmcheck.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFMIG_PATH "/api/v1/internal/su/defmig"

/* ---- the source: the call to the target ---- */

struct defmig_out {
	struct su_plan *p;
	secd_su_wdone_fn *done;
	void *arg;
	char target[SU_NAME_MAX + 1];
};

/* Marks o->p failed (why, reason) and ends the effect. */
static void out_fail(struct defmig_out *o, enum su_defmig_fail why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void out_fail(struct defmig_out *o, enum su_defmig_fail why, const char *fmt, ...)
{
	char reason[SU_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	su_lm_defmig_fail(o->p, why, reason);
	o->done(o->arg, why == SU_DEFMIG_TARGET_TIMEOUT ? -ETIMEDOUT : -EIO, reason);
	free(o);
}

/* The reason of a failed answer: the target's error message, else its first console
 * line (without "% "), else the status. */
static void answer_reason(const json_t *j, long status, char *buf, size_t size)
{
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	if (!m)
		m = json_string_value(json_array_get(json_object_get(j, "messages"), 0));
	if (m && !strncmp(m, "% ", 2))
		m += 2;
	if (m)
		snprintf(buf, size, "%s", m);
	else
		snprintf(buf, size, "HTTP %ld", status);
}

static void out_done(void *arg, const struct httpc_result *res)
{
	struct defmig_out *o = arg;
	json_t *j;
	char reason[SU_MSG_MAX];

	if (res->err == -ECONNREFUSED || res->err == -EHOSTUNREACH || res->err == -ENOMEM ||
	    res->err == -EOVERFLOW) { /* never reached the target */
		out_fail(o, SU_DEFMIG_TARGET_FAILED, "SU '%s' did not answer (%s)", o->target,
			 strerror(-res->err));
		return;
	}
	if (res->err) { /* it may have arrived: in doubt */
		log_warnx("defmig: %s", res->errmsg);
		out_fail(o, SU_DEFMIG_TARGET_TIMEOUT, "%s", strerror(-res->err));
		return;
	}
	j = json_loadb(res->body, res->len, 0, NULL);
	if (res->status == 200 && json_is_true(json_object_get(j, "ok"))) {
		json_decref(j);
		o->done(o->arg, 0, NULL);
		free(o);
		return;
	}
	if (res->status == 409) {
		const char *id = json_string_value(json_object_get(j, "msgid"));
		snprintf(reason, sizeof(reason), "%.16s", id ? id : "unknown");
		json_decref(j);
		out_fail(o, SU_DEFMIG_TARGET_REFUSED, "%s", reason);
		return;
	}
	answer_reason(j, res->status, reason, sizeof(reason));
	json_decref(j);
	out_fail(o, SU_DEFMIG_TARGET_FAILED, "%s", reason);
}

/* The request body (malloc'd text), or NULL on out-of-memory. */
static char *defmig_body(const struct su_lm_defmig *dm)
{
	char *vm = su_vm_to_json(&dm->vm), *def = crd_vmdef_to_json(&dm->def), *text = NULL;
	json_t *vmj = vm ? json_loads(vm, 0, NULL) : NULL;
	json_t *defj = def ? json_loads(def, 0, NULL) : NULL;
	json_t *o = NULL;

	if (vmj && defj)
		o = json_pack("{s:O, s:O, s:s, s:s, s:I, s:I}", "vm", vmj, "def", defj, "source",
			      dm->source, "target", dm->target, "source_unit",
			      (json_int_t)dm->source_unit, "target_unit",
			      (json_int_t)dm->target_unit);
	if (o)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	json_decref(vmj);
	json_decref(defj);
	free(vm);
	free(def);
	return text;
}

void secd_sudefmig_send(struct secd_su *s, struct su_plan *p, secd_su_wdone_fn *done, void *arg)
{
	struct secd *d = s->d;
	const struct su_lm_defmig *dm = p->defmig;
	const struct cluster_unit *u = dm ? secd_global_unit(d, dm->target_unit) : NULL;
	struct defmig_out *o = calloc(1, sizeof(*o));
	char *body = NULL;
	int r;

	if (!o) {
		su_lm_defmig_fail(p, SU_DEFMIG_TARGET_FAILED, "out of memory");
		done(arg, -ENOMEM, "out of memory");
		return;
	}
	*o = (struct defmig_out){.p = p, .done = done, .arg = arg};
	snprintf(o->target, sizeof(o->target), "%s", dm ? dm->target : "?");
	if (!u || u->role != CRD_UNIT_SU) {
		out_fail(o, SU_DEFMIG_TARGET_FAILED, "unit %u is no SU of the global data",
			 dm ? dm->target_unit : 0);
		return;
	}
	if (!(body = defmig_body(dm))) {
		out_fail(o, SU_DEFMIG_TARGET_FAILED, "out of memory");
		return;
	}
	r = httpc_call(d->httpc, u->unit_id, u->api, "POST", DEFMIG_PATH, body, strlen(body),
		       SECD_SUDEFMIG_TIMEOUT_MS, out_done, o);
	free(body);
	if (r < 0)
		out_fail(o, SU_DEFMIG_TARGET_FAILED, "cannot call SU '%s' (%s)", o->target,
			 strerror(-r));
}

bool secd_sudefmig_source_failed(struct secd_su *s, struct su_plan *p, size_t eff_i,
				 const char *why)
{
	if (!p || p->id != SU_CMD_MIGRATE_VM_DEFINITION || !p->defmig || eff_i >= p->n_eff ||
	    p->eff[eff_i].kind != SU_EFF_REGION_WRITE)
		return false;
	for (size_t i = 0; i < eff_i; i++)
		if (p->eff[i].kind == SU_EFF_PARTNER_DEF_WRITE && p->eff[i].done) {
			log_warnx("%s: VM definition '%s' taken over by SU '%s', but this SU's "
				  "region write failed (%s): written again",
				  s->d->who, p->defmig->vm.name, p->defmig->target, why);
			return su_lm_defmig_fail(p, SU_DEFMIG_SOURCE_FAILED, why) == 0;
		}
	return false;
}

/* ---- the target: POST /api/v1/internal/su/defmig ---- */

struct defmig_in {
	struct api_req *r; /* NULL once the server answered it (stopping) */
	struct su_lm_defmig req;
	uint64_t rx_ms; /* when it arrived (CLOCK_BOOTTIME ms) */
};

static void in_cancelled(struct api_req *r, void *arg)
{
	((struct defmig_in *)arg)->r = NULL;
}

/* The plan at the request's turn in the FIFO (secd_sucmd_cmd_fn). */
static struct su_plan *in_plan(const struct su_model *live, void *arg, int64_t now_ms)
{
	struct defmig_in *in = arg;
	struct su_plan *p = su_lm_defmig_target_plan(live, &in->req, now_ms);
	uint64_t waited = secd_now_ms() - in->rx_ms;
	char why[160];

	if (p && p->ok && waited > SECD_SUDEFMIG_QUEUE_MS) {
		snprintf(why, sizeof(why),
			 "it waited %" PRIu64 " ms for earlier commands; SU '%s' "
			 "may no longer wait for it",
			 waited, in->req.source);
		su_cmd_abort(p, -1, why);
	}
	return p;
}

/* The reason msgid of a refusal: "% VMS2324 ... REASON: VMS4013" -> "VMS4013". */
static const char *refusal_msgid(const json_t *msgs, char *buf, size_t size)
{
	size_t i;
	const json_t *m;

	snprintf(buf, size, "VMS2324");
	json_array_foreach(msgs, i, m)
	{
		const char *t = json_string_value(m), *why;
		if (t && !strncmp(t, "% VMS2324 ", 10) && (why = strstr(t, "REASON: "))) {
			snprintf(buf, size, "%.*s", (int)strcspn(why + 8, " ."), why + 8);
			break;
		}
	}
	return buf;
}

/* The command's result (sucmd.c) as the route's answer. */
static void in_done(void *arg, json_t *result)
{
	struct defmig_in *in = arg;
	json_t *msgs = json_object_get(result, "messages");
	const char *mc =
	    json_string_value(json_object_get(json_object_get(result, "rc"), "maincode"));
	char id[SU_MAINCODE_MAX + 1], why[SU_MSG_MAX];

	if (!in->r)
		goto out;
	if (json_is_true(json_object_get(result, "ok"))) {
		api_reply_json(in->r, 200, json_pack("{s:b, s:O}", "ok", 1, "messages", msgs));
	} else if (mc && !strcmp(mc, "VMS2324")) {
		api_reply_json(in->r, 409,
			       json_pack("{s:b, s:s, s:O}", "ok", 0, "msgid",
					 refusal_msgid(msgs, id, sizeof(id)), "messages", msgs));
	} else {
		bool down = mc && !strcmp(mc, "VMS6000");
		answer_reason(result, 0, why, sizeof(why));
		api_reply_json(in->r, down ? 503 : 500,
			       json_pack("{s:b, s:{s:s, s:s, s:[]}, s:O}", "ok", 0, "error", "code",
					 down ? "unavailable" : "internal", "message", why,
					 "details", "messages", msgs));
	}
out:
	json_decref(result);
	free(in);
}

/* A string member of 1..size-1 bytes into buf; -EINVAL with err naming it. */
static int body_str(const json_t *b, const char *key, char *buf, size_t size, struct sec_err *err)
{
	const char *v = json_string_value(json_object_get(b, key));

	if (!v || !*v || strlen(v) >= size)
		return sec_errf(err, -EINVAL, "request body: '%s' must be a string of 1..%zu bytes",
				key, size - 1);
	snprintf(buf, size, "%s", v);
	return 0;
}

/* A unit id member (1..CRD_UNITS_MAX); -EINVAL with err naming it. */
static int body_unit(const json_t *b, const char *key, uint32_t *ret, struct sec_err *err)
{
	const json_t *v = json_object_get(b, key);

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > (json_int_t)CRD_UNITS_MAX)
		return sec_errf(err, -EINVAL, "request body: '%s' must be a unit id 1..%u", key,
				CRD_UNITS_MAX);
	*ret = (uint32_t)json_integer_value(v);
	return 0;
}

/* A member object parsed by from_json (su_vm_from_json, crd_vmdef_from_json). */
static int body_obj(const json_t *b, const char *key,
		    int (*from_json)(const char *, size_t, void *, struct sec_err *), void *ret,
		    struct sec_err *err)
{
	const json_t *v = json_object_get(b, key);
	char *text = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
	struct sec_err e = {0};
	int r;

	if (!text)
		return sec_errf(err, -EINVAL, "request body: '%s' must be an object", key);
	r = from_json(text, strlen(text), ret, &e);
	free(text);
	return r < 0 ? sec_errf(err, -EINVAL, "request body: '%s': %s", key, e.msg) : 0;
}

static int vm_from_json(const char *buf, size_t len, void *ret, struct sec_err *err)
{
	return su_vm_from_json(buf, len, ret, err);
}

static int def_from_json(const char *buf, size_t len, void *ret, struct sec_err *err)
{
	return crd_vmdef_from_json(buf, len, ret, err);
}

/* The body into *q: 0, or -EINVAL with err naming the field. */
static int parse_request(const json_t *b, struct su_lm_defmig *q, struct sec_err *err)
{
	if (body_obj(b, "vm", vm_from_json, &q->vm, err) < 0 ||
	    body_obj(b, "def", def_from_json, &q->def, err) < 0 ||
	    body_str(b, "source", q->source, sizeof(q->source), err) < 0 ||
	    body_str(b, "target", q->target, sizeof(q->target), err) < 0 ||
	    body_unit(b, "source_unit", &q->source_unit, err) < 0 ||
	    body_unit(b, "target_unit", &q->target_unit, err) < 0)
		return -EINVAL;
	if (memcmp(&q->vm.vm_uuid, &q->def.vm_uuid, sizeof(q->vm.vm_uuid)))
		return sec_errf(err, -EINVAL,
				"request body: 'def.vm_uuid' differs from "
				"'vm.vm_uuid'");
	if (strcmp(q->vm.name, q->def.name))
		return sec_errf(err, -EINVAL,
				"request body: 'def.name' '%s' differs from "
				"'vm.name' '%s'",
				q->def.name, q->vm.name);
	if (q->def.owner != q->target_unit)
		return sec_errf(err, -EINVAL, "request body: 'def.owner' must be 'target_unit'");
	if (q->def.migrated_from != q->source_unit)
		return sec_errf(err, -EINVAL,
				"request body: 'def.migrated_from' must be "
				"'source_unit'");
	if (q->vm.state != SU_VM_DEFINED_ONLY)
		return sec_errf(err, -EINVAL, "request body: 'vm.state' must be DEFINED_ONLY");
	return 0;
}

/* The caller must be this SU's SU Cluster partner. 0, or -EPERM after replying 403. */
static int check_caller(struct secd *d, struct api_req *r, const struct cluster_unit **ret)
{
	const struct auth_unitmsg_from *from = api_req_from(r);
	const struct cluster_unit *u = from ? secd_global_unit(d, from->unit) : NULL;
	const char *partner = NULL;

	if (!u || u->role != CRD_UNIT_SU) {
		api_reply_error(r, 403, "forbidden",
				"unit %u is no SU: only the SU Cluster partner "
				"migrates VM definitions to SU '%s'",
				from ? from->unit : 0, d->cfg.name);
		return -EPERM;
	}
	if (!d->global || !cluster_su_cluster_of(d->global, d->cfg.name, &partner) || !partner ||
	    strcasecmp(partner, u->name)) {
		api_reply_error(r, 403, "forbidden", "SU '%s' is not in an SU Cluster with SU '%s'",
				u->name, d->cfg.name);
		return -EPERM;
	}
	*ret = u;
	return 0;
}

void secd_route_su_defmig(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	const struct cluster_unit *from;
	struct defmig_in *in = NULL;
	json_t *body = NULL;
	char text[64 + SU_VM_NAME_MAX + SU_NAME_MAX];

	if (!d->su) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU", d->cfg.name);
		return;
	}
	if (!(body = api_req_json(r, &err)) || !(in = calloc(1, sizeof(*in)))) {
		api_reply_error(r, body ? 500 : 400, body ? "internal" : "bad_request", "%s",
				body ? "out of memory" : err.msg);
		goto out;
	}
	/* the body, whom it is for, who sends it: each refusal changes nothing */
	if (parse_request(body, &in->req, &err) < 0) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		goto fail;
	}
	if (in->req.target_unit != d->cfg.unit_id || strcasecmp(in->req.target, d->cfg.name)) {
		api_reply_error(r, 421, "misdirected",
				"a request for SU '%s' (unit %u) reached SU "
				"'%s' (unit %u)",
				in->req.target, in->req.target_unit, d->cfg.name, d->cfg.unit_id);
		goto fail;
	}
	if (check_caller(d, r, &from) < 0)
		goto fail;
	if (in->req.source_unit != from->unit_id) {
		api_reply_error(r, 403, "forbidden",
				"'source_unit' %u is not the calling SU '%s' "
				"(unit %u)",
				in->req.source_unit, from->name, from->unit_id);
		goto fail;
	}
	in->r = r;
	in->rx_ms = secd_now_ms();
	snprintf(text, sizeof(text), "/MIGRATE-VM-DEFINITION VM-NAME=%s,SERVER-UNIT-NAME=%s",
		 in->req.vm.name, in->req.target);
	/* before the submit: a refusal at once answers r (and frees in) inside it */
	api_req_on_cancel(r, in_cancelled, in);
	if (secd_sucmd_submit_cmd(d->su, text, from->name, in_plan, in_done, in) < 0) {
		api_req_on_cancel(r, NULL, NULL);
		api_reply_error(r, 500, "internal", "out of memory");
		goto fail;
	}
	goto out;
fail:
	free(in);
out:
	json_decref(body);
}
