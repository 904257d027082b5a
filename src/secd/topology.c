/* topology.c — the REST API of topology changes on a running cluster (issue 3 "The daemon
 * secd", topology bullet; seed 2.1 "Configuring a Management Cluster does not require any
 * own maintenance windows or downtime" and "Preparing measures in regard to global data";
 * docs/api.md "Topology"; docs/topology.md "Changes on a running cluster"):
 *
 *   POST   /api/v1/servers         {name, model?, location?, units?: [...], global_data?: {...}}
 *   DELETE /api/v1/servers/{name}
 *   POST   /api/v1/units           {name, unit_id, role, su_type?, server, api, heartbeat}
 *   DELETE /api/v1/units/{name}
 *
 * Writes go to the master (architecture.md §6): an MU that is not the Master MU forwards
 * the call (forward.c).
 *
 * On the Master MU: the body is checked, loop-side rules are checked (a unit to remove must
 * not run: its alive message LEFT, or the unit dead or never seen; the master does not
 * remove itself), then gwrite.c applies the edit (cluster/gedit.h) to region 0 and writes
 * it; the answer 200 comes only once the write committed. Every call is audited on the MU
 * that answered it (status.md §6: Start before, OK or Failed after) and each change is an
 * event of component Cluster ("SE Server 'server3' added to the cluster", "Unit 'mu5'
 * removed from the cluster"). */
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum topo_op { OP_ADD_SERVER, OP_REMOVE_SERVER, OP_ADD_UNIT, OP_REMOVE_UNIT, OP_MAX };

static const char *const op_action[OP_MAX] = {"AddServer", "RemoveServer", "AddUnit",
					      "RemoveUnit"};

/* One call on the Master MU, from the handler to the answer. */
struct topo_call {
	struct secd *d;
	struct api_req *req;  /* NULL once the server answered it itself (stopping) */
	enum topo_op op;
	char account[LB_ACCOUNT_MAX];
	char keys[320];       /* "Server=server3; Units=mu5,mu6" (audit) */
	struct cluster_server_add add;
	struct cluster_global *joining;
	struct cluster_unit unit;
	char name[CLUSTER_NAME_MAX];
};

static void call_free(struct topo_call *c)
{
	cluster_global_free(c->joining);
	free(c);
}

static void call_cancel(struct api_req *r, void *arg)
{
	struct topo_call *c = arg;

	c->req = NULL;
}

/* ---- audit and answers ---- */

static void audit_start(struct secd *d, const char *account, enum topo_op op, const char *keys)
{
	secd_audit(d, account, "SEM", LB_AUDIT_START, "Action=%s%s%s", op_action[op],
		   keys[0] ? "; " : "", keys);
}

static void audit_result(struct secd *d, const char *account, enum topo_op op,
			 const char *keys, bool ok, const char *result)
{
	secd_audit(d, account, "SEM", ok ? LB_AUDIT_OK : LB_AUDIT_FAILED, "Action=%s%s%s --> %s",
		   op_action[op], keys[0] ? "; " : "", keys, result);
}

/* Failed: audited, answered (details stolen, may be NULL), freed. */
static void fail_call(struct topo_call *c, unsigned status, const char *code, json_t *details,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail_call(struct topo_call *c, unsigned status, const char *code, json_t *details,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	audit_result(c->d, c->account, c->op, c->keys, false, msg);
	if (c->req)
		api_reply_error_details(c->req, status, code, details, "%s", msg);
	else
		json_decref(details);
	call_free(c);
}

/* ---- the body ---- */

static int only_keys(json_t *o, const char *const *keys, struct sec_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		const char *const *p = keys;
		while (*p && strcmp(*p, k))
			p++;
		if (!*p)
			return sec_errf(err, -EINVAL, "%.64s: unknown key", k);
	}
	return 0;
}

static int get_text(json_t *o, const char *key, bool required, char *buf, size_t size,
		    bool *given, struct sec_err *err)
{
	json_t *v = json_object_get(o, key);

	buf[0] = '\0';
	if (given)
		*given = v != NULL;
	if (!v)
		return required ? sec_errf(err, -EINVAL, "%s: missing", key) : 0;
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return sec_errf(err, -EINVAL, "%s: expected a string of at most %zu bytes", key,
				size - 1);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* global_data: the joining server's own region-0 document without token keys. */
static int parse_joining(struct topo_call *c, json_t *v, struct sec_err *err)
{
	char *text;
	int r;

	if (!json_is_object(v))
		return sec_errf(err, -EINVAL, "global_data: expected an object");
	if (!(c->joining = cluster_global_new()) || !(text = json_dumps(v, JSON_COMPACT)))
		return sec_errf(err, -ENOMEM, "out of memory");
	r = cluster_global_from_json(text, strlen(text), CLUSTER_GLOBAL_FOREIGN, c->joining, err);
	auth_password_wipe(text, strlen(text)); /* it holds password hashes */
	free(text);
	if (r < 0) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return sec_errf(err, r, "global_data: %s", why);
	}
	c->add.joining = c->joining;
	return 0;
}

