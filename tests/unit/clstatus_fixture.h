/* clstatus_fixture.h — topologies for test_clstatus.c and test_clevents.c.
 *
 * fx_topo(in, servers, mus_per_server, with_su): SE Servers "SE1".."SEn", MUs "mu<s><k>",
 * with_su adds per server one SU /390 "su390-<s>" and one SU x86 "sux86-<s>" (mode VM2000)
 * and, with ≥ 2 servers, the SU Clusters "SU390" (su390-1, su390-2) and "SUx86" (sux86-1,
 * sux86-2). Every unit healthy: answering, alive message fresh, CRD NORMAL on two disks,
 * RUNNING, version "V6.6". Master: the first MU. now = 100000 ms. */
#ifndef SEC_CLSTATUS_FIXTURE_H
#define SEC_CLSTATUS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clstatus/clstatus.h"

#define FX_NOW 100000u

static inline void fx_healthy(struct cls_unit_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->hb_missed = 0;
	o->last_reply_ms = FX_NOW - 400;
	o->alive = CRD_ALIVE_ALIVE;
	o->alive_reason = CRD_ALIVE_R_CHANGING;
	o->alive_change_ms = FX_NOW - 300;
	o->alive_state = CRD_SLOT_RUNNING;
	o->alive_bound_ms = 3400; /* the test profile's dead_bound */
	o->reported = true;
	o->report_ms = FX_NOW - 400;
	o->crd = CRD_UNIT_NORMAL;
	o->n_disks = 2;
	o->disk[0] = o->disk[1] = CRD_DISK_NORMAL;
	snprintf(o->disk_name[0], sizeof(o->disk_name[0]), "ext1");
	snprintf(o->disk_name[1], sizeof(o->disk_name[1]), "ext2");
	o->system = CLS_SYSTEM_RUNNING;
	snprintf(o->version, sizeof(o->version), "V6.6");
}

static inline struct cls_unit_cfg *fx_add(struct cls_input *in, const char *name,
					  enum cls_role role, enum cls_su_type t, uint32_t server)
{
	struct cls_unit_cfg *u = &in->unit[in->n_units++];
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->role = role;
	u->su_type = t;
	u->server = server;
	if (role == CLS_ROLE_SU)
		snprintf(u->bs2000_mode, sizeof(u->bs2000_mode), "VM2000");
	fx_healthy(&u->obs);
	return u;
}

static inline int fx_find(const struct cls_input *in, const char *name)
{
	for (uint32_t i = 0; i < in->n_units; i++)
		if (strcmp(in->unit[i].name, name) == 0)
			return (int)i;
	return -1;
}

static inline struct cls_unit_obs *fx_obs(struct cls_input *in, const char *name)
{
	int i = fx_find(in, name);
	return i < 0 ? NULL : &in->unit[i].obs;
}

/* The unit stops answering (hb_misses misses in a row); its alive message stays fresh. */
static inline void fx_silent(struct cls_input *in, const char *name)
{
	struct cls_unit_obs *o = fx_obs(in, name);
	o->hb_missed = in->hb_misses;
}

/* The unit is gone: no answer, its alive message unchanged past dead_bound. */
static inline void fx_dead(struct cls_input *in, const char *name)
{
	struct cls_unit_obs *o = fx_obs(in, name);
	o->hb_missed = in->hb_misses + 5;
	o->alive = CRD_ALIVE_DEAD;
	o->alive_reason = CRD_ALIVE_R_STALE;
}

static inline void fx_topo(struct cls_input *in, uint32_t servers, uint32_t mus, bool with_su)
{
	memset(in, 0, sizeof(*in));
	in->now_ms = FX_NOW;
	in->hb_misses = 3;
	in->skew_threshold_ms = 1000;
	in->n_servers = servers;
	char name[32];
	for (uint32_t s = 0; s < servers; s++) {
		snprintf(in->server[s].name, sizeof(in->server[s].name), "SE%u", s + 1);
		for (uint32_t k = 0; k < mus; k++) {
			snprintf(name, sizeof(name), "mu%u%u", s + 1, k + 1);
			fx_add(in, name, CLS_ROLE_MU, CLS_SU_NONE, s);
		}
		if (with_su) {
			snprintf(name, sizeof(name), "su390-%u", s + 1);
			fx_add(in, name, CLS_ROLE_SU, CLS_SU_390, s);
			snprintf(name, sizeof(name), "sux86-%u", s + 1);
			fx_add(in, name, CLS_ROLE_SU, CLS_SU_X86, s);
		}
	}
	if (with_su && servers >= 2) {
		struct cls_su_cluster_cfg *c = &in->su_cluster[in->n_su_clusters++];
		snprintf(c->name, sizeof(c->name), "SU390");
		c->su[0] = (uint32_t)fx_find(in, "su390-1");
		c->su[1] = (uint32_t)fx_find(in, "su390-2");
		c = &in->su_cluster[in->n_su_clusters++];
		snprintf(c->name, sizeof(c->name), "SUx86");
		c->su[0] = (uint32_t)fx_find(in, "sux86-1");
		c->su[1] = (uint32_t)fx_find(in, "sux86-2");
	}
	in->master = 0;
}

#endif
