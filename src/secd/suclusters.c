/* suclusters.c — the REST API of SU Clusters (seed 3.1, 3.3; status.md §3; issue 5 "SU
 * Clusters"; docs/api.md "SU Clusters"):
 *
 *   GET    /api/v1/suclusters                    every SU Cluster with its status
 *   GET    /api/v1/suclusters/{name}             one, with the units table of seed 3.3
 *   POST   /api/v1/suclusters                    {name, units: [a, b], fencing?}  (admin)
 *   POST   /api/v1/suclusters/{name}/activate                                     (admin)
 *   POST   /api/v1/suclusters/{name}/deactivate                                   (admin)
 *   DELETE /api/v1/suclusters/{name}                                              (admin)
 *
 * Reads are answered by this MU from its global data and the last published snapshot
 * (the status the Cluster Manager computed, clstatus.h). Writes go to the Master MU like
 * the topology changes (topology.c): an MU that is not the master forwards the call
 * (forward.c); the master applies the edit (cluster/gedit.h "SU Clusters") to region 0
 * through gwrite.c and answers 200 once the write committed. Every write is audited on
 * the MU that carried it out (Start, then OK or Failed) and each change is an event of
 * component Cluster ("SU Cluster 'SUC1' created with the SUs 'su1' and 'su2'"); the
 * status changes that follow are the Cluster Manager's events ("Cluster state of 'SUC1'
 * changed from 'NORMAL' to 'INACTIVE'"). */
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/routes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum suc_op { OP_CREATE, OP_DELETE, OP_ACTIVATE, OP_DEACTIVATE, OP_MAX };

static const char *const op_action[OP_MAX] = {"CreateSUCluster", "DeleteSUCluster",
					      "ActivateSUCluster", "DeactivateSUCluster"};

struct suc_call {
	struct secd *d;
	struct api_req *req; /* NULL once the server answered it itself (stopping) */
	enum suc_op op;
	char account[LB_ACCOUNT_MAX];
	char keys[256];      /* "SUCluster=SUC1; Units=su1,su2; Fencing=self" (audit) */
	struct cluster_su_cluster c;
};

static void call_cancel(struct api_req *r, void *arg)
{
	struct suc_call *c = arg;

	(void)r;
	c->req = NULL;
}

static void audit_start(struct suc_call *c)
{
	secd_audit(c->d, c->account, "SEM", LB_AUDIT_START, "Action=%s%s%s", op_action[c->op],
		   c->keys[0] ? "; " : "", c->keys);
}

static void audit_result(struct suc_call *c, bool ok, const char *result)
{
	secd_audit(c->d, c->account, "SEM", ok ? LB_AUDIT_OK : LB_AUDIT_FAILED,
		   "Action=%s%s%s --> %s", op_action[c->op], c->keys[0] ? "; " : "", c->keys,
		   result);
}

