/* unit_set.c — the disk set a running unit uses, and how it follows an online
 * `sectl crd replace` (crd.md §1; unit.h "the disk set").
 *
 * Every renew_interval the unit reads, on each external disk it uses, blocks 0..3 in one
 * request at CRD_IO_PRIO_REGION (slot and lease I/O go first): both superblock copies, the
 * lease block (unused here) and the disk set paths record (setpaths.h). Then, per disk:
 *
 *   another disk id or cluster in the superblock   -> stop using it ("holds another disk")
 *   RETIRED                                        -> stop using it
 *   a newer set (superblock, or the paths record)  -> adopt it: stop using every disk it
 *                                                     does not list; open each listed disk
 *                                                     not in use from its recorded path
 *
 * "Stop using" (unit_set_detach) is at once: the disk's I/O thread is detached (io.h: what
 * is queued or running there completes as cancelled), the lease engine forgets the disk
 * (leasedrv.h), the observers forget what they read there, the region thread gets the disks
 * without it, and its status turns INVALID. Opening a disk is blocking I/O, so it runs as a
 * region job; its done() attaches the disk in the free position (unit_set_attach): STALE,
 * which starts the unit's resync of what it owns there (unit_disks.c), then NORMAL. */
#include "crd/unit_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/disk.h"
#include "crd/file.h"
#include "crd/format.h"
#include "crd/leasedrv.h"
#include "lib/clock.h"
#include "lib/log.h"

#define SB_READ_LEN (4u * CRD_BLOCK) /* superblock A, B, lease, disk set paths */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

void unit_event(struct crd_unit *u, enum crd_event_weight w, const char *fmt, ...)
{
	struct crd_status_event ev = {.weight = w, .component = "CRD"};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev.msg, sizeof(ev.msg), fmt, ap);
	va_end(ap);
	log_debug("unit %u: %s", u->unit_id, ev.msg);
	if (u->event_cb && !u->freeing)
		u->event_cb(u->event_arg, &ev);
}

int unit_set_init(struct crd_unit *u, const struct crd_unit_cfg *cfg, const struct crd_sb *sb)
{
	struct unit_set *s = &u->set;

	memset(s, 0, sizeof(*s));
	s->cluster_id = sb[0].cluster_id;
	s->set = sb[0].set;
	s->unsafe_fs = cfg->unsafe_fs;
	for (int i = 0; i < cfg->n_external; i++) {
		if (sb[i].set.generation > s->set.generation)
			s->set = sb[i].set;
		s->disk_id[i] = sb[i].disk_id;
		s->in_use[i] = true;
		snprintf(s->path[i], sizeof(s->path[i]), "%s", cfg->external[i]);
	}
	s->next_ns = clock_boottime_ns();
	return 0;
}

int unit_set_pos(const struct crd_unit *u, int io_idx)
{
	for (int i = 0; i < u->rd.next; i++)
		if (u->set.in_use[i] && u->rd.ext[i] == io_idx)
			return i;
	return -1;
}

static bool set_lists(const struct crd_disk_set *set, const crd_uuid *id)
{
	for (uint32_t i = 0; i < set->count && i < CRD_SET_DISKS_MAX; i++)
		if (crd_uuid_eq(&set->disks[i], id))
			return true;
	return false;
}

/* The position that uses disk id, or -1. */
static int pos_of_id(const struct crd_unit *u, const crd_uuid *id)
{
	for (int i = 0; i < u->rd.next; i++)
		if (u->set.in_use[i] && crd_uuid_eq(&u->set.disk_id[i], id))
			return i;
	return -1;
}

/* Every observer forgets what it read on position pos (another disk from now on). */
static void forget_disk(struct crd_unit *u, int pos)
{
	for (uint32_t k = 0; u->obs && k < CRD_UNITS_MAX; k++)
		memset(&u->obs[k].disk[pos], 0, sizeof(u->obs[k].disk[pos]));
	memset(&u->obs_disk[pos], 0, sizeof(u->obs_disk[pos]));
	u->set.busy[pos] = false;
	u->disk[pos].epoch++; /* a resync under way there counts for nothing */
	u->disk[pos].next_try_ns = 0;
}

