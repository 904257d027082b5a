/* clstatus.c — the Cluster Manager's status computation (status.md §1–§4). */
#include "clstatus/clstatus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *cls_status_to_string(enum cls_status s)
{
	static const char *const names[CLS_STATUS_MAX] = {
		[CLS_NORMAL] = "NORMAL",     [CLS_WARNING] = "WARNING",
		[CLS_ERROR] = "ERROR",       [CLS_INACTIVE] = "INACTIVE",
		[CLS_NOT_CONFIGURED] = "NOT_CONFIGURED", [CLS_UNKNOWN] = "UNKNOWN",
	};
	return (unsigned)s < CLS_STATUS_MAX ? names[s] : "?";
}

const char *cls_power_to_string(enum cls_power p)
{
	static const char *const names[CLS_POWER_MAX] = {"ON", "OFF", "UNKNOWN"};
	return (unsigned)p < CLS_POWER_MAX ? names[p] : "?";
}

const char *cls_hb_to_string(enum cls_hb h)
{
	static const char *const names[CLS_HB_MAX] = {"NORMAL", "NOT_ACCESSIBLE", "UNKNOWN"};
	return (unsigned)h < CLS_HB_MAX ? names[h] : "?";
}

const char *cls_system_to_string(enum cls_system s)
{
	static const char *const names[CLS_SYSTEM_MAX] = {"RUNNING", "DOWN", "UNKNOWN"};
	return (unsigned)s < CLS_SYSTEM_MAX ? names[s] : "?";
}

const char *cls_role_to_string(enum cls_role r)
{
	static const char *const names[CLS_ROLE_MAX] = {"MU", "SU"};
	return (unsigned)r < CLS_ROLE_MAX ? names[r] : "?";
}

const char *cls_su_type_to_string(enum cls_su_type t)
{
	static const char *const names[CLS_SU_TYPE_MAX] = {"", "SU /390", "SU x86"};
	return (unsigned)t < CLS_SU_TYPE_MAX ? names[t] : "?";
}

const char *cls_su_reason_to_string(enum cls_su_reason r)
{
	static const char *const names[CLS_SU_REASON_MAX] = {
		[CLS_SUR_INACTIVE] = "deactivated by an administrator",
		[CLS_SUR_SU_NOT_ON] = "an SU is not ON",
		[CLS_SUR_SU_NOT_ACCESSIBLE] = "an SU is NOT_ACCESSIBLE",
		[CLS_SUR_SU_CRD_ERROR] = "the CRD status of an SU is ERROR",
		[CLS_SUR_MODE_DIFFERS] = "the SUs run different BS2000 operation modes",
		[CLS_SUR_NO_MU_OWN_SERVER] = "no MU of an SU's own SE Server is available",
		[CLS_SUR_SU_CRD_WARNING] = "the CRD status of an SU is WARNING",
		[CLS_SUR_MU_DOWN] = "an MU of an SU's SE Server is down",
		[CLS_SUR_VERSION_DIFFERS] = "the SUs run different software versions",
		[CLS_SUR_NO_MASTER] = "no Master MU",
	};
	return (unsigned)r < CLS_SU_REASON_MAX ? names[r] : "?";
}

const char *cls_alive_to_string(enum crd_alive_verdict_kind v)
{
	static const char *const names[CRD_ALIVE_VERDICT_MAX] = {
		[CRD_ALIVE_UNDETERMINABLE] = "undeterminable",
		[CRD_ALIVE_ALIVE] = "alive",
		[CRD_ALIVE_DEAD] = "dead",
		[CRD_ALIVE_NEVER_SEEN] = "never seen",
	};
	return (unsigned)v < CRD_ALIVE_VERDICT_MAX ? names[v] : "?";
}

static int status_rank(enum cls_status s)
{
	switch (s) {
	case CLS_NORMAL:
	case CLS_NOT_CONFIGURED:
		return 0;
	case CLS_INACTIVE:
		return 1;
	case CLS_WARNING:
		return 2;
	case CLS_UNKNOWN:
		return 3;
	default:
		return 4;
	}
}

enum cls_status cls_status_worst(enum cls_status a, enum cls_status b)
{
	return status_rank(b) > status_rank(a) ? b : a;
}

