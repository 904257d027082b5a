/* clsjson.c — the status snapshot as JSON (clsjson.h; docs/api.md). */
#include "clstatus/clsjson.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- enum names, both ways ---- */

typedef const char *name_fn(unsigned i);

static const char *n_status(unsigned i) { return cls_status_to_string((enum cls_status)i); }
static const char *n_power(unsigned i) { return cls_power_to_string((enum cls_power)i); }
static const char *n_hb(unsigned i) { return cls_hb_to_string((enum cls_hb)i); }
static const char *n_system(unsigned i) { return cls_system_to_string((enum cls_system)i); }
static const char *n_role(unsigned i) { return cls_role_to_string((enum cls_role)i); }
static const char *n_disk(unsigned i) { return crd_disk_status_to_string((enum crd_disk_status)i); }
static const char *n_reason(unsigned i) { return cls_su_reason_to_string((enum cls_su_reason)i); }
static const char *n_alive(unsigned i) { return cls_alive_to_string((enum crd_alive_verdict_kind)i); }
static const char *n_alive_reason(unsigned i)
{
	return crd_alive_reason_to_string((enum crd_alive_reason)i);
}
static const char *n_slot_state(unsigned i) { return crd_slot_state_to_string((enum crd_slot_state)i); }

/* Decoding context: the field path for messages. */
struct dec {
	struct sec_err *err;
	char path[96];
};

static int bad(struct dec *d, const char *field, const char *why)
{
	return sec_errf(d->err, -EINVAL, "snapshot: %s%s%s: %s", d->path, *d->path ? "." : "",
			field, why);
}

static int get_enum(struct dec *d, const json_t *o, const char *field, name_fn *fn,
		    unsigned max, unsigned *ret)
{
	const char *s = json_string_value(json_object_get(o, field));
	char why[160];

	if (!s)
		return bad(d, field, "missing or not a string");
	for (unsigned i = 0; i < max; i++)
		if (!strcmp(fn(i), s)) {
			*ret = i;
			return 0;
		}
	snprintf(why, sizeof(why), "'%.60s' is not a known value", s);
	return bad(d, field, why);
}

static int get_str(struct dec *d, const json_t *o, const char *field, char *buf, size_t size,
		   bool null_ok)
{
	const json_t *v = json_object_get(o, field);
	const char *s = json_string_value(v);

	if (null_ok && json_is_null(v)) {
		buf[0] = 0;
		return 0;
	}
	if (!s)
		return bad(d, field, "missing or not a string");
	if (strlen(s) >= size)
		return bad(d, field, "too long");
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int get_uint(struct dec *d, const json_t *o, const char *field, uint64_t *ret,
		    bool null_is_max)
{
	const json_t *v = json_object_get(o, field);

	if (null_is_max && json_is_null(v)) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(d, field, "missing or not a non-negative integer");
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_bool(struct dec *d, const json_t *o, const char *field, bool *ret)
{
	const json_t *v = json_object_get(o, field);

	if (!json_is_boolean(v))
		return bad(d, field, "missing or not a boolean");
	*ret = json_is_true(v);
	return 0;
}

static const json_t *get_array(struct dec *d, const json_t *o, const char *field, size_t max,
			       int *r)
{
	const json_t *a = json_object_get(o, field);

	*r = 0;
	if (!json_is_array(a))
		*r = bad(d, field, "missing or not an array");
	else if (json_array_size(a) > max)
		*r = bad(d, field, "more entries than a snapshot holds");
	return *r ? NULL : a;
}

/* ---- encoding ---- */

/* The alive-message fields of a unit (docs/api.md "alive_*"), added to j. */
static void alive_to_json(json_t *j, const struct cls_unit_out *u)
{
	if (!j)
		return;
	json_object_set_new(j, "alive_verdict", json_string(n_alive(u->alive)));
	json_object_set_new(j, "alive_reason", json_string(n_alive_reason(u->alive_reason)));
	json_object_set_new(j, "alive_state", u->alive_state == CRD_SLOT_EMPTY
						      ? json_null()
						      : json_string(n_slot_state(u->alive_state)));
	json_object_set_new(j, "dead_bound_ms", u->dead_bound_ms
							? json_integer((json_int_t)u->dead_bound_ms)
							: json_null());
}

static json_t *unit_to_json(const struct cls_unit_out *u)
{
	json_t *disks = json_array(), *j;

	for (uint32_t i = 0; i < u->n_disks && i < CLS_DISKS_MAX; i++)
		json_array_append_new(disks, json_pack("{s:s, s:s}", "name", u->disk_name[i],
						       "status", n_disk(u->disk[i])));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:s, s:I, s:b}",
			 "name", u->name, "server", u->server, "role", n_role(u->role),
			 "power_status", n_power(u->power), "network_heartbeat", n_hb(u->hb),
			 "crd_disks", n_status(u->crd), "crd_disks_age_ms",
			 (json_int_t)u->crd_age_ms, "disks", disks, "alive_age_ms",
			 u->alive_age_ms == UINT64_MAX ? json_null()
						       : json_integer((json_int_t)u->alive_age_ms),
			 "system_status", n_system(u->system), "status", n_status(u->summary),
			 "version", u->version, "clock_skew_ms", (json_int_t)u->skew_ms,
			 "clock_skew", u->skew);
	alive_to_json(j, u);
	return j;
}

