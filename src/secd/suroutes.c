/* suroutes.c — the MU side of the SU API (docs/api.md "Server Units"; issue 4 "API and
 * CLI"; seed 2.3 systems overview, 4.3 VM2000 commands; vm2000.md §4).
 *
 * A person asks any MU; the MU relays to the SU named in the path, at the SU's API address
 * in the global data, with a unit-signed call (httpc_call, the cluster key), and answers
 * with what the SU said:
 *
 *   POST /api/v1/sus/{name}/sdf       -> POST /api/v1/internal/sdf {"command", "user"}
 *   GET  /api/v1/sus/{name}/console   -> GET  /api/v1/internal/console?vm=&after=&limit=
 *   GET  /api/v1/systems              -> GET  /api/v1/internal/systems of every SU, merged
 *
 * The relay itself (secd_su_relay_sdf, secd_su_relay_get; routes.h) serves lmroutes.c too:
 * there the SU's 2xx answer goes to a callback that shapes the person's answer.
 *
 * Errors: a name that is no SU of the global data -> 404 not_found naming it; an SU that
 * does not answer -> 503 su_unreachable naming it (a VM2000 command that timed out may
 * have been carried out: the message says so); an SU that refuses the MU's call (401/403:
 * cluster keys differ) or answers without a JSON object -> 502 su_error; any other answer
 * of the SU (its 400 for a bad query, its 404 for an unknown VM) is relayed as it is. For
 * /systems an SU that does not answer contributes its monitor row from the last status
 * snapshot with "reachable": false; the answer is 200 as long as the global data is read.
 *
 * Audit (seed 2.3.2): every VM2000 command, Start then OK or Failed, component Sys-Mgmt,
 * "Action=VM2000 command; SU=su1; Command=/START-VM ... --> OK" (Failed: the main code, or
 * why the SU did not carry it out). The command text is audited as the person typed it
 * (control characters replaced). Reads are not audited. */
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SU_SDF_TIMEOUT_MS    60000 /* a command may start QEMU; sectl waits a bit longer */
#define SU_READ_TIMEOUT_MS   5000  /* console lines, the systems list */
#define SU_COMMAND_MAX	     4096  /* bytes of one VM2000 command line (with continuation) */
#define SU_CONSOLE_LIMIT_MAX 1000  /* lines of one console page */
#define SU_VM_NAME_MAX	     8	   /* VM-NAME = <name 1..8> (vm2000-facts.md §1.3) */

/* SU_SDF: a VM2000 command; SU_ACTION: another audited POST; SU_READ: a GET to one SU */
enum su_kind { SU_SDF = 1, SU_ACTION, SU_READ, SU_SYSTEMS };

/* One relayed call to one SU. */
struct su_call {
	struct secd *d;
	struct api_req *req; /* NULL once the server answered it (stopping) */
	enum su_kind kind;
	char su[CLUSTER_NAME_MAX];
	char account[LB_ACCOUNT_MAX];
	char *command;	     /* SU_SDF, SU_ACTION: for the audit entry (NULL: not audited) */
	const char *action;  /* SU_SDF, SU_ACTION: the audit entry's Action */
	secd_su_answer_fn *answer; /* a 2xx answer goes here instead of to the person */
	void *answer_arg;
	struct su_gather *g; /* SU_SYSTEMS: the merge this call belongs to */
	size_t slot;	     /* SU_SYSTEMS: its index in g->answers */
};

/* GET /api/v1/systems: one call per SU, merged when the last one is done. */
struct su_gather {
	struct secd *d;
	struct api_req *req; /* NULL once the server answered it */
	size_t n, pending;
	json_t *answers[CRD_UNITS_MAX]; /* the SU's "systems" list, or NULL: no answer */
	char names[CRD_UNITS_MAX][CLUSTER_NAME_MAX];
	char servers[CRD_UNITS_MAX][CLUSTER_NAME_MAX];
	char why[CRD_UNITS_MAX][128]; /* no answer: why */
};

const struct cluster_unit *secd_su_find(struct secd *d, struct api_req *r, const char *name)
{
	int k = name ? cluster_global_find_unit(d->global, name) : -1;

	if (k < 0) {
		api_reply_error(r, 404, "not_found", "no SU '%.63s' in the cluster",
				name ? name : "");
		return NULL;
	}
	if (d->global->units[k].role != CRD_UNIT_SU) {
		api_reply_error(r, 404, "not_found", "unit '%s' is an MU, not an SU",
				d->global->units[k].name);
		return NULL;
	}
	return &d->global->units[k];
}