static void copy_name(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static bool answers(const struct cls_unit_obs *o, uint32_t hb_misses)
{
	return o->last_reply_ms != 0 && o->hb_missed < hb_misses;
}

/* status.md §1 "Network heartbeat": NOT_ACCESSIBLE after hb_misses missed replies in a
 * row, NORMAL again at the first reply. A unit that never replied is NOT_ACCESSIBLE. */
enum cls_hb cls_unit_hb(const struct cls_unit_obs *o, uint32_t hb_misses, bool has_master)
{
	if (!has_master)
		return CLS_HB_UNKNOWN;
	return answers(o, hb_misses) ? CLS_HB_NORMAL : CLS_HB_NOT_ACCESSIBLE;
}

/* status.md §1 "Power status". A clean shutdown (slot LEFT) or an operator's power-off is
 * OFF even while the heartbeat has not yet missed hb_misses replies: the unit said so. */
enum cls_power cls_unit_power(const struct cls_unit_obs *o, uint32_t hb_misses, bool has_master)
{
	if (!has_master)
		return CLS_POWER_UNKNOWN;
	if (o->powered_off || o->alive_reason == CRD_ALIVE_R_LEFT)
		return CLS_POWER_OFF;
	if (answers(o, hb_misses) || o->alive == CRD_ALIVE_ALIVE)
		return CLS_POWER_ON;
	return CLS_POWER_UNKNOWN;
}

static enum cls_status crd_column(enum crd_unit_status s)
{
	switch (s) {
	case CRD_UNIT_NORMAL:
		return CLS_NORMAL;
	case CRD_UNIT_WARNING:
		return CLS_WARNING;
	case CRD_UNIT_NOT_CONFIGURED:
		return CLS_NOT_CONFIGURED;
	default:
		return CLS_ERROR;
	}
}

static void unit_compute(const struct cls_input *in, const struct cls_unit_cfg *u,
			 struct cls_unit_out *r)
{
	const struct cls_unit_obs *o = &u->obs;
	bool m = in->master >= 0;

	copy_name(r->name, sizeof(r->name), u->name);
	copy_name(r->server, sizeof(r->server), in->server[u->server].name);
	r->role = u->role;
	copy_name(r->version, sizeof(r->version), o->version);
	r->power = cls_unit_power(o, in->hb_misses, m);
	r->hb = cls_unit_hb(o, in->hb_misses, m);
	r->alive_age_ms = o->alive_change_ms && in->now_ms >= o->alive_change_ms
				  ? in->now_ms - o->alive_change_ms
				  : (o->alive_change_ms ? 0 : UINT64_MAX);
	r->alive = o->alive;
	r->alive_reason = o->alive_reason;
	r->alive_state = o->alive_state;
	r->dead_bound_ms = o->alive_bound_ms;
	/* CRD disks: as reported; a unit that does not answer keeps its last report, with
	 * its age (status.md §1). */
	r->crd = CLS_UNKNOWN;
	if (m && o->reported) {
		r->crd = crd_column(o->crd);
		if (r->hb != CLS_HB_NORMAL && in->now_ms > o->report_ms)
			r->crd_age_ms = in->now_ms - o->report_ms;
		r->n_disks = o->n_disks <= CLS_DISKS_MAX ? o->n_disks : CLS_DISKS_MAX;
		for (uint32_t d = 0; d < r->n_disks; d++) {
			r->disk[d] = o->disk[d];
			copy_name(r->disk_name[d], sizeof(r->disk_name[d]), o->disk_name[d]);
		}
	}
	/* System status: what the unit reports while it answers; DOWN when OFF. */
	if (!m)
		r->system = CLS_SYSTEM_UNKNOWN;
	else if (r->power == CLS_POWER_OFF)
		r->system = CLS_SYSTEM_DOWN;
	else if (r->hb == CLS_HB_NORMAL && o->reported)
		r->system = o->system;
	else
		r->system = CLS_SYSTEM_UNKNOWN;
	r->skew = m && o->skew_known && o->skew_ms > in->skew_threshold_ms;
	r->skew_ms = o->skew_known ? o->skew_ms : 0;
	/* Status summary: OFF or NOT_ACCESSIBLE or CRD ERROR → ERROR; CRD WARNING → WARNING.
	 * Power UNKNOWN implies NOT_ACCESSIBLE; a CRD never reported counts as WARNING. */
	if (!m)
		r->summary = CLS_UNKNOWN;
	else if (r->power != CLS_POWER_ON || r->hb != CLS_HB_NORMAL || r->crd == CLS_ERROR)
		r->summary = CLS_ERROR;
	else if (r->crd == CLS_WARNING || r->crd == CLS_UNKNOWN)
		r->summary = CLS_WARNING;
	else
		r->summary = CLS_NORMAL;
}

/* One server's share of ISL-E (status.md §2), over its units that are not OFF: NORMAL when
 * all answer (or none is expected to), WARNING when some but not all answer, ERROR when
 * none answers but an alive message is fresh (the link is down, the server is not),
 * WARNING when none answers and none is fresh (a link cannot be told from a server). */
static enum cls_status server_net(const struct cls_input *in, const struct cls_snapshot *out,
				  uint32_t s)
{
	uint32_t expected = 0, answering = 0, fresh = 0;
	for (uint32_t i = 0; i < in->n_units; i++) {
		if (in->unit[i].server != s || out->unit[i].power == CLS_POWER_OFF)
			continue;
		expected++;
		if (out->unit[i].hb == CLS_HB_NORMAL)
			answering++;
		else if (in->unit[i].obs.alive == CRD_ALIVE_ALIVE)
			fresh++;
	}
	if (answering == expected)
		return CLS_NORMAL;
	if (answering > 0)
		return CLS_WARNING;
	return fresh > 0 ? CLS_ERROR : CLS_WARNING;
}

static void mgmt_compute(const struct cls_input *in, struct cls_snapshot *out)
{
	struct cls_mgmt_out *g = &out->mgmt;
	bool m = in->master >= 0;

	g->present = in->n_servers >= 2;
	g->have_master = m;
	if (m) {
		copy_name(g->master, sizeof(g->master), in->unit[in->master].name);
		g->master_crd = out->unit[in->master].crd;
	} else {
		g->master_crd = CLS_UNKNOWN;
	}
	/* ISL-E per pair of SE Servers */
	for (uint32_t s = 0; s < in->n_servers; s++)
		g->server_net[s] = m ? server_net(in, out, s) : CLS_UNKNOWN;
	g->isl_e = in->n_servers < 2 ? CLS_NOT_CONFIGURED : (m ? CLS_NORMAL : CLS_UNKNOWN);
	for (uint32_t a = 0; a < in->n_servers; a++) {
		for (uint32_t b = a + 1; b < in->n_servers; b++) {
			struct cls_isl_pair *p = &g->pair[g->n_pairs++];
			p->a = a;
			p->b = b;
			p->status = cls_status_worst(g->server_net[a], g->server_net[b]);
			g->isl_e = cls_status_worst(g->isl_e, p->status);
		}
	}
	/* MUs on more than one software version (seed 2.5) */
	const char *first = NULL;
	for (uint32_t i = 0; i < in->n_units; i++) {
		const char *v = in->unit[i].obs.version;
		if (in->unit[i].role != CLS_ROLE_MU || !*v)
			continue;
		if (!first)
			first = v;
		else if (strcmp(first, v) != 0)
			g->versions_differ = true;
	}
	/* Status summary */
	if (!m || g->master_crd == CLS_ERROR) {
		g->status = CLS_ERROR;
		return;
	}
	g->status = CLS_NORMAL;
	for (uint32_t i = 0; i < in->n_units; i++) {
		const struct cls_unit_out *u = &out->unit[i];
		if (in->unit[i].role == CLS_ROLE_MU &&
		    (u->power != CLS_POWER_ON || u->hb != CLS_HB_NORMAL || u->crd != CLS_NORMAL))
			g->status = CLS_WARNING;
		if (u->skew) /* clock skew between units is a WARNING (architecture.md) */
			g->status = CLS_WARNING;
	}
	if (g->isl_e != CLS_NORMAL && g->isl_e != CLS_NOT_CONFIGURED)
		g->status = CLS_WARNING;
	if (g->versions_differ)
		g->status = CLS_WARNING;
}

static bool mu_available(const struct cls_unit_out *u)
{
	return u->power == CLS_POWER_ON && u->hb == CLS_HB_NORMAL;
}

/* status.md §3 */
static void su_cluster_compute(const struct cls_input *in, const struct cls_snapshot *out,
			       const struct cls_su_cluster_cfg *c, struct cls_su_cluster_out *r)
{
	uint32_t why = 0;
	copy_name(r->name, sizeof(r->name), c->name);
	if (c->inactive) {
		r->status = CLS_INACTIVE;
		r->reasons = 1u << CLS_SUR_INACTIVE;
		return;
	}
	if (in->master < 0) {
		r->status = CLS_UNKNOWN;
		r->reasons = 1u << CLS_SUR_NO_MASTER;
		return;
	}
	const struct cls_unit_cfg *su[2] = {&in->unit[c->su[0]], &in->unit[c->su[1]]};
	for (int k = 0; k < 2; k++) {
		const struct cls_unit_out *u = &out->unit[c->su[k]];
		if (u->power != CLS_POWER_ON)
			why |= 1u << CLS_SUR_SU_NOT_ON;
		if (u->hb != CLS_HB_NORMAL)
			why |= 1u << CLS_SUR_SU_NOT_ACCESSIBLE;
		if (u->crd == CLS_ERROR)
			why |= 1u << CLS_SUR_SU_CRD_ERROR;
		if (u->crd == CLS_WARNING)
			why |= 1u << CLS_SUR_SU_CRD_WARNING;
		if (su[k]->su_type != CLS_SU_390)
			continue;
		/* SU /390: the MUs of its own server (seed glossary "Redundant SKP") */
		uint32_t mus = 0, up = 0;
		for (uint32_t i = 0; i < in->n_units; i++) {
			if (in->unit[i].role != CLS_ROLE_MU || in->unit[i].server != su[k]->server)
				continue;
			mus++;
			if (mu_available(&out->unit[i]))
				up++;
		}
		if (up == 0)
			why |= 1u << CLS_SUR_NO_MU_OWN_SERVER;
		else if (up < mus)
			why |= 1u << CLS_SUR_MU_DOWN;
	}
	if (strcmp(su[0]->bs2000_mode, su[1]->bs2000_mode) != 0)
		why |= 1u << CLS_SUR_MODE_DIFFERS;
	if (strcmp(su[0]->obs.version, su[1]->obs.version) != 0)
		why |= 1u << CLS_SUR_VERSION_DIFFERS;
	const uint32_t error_bits = 1u << CLS_SUR_SU_NOT_ON | 1u << CLS_SUR_SU_NOT_ACCESSIBLE |
				    1u << CLS_SUR_SU_CRD_ERROR | 1u << CLS_SUR_MODE_DIFFERS |
				    1u << CLS_SUR_NO_MU_OWN_SERVER;
	r->reasons = why;
	r->status = why & error_bits ? CLS_ERROR : (why ? CLS_WARNING : CLS_NORMAL);
}

static void dashboard_compute(struct cls_snapshot *out)
{
	struct cls_dashboard *d = &out->dash;
	d->mgmt_present = out->mgmt.present;
	d->mgmt = out->mgmt.status;
	d->n_su = out->n_su_clusters;
	d->su_worst = d->n_su ? CLS_NORMAL : CLS_NOT_CONFIGURED;
	for (uint32_t i = 0; i < out->n_su_clusters; i++)
		d->su_worst = cls_status_worst(d->su_worst, out->su_cluster[i].status);
	d->n_clusters = (d->mgmt_present ? 1 : 0) + d->n_su;
	d->worst = d->n_su ? d->su_worst : CLS_NOT_CONFIGURED;
	if (d->mgmt_present)
		d->worst = d->n_su ? cls_status_worst(d->mgmt, d->su_worst) : d->mgmt;
}

static bool input_valid(const struct cls_input *in)
{
	if (in->n_servers > CLS_SERVERS_MAX || in->n_units > CLS_UNITS_MAX ||
	    in->n_su_clusters > CLS_SU_CLUSTERS_MAX)
		return false;
	for (uint32_t i = 0; i < in->n_units; i++)
		if (in->unit[i].server >= in->n_servers || in->unit[i].role >= CLS_ROLE_MAX)
			return false;
	if (in->master >= 0 && ((uint32_t)in->master >= in->n_units ||
				in->unit[in->master].role != CLS_ROLE_MU))
		return false;
	for (uint32_t c = 0; c < in->n_su_clusters; c++) {
		const struct cls_su_cluster_cfg *sc = &in->su_cluster[c];
		if (sc->su[0] >= in->n_units || sc->su[1] >= in->n_units || sc->su[0] == sc->su[1] ||
		    in->unit[sc->su[0]].role != CLS_ROLE_SU || in->unit[sc->su[1]].role != CLS_ROLE_SU)
			return false;
	}
	return true;
}

int cls_compute(const struct cls_input *in, struct cls_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	if (!input_valid(in))
		return -EINVAL;
	out->computed_ms = in->now_ms;
	out->n_servers = in->n_servers;
	for (uint32_t s = 0; s < in->n_servers; s++)
		copy_name(out->server[s], sizeof(out->server[s]), in->server[s].name);
	out->n_units = in->n_units;
	for (uint32_t i = 0; i < in->n_units; i++)
		unit_compute(in, &in->unit[i], &out->unit[i]);
	mgmt_compute(in, out);
	out->n_su_clusters = in->n_su_clusters;
	for (uint32_t c = 0; c < in->n_su_clusters; c++)
		su_cluster_compute(in, out, &in->su_cluster[c], &out->su_cluster[c]);
	dashboard_compute(out);
	return 0;
}

size_t cls_overview(const struct cls_snapshot *s, struct cls_overview_row *rows, size_t max)
{
	size_t n = 0;
	if (s->mgmt.present) {
		if (n < max)
			rows[n] = (struct cls_overview_row){CLS_MGMT_NAME, "SE", "Management",
							    s->mgmt.status};
		n++;
	}
	for (uint32_t i = 0; i < s->n_su_clusters; i++, n++)
		if (n < max)
			rows[n] = (struct cls_overview_row){s->su_cluster[i].name, "SU",
							    "Live migration",
							    s->su_cluster[i].status};
	return n;
}
