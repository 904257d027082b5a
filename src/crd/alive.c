/* alive.c — alive messages, self-fencing and liveness verdicts (crd.md §4). Pure logic. */
#include "crd/alive.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crd/timing.h"
#include "lib/clock.h"

/* ---- writer ---- */

int crd_alive_own_slot_check(const struct crd_alive_self *me, int decode,
			     const struct crd_slot *slot, uint64_t *ret_counter,
			     struct sec_err *reterr)
{
	char a[37], b[37];

	if (decode != 0) { /* empty, or damaged: nobody's record, ours to overwrite */
		*ret_counter = 0;
		return 0;
	}
	if (slot->unit_id != me->unit_id)
		return sec_errf(reterr, -EEXIST,
				"duplicate unit id: slot %u holds a record of unit id %u",
				me->unit_id, slot->unit_id);
	if (!crd_uuid_eq(&slot->identity, &me->identity)) {
		crd_uuid_to_string(&slot->identity, a);
		crd_uuid_to_string(&me->identity, b);
		return sec_errf(reterr, -EEXIST,
				"duplicate unit id %u: its slot holds identity '%s', this unit is '%s' "
				"(if that unit's data directory was lost: stop it everywhere, then "
				"'sectl crd release-slot --unit-id %u' on the external CRD disks)",
				me->unit_id, a, b, me->unit_id);
	}
	if (!crd_uuid_eq(&slot->machine_id, &me->machine_id)) {
		crd_uuid_to_string(&slot->machine_id, a);
		crd_uuid_to_string(&me->machine_id, b);
		return sec_errf(reterr, -EEXIST,
				"duplicate unit id %u: its slot was written on machine '%s', this is "
				"machine '%s' (a copied data directory?)",
				me->unit_id, a, b);
	}
	*ret_counter = slot->counter; /* our previous life (or ourselves): take over */
	return 1;
}

void crd_alive_next_slot(const struct crd_alive_self *me, uint64_t *counter,
			 enum crd_slot_state state, uint64_t wall_ns, struct crd_slot *ret)
{
	memset(ret, 0, sizeof(*ret));
	*counter += 1;
	ret->unit_id = me->unit_id;
	ret->role = me->role;
	ret->identity = me->identity;
	ret->machine_id = me->machine_id;
	ret->incarnation = me->incarnation;
	ret->counter = *counter;
	ret->wall_ns = wall_ns;
	ret->state = state;
	ret->fencing = me->fencing;
	ret->timing = me->timing;
}

/* ---- self-fence ---- */

void crd_renewals_init(struct crd_renewals *r, uint32_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
}

void crd_renewals_note(struct crd_renewals *r, uint32_t disk, uint64_t issue_ns)
{
	if (disk >= CRD_SET_DISKS_MAX)
		return;
	if (!r->ok[disk] || issue_ns > r->issue_ns[disk]) {
		r->ok[disk] = true;
		r->issue_ns[disk] = issue_ns;
	}
}

bool crd_renewals_last(const struct crd_renewals *r, uint64_t *ret_issue_ns)
{
	uint32_t n = r->n < CRD_SET_DISKS_MAX ? r->n : CRD_SET_DISKS_MAX;
	bool any = false;
	uint64_t last = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (r->ok[i] && (!any || r->issue_ns[i] > last)) {
			last = r->issue_ns[i];
			any = true;
		}
	}
	if (any)
		*ret_issue_ns = last;
	return any;
}

bool crd_alive_fenced(const struct crd_renewals *r, uint32_t fence_ms, uint64_t now_ns)
{
	uint64_t last;
	if (!crd_renewals_last(r, &last))
		return true;
	return now_ns >= last && now_ns - last >= (uint64_t)fence_ms * NSEC_PER_MSEC;
}

uint64_t crd_alive_not_after_ns(const struct crd_renewals *r, uint32_t fence_ms)
{
	uint64_t last;
	if (!crd_renewals_last(r, &last))
		return UINT64_MAX;
	return last + (uint64_t)fence_ms * NSEC_PER_MSEC;
}

/* ---- observer ---- */

void crd_alive_obs_init(struct crd_alive_obs *o, uint32_t unit_id, uint32_t n,
			uint64_t fallback_bound_ms)
{
	memset(o, 0, sizeof(*o));
	o->unit_id = unit_id;
	o->n = n > CRD_SET_DISKS_MAX ? CRD_SET_DISKS_MAX : n;
	o->fallback_bound_ms = fallback_bound_ms;
}

void crd_alive_obs_set_fallback(struct crd_alive_obs *o, uint64_t fallback_bound_ms)
{
	o->fallback_bound_ms = fallback_bound_ms;
}

void crd_alive_obs_feed(struct crd_alive_obs *o, const struct crd_slot_read *r)
{
	if (r->disk >= o->n)
		return;
	struct crd_alive_disk_obs *d = &o->disk[r->disk];
	d->last_result = r->result;
	if (r->result < 0)
		return;
	if (r->decode == 0)
		o->last_fencing = r->slot.fencing;
	if (d->have && d->raw_crc == r->raw_crc && d->decode == r->decode) {
		if (r->issue_ns > d->last_issue_ns)
			d->last_issue_ns = r->issue_ns;
		return;
	}
	/* new bytes: the watch starts again from this read's completion */
	d->have = true;
	d->raw_crc = r->raw_crc;
	d->decode = r->decode;
	if (r->decode == 0)
		d->slot = r->slot;
	else
		memset(&d->slot, 0, sizeof(d->slot));
	d->first_complete_ns = r->complete_ns;
	d->last_issue_ns = r->issue_ns;
}