static json_t *su_cluster_to_json(const struct cls_su_cluster_out *c)
{
	json_t *reasons = json_array();

	for (unsigned r = 0; r < CLS_SU_REASON_MAX; r++)
		if (c->reasons & (1u << r))
			json_array_append_new(reasons, json_string(n_reason(r)));
	return json_pack("{s:s, s:s, s:o}", "name", c->name, "status", n_status(c->status),
			 "reasons", reasons);
}

static json_t *mgmt_to_json(const struct cls_snapshot *s)
{
	const struct cls_mgmt_out *m = &s->mgmt;
	json_t *pairs = json_array();

	for (uint32_t i = 0; i < m->n_pairs; i++) {
		const struct cls_isl_pair *p = &m->pair[i];
		if (p->a < s->n_servers && p->b < s->n_servers)
			json_array_append_new(pairs, json_pack("{s:s, s:s, s:s}", "a",
							       s->server[p->a], "b", s->server[p->b],
							       "status", n_status(p->status)));
	}
	return json_pack("{s:s, s:b, s:s, s:b, s:o}", "name", CLS_MGMT_NAME, "present",
			 m->present, "status", n_status(m->status), "versions_differ",
			 m->versions_differ, "isl_e_pairs", pairs);
}

json_t *cls_snapshot_to_json(const struct cls_snapshot *s, const char *cluster)
{
	json_t *units = json_array(), *sucs = json_array(), *servers = json_array(), *j;

	for (uint32_t i = 0; i < s->n_servers && i < CLS_SERVERS_MAX; i++)
		json_array_append_new(servers, json_string(s->server[i]));
	for (uint32_t i = 0; i < s->n_units && i < CLS_UNITS_MAX; i++)
		json_array_append_new(units, unit_to_json(&s->unit[i]));
	for (uint32_t i = 0; i < s->n_su_clusters && i < CLS_SU_CLUSTERS_MAX; i++)
		json_array_append_new(sucs, su_cluster_to_json(&s->su_cluster[i]));
	j = json_pack("{s:I, s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
		      "version", (json_int_t)s->version, "computed_ms",
		      (json_int_t)s->computed_ms, "cluster", cluster ? cluster : "", "status",
		      n_status(s->mgmt.status), "master_mu",
		      s->mgmt.have_master ? json_string(s->mgmt.master) : json_null(),
		      "master_crd", n_status(s->mgmt.master_crd), "isl_e", n_status(s->mgmt.isl_e),
		      "management_cluster", mgmt_to_json(s), "dashboard",
		      json_pack("{s:i, s:s, s:b, s:s, s:i, s:s}", "clusters",
				(int)s->dash.n_clusters, "worst", n_status(s->dash.worst),
				"management_present", s->dash.mgmt_present, "management",
				n_status(s->dash.mgmt), "su_clusters", (int)s->dash.n_su,
				"su_worst", n_status(s->dash.su_worst)),
		      "servers", servers, "units", units, "su_clusters", sucs);
	return j;
}

/* ---- decoding ---- */

/* The alive_* fields; absent (a master of an older version) they stay unknown:
 * undeterminable, no reason, no state, no bound. */
static int alive_from_json(struct dec *d, const json_t *o, struct cls_unit_out *u)
{
	const json_t *st = json_object_get(o, "alive_state");
	unsigned v;
	int r;

	u->alive = CRD_ALIVE_UNDETERMINABLE;
	u->alive_reason = CRD_ALIVE_R_NONE;
	u->alive_state = CRD_SLOT_EMPTY;
	u->dead_bound_ms = 0;
	if (!json_object_get(o, "alive_verdict"))
		return 0;
	if ((r = get_enum(d, o, "alive_verdict", n_alive, CRD_ALIVE_VERDICT_MAX, &v)) < 0)
		return r;
	u->alive = (enum crd_alive_verdict_kind)v;
	if ((r = get_enum(d, o, "alive_reason", n_alive_reason, CRD_ALIVE_REASON_MAX, &v)) < 0)
		return r;
	u->alive_reason = (enum crd_alive_reason)v;
	if (!json_is_null(st)) {
		if ((r = get_enum(d, o, "alive_state", n_slot_state, CRD_SLOT_STATE_MAX, &v)) < 0)
			return r;
		u->alive_state = (enum crd_slot_state)v;
	}
	if (json_is_null(json_object_get(o, "dead_bound_ms")))
		return 0;
	return get_uint(d, o, "dead_bound_ms", &u->dead_bound_ms, false);
}

