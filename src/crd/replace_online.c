/* replace_online.c — `sectl crd replace OLD NEW` on a running cluster, carried out by the
 * Master MU (crd.md §1; unit.h crd_unit_replace; the offline form is replace.c).
 *
 * One region job does the blocking part: NEW is formatted and filled with plain file I/O
 * (no unit uses it yet); the surviving disk and OLD, which every unit uses, are read and
 * written only through this unit's disk threads (io.h: one outstanding I/O per disk, slot
 * and lease I/O first, io_timeout on every syscall). Order, so that a unit reading any
 * disk at any moment sees either the old set or a new set whose disks all exist:
 *   NEW: content, paths record, superblocks (gen + 1)  ->  surviving disk: paths record,
 *   superblocks (gen + 1)  ->  OLD: paths record, RETIRED (best effort).
 * The job's done() (owner thread) switches this unit: OLD detached, NEW attached. */
#include "crd/unit_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/disk.h"
#include "crd/file.h"
#include "crd/format.h"
#include "lib/clock.h"
#include "lib/log.h"

struct replace_job {
	struct crd_rjob job; /* first member */
	struct crd_unit *u;
	int old_pos, surv_pos; /* positions in the set; equal with N = 1 */
	crd_uuid old_id, surv_id, cluster;
	struct crd_disk_set set; /* the set when the replace began */
	bool unsafe_fs;
	char new_path[CRD_SETPATHS_PATH_MAX];
	char surv_path[CRD_SETPATHS_PATH_MAX];
	crd_unit_replace_cb *cb;
	void *arg;
	/* results */
	struct crd_unit_replace_result res;
	struct sec_err err;
	crd_uuid new_id;
	struct crd_disk_set new_set;
	struct crd_setpaths paths;
	struct crd_disk *new_disk;
};

/* One request through the disk threads; *ret_req (read) is the caller's to unref. */
static int io_do(const struct crd_region_disks *rd, int io_disk, enum crd_io_op op,
		 uint64_t off, size_t len, const void *data, struct crd_io_req **ret_req)
{
	struct crd_io_req *req = crd_io_req_new(op, off, len);
	int r;

	if (!req)
		return -ENOMEM;
	req->prio = CRD_IO_PRIO_REGION;
	if (data)
		memcpy(req->buf, data, len);
	r = crd_io_run(rd->io, io_disk, req);
	if (r == 0 && ret_req)
		*ret_req = req;
	else
		crd_io_req_unref(req);
	return r;
}

/* Both superblock copies of io_disk; the valid one with the higher set generation. */
static int io_read_sb(const struct crd_region_disks *rd, int io_disk, const char *name,
		      struct crd_sb *ret, struct sec_err *reterr)
{
	struct crd_io_req *req = NULL;
	struct crd_sb a, b;
	int r = io_do(rd, io_disk, CRD_IO_READ, 0, 2 * CRD_BLOCK, NULL, &req), ra, rb;

	if (r < 0)
		return sec_errf(reterr, r, "cannot read the superblocks of '%s': %s", name,
				strerror(-r));
	ra = crd_sb_in(req->buf, &a);
	rb = crd_sb_in((uint8_t *)req->buf + CRD_BLOCK, &b);
	crd_io_req_unref(req);
	if (ra < 0 && rb < 0)
		return sec_errf(reterr, -EBADMSG, "'%s': no valid superblock (%s)", name,
				crd_decode_strerror(ra));
	*ret = ra < 0 || (rb == 0 && b.set.generation > a.set.generation) ? b : a;
	return 0;
}

/* Superblock A, then B, each written and synced through the disk thread. */
static int io_write_sb(const struct crd_region_disks *rd, int io_disk, const char *name,
		       const struct crd_sb *sb, struct sec_err *reterr)
{
	_Alignas(8) uint8_t block[CRD_BLOCK];
	int r;

	crd_sb_out(sb, block);
	for (int c = 0; c < 2; c++)
		if ((r = io_do(rd, io_disk, CRD_IO_WRITE, (uint64_t)c * CRD_BLOCK, CRD_BLOCK, block,
			       NULL)) < 0)
			return sec_errf(reterr, r, "cannot write superblock copy %c of '%s': %s",
					'A' + c, name, strerror(-r));
	return 0;
}

