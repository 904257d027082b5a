/* manager.c — the Cluster Manager (seed 1.2, 2.1, glossary "Cluster Manager", "Heartbeat";
 * status.md §1–§5; issue 3 "Master MU and the Cluster Manager").
 *
 * It runs while this MU holds the master lease: a UDP challenge/response heartbeat to every
 * other unit every hb_interval (cluster/hbnet.h), the alive messages of every unit as the
 * CRD observer sees them (crd/unit.h crd_unit_peer), and after each interval one
 * computation of every status (clstatus.h), published to every MU with a growing version
 * (snapshot.c raises the status events, clevents.h).
 *
 * Warm-up: a new master publishes its first computation only once every unit has either
 * answered or missed hb_misses heartbeats and its CRD observer has read every external
 * disk's slot area since it became master (or (hb_misses + 1) intervals have passed), so
 * its first comparison with the last published snapshot shows real differences only
 * (status.md §5 "no spurious events for the interval without a master") and no alive
 * message is shown from a read older than the master. */
#include "clstatus/clsjson.h"
#include "crd/timing.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "secd/secd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct secd_manager {
	struct secd *d;
	struct hb_prober *prober;
	uv_timer_t timer;
	bool active;
	bool ready;
	uint64_t since_ms;
	uint64_t obs_reads_since; /* crd_unit_stats().obs_reads when it became master */
	struct cls_input in;
	struct cls_snapshot snap;
	bool inflight[CRD_UNITS_MAX + 1]; /* a snapshot POST to this unit is under way */
};

static enum cls_su_type su_type_of(enum cluster_su_type t)
{
	return t == CLUSTER_SU_X86 ? CLS_SU_X86 : t == CLUSTER_SU_390 ? CLS_SU_390 : CLS_SU_NONE;
}

static void self_obs(struct secd_manager *m, struct cls_unit_obs *o, uint64_t now)
{
	enum crd_disk_status disks[CRD_SET_DISKS_MAX];
	const struct crd_status *st = crd_unit_crd_status_detail(m->d->unit);
	struct crd_timing timing = crd_unit_timing(m->d->unit);
	uint32_t n = 0;

	o->hb_missed = 0;
	o->last_reply_ms = now;
	o->alive = CRD_ALIVE_ALIVE;
	o->alive_reason = CRD_ALIVE_R_CHANGING;
	o->alive_change_ms = now;
	o->alive_state = CRD_SLOT_RUNNING; /* a stopping master publishes nothing more */
	o->alive_bound_ms = crd_dead_bound_ms(&timing);
	o->reported = true;
	o->report_ms = now;
	o->crd = crd_unit_crd_status(m->d->unit, disks, &n);
	/* each disk of its own (a peer's reply carries only its summary) */
	o->n_disks = n <= CLS_DISKS_MAX ? n : CLS_DISKS_MAX;
	for (uint32_t i = 0; i < o->n_disks; i++) {
		o->disk[i] = disks[i];
		snprintf(o->disk_name[i], sizeof(o->disk_name[i]), "%s", st->disk_name[i]);
	}
	o->system = CLS_SYSTEM_RUNNING;
	snprintf(o->version, sizeof(o->version), "%s", SECD_SW_VERSION);
	o->skew_known = true;
}

static void peer_obs(struct secd_manager *m, uint32_t id, struct cls_unit_obs *o)
{
	const struct hb_peer *p = m->prober ? hb_prober_peer(m->prober, id) : NULL;
	struct crd_unit_peer cp;

	if (p) {
		o->hb_missed = p->missed;
		o->last_reply_ms = p->last_reply_ms;
		if (p->have_report) {
			o->reported = true;
			o->report_ms = p->report_ms;
			o->crd = p->report.crd_disks;
			o->system = (enum cls_system)p->report.system;
			snprintf(o->version, sizeof(o->version), "%.*s", (int)sizeof(o->version) - 1,
				 p->report.sw_version);
		}
		o->skew_known = p->skew_known;
		o->skew_ms = p->skew_ms;
	} else {
		o->hb_missed = UINT32_MAX;
	}
	/* a slot this MU has not read yet is "not read yet", never "never seen" */
	o->alive = CRD_ALIVE_UNDETERMINABLE;
	o->alive_reason = CRD_ALIVE_R_NOT_READ;
	if (crd_unit_peer(m->d->unit, id, &cp) == 0) {
		o->alive = cp.verdict;
		o->alive_reason = cp.reason;
		o->alive_change_ms = cp.change_ns / 1000000u;
		o->alive_state = cp.state;
		o->alive_bound_ms = cp.bound_ms;
	}
}

/* The index of the unit named name in in->unit[], or -1. */
static int input_unit(const struct cls_input *in, const char *name)
{
	for (uint32_t i = 0; i < in->n_units; i++)
		if (!strcmp(in->unit[i].name, name))
			return (int)i;
	return -1;
}

_Static_assert(CLUSTER_SU_CLUSTERS_MAX <= CLS_SU_CLUSTERS_MAX,
	       "every SU Cluster of the global data fits the Cluster Manager's input");