static int unit_from_json(struct dec *d, const json_t *o, struct cls_unit_out *u)
{
	unsigned v;
	uint64_t n;
	int r;
	const json_t *disks;

	if (!json_is_object(o))
		return bad(d, "", "not an object");
	if ((r = get_str(d, o, "name", u->name, sizeof(u->name), false)) < 0 ||
	    (r = get_str(d, o, "server", u->server, sizeof(u->server), false)) < 0 ||
	    (r = get_str(d, o, "version", u->version, sizeof(u->version), false)) < 0)
		return r;
	if ((r = get_enum(d, o, "role", n_role, CLS_ROLE_MAX, &v)) < 0)
		return r;
	u->role = (enum cls_role)v;
	if ((r = get_enum(d, o, "power_status", n_power, CLS_POWER_MAX, &v)) < 0)
		return r;
	u->power = (enum cls_power)v;
	if ((r = get_enum(d, o, "network_heartbeat", n_hb, CLS_HB_MAX, &v)) < 0)
		return r;
	u->hb = (enum cls_hb)v;
	if ((r = get_enum(d, o, "crd_disks", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	u->crd = (enum cls_status)v;
	if ((r = get_enum(d, o, "system_status", n_system, CLS_SYSTEM_MAX, &v)) < 0)
		return r;
	u->system = (enum cls_system)v;
	if ((r = get_enum(d, o, "status", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	u->summary = (enum cls_status)v;
	if ((r = get_uint(d, o, "crd_disks_age_ms", &u->crd_age_ms, false)) < 0 ||
	    (r = get_uint(d, o, "alive_age_ms", &u->alive_age_ms, true)) < 0 ||
	    (r = get_uint(d, o, "clock_skew_ms", &n, false)) < 0 ||
	    (r = get_bool(d, o, "clock_skew", &u->skew)) < 0)
		return r;
	u->skew_ms = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if ((r = alive_from_json(d, o, u)) < 0)
		return r;
	if (!(disks = get_array(d, o, "disks", CLS_DISKS_MAX, &r)))
		return r;
	u->n_disks = (uint32_t)json_array_size(disks);
	for (uint32_t i = 0; i < u->n_disks; i++) {
		const json_t *e = json_array_get(disks, i);
		if (!json_is_object(e))
			return bad(d, "disks", "an entry is not an object");
		if ((r = get_str(d, e, "name", u->disk_name[i], sizeof(u->disk_name[i]), false)) < 0 ||
		    (r = get_enum(d, e, "status", n_disk, CRD_DISK_STATUS_MAX, &v)) < 0)
			return r;
		u->disk[i] = (enum crd_disk_status)v;
	}
	return 0;
}

static int su_cluster_from_json(struct dec *d, const json_t *o, struct cls_su_cluster_out *c)
{
	const json_t *reasons;
	unsigned v;
	int r;

	if (!json_is_object(o))
		return bad(d, "", "not an object");
	if ((r = get_str(d, o, "name", c->name, sizeof(c->name), false)) < 0 ||
	    (r = get_enum(d, o, "status", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	c->status = (enum cls_status)v;
	if (!(reasons = get_array(d, o, "reasons", CLS_SU_REASON_MAX, &r)))
		return r;
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		const char *s = json_string_value(json_array_get(reasons, i));
		unsigned k;
		for (k = 0; s && k < CLS_SU_REASON_MAX && strcmp(n_reason(k), s); k++)
			;
		if (!s || k == CLS_SU_REASON_MAX)
			return bad(d, "reasons", "an entry is not a known reason");
		c->reasons |= 1u << k;
	}
	return 0;
}

static int server_index(const struct cls_snapshot *s, const char *name)
{
	for (uint32_t i = 0; i < s->n_servers; i++)
		if (!strcmp(s->server[i], name))
			return (int)i;
	return -1;
}

static int mgmt_from_json(struct dec *d, const json_t *o, struct cls_snapshot *s)
{
	struct cls_mgmt_out *m = &s->mgmt;
	const json_t *mc = json_object_get(o, "management_cluster"), *pairs;
	unsigned v;
	int r;

	if ((r = get_enum(d, o, "status", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	m->status = (enum cls_status)v;
	if ((r = get_enum(d, o, "master_crd", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	m->master_crd = (enum cls_status)v;
	if ((r = get_enum(d, o, "isl_e", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	m->isl_e = (enum cls_status)v;
	if ((r = get_str(d, o, "master_mu", m->master, sizeof(m->master), true)) < 0)
		return r;
	m->have_master = m->master[0] != 0;
	if (!json_is_object(mc))
		return bad(d, "management_cluster", "missing or not an object");
	snprintf(d->path, sizeof(d->path), "management_cluster");
	if ((r = get_bool(d, mc, "present", &m->present)) < 0 ||
	    (r = get_bool(d, mc, "versions_differ", &m->versions_differ)) < 0)
		return r;
	if (!(pairs = get_array(d, mc, "isl_e_pairs", sizeof(m->pair) / sizeof(m->pair[0]), &r)))
		return r;
	m->n_pairs = (uint32_t)json_array_size(pairs);
	for (uint32_t i = 0; i < m->n_pairs; i++) {
		const json_t *p = json_array_get(pairs, i);
		const char *a = json_string_value(json_object_get(p, "a"));
		const char *b = json_string_value(json_object_get(p, "b"));
		int ia = a ? server_index(s, a) : -1, ib = b ? server_index(s, b) : -1;
		if (ia < 0 || ib < 0)
			return bad(d, "isl_e_pairs", "an entry names an unknown SE Server");
		if ((r = get_enum(d, p, "status", n_status, CLS_STATUS_MAX, &v)) < 0)
			return r;
		m->pair[i] = (struct cls_isl_pair){(uint32_t)ia, (uint32_t)ib, (enum cls_status)v};
	}
	d->path[0] = 0;
	return 0;
}

static int dash_from_json(struct dec *d, const json_t *o, struct cls_dashboard *dash)
{
	const json_t *t = json_object_get(o, "dashboard");
	uint64_t n;
	unsigned v;
	int r;

	if (!json_is_object(t))
		return bad(d, "dashboard", "missing or not an object");
	snprintf(d->path, sizeof(d->path), "dashboard");
	if ((r = get_uint(d, t, "clusters", &n, false)) < 0)
		return r;
	dash->n_clusters = (uint32_t)n;
	if ((r = get_uint(d, t, "su_clusters", &n, false)) < 0)
		return r;
	dash->n_su = (uint32_t)n;
	if ((r = get_bool(d, t, "management_present", &dash->mgmt_present)) < 0)
		return r;
	if ((r = get_enum(d, t, "worst", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	dash->worst = (enum cls_status)v;
	if ((r = get_enum(d, t, "management", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	dash->mgmt = (enum cls_status)v;
	if ((r = get_enum(d, t, "su_worst", n_status, CLS_STATUS_MAX, &v)) < 0)
		return r;
	dash->su_worst = (enum cls_status)v;
	d->path[0] = 0;
	return 0;
}

static int snapshot_from_json(struct dec *d, const json_t *j, struct cls_snapshot *s)
{
	const json_t *servers, *units, *sucs;
	int r;

	if (!json_is_object(j))
		return bad(d, "(top)", "not an object");
	if ((r = get_uint(d, j, "version", &s->version, false)) < 0 ||
	    (r = get_uint(d, j, "computed_ms", &s->computed_ms, false)) < 0)
		return r;
	if (!(servers = get_array(d, j, "servers", CLS_SERVERS_MAX, &r)) ||
	    !(units = get_array(d, j, "units", CLS_UNITS_MAX, &r)) ||
	    !(sucs = get_array(d, j, "su_clusters", CLS_SU_CLUSTERS_MAX, &r)))
		return r;
	s->n_servers = (uint32_t)json_array_size(servers);
	for (uint32_t i = 0; i < s->n_servers; i++) {
		const char *n = json_string_value(json_array_get(servers, i));
		if (!n || strlen(n) > CLS_NAME_MAX)
			return bad(d, "servers", "an entry is not a name");
		memcpy(s->server[i], n, strlen(n) + 1);
	}
	s->n_units = (uint32_t)json_array_size(units);
	for (uint32_t i = 0; i < s->n_units; i++) {
		snprintf(d->path, sizeof(d->path), "units[%u]", i);
		if ((r = unit_from_json(d, json_array_get(units, i), &s->unit[i])) < 0)
			return r;
	}
	s->n_su_clusters = (uint32_t)json_array_size(sucs);
	for (uint32_t i = 0; i < s->n_su_clusters; i++) {
		snprintf(d->path, sizeof(d->path), "su_clusters[%u]", i);
		if ((r = su_cluster_from_json(d, json_array_get(sucs, i), &s->su_cluster[i])) < 0)
			return r;
	}
	d->path[0] = 0;
	if ((r = mgmt_from_json(d, j, s)) < 0)
		return r;
	return dash_from_json(d, j, &s->dash);
}

int cls_snapshot_from_json(const json_t *j, struct cls_snapshot *ret, struct sec_err *reterr)
{
	struct dec d = {.err = reterr};
	int r;

	memset(ret, 0, sizeof(*ret));
	r = snapshot_from_json(&d, j, ret);
	if (r < 0)
		memset(ret, 0, sizeof(*ret));
	return r;
}