static void call_cancel(struct api_req *r, void *arg)
{
	struct su_call *c = arg;

	c->req = NULL;
}

static void call_free(struct su_call *c)
{
	free(c->command);
	free(c);
}

/* The "message" of an error JSON {"error": {"message"}}, or "". */
static const char *error_message(const json_t *j)
{
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	return m ? m : "";
}

/* Copies s into buf with control characters as '?' (audit text, log lines). */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	for (; s[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void audit_result(struct su_call *c, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void audit_result(struct su_call *c, bool ok, const char *fmt, ...)
{
	char why[256], cmd[SU_COMMAND_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	secd_audit(c->d, c->account, "Sys-Mgmt", ok ? LB_AUDIT_OK : LB_AUDIT_FAILED,
		   "Action=%s; SU=%s; Command=%s --> %s", c->action, c->su,
		   printable(c->command, cmd, sizeof(cmd)), why);
}

/* The SU's answer of a VM2000 command: audited, then relayed. */
static void sdf_answer(struct su_call *c, long status, json_t *j)
{
	const json_t *rc = json_object_get(j, "rc");
	const char *mc = json_string_value(json_object_get(rc, "maincode"));

	if (c->kind == SU_ACTION && status / 100 == 2)
		audit_result(c, true, "OK");
	else if (status == 200 && json_is_true(json_object_get(j, "ok")))
		audit_result(c, true, "OK");
	else if (status == 200)
		audit_result(c, false, "Failed (%s)", mc ? mc : "no return code");
	else
		audit_result(c, false, "Failed (HTTP %ld: %.160s)", status, error_message(j));
}

static void call_done(void *arg, const struct httpc_result *res)
{
	struct su_call *c = arg;
	json_t *j = NULL;

	if (res->err == -ECANCELED) {
		if (c->command)
			audit_result(c, false,
				     "Failed (the MU stopped; it may have been carried out)");
		if (c->req)
			api_reply_error(c->req, 503, "unavailable",
					"the MU is stopping; the call to "
					"SU '%s' may or may not have been carried out",
					c->su);
		goto out;
	}
	if (res->err) {
		if (c->command)
			audit_result(c, false, "Failed (SU '%s' did not answer%s)", c->su,
				     res->err == -ETIMEDOUT ? "; it may have been carried out"
							    : "");
		if (c->req)
			api_reply_error(c->req, 503, "su_unreachable",
					"SU '%s' did not answer (%s)%s", c->su, res->errmsg,
					c->command && res->err == -ETIMEDOUT
					    ? "; the command may have been carried out: check "
					      "with /SHOW-VM-ATTRIBUTES before retrying"
					    : "");
		goto out;
	}
	j = json_loadb(res->body, res->len, 0, NULL);
	if (!json_is_object(j)) {
		if (c->command)
			audit_result(c, false, "Failed (SU answered HTTP %ld without JSON)",
				     res->status);
		if (c->req)
			api_reply_error(c->req, 502, "su_error",
					"SU '%s' answered HTTP %ld without a "
					"JSON object",
					c->su, res->status);
		goto out;
	}
	if (c->command)
		sdf_answer(c, res->status, j);
	if (!c->req)
		goto out;
	if (res->status == 401 || res->status == 403)
		api_reply_error(c->req, 502, "su_error",
				"SU '%s' refused this MU's call (HTTP %ld: "
				"%.160s): do both hold the same cluster key?",
				c->su, res->status, error_message(j));
	else if (res->status < 200 || res->status > 599)
		api_reply_error(c->req, 502, "su_error", "SU '%s' answered HTTP %ld", c->su,
				res->status);
	else if (res->status >= 400) { /* the SU's error, said to be the SU's */
		const char *code =
		    json_string_value(json_object_get(json_object_get(j, "error"), "code"));
		api_reply_error(c->req, (unsigned)res->status, code ? code : "su_error",
				"SU '%s': %.400s", c->su, error_message(j));
	} else if (c->answer) {
		c->answer(c->req, c->su, res->status, j, c->answer_arg);
		j = NULL;
	} else {
		api_reply_json(c->req, (unsigned)res->status, j);
		j = NULL;
	}
out:
	json_decref(j);
	call_free(c);
}

/* Starts the relay of r to SU u; replies itself on failure. path may carry a query. */
static void relay(struct secd *d, struct api_req *r, struct su_call *c,
		  const struct cluster_unit *u, const char *method, const char *path,
		  const char *body, uint32_t timeout_ms)
{
	int rc = httpc_call(d->httpc, u->unit_id, u->api, method, path, body,
			    body ? strlen(body) : 0, timeout_ms, call_done, c);

	if (rc < 0) {
		if (c->command)
			audit_result(c, false, "Failed (cannot call SU '%s': %s)", c->su,
				     strerror(-rc));
		api_reply_error(r, rc == -ECANCELED ? 503 : 500,
				rc == -ECANCELED ? "unavailable" : "internal",
				"cannot call SU '%s' (%s)", c->su, strerror(-rc));
		call_free(c);
		return;
	}
	log_debug("%s: %s %s relayed to SU '%s'", d->who, method, path, c->su);
	api_req_on_cancel(r, call_cancel, c);
}

static struct su_call *call_new(struct secd *d, struct api_req *r, enum su_kind kind,
				const struct cluster_unit *u)
{
	const struct auth_token_claims *cl = api_req_claims(r);
	struct su_call *c = calloc(1, sizeof(*c));

	if (!c) {
		api_reply_error(r, 500, "internal", "out of memory");
		return NULL;
	}
	c->d = d;
	c->req = r;
	c->kind = kind;
	snprintf(c->su, sizeof(c->su), "%s", u->name);
	snprintf(c->account, sizeof(c->account), "%.*s", (int)sizeof(c->account) - 1,
		 cl ? cl->account : "");
	return c;
}

/* ---- POST /api/v1/sus/{name}/sdf ---- */

void secd_su_relay_sdf(struct secd *d, struct api_req *r, const struct cluster_unit *u,
		       const char *command, secd_su_answer_fn *answer, void *arg)
{
	secd_su_relay_sdf_confirmed(d, r, u, command, false, answer, arg);
}

void secd_su_relay_sdf_confirmed(struct secd *d, struct api_req *r, const struct cluster_unit *u,
				 const char *command, bool confirm_down,
				 secd_su_answer_fn *answer, void *arg)
{
	struct su_call *c = call_new(d, r, SU_SDF, u);
	char cmdp[SU_COMMAND_MAX + 1], *text;
	json_t *body;

	if (!c)
		return;
	c->answer = answer;
	c->answer_arg = arg;
	c->action = "VM2000 command";
	c->command = strdup(command);
	body = c->command ? json_pack("{s:s, s:s}", "command", c->command, "user", c->account)
			  : NULL;
	if (body && confirm_down) /* only when given: other commands keep their body */
		json_object_set_new(body, "confirm_down", json_true());
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		call_free(c);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	secd_audit(d, c->account, "Sys-Mgmt", LB_AUDIT_START, "Action=VM2000 command; SU=%s; "
		   "Command=%s%s", c->su, printable(c->command, cmdp, sizeof(cmdp)),
		   confirm_down ? " (remote SU down: confirmed)" : "");
	relay(d, r, c, u, "POST", "/api/v1/internal/sdf", text, SU_SDF_TIMEOUT_MS);
	free(text);
}

void secd_su_relay_action(struct secd *d, struct api_req *r, const struct cluster_unit *u,
			  const char *path, json_t *body, const char *action, const char *what,
			  secd_su_answer_fn *answer, void *arg)
{
	struct su_call *c = call_new(d, r, SU_ACTION, u);
	char *text = NULL;

	if (c && body && !json_object_set_new(body, "user", json_string(c->account)))
		text = json_dumps(body, JSON_COMPACT);
	if (c && (c->command = strdup(what)))
		c->action = action;
	if (!c || !text || !c->command) {
		if (c)
			call_free(c);
		free(text);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	c->answer = answer;
	c->answer_arg = arg;
	secd_audit(d, c->account, "Sys-Mgmt", LB_AUDIT_START, "Action=%s; SU=%s; Command=%s",
		   action, c->su, what);
	relay(d, r, c, u, "POST", path, text, SU_SDF_TIMEOUT_MS);
	free(text);
}

void secd_su_relay_get(struct secd *d, struct api_req *r, const struct cluster_unit *u,
		       const char *path, secd_su_answer_fn *answer, void *arg)
{
	struct su_call *c = call_new(d, r, SU_READ, u);

	if (!c)
		return;
	c->answer = answer;
	c->answer_arg = arg;
	relay(d, r, c, u, "GET", path, NULL, SU_READ_TIMEOUT_MS);
}

void secd_route_sus_sdf(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));
	json_t *j;
	const char *cmd;

	if (!u)
		return;
	if (!(j = api_req_json(r, &err))) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	cmd = json_string_value(json_object_get(j, "command"));
	if (!cmd || !cmd[strspn(cmd, " \t")] || strlen(cmd) > SU_COMMAND_MAX)
		api_reply_error(r, 400, "bad_request",
				"the body needs \"command\": a VM2000 "
				"command of 1..%d characters, e.g. \"/SHOW-VM-ATTRIBUTES\"",
				SU_COMMAND_MAX);
	else
		secd_su_relay_sdf(d, r, u, cmd, NULL, NULL);
	json_decref(j);
}

/* ---- GET /api/v1/sus/{name}/console?vm=&after=&limit= ---- */

/* A query number 0..max, or -1 after replying 400 (absent: def). */
static int64_t query_num(struct api_req *r, const char *key, int64_t def, int64_t max)
{
	const char *s = api_req_query(r, key);
	char *end;
	long long v;

	if (!s)
		return def;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > max) {
		api_reply_error(r, 400, "bad_request",
				"query parameter '%s': '%.40s' is not a "
				"number 0..%" PRId64,
				key, s, max);
		return -1;
	}
	return v;
}

/* A VM name: 1..8 letters, digits, $, #, @ (SDF <name>; the SU checks the rest). */
static bool vm_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > SU_VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("$#@_-", s[i])))
			return false;
	return true;
}