/* The SU Clusters of the global data (status.md §3): the two SUs by index, INACTIVE when
 * deactivated. One whose SUs are not both in the input is left out. */
static void add_su_clusters(const struct cluster_global *g, struct cls_input *in)
{
	for (unsigned i = 0; i < g->n_su_clusters && in->n_su_clusters < CLS_SU_CLUSTERS_MAX;
	     i++) {
		const struct cluster_su_cluster *c = &g->su_clusters[i];
		struct cls_su_cluster_cfg *o = &in->su_cluster[in->n_su_clusters];
		int a = input_unit(in, c->units[0]), b = input_unit(in, c->units[1]);
		if (a < 0 || b < 0 || a == b)
			continue;
		snprintf(o->name, sizeof(o->name), "%s", c->name);
		o->su[0] = (uint32_t)a;
		o->su[1] = (uint32_t)b;
		o->inactive = !c->active;
		in->n_su_clusters++;
	}
}

/* The input of one computation: the topology of the global data and what was observed. */
static void build_input(struct secd_manager *m, uint64_t now)
{
	const struct cluster_global *g = m->d->global;
	struct cls_input *in = &m->in;

	memset(in, 0, sizeof(*in));
	in->now_ms = now;
	in->hb_misses = m->d->cfg.hb_misses;
	in->skew_threshold_ms = SECD_SKEW_THRESHOLD_MS;
	in->master = -1;
	for (unsigned i = 0; i < g->n_servers && i < CLS_SERVERS_MAX; i++)
		snprintf(in->server[in->n_servers++].name, CLS_NAME_MAX + 1, "%s", g->servers[i].name);
	for (unsigned i = 0; i < g->n_units && in->n_units < CLS_UNITS_MAX; i++) {
		const struct cluster_unit *u = &g->units[i];
		int s = cluster_global_find_server(g, u->server);
		struct cls_unit_cfg *c;
		if (s < 0 || s >= CLS_SERVERS_MAX)
			continue;
		c = &in->unit[in->n_units];
		snprintf(c->name, sizeof(c->name), "%s", u->name);
		c->role = u->role == CRD_UNIT_MU ? CLS_ROLE_MU : CLS_ROLE_SU;
		c->su_type = su_type_of(u->su_type);
		c->server = (uint32_t)s;
		if (u->role == CRD_UNIT_SU) /* secd's SUs run VM2000 (docs/su.md) */
			snprintf(c->bs2000_mode, sizeof(c->bs2000_mode), "VM2000");
		if (u->unit_id == m->d->cfg.unit_id) {
			in->master = (int32_t)in->n_units;
			self_obs(m, &c->obs, now);
		} else {
			peer_obs(m, u->unit_id, &c->obs);
		}
		in->n_units++;
	}
	add_su_clusters(g, in);
}

/* Completed slot-area reads of the CRD observer (per disk, crd_unit_stats). */
static uint64_t obs_reads(const struct secd_manager *m)
{
	struct crd_unit_stats st;

	crd_unit_stats(m->d->unit, &st);
	return st.obs_reads;
}

/* True once the CRD observer has read the slot area of every external disk since this MU
 * became master: before, a unit's last read slot may be one read before that unit started
 * (an empty slot, "never seen" in the first snapshot after `sectl lab up`). */
static bool observed_since(const struct secd_manager *m)
{
	enum crd_disk_status disks[CRD_SET_DISKS_MAX];
	uint32_t n = 0;

	crd_unit_crd_status(m->d->unit, disks, &n);
	return obs_reads(m) >= m->obs_reads_since + n;
}

/* Warm-up (top of file). */
static bool warmed_up(struct secd_manager *m, uint64_t now)
{
	const struct cluster_global *g = m->d->global;

	if (now >= m->since_ms + (m->d->cfg.hb_misses + 1ull) * m->d->cfg.hb_interval_ms)
		return true;
	if (!observed_since(m))
		return false;
	for (unsigned i = 0; i < g->n_units; i++) {
		const struct hb_peer *p;
		if (g->units[i].unit_id == m->d->cfg.unit_id)
			continue;
		p = hb_prober_peer(m->prober, g->units[i].unit_id);
		if (p && !p->last_reply_ms && p->missed < m->d->cfg.hb_misses)
			return false;
	}
	return true;
}

struct post {
	struct secd_manager *m;
	uint32_t to;
};

static void post_done(void *arg, const struct httpc_result *res)
{
	struct post *p = arg;

	p->m->inflight[p->to] = false;
	if (res->err != -ECANCELED && (res->err || res->status != 200))
		log_debug("snapshot to unit %u: %s (HTTP %ld)", p->to,
			  res->err ? res->errmsg : "refused", res->status);
	free(p);
}

/* Sends the snapshot to every other MU; one POST per MU at a time (a slow MU gets the next
 * one when it has answered). */
