/* clevents.c — status events from two snapshots (status.md §5). */
#include "clstatus/clevents.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum crd_event_weight clev_cluster_state_weight(enum cls_status s)
{
	switch (s) {
	case CLS_WARNING:
		return CRD_WEIGHT_WARNING;
	case CLS_ERROR:
		return CRD_WEIGHT_ERROR;
	default: /* NORMAL, INACTIVE (and NOT_CONFIGURED) */
		return CRD_WEIGHT_NOTICE;
	}
}

__attribute__((format(printf, 6, 7))) static int
emitf(clev_emit_fn emit, void *ctx, enum crd_event_weight w, const char *component,
      const char *unit, const char *fmt, ...)
{
	struct clev_event ev = {.weight = w, .component = component};
	snprintf(ev.unit, sizeof(ev.unit), "%s", unit);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.msg, sizeof(ev.msg), fmt, ap);
	va_end(ap);
	int r = emit(ctx, &ev);
	return r < 0 ? r : 1;
}

static const struct cls_unit_out *find_unit(const struct cls_snapshot *s, const char *name)
{
	for (uint32_t i = 0; i < s->n_units; i++)
		if (strcmp(s->unit[i].name, name) == 0)
			return &s->unit[i];
	return NULL;
}

static const struct cls_su_cluster_out *find_su_cluster(const struct cls_snapshot *s,
							const char *name)
{
	for (uint32_t i = 0; i < s->n_su_clusters; i++)
		if (strcmp(s->su_cluster[i].name, name) == 0)
			return &s->su_cluster[i];
	return NULL;
}

#define EMIT(call)                    \
	do {                          \
		int r_ = (call);      \
		if (r_ < 0)           \
			return r_;    \
		n += r_;              \
	} while (0)

static int unit_events(const struct cls_unit_out *o, const struct cls_unit_out *u,
		       clev_emit_fn emit, void *ctx)
{
	int n = 0;
	if (o->hb != u->hb && o->hb != CLS_HB_UNKNOWN && u->hb != CLS_HB_UNKNOWN)
		EMIT(emitf(emit, ctx,
			   u->hb == CLS_HB_NORMAL ? CRD_WEIGHT_NOTICE : CRD_WEIGHT_WARNING,
			   "Cluster", u->name,
			   "Network heartbeat of unit '%s' changed from '%s' to '%s'", u->name,
			   cls_hb_to_string(o->hb), cls_hb_to_string(u->hb)));
	for (uint32_t d = 0; d < u->n_disks; d++) {
		for (uint32_t e = 0; e < o->n_disks; e++) {
			if (strcmp(o->disk_name[e], u->disk_name[d]) != 0 || o->disk[e] == u->disk[d])
				continue;
			EMIT(emitf(emit, ctx,
				   u->disk[d] == CRD_DISK_NORMAL ? CRD_WEIGHT_NOTICE
								 : CRD_WEIGHT_WARNING,
				   "CRD", u->name, "CRD disk '%s' of unit '%s' changed from '%s' to '%s'",
				   u->disk_name[d], u->name, crd_disk_status_to_string(o->disk[e]),
				   crd_disk_status_to_string(u->disk[d])));
		}
	}
	if (!o->skew && u->skew)
		EMIT(emitf(emit, ctx, CRD_WEIGHT_WARNING, "Cluster", u->name,
			   "Clock skew of unit '%s' is %u ms, above the threshold", u->name,
			   u->skew_ms));
	else if (o->skew && !u->skew && u->hb == CLS_HB_NORMAL)
		EMIT(emitf(emit, ctx, CRD_WEIGHT_NOTICE, "Cluster", u->name,
			   "Clock skew of unit '%s' is within the threshold again", u->name));
	return n;
}

static int state_event(const char *name, enum cls_status o, enum cls_status u,
		       const char *detector, clev_emit_fn emit, void *ctx)
{
	if (o == u || o == CLS_UNKNOWN || u == CLS_UNKNOWN)
		return 0;
	return emitf(emit, ctx, clev_cluster_state_weight(u), "Cluster", detector,
		     "Cluster state of '%s' changed from '%s' to '%s'", name,
		     cls_status_to_string(o), cls_status_to_string(u));
}

int clev_diff(const struct cls_snapshot *old, const struct cls_snapshot *cur,
	      const char *detector, clev_emit_fn emit, void *ctx)
{
	int n = 0;
	if (strcmp(old->mgmt.master, cur->mgmt.master) != 0)
		EMIT(emitf(emit, ctx, CRD_WEIGHT_NOTICE, "Cluster", detector,
			   "Master MU changed from '%s' to '%s'", old->mgmt.master,
			   cur->mgmt.master));
	for (uint32_t i = 0; i < cur->n_units; i++) {
		const struct cls_unit_out *o = find_unit(old, cur->unit[i].name);
		if (o)
			EMIT(unit_events(o, &cur->unit[i], emit, ctx));
	}
	if (old->mgmt.present && cur->mgmt.present)
		EMIT(state_event(CLS_MGMT_NAME, old->mgmt.status, cur->mgmt.status, detector, emit,
				 ctx));
	for (uint32_t i = 0; i < cur->n_su_clusters; i++) {
		const struct cls_su_cluster_out *c = &cur->su_cluster[i];
		const struct cls_su_cluster_out *o = find_su_cluster(old, c->name);
		if (o)
			EMIT(state_event(c->name, o->status, c->status, detector, emit, ctx));
	}
	return n;
}

void clev_tracker_init(struct clev_tracker *t)
{
	memset(t, 0, sizeof(*t));
}

int clev_tracker_publish(struct clev_tracker *t, const struct cls_snapshot *s,
			 const char *detector, clev_emit_fn emit, void *ctx)
{
	int n = 0;
	if (!s->mgmt.have_master)
		return 0;
	if (t->have) {
		n = clev_diff(&t->last, s, detector, emit, ctx);
		if (n < 0)
			return n;
	}
	if (&t->last != s)
		memcpy(&t->last, s, sizeof(*s));
	t->have = true;
	return n;
}

int clev_tracker_adopt(struct clev_tracker *t, const struct cls_snapshot *s)
{
	if (!s->mgmt.have_master || (t->have && s->version <= t->last.version))
		return 0;
	if (&t->last != s)
		memcpy(&t->last, s, sizeof(*s));
	t->have = true;
	return 1;
}