static void fail_call(struct suc_call *c, unsigned status, const char *code, json_t *details,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail_call(struct suc_call *c, unsigned status, const char *code, json_t *details,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	audit_result(c, false, msg);
	if (c->req)
		api_reply_error_details(c->req, status, code, details, "%s", msg);
	else
		json_decref(details);
	free(c);
}

/* ---- the request ---- */

/* POST /api/v1/suclusters: {name, units, fencing?} (no "active": a new SU Cluster is
 * active). */
static int parse_create(struct suc_call *c, struct sec_err *err)
{
	json_t *b = api_req_json(c->req, err);
	int r;

	if (!b)
		return -EINVAL;
	if (json_object_get(b, "active")) {
		json_decref(b);
		return sec_errf(err, -EINVAL, "active: unknown key (a new SU Cluster is active; "
				"deactivate it afterwards)");
	}
	r = cluster_su_cluster_from_json(b, "su_cluster", &c->c, err);
	json_decref(b);
	snprintf(c->keys, sizeof(c->keys), "SUCluster=%s; Units=%s,%s; Fencing=%s", c->c.name,
		 c->c.units[0], c->c.units[1], cluster_fencing_to_string(c->c.fencing));
	return r;
}

static int parse_call(struct suc_call *c, struct sec_err *err)
{
	const char *name;

	if (c->op == OP_CREATE)
		return parse_create(c, err);
	name = api_req_param(c->req, "name");
	if (!name || strlen(name) >= sizeof(c->c.name))
		return sec_errf(err, -EINVAL, "the SU Cluster name in the path is longer than %d "
				"bytes", CLUSTER_SUC_NAME_MAX - 1);
	snprintf(c->c.name, sizeof(c->c.name), "%s", name);
	snprintf(c->keys, sizeof(c->keys), "SUCluster=%s", c->c.name);
	return 0;
}

/* ---- the change (region thread) and its outcome (loop) ---- */

static int suc_edit(struct cluster_global *g, void *arg, struct cluster_conflicts *conf,
		    struct sec_err *err)
{
	struct suc_call *c = arg;

	switch (c->op) {
	case OP_CREATE: return cluster_global_add_su_cluster(g, &c->c, conf, err);
	case OP_DELETE: return cluster_global_remove_su_cluster(g, c->c.name, conf, err);
	default:
		return cluster_global_set_su_cluster_active(g, c->c.name, c->op == OP_ACTIVATE,
							    conf, err);
	}
}

static void changed_event(struct suc_call *c, const struct cluster_global *before,
			  const struct cluster_global *after)
{
	int kb = cluster_global_find_su_cluster(before, c->c.name);
	int ka = cluster_global_find_su_cluster(after, c->c.name);

	if (c->op == OP_CREATE && ka >= 0)
		secd_event(c->d, LB_NOTICE, "Cluster", "SU Cluster '%s' created with the SUs "
			   "'%s' and '%s'", c->c.name, after->su_clusters[ka].units[0],
			   after->su_clusters[ka].units[1]);
	else if (c->op == OP_DELETE)
		secd_event(c->d, LB_NOTICE, "Cluster", "SU Cluster '%s' deleted", c->c.name);
	else if (kb >= 0 && ka >= 0 &&
		 before->su_clusters[kb].active != after->su_clusters[ka].active)
		secd_event(c->d, LB_NOTICE, "Cluster", "SU Cluster '%s' %s", c->c.name,
			   after->su_clusters[ka].active ? "activated" : "deactivated");
}

static void suc_done(void *arg, const struct secd_gresult *res,
		     const struct cluster_global *before, const struct cluster_global *after)
{
	struct suc_call *c = arg;
	json_t *body;
	int k;

	if (res->r == -ECANCELED) { /* the unit is being freed after its loop: only free */
		free(c);
		return;
	}
	switch (res->r) {
	case 0:
		changed_event(c, before, after);
		k = cluster_global_find_su_cluster(after, c->c.name);
		body = json_pack("{s:o, s:I}", "su_cluster",
				 k >= 0 ? cluster_su_cluster_to_json(&after->su_clusters[k])
					: json_null(),
				 "global_generation", (json_int_t)res->generation);
		audit_result(c, true, "OK");
		if (c->req)
			api_reply_json(c->req, 200, body);
		else
			json_decref(body);
		free(c);
		return;
	default: {
		struct secd_gfailure f;
		secd_gresult_failure(res, &f);
		fail_call(c, f.status, f.code, f.details, "%s", f.msg);
	}
	}
}

static void run_here(struct api_req *r, struct secd *d, enum suc_op op)
{
	const struct auth_token_claims *cl = api_req_claims(r);
	struct suc_call *c = calloc(1, sizeof(*c));
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
		audit_start(c);
		fail_call(c, 400, "bad_request", NULL, "%s", err.msg);
		return;
	}
	audit_start(c);
	if (secd_global_change(d, suc_edit, c, suc_done, c, &err) < 0)
		fail_call(c, 503, err.code == -ENOLCK ? "no_master" : "unavailable", NULL, "%s",
			  err.msg);
}

static void handle(struct api_req *r, struct secd *d, enum suc_op op)
{
	if (secd_is_master_now(d))
		run_here(r, d, op);
	else
		secd_forward_write(d, r, op_action[op]);
}

void secd_route_sucluster_create(struct api_req *r, void *arg)
{
	handle(r, arg, OP_CREATE);
}

void secd_route_sucluster_delete(struct api_req *r, void *arg)
{
	handle(r, arg, OP_DELETE);
}

void secd_route_sucluster_activate(struct api_req *r, void *arg)
{
	handle(r, arg, OP_ACTIVATE);
}

void secd_route_sucluster_deactivate(struct api_req *r, void *arg)
{
	handle(r, arg, OP_DEACTIVATE);
}

/* ---- reads ---- */

static json_t *find_named(json_t *array, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")) ?: "", name))
			return v;
	return NULL;
}

static const char *field_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* Status and reasons of SU Cluster c as the Cluster Manager last computed them (the
 * snapshot view v): UNKNOWN until it has (a new SU Cluster, no Master MU). "active" is the
 * global data's. */
static void add_status(json_t *o, const struct cluster_su_cluster *c, json_t *v)
{
	json_t *s = find_named(json_object_get(v, "su_clusters"), c->name);
	json_t *reasons = s ? json_object_get(s, "reasons") : NULL;

	json_object_set_new(o, "status", json_string(field_or(s, "status", "UNKNOWN")));
	json_object_set_new(o, "reasons", reasons ? json_incref(reasons) : json_array());
}