static int io_write_paths(const struct crd_region_disks *rd, int io_disk, const char *name,
			  const struct crd_setpaths *p, struct sec_err *reterr)
{
	_Alignas(8) uint8_t block[CRD_BLOCK];
	int r;

	crd_setpaths_out(p, block);
	r = io_do(rd, io_disk, CRD_IO_WRITE, CRD_SETPATHS_OFF, CRD_BLOCK, block, NULL);
	return r < 0 ? sec_errf(reterr, r, "cannot write the disk set paths of '%s': %s", name,
				strerror(-r))
		     : 0;
}

/* Copies len bytes at off from io_disk onto fd (NEW). */
static int copy_range(const struct crd_region_disks *rd, int io_disk, const char *from,
		      int fd, const char *to, uint64_t off, uint64_t len, struct sec_err *reterr)
{
	struct crd_io_req *req = NULL;
	int r = io_do(rd, io_disk, CRD_IO_READ, off, (size_t)len, NULL, &req);

	if (r < 0)
		return sec_errf(reterr, r, "cannot read '%s' at offset %" PRIu64 ": %s", from, off,
				strerror(-r));
	r = crd_file_write(fd, to, req->buf, (size_t)len, off, reterr);
	crd_io_req_unref(req);
	return r;
}

/* The lease block, the slots and every written region copy of the surviving disk (raw
 * bytes, as replace.c does offline). Units keep writing meanwhile: a region copy that
 * changes under the copy fails its CRC on NEW and is treated as absent there; every owner
 * resyncs its region onto NEW once it uses it (STALE), so nothing committed is lost. */
static int copy_content(const struct crd_region_disks *rd, int io_disk, const char *from,
			int fd, const char *to, const struct crd_geometry *g,
			struct sec_err *reterr)
{
	struct crd_region_hdr h;
	int r;

	r = copy_range(rd, io_disk, from, fd, to, g->lease_off, CRD_BLOCK, reterr);
	if (r == 0)
		r = copy_range(rd, io_disk, from, fd, to, g->slots_off,
			       (uint64_t)g->slot_count * CRD_BLOCK, reterr);
	for (uint32_t k = 0; r == 0 && k < g->region_count; k++)
		for (int c = 0; r == 0 && c < 2; c++) {
			uint64_t off = crd_region_off(g, k, c), len = CRD_BLOCK;
			struct crd_io_req *req = NULL;

			r = io_do(rd, io_disk, CRD_IO_READ, off, CRD_BLOCK, NULL, &req);
			if (r < 0) {
				r = sec_errf(reterr, r, "cannot read '%s' at offset %" PRIu64 ": %s",
					     from, off, strerror(-r));
				break;
			}
			bool zero = crd_block_is_zero(req->buf);
			if (!zero && crd_region_hdr_in(req->buf, &h) == 0 &&
			    crd_region_hdr_check(g, k, &h) == 0)
				len += (h.payload_len + CRD_BLOCK - 1) / CRD_BLOCK * CRD_BLOCK;
			crd_io_req_unref(req);
			if (!zero)
				r = copy_range(rd, io_disk, from, fd, to, off, len, reterr);
		}
	return r ? r : crd_file_sync(fd, to, reterr);
}

static int set_index(const struct crd_disk_set *s, const crd_uuid *id)
{
	for (uint32_t i = 0; i < s->count && i < CRD_SET_DISKS_MAX; i++)
		if (crd_uuid_eq(&s->disks[i], id))
			return (int)i;
	return -1;
}