static void distribute(struct secd_manager *m)
{
	struct secd *d = m->d;
	const struct cluster_global *g = d->global;
	json_t *j = json_deep_copy(d->snap_json);
	char *body;

	if (!j)
		return;
	json_object_set_new(j, "master_unit", json_integer(d->cfg.unit_id));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!body)
		return;
	for (unsigned i = 0; i < g->n_units; i++) {
		const struct cluster_unit *u = &g->units[i];
		struct post *p;
		if (u->role != CRD_UNIT_MU || u->unit_id == d->cfg.unit_id || m->inflight[u->unit_id])
			continue;
		if (!(p = malloc(sizeof(*p))))
			break;
		*p = (struct post){m, u->unit_id};
		if (httpc_call(d->httpc, u->unit_id, u->api, "POST", "/api/v1/internal/snapshot",
			       body, strlen(body), 2 * d->cfg.hb_interval_ms, post_done, p) == 0)
			m->inflight[u->unit_id] = true;
		else
			free(p);
	}
	free(body);
}

static void tick(uv_timer_t *t)
{
	struct secd_manager *m = t->data;
	uint64_t now = secd_now_ms();

	if (!m->active || !m->d->master)
		return;
	if (!m->ready && !(m->ready = warmed_up(m, now)))
		return;
	build_input(m, now);
	if (cls_compute(&m->in, &m->snap) < 0) {
		log_warnx("%s: Cluster Manager: the topology is inconsistent; no status computed",
			  m->d->who);
		return;
	}
	m->snap.version = m->d->tracker->last.version + 1;
	secd_snapshot_publish(m->d, &m->snap);
	distribute(m);
}

/* Every other unit of the global data as a heartbeat target. */
static int set_targets(struct secd_manager *m, struct sec_err *reterr)
{
	struct secd *d = m->d;
	const struct cluster_global *g = d->global;
	struct hb_target *t = calloc(g->n_units ? g->n_units : 1, sizeof(*t));
	size_t n = 0;
	int r;

	if (!t)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < g->n_units; i++) {
		if (g->units[i].unit_id == d->cfg.unit_id)
			continue;
		t[n].unit = g->units[i].unit_id;
		snprintf(t[n].addr, sizeof(t[n].addr), "%s", g->units[i].heartbeat);
		n++;
	}
	r = hb_prober_set_targets(m->prober, t, n, reterr);
	free(t);
	return r;
}

static int start_prober(struct secd_manager *m, struct sec_err *reterr)
{
	struct secd *d = m->d;
	int r;

	r = hb_prober_start(&d->loop, &d->cluster_key, d->cfg.unit_id, d->incarnation,
			    d->cfg.hb_interval_ms, NULL, NULL, &m->prober, reterr);
	if (r == 0)
		r = set_targets(m, reterr);
	return r;
}

void secd_manager_topology_changed(struct secd_manager *m)
{
	struct sec_err err = {0};

	if (!m->active || !m->prober)
		return;
	if (set_targets(m, &err) < 0)
		log_warnx("%s: Cluster Manager: the new heartbeat targets are refused (the old "
			  "ones stay): %s", m->d->who, err.msg);
	else
		log_info("%s: Cluster Manager: heartbeat to %u units", m->d->who,
			 m->d->global->n_units - 1);
}

void secd_manager_set_master(struct secd_manager *m, bool master)
{
	struct sec_err err = {0};

	if (master == m->active)
		return;
	m->active = master;
	if (!master) {
		uv_timer_stop(&m->timer);
		if (m->prober)
			hb_prober_stop(m->prober);
		m->prober = NULL;
		log_info("%s: Cluster Manager stopped", m->d->who);
		return;
	}
	m->ready = false;
	m->since_ms = secd_now_ms();
	m->obs_reads_since = obs_reads(m);
	if (start_prober(m, &err) < 0) {
		log_warnx("%s: Cluster Manager: cannot start the network heartbeat: %s", m->d->who,
			  err.msg);
		m->active = false;
		return;
	}
	uv_timer_start(&m->timer, tick, m->d->cfg.hb_interval_ms, m->d->cfg.hb_interval_ms);
	log_info("%s: Cluster Manager started (heartbeat every %u ms to %u units)", m->d->who,
		 m->d->cfg.hb_interval_ms, m->d->global->n_units - 1);
}

void secd_manager_set_interval(struct secd_manager *m, uint32_t interval_ms)
{
	if (!m->active)
		return; /* the next start takes the configured interval */
	if (m->prober)
		hb_prober_set_interval(m->prober, interval_ms);
	uv_timer_start(&m->timer, tick, interval_ms, interval_ms);
	log_info("%s: Cluster Manager: heartbeat every %u ms now", m->d->who, interval_ms);
}

int secd_manager_new(struct secd *d, struct secd_manager **ret, struct sec_err *reterr)
{
	struct secd_manager *m = calloc(1, sizeof(*m));

	if (!m)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	m->d = d;
	uv_timer_init(&d->loop, &m->timer);
	m->timer.data = m;
	*ret = m;
	return 0;
}

static void free_closed(uv_handle_t *h)
{
	free(h->data);
}

void secd_manager_free(struct secd_manager *m)
{
	if (!m)
		return;
	secd_manager_set_master(m, false);
	uv_close((uv_handle_t *)&m->timer, free_closed);
}