/* s percent-encoded (every byte but unreserved ones) into buf; buf needs 3 * len + 1. */
static void pct_encode(const char *s, char *buf)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			*buf++ = (char)ch;
		} else {
			*buf++ = '%';
			*buf++ = hex[ch >> 4];
			*buf++ = hex[ch & 15];
		}
	}
	*buf = '\0';
}

void secd_route_sus_console(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const struct cluster_unit *u = secd_su_find(d, r, api_req_param(r, "name"));
	const char *vm = api_req_query(r, "vm");
	char path[160], vmq[3 * SU_VM_NAME_MAX + 1];
	int64_t after, limit;
	int n;

	if (!u)
		return;
	if (vm && *vm && !vm_name_ok(vm)) {
		api_reply_error(r, 400, "bad_request",
				"query parameter 'vm': '%.40s' is not a VM "
				"name (1..8 letters, digits, $, #, @)",
				vm);
		return;
	}
	if ((after = query_num(r, "after", 0, INT64_MAX)) < 0 ||
	    (limit = query_num(r, "limit", 200, SU_CONSOLE_LIMIT_MAX)) < 0)
		return;
	if (limit == 0) {
		api_reply_error(r, 400, "bad_request", "query parameter 'limit': 1..%d lines",
				SU_CONSOLE_LIMIT_MAX);
		return;
	}
	if (vm && *vm) {
		pct_encode(vm, vmq);
		n = snprintf(path, sizeof(path),
			     "/api/v1/internal/console?vm=%s&after=%" PRId64 "&limit=%" PRId64, vmq,
			     after, limit);
	} else {
		n = snprintf(path, sizeof(path),
			     "/api/v1/internal/console?after=%" PRId64 "&limit=%" PRId64, after,
			     limit);
	}
	if (n < 0 || (size_t)n >= sizeof(path)) {
		api_reply_error(r, 500, "internal", "console path too long");
		return;
	}
	secd_su_relay_get(d, r, u, path, NULL, NULL);
}