void unit_set_detach(struct crd_unit *u, int pos, const char *why)
{
	int k = u->rd.ext[pos];

	if (!u->set.in_use[pos])
		return;
	u->set.in_use[pos] = false;
	u->rd.ext[pos] = -1;
	if (u->dr)
		crd_leasedrv_set_disk(u->dr, pos, -1);
	crd_rthread_set_disks(u->rt, &u->rd);
	crd_io_detach(u->io, k); /* its outstanding I/O completes now, as cancelled */
	forget_disk(u, pos);
	unit_event(u, CRD_WEIGHT_WARNING, "Unit '%s' stopped using CRD disk '%s': %s", u->name,
		   u->st.disk_name[pos], why);
	unit_disks_set(u, pos, CRD_DISK_INVALID);
}

void unit_set_attach(struct crd_unit *u, int pos, const crd_uuid *id, const char *path,
		     struct crd_disk *disk)
{
	char was[CRD_STATUS_NAME_MAX + 1];
	int k, r;

	if (u->set.in_use[pos] || pos_of_id(u, id) >= 0) {
		crd_disk_close(disk);
		return;
	}
	if ((r = crd_io_attach(u->io, disk, &k)) < 0) { /* closes disk on failure */
		unit_event(u, CRD_WEIGHT_WARNING, "Unit '%s' cannot use CRD disk '%s': no I/O "
			   "thread (%s)", u->name, path, strerror(-r));
		return;
	}
	u->set.in_use[pos] = true;
	u->set.disk_id[pos] = *id;
	snprintf(u->set.path[pos], sizeof(u->set.path[pos]), "%s", path);
	u->rd.ext[pos] = k;
	if (u->dr)
		crd_leasedrv_set_disk(u->dr, pos, k);
	crd_rthread_set_disks(u->rt, &u->rd);
	forget_disk(u, pos);
	snprintf(was, sizeof(was), "%s", u->st.disk_name[pos]);
	crd_status_rename_disk(&u->st, (uint32_t)pos, base_name(path));
	unit_event(u, CRD_WEIGHT_NOTICE, "Unit '%s' uses CRD disk '%s' in place of '%s' (disk "
		   "set generation %" PRIu64 ")", u->name, base_name(path), was,
		   u->set.set.generation);
	unit_disks_set(u, pos, CRD_DISK_STALE); /* resync what it owns there */
}

/* ---- opening a disk of a newer set (region thread) ---- */

struct open_job {
	struct crd_rjob job; /* first member */
	struct crd_unit *u;
	crd_uuid cluster, set_id, id;
	uint64_t generation;
	bool unsafe_fs;
	char path[CRD_SETPATHS_PATH_MAX];
	struct crd_disk *disk;
	int r;
	struct sec_err err;
};

static void open_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct open_job *oj = (struct open_job *)j;
	struct crd_sb sb;
	char want[37], have[37];

	oj->r = crd_file_check_shared(oj->path, oj->unsafe_fs, &oj->err);
	if (oj->r == 0)
		oj->r = crd_disk_open_check(oj->path, &oj->cluster, &sb, &oj->err);
	if (oj->r == 0 && (sb.role != CRD_ROLE_EXTERNAL || !crd_uuid_eq(&sb.disk_id, &oj->id) ||
			   !crd_uuid_eq(&sb.set.set_id, &oj->set_id) ||
			   sb.set.generation < oj->generation)) {
		crd_uuid_to_string(&oj->id, want);
		crd_uuid_to_string(&sb.disk_id, have);
		oj->r = sec_errf(&oj->err, -ENXIO, "'%s' is disk %s of set generation %" PRIu64
				 ", not disk %s of generation %" PRIu64, oj->path, have,
				 sb.set.generation, want, oj->generation);
	}
	if (oj->r == 0)
		oj->r = crd_disk_open(oj->path, &oj->disk, &oj->err);
}

