/* suapi.c — an SU's routes between units (docs/api.md "Server Units"): a VM2000 command on
 * its monitor, its consoles, its systems. The MUs relay people's calls here. */
#include "secd/routes.h"
#include "secd/lm.h"
#include "secd/su.h"

#include "lib/log.h"
#include "lib/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SDF_TEXT_MAX 8192      /* bytes of one command (continuations included) */
#define CONSOLE_LIMIT_DEF 200  /* lines per call */
#define CONSOLE_LIMIT_MAX 2000

struct sdf_call {
	struct api_req *r; /* NULL once the server answered it (stopping) */
};

static void sdf_cancelled(struct api_req *r, void *arg)
{
	((struct sdf_call *)arg)->r = NULL;
}

static void sdf_done(void *arg, json_t *result)
{
	struct sdf_call *call = arg;

	if (call->r)
		api_reply_json(call->r, 200, result);
	else
		json_decref(result);
	free(call);
}

void secd_route_su_sdf(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	json_t *body = api_req_json(r, &err);
	const char *text, *user;
	struct sdf_call *call;

	if (!d->su) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU", d->cfg.name);
		goto out;
	}
	if (!body) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	text = json_string_value(json_object_get(body, "command"));
	user = json_string_value(json_object_get(body, "user"));
	if (!text || !*text || strlen(text) > SDF_TEXT_MAX) {
		api_reply_error(r, 400, "bad_request",
				"request body: 'command' must be a VM2000 command of 1..%d bytes",
				SDF_TEXT_MAX);
		goto out;
	}
	if (json_object_get(body, "user") && (!user || strlen(user) > 63)) {
		api_reply_error(r, 400, "bad_request", "request body: 'user' must be a string of "
				"up to 63 bytes");
		goto out;
	}
	if (!(call = calloc(1, sizeof(*call)))) {
		api_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	call->r = r;
	api_req_on_cancel(r, sdf_cancelled, call);
	if (secd_sucmd_submit_flags(d->su, text, user,
				    json_is_true(json_object_get(body, "confirm_down"))
					? SECD_SUCMD_CONFIRM_DOWN : 0,
				    sdf_done, call) < 0) {
		free(call);
		api_reply_error(r, 500, "internal", "out of memory");
	}
out:
	json_decref(body);
}

/* ?name=value as an unsigned integer within [0, max]; def when absent. */
static int query_uint(struct api_req *r, const char *name, uint64_t def, uint64_t max,
		      uint64_t *ret)
{
	const char *v = api_req_query(r, name);
	char *end;
	unsigned long long x;

	if (!v) {
		*ret = def;
		return 0;
	}
	errno = 0;
	x = strtoull(v, &end, 10);
	if (!*v || *end || errno || x > max || *v == '-') {
		api_reply_error(r, 400, "bad_request", "query '%s': '%s' is not an integer "
				"0..%llu", name, v, (unsigned long long)max);
		return -EINVAL;
	}
	*ret = x;
	return 0;
}

void secd_route_su_console(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct secd_su *s = d->su;
	const char *vm = api_req_query(r, "vm");
	struct linelog *l;
	uint64_t after, limit;
	json_t *lines, *o;
	char buf[LINELOG_LINE_MAX + 1], t[40];
	unsigned index = 0;

	if (!s) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU", d->cfg.name);
		return;
	}
	if (query_uint(r, "after", 0, UINT64_MAX, &after) < 0 ||
	    query_uint(r, "limit", CONSOLE_LIMIT_DEF, CONSOLE_LIMIT_MAX, &limit) < 0)
		return;
	if (vm && *vm && strcasecmp(vm, SU_MONITOR_NAME) && strcmp(vm, "1")) {
		const struct su_vm *v = NULL;
		char *end;
		unsigned long i = strtoul(vm, &end, 10);
		if (s->m)
			v = *end ? su_model_vm_by_name(s->m, vm) : su_model_vm_by_index(s->m, (unsigned)i);
		index = v ? v->index : (!*end && i >= SU_INDEX_MIN && i <= SU_INDEX_MAX ? (unsigned)i : 0);
		if (!index) {
			api_reply_error(r, 404, "not_found", "SU '%s' has no VM '%s'", d->cfg.name, vm);
			return;
		}
	}
	l = index ? secd_suvm_console(s, index) : s->mon;
	if (!l) {
		api_reply_error(r, 404, "not_found", "VM '%s' on SU '%s' has no console", vm,
				d->cfg.name);
		return;
	}
	if (!index)
		linelog_refresh(l);
	lines = json_array();
	uint64_t next = after + 1; /* the first seq not shown (docs/api.md) */
	for (uint64_t seq = after + 1; limit > 0; seq++, limit--) {
		struct linelog_line ln;
		if (linelog_get(l, seq, &ln, buf, sizeof(buf)) < 0)
			break;
		seq = ln.seq; /* a seq that left the index: the oldest kept */
		linelog_format_time(ln.time_ms, t, sizeof(t));
		json_array_append_new(lines, json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq,
						       "time", t, "text", buf));
		next = seq + 1;
	}
	o = json_pack("{s:s, s:o, s:o, s:I}", "su", d->cfg.name, "vm",
		      index ? json_string(vm) : json_null(), "lines", lines, "next",
		      (json_int_t)next);
	api_reply_json(r, 200, o);
}

void secd_route_su_systems(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct secd_su *s = d->su;
	char *txt;
	json_t *o;

	if (!s) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU", d->cfg.name);
		return;
	}
	if (!s->m) {
		api_reply_error(r, 503, "not_ready", "SU '%s': %s", d->cfg.name, s->not_ready);
		return;
	}
	txt = su_systems_json(s->m);
	o = txt ? json_loads(txt, 0, NULL) : NULL;
	free(txt);
	if (!o) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	/* a VM of an outgoing LM: SE Manager sub-status MIGRATING with its target SU */
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(o, "systems"), i, row) {
		struct secd_lm *lm = secd_lm_of_index(s, (unsigned)json_integer_value(
							    json_object_get(row, "vm_index")));
		if (lm && lm->outgoing)
			json_object_set_new(row, "migration_target", json_string(lm->target));
	}
	api_reply_json(r, 200, o);
}