static int parse_add_server(struct topo_call *c, json_t *b, struct sec_err *err)
{
	static const char *const keys[] = {"name", "model", "location", "units", "global_data",
					   NULL};
	struct cluster_server *s = &c->add.server;
	json_t *units = json_object_get(b, "units"), *v;
	size_t i, n;
	int r;

	if ((r = only_keys(b, keys, err)) < 0 ||
	    (r = get_text(b, "name", true, s->name, sizeof(s->name), NULL, err)) < 0)
		return r;
	n = (size_t)snprintf(c->keys, sizeof(c->keys), "Server=%s", s->name);
	if ((r = get_text(b, "model", false, s->model, sizeof(s->model), &c->add.model_given,
			  err)) < 0 ||
	    (r = get_text(b, "location", false, s->location, sizeof(s->location),
			  &c->add.location_given, err)) < 0 ||
	    (r = cluster_server_check(s, "server", err)) < 0)
		return r;
	if (units && !json_is_array(units))
		return sec_errf(err, -EINVAL, "units: expected an array");
	if (json_array_size(units) > CLUSTER_ADD_UNITS_MAX)
		return sec_errf(err, -EINVAL, "units: more than %d units with one SE Server",
				CLUSTER_ADD_UNITS_MAX);
	json_array_foreach(units, i, v) {
		char path[32];
		snprintf(path, sizeof(path), "units[%zu]", i);
		if ((r = cluster_unit_from_json(v, path, &c->add.units[i], err)) < 0)
			return r;
		c->add.n_units++;
		if (n < sizeof(c->keys))
			n += (size_t)snprintf(c->keys + n, sizeof(c->keys) - n, "%s%s",
					      i ? "," : "; Units=", c->add.units[i].name);
	}
	if ((v = json_object_get(b, "global_data"))) {
		if (n < sizeof(c->keys))
			snprintf(c->keys + n, sizeof(c->keys) - n, "; GlobalData=%s",
				 json_string_value(json_object_get(v, "name")) ? : "(given)");
		return parse_joining(c, v, err);
	}
	return 0;
}

static int parse_add_unit(struct topo_call *c, json_t *b, struct sec_err *err)
{
	const char *name = json_string_value(json_object_get(b, "name"));
	int r;

	snprintf(c->keys, sizeof(c->keys), "Unit=%.63s", name ? name : "");
	if ((r = cluster_unit_from_json(b, "unit", &c->unit, err)) < 0)
		return r;
	snprintf(c->keys, sizeof(c->keys), "Unit=%s; UnitId=%" PRIu32 "; Role=%s; Server=%s",
		 c->unit.name, c->unit.unit_id, c->unit.role == CRD_UNIT_MU ? "MU" : "SU",
		 c->unit.server);
	return 0;
}

/* DELETE .../{name}: the name as the URL gives it. */
static int parse_name(struct topo_call *c, struct sec_err *err)
{
	const char *name = api_req_param(c->req, "name");

	if (!name || strlen(name) >= CLUSTER_NAME_MAX)
		return sec_errf(err, -EINVAL, "the name in the path is longer than %d bytes",
				CLUSTER_NAME_MAX - 1);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->keys, sizeof(c->keys), "%s=%s", c->op == OP_REMOVE_SERVER ? "Server" : "Unit",
		 c->name);
	return 0;
}

static int parse_call(struct topo_call *c, struct sec_err *err)
{
	json_t *b;
	int r;

	if (c->op == OP_REMOVE_SERVER || c->op == OP_REMOVE_UNIT)
		return parse_name(c, err);
	if (!(b = api_req_json(c->req, err)))
		return -EINVAL;
	r = c->op == OP_ADD_SERVER ? parse_add_server(c, b, err) : parse_add_unit(c, b, err);
	json_decref(b);
	return r;
}

/* ---- loop-side rules ---- */