static json_t *suc_summary(const struct cluster_global *g, const struct cluster_su_cluster *c,
			   json_t *v)
{
	json_t *o = cluster_su_cluster_to_json(c);
	int k = cluster_global_find_unit(g, c->units[0]);

	if (!o)
		return NULL;
	json_object_set_new(o, "function", json_string("Live migration"));
	json_object_set_new(o, "su_type", json_string(k >= 0 ? cluster_su_type_to_string(
								       g->units[k].su_type)
							     : ""));
	add_status(o, c, v);
	return o;
}

/* The alive-message fields of snapshot unit s (docs/api.md alive_*) copied to row; null
 * where the snapshot has none. crd.md §4. */
static void copy_alive(json_t *row, json_t *s)
{
	static const char *const keys[] = {"alive_age_ms", "alive_verdict", "alive_reason",
					   "alive_state", "dead_bound_ms"};

	for (size_t i = 0; row && i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *f = s ? json_object_get(s, keys[i]) : NULL;
		json_object_set_new(row, keys[i], f ? json_incref(f) : json_null());
	}
}

/* One row of the units table (seed 3.3) with the alive message as the Master MU sees it. */
static json_t *unit_row(const struct cluster_unit *u, json_t *v)
{
	json_t *s = find_named(json_object_get(v, "units"), u->name), *row;
	bool su = u->role == CRD_UNIT_SU;

	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "unit", u->name, "role",
			 su ? "SU" : "MU", "model",
			 !su ? "" : u->su_type == CLUSTER_SU_390 ? "SU /390" : "SU x86", "server",
			 su ? u->server : "", "operation_mode", su ? "VM2000" : "", "power_status",
			 field_or(s, "power_status", "UNKNOWN"), "crd_disks",
			 field_or(s, "crd_disks", "UNKNOWN"), "network_heartbeat",
			 field_or(s, "network_heartbeat", "UNKNOWN"));
	copy_alive(row, s);
	return row;
}

/* The units table: each SU, and for SU /390 the MUs of its SE Server below it. */
static json_t *units_table(const struct cluster_global *g, const struct cluster_su_cluster *c,
			   json_t *v)
{
	json_t *rows = json_array();

	for (int k = 0; rows && k < 2; k++) {
		int i = cluster_global_find_unit(g, c->units[k]);
		if (i < 0)
			continue;
		json_array_append_new(rows, unit_row(&g->units[i], v));
		if (g->units[i].su_type != CLUSTER_SU_390)
			continue;
		for (unsigned m = 0; m < g->n_units; m++)
			if (g->units[m].role == CRD_UNIT_MU &&
			    !strcmp(g->units[m].server, g->units[i].server))
				json_array_append_new(rows, unit_row(&g->units[m], v));
	}
	return rows;
}

static json_t *view_meta(json_t *v)
{
	return json_pack("{s:O, s:O, s:O}", "version", json_object_get(v, "version"), "age_ms",
			 json_object_get(v, "age_ms"), "stale", json_object_get(v, "stale"));
}

void secd_route_suclusters(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	json_t *v = secd_snapshot_view(d), *list = json_array(), *ans;

	if (!v || !list) {
		json_decref(v);
		json_decref(list);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	for (unsigned i = 0; i < d->global->n_su_clusters; i++)
		json_array_append_new(list, suc_summary(d->global, &d->global->su_clusters[i], v));
	ans = view_meta(v);
	if (ans)
		json_object_set_new(ans, "su_clusters", list);
	else
		json_decref(list);
	json_decref(v);
	if (ans)
		api_reply_json(r, 200, ans);
	else
		api_reply_error(r, 500, "internal", "out of memory");
}

void secd_route_sucluster_show(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const char *name = api_req_param(r, "name");
	int k = name ? cluster_global_find_su_cluster(d->global, name) : -1;
	json_t *v, *ans, *o;

	if (k < 0) {
		api_reply_error(r, 404, "not_found", "SU Cluster '%.32s' does not exist",
				name ? name : "");
		return;
	}
	if (!(v = secd_snapshot_view(d))) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	o = suc_summary(d->global, &d->global->su_clusters[k], v);
	if (o)
		json_object_set_new(o, "units_table", units_table(d->global,
								  &d->global->su_clusters[k], v));
	ans = view_meta(v);
	if (ans && o)
		json_object_set_new(ans, "su_cluster", o);
	else
		json_decref(o);
	json_decref(v);
	if (ans && json_object_get(ans, "su_cluster"))
		api_reply_json(r, 200, ans);
	else {
		json_decref(ans);
		api_reply_error(r, 500, "internal", "out of memory");
	}
}