/* ---- GET /api/v1/systems ---- */

static void gather_cancel(struct api_req *r, void *arg)
{
	struct su_gather *g = arg;

	g->req = NULL;
}

/* The monitor row of an SU that did not answer: its status from the last snapshot. */
static json_t *unreachable_row(struct su_gather *g, size_t i, const json_t *snap)
{
	const json_t *units = json_object_get(snap, "units"), *u;
	const char *status = "UNKNOWN";
	size_t k;

	json_array_foreach(units, k, u)
	{
		const char *name = json_string_value(json_object_get(u, "name"));
		const char *st = json_string_value(json_object_get(u, "system_status"));
		if (name && st && !strcmp(name, g->names[i]))
			status = st;
	}
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "name",
			 "MONITOR", "vm_index", 1, "host_name", g->names[i], "type",
			 "BS2000 (monitor)", "os", "VM2000", "server", g->servers[i], "unit",
			 g->names[i], "description", "", "status", status, "state", status,
			 "reachable", false, "error", g->why[i]);
}

static void gather_finish(struct su_gather *g)
{
	json_t *rows = json_array(), *snap = secd_snapshot_view(g->d), *s;
	size_t k, unreachable = 0;

	for (size_t i = 0; rows && i < g->n; i++) {
		if (!g->answers[i]) {
			json_array_append_new(rows, unreachable_row(g, i, snap));
			unreachable++;
			continue;
		}
		json_array_foreach(g->answers[i], k, s)
		{
			json_t *row = json_deep_copy(s);
			if (!json_is_object(row)) {
				json_decref(row);
				continue;
			}
			if (!json_object_get(row, "unit"))
				json_object_set_new(row, "unit", json_string(g->names[i]));
			json_object_set_new(row, "reachable", json_true());
			json_array_append_new(rows, row);
		}
	}
	if (g->req) {
		if (!rows)
			api_reply_error(g->req, 500, "internal", "out of memory");
		else
			api_reply_json(g->req, 200,
				       json_pack("{s:O, s:i, s:i}", "systems", rows, "sus",
						 (int)g->n, "unreachable", (int)unreachable));
	}
	json_decref(rows);
	json_decref(snap);
	for (size_t i = 0; i < g->n; i++)
		json_decref(g->answers[i]);
	free(g);
}