uint64_t crd_alive_obs_bound_ns(const struct crd_alive_obs *o, uint32_t disk)
{
	const struct crd_alive_disk_obs *d = &o->disk[disk < CRD_SET_DISKS_MAX ? disk : 0];
	uint64_t ms = d->decode == 0 ? crd_dead_bound_ms(&d->slot.timing) : o->fallback_bound_ms;
	return ms * NSEC_PER_MSEC;
}

/* Disk i's watched bytes have been confirmed unchanged for their dead_bound. */
static bool disk_stale(const struct crd_alive_obs *o, uint32_t i)
{
	const struct crd_alive_disk_obs *d = &o->disk[i];

	return d->last_issue_ns >= d->first_complete_ns &&
	       d->last_issue_ns - d->first_complete_ns >= crd_alive_obs_bound_ns(o, i);
}

/* Disk i shows the unit alive by itself: its last read succeeded and returned a record of
 * a unit that has not left, not yet confirmed unchanged for dead_bound. */
static bool disk_alive(const struct crd_alive_obs *o, uint32_t i)
{
	const struct crd_alive_disk_obs *d = &o->disk[i];

	return d->have && d->last_result >= 0 && d->decode == 0 &&
	       d->slot.state != CRD_SLOT_LEFT && !disk_stale(o, i);
}

struct crd_alive_verdict crd_alive_obs_verdict(const struct crd_alive_obs *o)
{
	struct crd_alive_verdict v = {.verdict = CRD_ALIVE_UNDETERMINABLE};
	uint32_t empty = 0, dead = 0, left = 0;
	uint64_t evidence = UINT64_MAX;
	bool policy_none = o->last_fencing == CRD_FENCING_NONE;

	if (o->n == 0) {
		v.reason = CRD_ALIVE_R_NOT_READ;
		return v;
	}
	for (uint32_t i = 0; i < o->n; i++) {
		const struct crd_alive_disk_obs *d = &o->disk[i];
		if (d->have && d->first_complete_ns > v.last_change_ns)
			v.last_change_ns = d->first_complete_ns;
		if (d->have && d->decode == 0 && d->slot.fencing == CRD_FENCING_NONE)
			policy_none = true;
	}
	if (policy_none) {
		v.reason = CRD_ALIVE_R_FENCING_NONE;
		return v;
	}
	/* a record within its dead_bound on any disk read is life, whatever the other disk
	 * says (N = 2 with a disk down: §5's table forbids only the dead verdict) */
	for (uint32_t i = 0; i < o->n; i++) {
		if (disk_alive(o, i)) {
			v.verdict = CRD_ALIVE_ALIVE;
			v.reason = CRD_ALIVE_R_CHANGING;
			return v;
		}
	}
	for (uint32_t i = 0; i < o->n; i++) {
		const struct crd_alive_disk_obs *d = &o->disk[i];
		if (d->last_result < 0) {
			v.reason = CRD_ALIVE_R_UNREADABLE;
			return v;
		}
		if (!d->have) {
			v.reason = CRD_ALIVE_R_NOT_READ;
			return v;
		}
	}
	for (uint32_t i = 0; i < o->n; i++) {
		const struct crd_alive_disk_obs *d = &o->disk[i];
		bool is_left = d->decode == 0 && d->slot.state == CRD_SLOT_LEFT;
		bool stale = disk_stale(o, i);
		empty += d->decode == -ENODATA;
		left += is_left;
		if (is_left || stale) {
			dead++;
			if (d->last_issue_ns < evidence)
				evidence = d->last_issue_ns;
		}
	}
	if (empty == o->n) {
		v.verdict = CRD_ALIVE_NEVER_SEEN;
		v.reason = CRD_ALIVE_R_EMPTY;
		return v;
	}
	if (dead == o->n) {
		v.verdict = CRD_ALIVE_DEAD;
		v.reason = left ? CRD_ALIVE_R_LEFT : CRD_ALIVE_R_STALE;
		v.evidence_ns = evidence;
		return v;
	}
	v.verdict = CRD_ALIVE_ALIVE;
	v.reason = CRD_ALIVE_R_CHANGING;
	return v;
}

bool crd_alive_verdict_fresh(const struct crd_alive_verdict *v, uint64_t now_ns, uint32_t io_ms)
{
	if (v->verdict != CRD_ALIVE_DEAD)
		return false;
	return now_ns < v->evidence_ns + (uint64_t)io_ms * NSEC_PER_MSEC;
}

const char *crd_alive_verdict_to_string(enum crd_alive_verdict_kind v)
{
	static const char *const names[CRD_ALIVE_VERDICT_MAX] = {
		[CRD_ALIVE_UNDETERMINABLE] = "UNDETERMINABLE",
		[CRD_ALIVE_ALIVE] = "ALIVE",
		[CRD_ALIVE_DEAD] = "DEAD",
		[CRD_ALIVE_NEVER_SEEN] = "NEVER_SEEN",
	};
	return (unsigned)v < CRD_ALIVE_VERDICT_MAX ? names[v] : "?";
}

const char *crd_alive_reason_to_string(enum crd_alive_reason r)
{
	static const char *const names[CRD_ALIVE_REASON_MAX] = {
		[CRD_ALIVE_R_NONE] = "",
		[CRD_ALIVE_R_NOT_READ] = "slot not read yet on every required disk",
		[CRD_ALIVE_R_UNREADABLE] = "remote SU state cannot be determined",
		[CRD_ALIVE_R_FENCING_NONE] = "fencing policy 'none': state cannot be determined",
		[CRD_ALIVE_R_CHANGING] = "alive message changing",
		[CRD_ALIVE_R_STALE] = "alive message unchanged for dead_bound",
		[CRD_ALIVE_R_LEFT] = "unit left",
		[CRD_ALIVE_R_EMPTY] = "never seen",
	};
	return (unsigned)r < CRD_ALIVE_REASON_MAX ? names[r] : "?";
}