/* A unit to remove is in no SU Cluster and must not run (its alive message LEFT, or dead,
 * or never seen), and the Master MU does not remove itself. Returns 0, or answers and frees c and returns -1. */
static int check_remove_unit(struct topo_call *c)
{
	struct secd *d = c->d;
	int k = cluster_global_find_unit(d->global, c->name);
	const struct cluster_su_cluster *suc;
	const struct cluster_unit *u;
	struct crd_unit_peer p;
	json_t *det;

	if (k < 0)
		return 0; /* the edit answers 404 */
	u = &d->global->units[k];
	if ((suc = cluster_su_cluster_of(d->global, u->name, NULL))) {
		/* before the liveness: the first thing to do is to delete the SU Cluster */
		fail_call(c, 409, "conflict", json_pack("[{s:s, s:s, s:s}]", "object", "su_cluster",
							"name", suc->name, "conflict", "has this SU"),
			  "SU '%s' is in SU Cluster '%s': delete the SU Cluster first (sectl "
			  "sucluster delete %s)", u->name, suc->name, suc->name);
		return -1;
	}
	if (u->unit_id == d->cfg.unit_id) {
		fail_call(c, 409, "conflict", NULL, "unit '%s' is the Master MU and cannot remove "
			  "itself: stop it (SIGTERM), let another MU take over, then remove it",
			  u->name);
		return -1;
	}
	if (crd_unit_peer(d->unit, u->unit_id, &p) < 0) {
		fail_call(c, 503, "unavailable", NULL, "the alive message of unit '%s' has not been "
			  "read yet; retry", u->name);
		return -1;
	}
	if (p.verdict == CRD_ALIVE_DEAD || p.verdict == CRD_ALIVE_NEVER_SEEN)
		return 0;
	det = json_pack("[{s:s, s:s, s:s}]", "object", "unit", "name", u->name, "conflict",
			p.verdict == CRD_ALIVE_ALIVE ? "running: stop it first"
						     : "liveness cannot be determined");
	if (p.verdict == CRD_ALIVE_ALIVE)
		fail_call(c, 409, "conflict", det, "unit '%s' is running (its alive message says "
			  "%s): stop it first (SIGTERM: its alive message then says LEFT), or wait "
			  "until it is dead", u->name, crd_slot_state_to_string(p.state));
	else
		fail_call(c, 409, "conflict", det, "unit '%s': whether it runs cannot be "
			  "determined (%s); retry when its alive message can be read",
			  u->name, crd_alive_reason_to_string(p.reason));
	return -1;
}

/* ---- the change (region thread) and its outcome (loop) ---- */

static int topo_edit(struct cluster_global *g, void *arg, struct cluster_conflicts *conf,
		     struct sec_err *err)
{
	struct topo_call *c = arg;

	switch (c->op) {
	case OP_ADD_SERVER: return cluster_global_add_server(g, &c->add, conf, err);
	case OP_REMOVE_SERVER: return cluster_global_remove_server(g, c->name, conf, err);
	case OP_ADD_UNIT: return cluster_global_add_unit(g, &c->unit, conf, err);
	default: return cluster_global_remove_unit(g, c->name, conf, err);
	}
}

static json_t *server_json(const struct cluster_server *s)
{
	return json_pack("{s:s, s:s, s:s}", "name", s->name, "model", s->model, "location",
			 s->location);
}

static json_t *unit_json(const struct cluster_unit *u)
{
	json_t *j = json_pack("{s:s, s:I, s:s}", "name", u->name, "unit_id", (json_int_t)u->unit_id,
			      "role", u->role == CRD_UNIT_MU ? "MU" : "SU");

	if (j && u->role == CRD_UNIT_SU)
		json_object_set_new(j, "su_type", json_string(cluster_su_type_to_string(u->su_type)));
	if (j) {
		json_object_set_new(j, "server", json_string(u->server));
		json_object_set_new(j, "api", json_string(u->api));
		json_object_set_new(j, "heartbeat", json_string(u->heartbeat));
	}
	return j;
}