static void open_done(struct crd_rjob *j)
{
	struct open_job *oj = (struct open_job *)j;
	struct crd_unit *u = oj->u;
	int pos = -1;

	if (j->cancelled || u->freeing) {
		crd_disk_close(oj->disk);
		free(oj);
		return;
	}
	u->set.opening = false;
	for (int i = 0; i < u->rd.next && pos < 0; i++)
		if (!u->set.in_use[i])
			pos = i;
	if (oj->r < 0) {
		if (u->set.warned_gen != oj->generation)
			unit_event(u, CRD_WEIGHT_WARNING, "Unit '%s' cannot use CRD disk '%s' of disk "
				   "set generation %" PRIu64 ": %s", u->name, oj->path,
				   oj->generation, oj->err.msg);
		u->set.warned_gen = oj->generation;
	} else if (pos >= 0 && u->set.set.generation == oj->generation &&
		   set_lists(&u->set.set, &oj->id)) {
		unit_set_attach(u, pos, &oj->id, oj->path, oj->disk);
		oj->disk = NULL;
	}
	crd_disk_close(oj->disk);
	free(oj);
}

/* Opens the first disk of the newest set that is not in use (one at a time). */
static void want_missing(struct crd_unit *u)
{
	struct unit_set *s = &u->set;
	const char *path = NULL;
	struct open_job *oj;
	const crd_uuid *id = NULL;
	bool free_pos = false;

	for (int i = 0; i < u->rd.next; i++)
		free_pos |= !s->in_use[i];
	if (s->opening || !free_pos)
		return;
	for (uint32_t i = 0; i < s->set.count && !id; i++)
		if (pos_of_id(u, &s->set.disks[i]) < 0)
			id = &s->set.disks[i];
	if (!id)
		return;
	if (s->hint.generation == s->set.generation)
		path = crd_setpaths_find(&s->hint, id);
	if (!path) {
		char d[37];
		if (s->warned_gen != s->set.generation) {
			crd_uuid_to_string(id, d);
			unit_event(u, CRD_WEIGHT_WARNING, "Unit '%s' does not know where disk %s of "
				   "the CRD disk set generation %" PRIu64 " is (no path recorded); it "
				   "runs on the other disks of the set", u->name, d,
				   s->set.generation);
		}
		s->warned_gen = s->set.generation;
		return;
	}
	if (!(oj = calloc(1, sizeof(*oj))))
		return;
	oj->job.run = open_run;
	oj->job.done = open_done;
	oj->u = u;
	oj->cluster = s->cluster_id;
	oj->set_id = s->set.set_id;
	oj->id = *id;
	oj->generation = s->set.generation;
	oj->unsafe_fs = s->unsafe_fs;
	snprintf(oj->path, sizeof(oj->path), "%s", path);
	if (crd_rthread_submit(u->rt, &oj->job) < 0) {
		free(oj);
		return;
	}
	s->opening = true;
}

/* A newer set: stop using every disk it does not list, then look for the missing ones. */
static void adopt(struct crd_unit *u, const struct crd_disk_set *set)
{
	char why[160];

	snprintf(why, sizeof(why), "not in the CRD disk set generation %" PRIu64 " (replaced by "
		 "'sectl crd replace')", set->generation);
	u->set.set = *set;
	for (int i = 0; i < u->rd.next; i++)
		if (u->set.in_use[i] && !set_lists(set, &u->set.disk_id[i]))
			unit_set_detach(u, i, why);
}

/* ---- the superblock round ---- */

static void sb_io_done(struct crd_io_req *req, void *arg)
{
	unit_queue_done(arg, &(struct unit_done){.kind = UNIT_DONE_SB_READ, .io_disk = req->disk,
						 .result = req->result,
						 .issue_ns = req->issue_ns,
						 .complete_ns = req->complete_ns,
						 .req = crd_io_req_ref(req)});
}