/* Steps 1-2 of unit.h: NEW formatted into the new set. */
static int make_new(struct replace_job *j, const struct crd_region_disks *rd,
		    const struct crd_sb *surv, struct crd_sb *ret_nsb)
{
	struct crd_geometry geo;
	struct crd_sb cur, nsb;
	_Alignas(8) uint8_t block[CRD_BLOCK];
	int fd = -1, r, idx;

	r = crd_format_open(j->new_path, &j->cluster, surv->geo.disk_size, surv->geo.region0_copy,
			    surv->geo.unit_copy, false, &fd, &geo, &j->err);
	if (r < 0)
		return r;
	if (crd_sb_read(fd, j->new_path, &cur, NULL, NULL) == 0 && !(cur.flags & CRD_SB_RETIRED) &&
	    set_index(&j->set, &cur.disk_id) >= 0) {
		r = sec_errf(&j->err, -EINVAL, "'%s' is already a disk of the set", j->new_path);
		goto out;
	}
	nsb = *surv;
	nsb.flags = 0;
	nsb.geo = geo;
	nsb.created_wall_ns = clock_wall_ns();
	nsb.set.generation++;
	if ((r = crd_uuid_random(&nsb.disk_id)) < 0) {
		sec_errf(&j->err, r, "cannot make a uuid: %s", strerror(-r));
		goto out;
	}
	idx = set_index(&nsb.set, &j->old_id);
	nsb.set.disks[idx] = nsb.disk_id;
	j->new_id = nsb.disk_id;
	j->new_set = nsb.set;
	memset(&j->paths, 0, sizeof(j->paths));
	j->paths.set_id = nsb.set.set_id;
	j->paths.generation = nsb.set.generation;
	j->paths.count = nsb.set.count;
	for (uint32_t i = 0; i < nsb.set.count; i++) {
		j->paths.disks[i] = nsb.set.disks[i];
		snprintf(j->paths.path[i], sizeof(j->paths.path[i]), "%s",
			 (int)i == idx ? j->new_path : j->surv_path);
	}
	r = crd_format_clear(fd, j->new_path, &geo, &j->err);
	if (r == 0)
		r = copy_content(rd, rd->ext[j->surv_pos], j->surv_path, fd, j->new_path, &geo,
				 &j->err);
	crd_setpaths_out(&j->paths, block);
	if (r == 0)
		r = crd_file_write(fd, j->new_path, block, CRD_BLOCK, CRD_SETPATHS_OFF, &j->err);
	if (r == 0)
		r = crd_sb_write(fd, j->new_path, &nsb, &j->err);
	if (r == 0)
		*ret_nsb = nsb;
out:
	crd_file_close(fd);
	return r;
}

/* Step 4: best effort. */
static void retire_old(struct replace_job *j, const struct crd_region_disks *rd)
{
	struct crd_unit_replace_result *res = &j->res;
	int io_disk = rd->ext[j->old_pos];
	struct sec_err err = {0};
	struct crd_sb sb;
	int r;

	if (io_disk < 0) {
		snprintf(res->old_note, sizeof(res->old_note), "'%s' not marked RETIRED: this unit "
			 "no longer uses it", res->old_name);
		return;
	}
	r = io_read_sb(rd, io_disk, res->old_name, &sb, &err);
	if (r == 0 && !crd_uuid_eq(&sb.disk_id, &j->old_id))
		r = sec_errf(&err, -EINVAL, "'%s' holds another disk now", res->old_name);
	if (r == 0)
		r = io_write_paths(rd, io_disk, res->old_name, &j->paths, &err);
	if (r == 0) {
		sb.flags |= CRD_SB_RETIRED;
		r = io_write_sb(rd, io_disk, res->old_name, &sb, &err);
	}
	res->old_retired = r == 0;
	if (r == 0)
		snprintf(res->old_note, sizeof(res->old_note), "'%s' marked RETIRED", res->old_name);
	else
		snprintf(res->old_note, sizeof(res->old_note), "'%s' not marked RETIRED: %s",
			 res->old_name, err.msg);
}

static void replace_run(struct crd_rjob *job, const struct crd_region_disks *rd)
{
	struct replace_job *j = (struct replace_job *)job;
	int so = rd->ext[j->surv_pos], r;
	struct crd_sb surv, nsb;

	r = crd_file_check_shared(j->new_path, j->unsafe_fs, &j->err);
	if (r == 0 && so < 0)
		r = sec_errf(&j->err, -EAGAIN, "this unit no longer uses '%s'", j->surv_path);
	if (r == 0)
		r = io_read_sb(rd, so, j->surv_path, &surv, &j->err);
	if (r == 0 && (!crd_uuid_eq(&surv.disk_id, &j->surv_id) ||
		       surv.set.generation != j->set.generation || (surv.flags & CRD_SB_RETIRED)))
		r = sec_errf(&j->err, -ESTALE, "the disk set on '%s' changed meanwhile (generation "
			     "%" PRIu64 "); nothing changed", j->surv_path, surv.set.generation);
	if (r == 0)
		r = make_new(j, rd, &surv, &nsb);
	if (r == 0 && j->surv_pos != j->old_pos) { /* step 3: the commit point */
		r = io_write_paths(rd, so, j->surv_path, &j->paths, &j->err);
		surv.set = nsb.set;
		if (r == 0)
			r = io_write_sb(rd, so, j->surv_path, &surv, &j->err);
	}
	if (r == 0)
		retire_old(j, rd);
	if (r == 0)
		r = crd_disk_open(j->new_path, &j->new_disk, &j->err);
	j->res.result = r;
	j->res.generation = r == 0 ? nsb.set.generation : 0;
	if (r < 0)
		snprintf(j->res.msg, sizeof(j->res.msg), "%s", j->err.msg);
}