/* What changed from a to b: the answer's "added"/"removed" and one event per object. */
static json_t *diff(struct secd *d, const struct cluster_global *a,
		    const struct cluster_global *b)
{
	json_t *as = json_array(), *au = json_array(), *aa = json_array(), *rs = json_array(),
	       *ru = json_array();

	for (unsigned i = 0; i < b->n_servers; i++)
		if (cluster_global_find_server(a, b->servers[i].name) < 0) {
			json_array_append_new(as, server_json(&b->servers[i]));
			secd_event(d, LB_NOTICE, "Cluster", "SE Server '%s' added to the cluster",
				   b->servers[i].name);
		}
	for (unsigned i = 0; i < b->n_units; i++)
		if (cluster_global_find_unit(a, b->units[i].name) < 0) {
			json_array_append_new(au, unit_json(&b->units[i]));
			secd_event(d, LB_NOTICE, "Cluster", "Unit '%s' added to the cluster",
				   b->units[i].name);
		}
	for (unsigned i = 0; i < b->n_accounts; i++)
		if (cluster_global_find_account(a, b->accounts[i].name) < 0) {
			json_array_append_new(aa, json_string(b->accounts[i].name));
			secd_event(d, LB_NOTICE, "Cluster", "Account '%s' added to the cluster",
				   b->accounts[i].name);
		}
	for (unsigned i = 0; i < a->n_units; i++)
		if (cluster_global_find_unit(b, a->units[i].name) < 0) {
			json_array_append_new(ru, json_string(a->units[i].name));
			secd_event(d, LB_NOTICE, "Cluster", "Unit '%s' removed from the cluster",
				   a->units[i].name);
		}
	for (unsigned i = 0; i < a->n_servers; i++)
		if (cluster_global_find_server(b, a->servers[i].name) < 0) {
			json_array_append_new(rs, json_string(a->servers[i].name));
			secd_event(d, LB_NOTICE, "Cluster", "SE Server '%s' removed from the cluster",
				   a->servers[i].name);
		}
	return json_pack("{s:{s:o, s:o, s:o}, s:{s:o, s:o}}", "added", "servers", as, "units", au,
			 "accounts", aa, "removed", "servers", rs, "units", ru);
}

static void topo_done(void *arg, const struct secd_gresult *res,
		      const struct cluster_global *before, const struct cluster_global *after)
{
	struct topo_call *c = arg;
	json_t *body;

	if (res->r == -ECANCELED) { /* the unit is being freed after its loop: only free */
		call_free(c);
		return;
	}
	switch (res->r) {
	case 0:
		body = diff(c->d, before, after);
		if (body)
			json_object_set_new(body, "global_generation",
					    json_integer((json_int_t)res->generation));
		audit_result(c->d, c->account, c->op, c->keys, true, "OK");
		if (c->req)
			api_reply_json(c->req, 200, body);
		else
			json_decref(body);
		call_free(c);
		return;
	default: {
		struct secd_gfailure f;
		secd_gresult_failure(res, &f);
		fail_call(c, f.status, f.code, f.details, "%s", f.msg);
	}
	}
}

/* The Master MU carries the call out. */
static void run_here(struct api_req *r, struct secd *d, enum topo_op op)
{
	const struct auth_token_claims *cl = api_req_claims(r);
	struct topo_call *c = calloc(1, sizeof(*c));
	struct sec_err err = {0};

	if (!c) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	c->d = d;
	c->req = r;
	c->op = op;
	snprintf(c->account, sizeof(c->account), "%.*s", (int)sizeof(c->account) - 1,
		 cl ? cl->account : "");
	api_req_on_cancel(r, call_cancel, c);
	if (parse_call(c, &err) < 0) {
		audit_start(d, c->account, op, c->keys);
		fail_call(c, 400, "bad_request", NULL, "%s", err.msg);
		return;
	}
	audit_start(d, c->account, op, c->keys);
	if (op == OP_REMOVE_UNIT && check_remove_unit(c) < 0)
		return;
	if (secd_global_change(d, topo_edit, c, topo_done, c, &err) < 0)
		fail_call(c, 503, err.code == -ENOLCK ? "no_master" : "unavailable", NULL, "%s",
			  err.msg);
}

static void handle(struct api_req *r, struct secd *d, enum topo_op op)
{
	if (secd_is_master_now(d))
		run_here(r, d, op);
	else
		secd_forward_write(d, r, op_action[op]);
}

void secd_route_server_add(struct api_req *r, void *arg)
{
	handle(r, arg, OP_ADD_SERVER);
}

void secd_route_server_remove(struct api_req *r, void *arg)
{
	handle(r, arg, OP_REMOVE_SERVER);
}

void secd_route_unit_add(struct api_req *r, void *arg)
{
	handle(r, arg, OP_ADD_UNIT);
}

void secd_route_unit_remove(struct api_req *r, void *arg)
{
	handle(r, arg, OP_REMOVE_UNIT);
}