void unit_set_poll(struct crd_unit *u)
{
	uint64_t now = clock_boottime_ns();

	if (u->freeing || u->set.replacing || now < u->set.next_ns || unit_lease_window(u))
		return;
	u->set.next_ns = now + (uint64_t)u->timing.renew_ms * NSEC_PER_MSEC;
	for (int i = 0; i < u->rd.next; i++) {
		struct crd_io_req *req;
		if (!u->set.in_use[i] || u->set.busy[i])
			continue;
		if (!(req = crd_io_req_new(CRD_IO_READ, 0, SB_READ_LEN)))
			return;
		req->prio = CRD_IO_PRIO_REGION;
		req->cb = sb_io_done;
		req->cb_arg = u;
		if (crd_io_submit(u->io, u->rd.ext[i], req) == 0)
			u->set.busy[i] = true;
	}
	want_missing(u); /* a disk that could not be opened yet: try again */
}

/* The newest set one disk's blocks show: its superblock's, or the paths record's. */
static const struct crd_disk_set *newer_set(struct crd_unit *u, const struct crd_sb *sb,
					    const void *paths_block, struct crd_disk_set *tmp)
{
	struct unit_set *s = &u->set;
	const struct crd_disk_set *newer = NULL;
	struct crd_setpaths p;

	if (crd_uuid_eq(&sb->set.set_id, &s->set.set_id) && sb->set.generation > s->set.generation)
		newer = &sb->set;
	if (crd_setpaths_in(paths_block, &p) == 0 && crd_uuid_eq(&p.set_id, &s->set.set_id) &&
	    p.generation > s->hint.generation)
		s->hint = p;
	if (!newer && s->hint.generation > s->set.generation) {
		memset(tmp, 0, sizeof(*tmp));
		tmp->set_id = s->hint.set_id;
		tmp->generation = s->hint.generation;
		tmp->count = s->hint.count;
		memcpy(tmp->disks, s->hint.disks, sizeof(tmp->disks));
		newer = tmp;
	}
	return newer;
}

void unit_set_read_done(struct crd_unit *u, const struct unit_done *d)
{
	const uint8_t *b = d->req->buf;
	struct crd_sb sa, sbb, *sb = NULL;
	struct crd_disk_set tmp;
	const struct crd_disk_set *newer;
	char why[160], id[37];
	int pos = d->disk;
	bool retired;

	u->set.busy[pos] = false;
	if (d->result < 0 || u->set.replacing) {
		if (d->result < 0)
			unit_disks_io_result(u, pos, d->result, false);
		crd_io_req_unref(d->req);
		return;
	}
	unit_disks_io_result(u, pos, 0, false);
	bool va = crd_sb_in(b, &sa) == 0, vb = crd_sb_in(b + CRD_BLOCK, &sbb) == 0;
	if (va)
		sb = &sa;
	if (vb && (!sb || sbb.set.generation > sb->set.generation))
		sb = &sbb;
	if (!sb) { /* both copies damaged: `sectl crd verify` tells; nothing to follow */
		crd_io_req_unref(d->req);
		return;
	}
	/* a retire writes copy A, then B: either copy saying so is enough */
	retired = (va && (sa.flags & CRD_SB_RETIRED)) || (vb && (sbb.flags & CRD_SB_RETIRED));
	if (!crd_uuid_eq(&sb->disk_id, &u->set.disk_id[pos]) ||
	    !crd_uuid_eq(&sb->cluster_id, &u->set.cluster_id)) {
		crd_uuid_to_string(&sb->disk_id, id);
		snprintf(why, sizeof(why), "it holds another disk now (disk id %s)", id);
		unit_set_detach(u, pos, why);
		crd_io_req_unref(d->req);
		return;
	}
	newer = newer_set(u, sb, b + 3 * CRD_BLOCK, &tmp);
	crd_io_req_unref(d->req);
	if (newer)
		adopt(u, newer);
	if (retired && u->set.in_use[pos])
		unit_set_detach(u, pos, "RETIRED by 'sectl crd replace'");
	want_missing(u);
}