static void gather_done(void *arg, const struct httpc_result *res)
{
	struct su_call *c = arg;
	struct su_gather *g = c->g;
	json_t *j = NULL, *list;

	if (res->err) {
		snprintf(g->why[c->slot], sizeof(g->why[c->slot]), "did not answer (%.100s)",
			 res->errmsg);
	} else if (!(j = json_loadb(res->body, res->len, 0, NULL)) || res->status != 200 ||
		   !json_is_array(list = json_object_get(j, "systems"))) {
		snprintf(g->why[c->slot], sizeof(g->why[c->slot]), "answered HTTP %ld %.80s",
			 res->status, error_message(j));
	} else {
		g->answers[c->slot] = json_incref(list);
	}
	json_decref(j);
	call_free(c);
	if (--g->pending == 0)
		gather_finish(g);
}

void secd_route_systems(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct su_gather *g = calloc(1, sizeof(*g));
	int rc;

	if (!g) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	g->d = d;
	g->req = r;
	for (unsigned i = 0; i < d->global->n_units && g->n < CRD_UNITS_MAX; i++)
		if (d->global->units[i].role == CRD_UNIT_SU) {
			snprintf(g->names[g->n], sizeof(g->names[0]), "%s",
				 d->global->units[i].name);
			snprintf(g->servers[g->n], sizeof(g->servers[0]), "%s",
				 d->global->units[i].server);
			g->n++;
		}
	g->pending = g->n + 1; /* + 1: held until every call is started */
	for (size_t i = 0; i < g->n; i++) {
		const struct cluster_unit *u =
		    &d->global->units[cluster_global_find_unit(d->global, g->names[i])];
		struct su_call *c = calloc(1, sizeof(*c));
		if (!c) {
			snprintf(g->why[i], sizeof(g->why[i]), "out of memory");
			g->pending--;
			continue;
		}
		*c = (struct su_call){.d = d, .kind = SU_SYSTEMS, .g = g, .slot = i};
		snprintf(c->su, sizeof(c->su), "%s", u->name);
		rc = httpc_call(d->httpc, u->unit_id, u->api, "GET", "/api/v1/internal/systems",
				NULL, 0, SU_READ_TIMEOUT_MS, gather_done, c);
		if (rc < 0) {
			snprintf(g->why[i], sizeof(g->why[i]), "cannot be called (%s)",
				 strerror(-rc));
			call_free(c);
			g->pending--;
		}
	}
	api_req_on_cancel(r, gather_cancel, g);
	if (--g->pending == 0)
		gather_finish(g);
}
