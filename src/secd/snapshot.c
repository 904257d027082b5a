/* snapshot.c — the last published status snapshot on every MU (status.md preamble and §5:
 * "every MU shows the master's latest result (with its age); with no master, MUs show the
 * statuses as UNKNOWN and the Management Cluster as ERROR").
 *
 * The Master MU stores each computation it publishes; every other MU stores what the master
 * sent. A snapshot older than the master lease plus two heartbeat intervals means no Master
 * MU is known: the view then shows no master, UNKNOWN unit statuses and ERROR. */
#include "clstatus/clsjson.h"
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/secd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void secd_snapshot_init(struct secd *d)
{
	d->tracker = calloc(1, sizeof(*d->tracker));
	if (!d->tracker)
		fatalx("out of memory");
	clev_tracker_init(d->tracker);
}

void secd_snapshot_free(struct secd *d)
{
	free(d->tracker);
	d->tracker = NULL;
	json_decref(d->snap_json);
	d->snap_json = NULL;
}

/* gen: the region-0 generation of the global data the master computed it from (a newer
 * one makes every MU re-read region 0, gwrite.c). */
static void store(struct secd *d, const struct cls_snapshot *s, uint64_t gen)
{
	json_t *j = cls_snapshot_to_json(s, d->global ? d->global->name : "");

	if (!j)
		return;
	json_object_set_new(j, "global_generation", json_integer((json_int_t)gen));
	json_decref(d->snap_json);
	d->snap_json = j;
	d->snap_rx_ms = secd_now_ms();
}

static int emit(void *ctx, const struct clev_event *ev)
{
	struct secd *d = ctx;

	/* every unit raises its own CRD disk events (main.c secd_on_crd_event): the same
	 * change seen in the snapshot would show twice */
	if (!strcmp(ev->component, "CRD"))
		return 0;
	secd_event_about(d, (int)ev->weight, ev->component, d->cfg.name, ev->msg);
	return 0;
}

void secd_snapshot_publish(struct secd *d, const struct cls_snapshot *s)
{
	if (clev_tracker_publish(d->tracker, s, d->cfg.name, emit, d) < 0)
		return;
	store(d, s, d->global_generation);
}

static uint64_t stale_after_ms(const struct secd *d);

int secd_snapshot_receive(struct secd *d, const json_t *j, struct sec_err *reterr)
{
	struct cls_snapshot *s = malloc(sizeof(*s));
	json_t *gg = json_object_get(j, "global_generation");
	uint64_t gen = json_is_integer(gg) && json_integer_value(gg) > 0
			       ? (uint64_t)json_integer_value(gg)
			       : 0;
	int r;

	if (!s)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	if ((r = cls_snapshot_from_json(j, s, reterr)) == 0) {
		if (clev_tracker_adopt(d->tracker, s) == 1)
			store(d, s, gen);
		else
			r = 1;
	}
	free(s);
	if (r == 0 && gen > d->global_generation)
		secd_global_sync(d);
	return r;
}

int secd_snapshot_master(struct secd *d, char *buf, size_t size)
{
	const char *name;

	if (!d->snap_json || secd_now_ms() - d->snap_rx_ms > stale_after_ms(d))
		return -ENOENT;
	name = json_string_value(json_object_get(d->snap_json, "master_mu"));
	if (!name || !*name)
		return -ENOENT;
	snprintf(buf, size, "%s", name);
	return 0;
}

/* How long a snapshot stays the current view (ms): the master lease plus two heartbeat
 * intervals; after that, no Master MU is known. */
static uint64_t stale_after_ms(const struct secd *d)
{
	return d->cfg.timing.lease_ms + 2ull * d->cfg.hb_interval_ms;
}

static void set_unknown(json_t *o, const char *key)
{
	if (json_object_get(o, key))
		json_object_set_new(o, key, json_string("UNKNOWN"));
}

/* No master known: the view of status.md's preamble, the last known master kept apart. */
static void make_unknown(json_t *v)
{
	json_t *units = json_object_get(v, "units"), *sucs = json_object_get(v, "su_clusters");
	json_t *mu = json_object_get(v, "master_mu");

	json_object_set(v, "last_master_mu", mu ? mu : json_null());
	json_object_set_new(v, "master_mu", json_null());
	json_object_set_new(v, "status", json_string("ERROR"));
	set_unknown(v, "master_crd");
	set_unknown(v, "isl_e");
	for (size_t i = 0; i < json_array_size(units); i++) {
		json_t *u = json_array_get(units, i);
		set_unknown(u, "power_status");
		set_unknown(u, "network_heartbeat");
		set_unknown(u, "system_status");
		set_unknown(u, "status");
		if (json_object_get(u, "alive_verdict")) /* nobody decides one now */
			json_object_set_new(u, "alive_verdict", json_null());
	}
	for (size_t i = 0; i < json_array_size(sucs); i++)
		set_unknown(json_array_get(sucs, i), "status");
}

json_t *secd_snapshot_view(struct secd *d)
{
	uint64_t age;
	json_t *v;

	if (!d->snap_json) {
		v = json_pack("{s:I, s:n, s:s, s:s, s:n, s:s, s:s, s:[], s:[], s:b}", "version",
			      (json_int_t)0, "age_ms", "cluster", d->global ? d->global->name : "",
			      "status", "ERROR", "master_mu", "master_crd", "UNKNOWN", "isl_e",
			      "UNKNOWN", "units", "su_clusters", "stale", true);
		return v;
	}
	age = secd_now_ms() - d->snap_rx_ms;
	v = json_deep_copy(d->snap_json);
	if (!v)
		return NULL;
	json_object_set_new(v, "age_ms", json_integer((json_int_t)age));
	json_object_set_new(v, "stale", json_boolean(age > stale_after_ms(d)));
	if (age > stale_after_ms(d))
		make_unknown(v);
	return v;
}