static void replace_done(struct crd_rjob *job)
{
	struct replace_job *j = (struct replace_job *)job;
	struct crd_unit *u = j->u;
	char why[CRD_SETPATHS_PATH_MAX + 96];

	if (job->cancelled || u->freeing) {
		crd_disk_close(j->new_disk);
		free(j);
		return;
	}
	u->set.replacing = false;
	if (j->res.result == 0) {
		u->set.set = j->new_set;
		u->set.hint = j->paths;
		snprintf(why, sizeof(why), "replaced by '%s' (disk set generation %" PRIu64 ")",
			 j->new_path, j->new_set.generation);
		unit_set_detach(u, j->old_pos, why);
		unit_set_attach(u, j->old_pos, &j->new_id, j->new_path, j->new_disk);
		j->new_disk = NULL;
	}
	if (j->cb)
		j->cb(j->arg, &j->res);
	crd_disk_close(j->new_disk);
	free(j);
}

int crd_unit_replace(struct crd_unit *u, const char *old, const char *new_path,
		     crd_unit_replace_cb *cb, void *arg, struct sec_err *reterr)
{
	struct unit_set *s = &u->set;
	struct replace_job *j;
	int op = -1, sp;

	if (!u->dr || !crd_unit_master(u).held)
		return sec_errf(reterr, -EPERM, "unit '%s' is not the Master MU", u->name);
	if (s->replacing || s->opening)
		return sec_errf(reterr, -EBUSY, "a change of the CRD disk set is under way on unit "
				"'%s'; try again when it has finished", u->name);
	for (int i = 0; i < u->rd.next && op < 0; i++)
		if (!strcmp(old, s->path[i]) || !strcmp(old, u->st.disk_name[i]))
			op = i;
	if (op < 0)
		return sec_errf(reterr, -ENOENT, "'%s' is not an external CRD disk of unit '%s' "
				"(its disks: '%s'%s%s%s)", old, u->name, u->st.disk_name[0],
				u->rd.next > 1 ? ", '" : "", u->rd.next > 1 ? u->st.disk_name[1] : "",
				u->rd.next > 1 ? "'" : "");
	if (new_path[0] != '/' || strlen(new_path) >= CRD_SETPATHS_PATH_MAX)
		return sec_errf(reterr, -EINVAL, "the new disk must be an absolute path of at most "
				"%u bytes, not '%.80s'", CRD_SETPATHS_PATH_MAX - 1, new_path);
	for (int i = 0; i < u->rd.next; i++)
		if (!strcmp(new_path, s->path[i]))
			return sec_errf(reterr, -EINVAL, "'%s' is already an external CRD disk of "
					"the set", new_path);
	sp = u->rd.next == 2 ? 1 - op : op;
	if (!s->in_use[sp] || u->st.disk[sp] != CRD_DISK_NORMAL)
		return sec_errf(reterr, -EAGAIN, "the %s disk '%s' is %s on unit '%s': a replace "
				"copies from it; try again when it is NORMAL",
				sp == op ? "" : "surviving", u->st.disk_name[sp],
				s->in_use[sp] ? crd_disk_status_to_string(u->st.disk[sp])
					      : "not in use", u->name);
	if (!(j = calloc(1, sizeof(*j))))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	j->job.run = replace_run;
	j->job.done = replace_done;
	j->u = u;
	j->old_pos = op;
	j->surv_pos = sp;
	j->old_id = s->disk_id[op];
	j->surv_id = s->disk_id[sp];
	j->cluster = s->cluster_id;
	j->set = s->set;
	j->unsafe_fs = s->unsafe_fs;
	j->cb = cb;
	j->arg = arg;
	snprintf(j->new_path, sizeof(j->new_path), "%s", new_path);
	snprintf(j->surv_path, sizeof(j->surv_path), "%s", s->path[sp]);
	snprintf(j->res.old_name, sizeof(j->res.old_name), "%s", u->st.disk_name[op]);
	if (crd_rthread_submit(u->rt, &j->job) < 0) {
		free(j);
		return sec_errf(reterr, -ESHUTDOWN, "unit '%s' is stopping", u->name);
	}
	s->replacing = true;
	log_debug("unit '%s': replacing CRD disk '%s' by '%s'", u->name, s->path[op], new_path);
	return 0;
}
