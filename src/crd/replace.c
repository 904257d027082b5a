/* replace.c — offline replace of an external CRD disk (see replace.h, crd.md §1). */
#include "crd/replace.h"

#include "crd/file.h"
#include "crd/format.h"
#include "crd/timing.h"
#include "lib/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

/* The slots and the lease block, raw, as one buffer: slot u at (u - 1) * 4 KiB, the lease
 * block last. */
static int read_watched(int fd, const char *path, const struct crd_geometry *g, uint8_t *buf,
			struct sec_err *reterr)
{
	size_t slots = (size_t)g->slot_count * CRD_BLOCK;
	int r = crd_file_read(fd, path, buf, slots, g->slots_off, reterr);

	return r ? r : crd_file_read(fd, path, buf + slots, CRD_BLOCK, g->lease_off, reterr);
}

/* The largest advertised dead_bound of the used slots; a damaged slot advertises nothing
 * readable, so it counts as the production profile's (the largest of crd.md §8). */
static uint64_t watch_ms(const struct crd_geometry *g, const uint8_t *buf)
{
	struct crd_timing prod = crd_timing_profile(CRD_PROFILE_PRODUCTION);
	struct crd_slot s;
	uint64_t ms = 0, d;

	for (uint32_t u = 1; u <= g->slot_count; u++) {
		int r = crd_slot_in(buf + (size_t)(u - 1) * CRD_BLOCK, &s);

		if (r == -ENODATA)
			continue;
		/* timings that break crd.md §8's rules are as unreadable as a damaged slot */
		if (r == 0 && crd_timing_validate(&s.timing, NULL) < 0)
			r = -EINVAL;
		d = crd_dead_bound_ms(r == 0 ? &s.timing : &prod);
		ms = d > ms ? d : ms;
	}
	return ms;
}

static void sleep_until(uint64_t deadline_ns)
{
	for (uint64_t now; (now = clock_boottime_ns()) < deadline_ns;) {
		uint64_t left = deadline_ns - now;
		struct timespec ts = {(time_t)(left / NSEC_PER_SEC), (long)(left % NSEC_PER_SEC)};

		nanosleep(&ts, NULL);
	}
}

/* Step 2 of replace.h: two reads, dead_bound apart (timed like R0: from the completion of
 * the first read to the issue of the second). */
static int watch_slots(int fd, const char *path, const struct crd_geometry *g, FILE *progress,
		       uint64_t *ret_ms, struct sec_err *reterr)
{
	size_t len = ((size_t)g->slot_count + 1) * CRD_BLOCK;
	uint8_t *first = malloc(len), *second = malloc(len);
	uint64_t ms, done;
	int r;

	if (!first || !second) {
		r = sec_errf(reterr, -ENOMEM, "out of memory");
		goto out;
	}
	r = read_watched(fd, path, g, first, reterr);
	if (r < 0)
		goto out;
	done = clock_boottime_ns();
	ms = watch_ms(g, first);
	*ret_ms = ms;
	if (!ms)
		goto out;
	if (progress)
		fprintf(progress, "waiting %" PRIu64 " ms (the largest advertised dead_bound) to "
			"see that no slot of '%s' changes\n", ms, path);
	if (progress)
		fflush(progress);
	if (ms > 3600000)
		return sec_errf(reterr, -EINVAL, "a slot of '%s' advertises a dead_bound of %" PRIu64
				" ms (over an hour); not waiting that long: check the slots with "
				"'sectl crd inspect'", path, ms);
	sleep_until(done + ms * NSEC_PER_MSEC);
	r = read_watched(fd, path, g, second, reterr);
	if (r < 0)
		goto out;
	for (uint32_t u = 1; u <= g->slot_count + 1; u++) {
		size_t off = (size_t)(u - 1) * CRD_BLOCK;

		if (!memcmp(first + off, second + off, CRD_BLOCK))
			continue;
		if (u > g->slot_count)
			r = sec_errf(reterr, -EBUSY, "the master lease block of '%s' changed within "
				     "%" PRIu64 " ms: the cluster is running; use the online "
				     "replace", path, ms);
		else
			r = sec_errf(reterr, -EBUSY, "the slot of unit %u on '%s' changed within "
				     "%" PRIu64 " ms: the cluster is running; use the online "
				     "replace", u, path, ms);
		goto out;
	}
out:
	free(first);
	free(second);
	return r;
}

static int copy_range(int from, const char *from_path, int to, const char *to_path,
		      uint64_t off, uint64_t len, uint8_t *buf, struct sec_err *reterr)
{
	int r = crd_file_read(from, from_path, buf, len, off, reterr);

	return r ? r : crd_file_write(to, to_path, buf, len, off, reterr);
}

/* Step 3: the lease block, the slots and every written region copy, as raw bytes. */
static int copy_content(int from, const char *from_path, int to, const char *to_path,
			const struct crd_geometry *g, struct sec_err *reterr)
{
	uint64_t big = g->region0_copy > g->unit_copy ? g->region0_copy : g->unit_copy;
	uint8_t *buf = malloc(big > (uint64_t)g->slot_count * CRD_BLOCK
				      ? big
				      : (uint64_t)g->slot_count * CRD_BLOCK);
	struct crd_region_hdr h;
	int r;

	if (!buf)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	r = copy_range(from, from_path, to, to_path, g->lease_off, CRD_BLOCK, buf, reterr);
	if (r == 0)
		r = copy_range(from, from_path, to, to_path, g->slots_off,
			       (uint64_t)g->slot_count * CRD_BLOCK, buf, reterr);
	for (uint32_t k = 0; r == 0 && k < g->region_count; k++)
		for (int c = 0; r == 0 && c < 2; c++) {
			uint64_t off = crd_region_off(g, k, c), len = CRD_BLOCK;

			r = crd_file_read(from, from_path, buf, CRD_BLOCK, off, reterr);
			if (r < 0 || crd_block_is_zero(buf))
				continue;
			if (crd_region_hdr_in(buf, &h) == 0 && crd_region_hdr_check(g, k, &h) == 0)
				len += (h.payload_len + CRD_BLOCK - 1) / CRD_BLOCK * CRD_BLOCK;
			r = copy_range(from, from_path, to, to_path, off, len, buf, reterr);
		}
	free(buf);
	return r ? r : crd_file_sync(to, to_path, reterr);
}

static int set_find(const struct crd_disk_set *s, const crd_uuid *id)
{
	for (unsigned i = 0; i < s->count; i++)
		if (crd_uuid_eq(&s->disks[i], id))
			return (int)i;
	return -1;
}

/* Which set member OLD is: its own superblock when readable, else the one that is not the
 * surviving disk. */
static int old_identify(const char *path, const struct crd_sb *surv, crd_uuid *ret_id,
			struct sec_err *reterr)
{
	struct crd_sb sb;
	int fd, r;

	if (crd_file_open(path, O_RDONLY, &fd, NULL) == 0) {
		r = crd_sb_read(fd, path, &sb, NULL, NULL);
		crd_file_close(fd);
		if (r == 0 && !crd_uuid_eq(&sb.cluster_id, &surv->cluster_id)) {
			char have[37], want[37];
			crd_uuid_to_string(&sb.cluster_id, have);
			crd_uuid_to_string(&surv->cluster_id, want);
			return sec_errf(reterr, -EXDEV, "'%s' is a CRD disk of another cluster (%s) "
					"than the surviving disk (%s); nothing changed",
					path, have, want);
		}
		if (r == 0 && !crd_uuid_eq(&sb.set.set_id, &surv->set.set_id))
			return sec_errf(reterr, -EXDEV, "'%s' belongs to another disk set than the "
					"surviving disk; nothing changed", path);
		if (r == 0) {
			if (set_find(&surv->set, &sb.disk_id) < 0)
				return sec_errf(reterr, -EINVAL, "'%s' is not in the disk set "
						"(generation %" PRIu64 ") of the surviving disk",
						path, surv->set.generation);
			*ret_id = sb.disk_id;
			return 0;
		}
	}
	if (surv->set.count != 2)
		return sec_errf(reterr, -EINVAL, "'%s' cannot be read and the set has one disk: "
				"nothing to replace it from", path);
	*ret_id = surv->set.disks[crd_uuid_eq(&surv->set.disks[0], &surv->disk_id) ? 1 : 0];
	return 0;
}

/* Step 5, best effort. */
static void old_retire(const char *path, const crd_uuid *old_id, const struct crd_sb *surv,
		       struct crd_replace_result *ret)
{
	struct sec_err err = {0};
	struct crd_sb sb;
	int fd, r;

	r = crd_file_open(path, O_RDWR, &fd, &err);
	if (r == 0) {
		r = crd_sb_read(fd, path, &sb, NULL, &err);
		if (r == 0 && (!crd_uuid_eq(&sb.cluster_id, &surv->cluster_id) ||
			       !crd_uuid_eq(&sb.disk_id, old_id)))
			r = sec_errf(&err, -EINVAL, "'%s' holds another disk now", path);
		if (r == 0) {
			sb.flags |= CRD_SB_RETIRED;
			r = crd_sb_write(fd, path, &sb, &err);
		}
		crd_file_close(fd);
	}
	ret->old_retired = r == 0;
	if (r == 0)
		snprintf(ret->old_note, sizeof(ret->old_note), "'%s' marked RETIRED", path);
	else
		snprintf(ret->old_note, sizeof(ret->old_note), "'%s' not marked RETIRED: %s",
			 path, err.msg);
}

int crd_replace(const struct crd_replace_opts *o, struct crd_replace_result *ret,
		struct sec_err *reterr)
{
	struct crd_replace_result res = {0};
	struct crd_sb surv, nsb, cur;
	struct crd_geometry geo;
	crd_uuid old_id;
	int sfd = -1, nfd = -1, r, pos;
	bool move;

	r = crd_disk_open_check(o->surviving_path, NULL, &surv, reterr);
	if (r < 0)
		return r;
	if (surv.role != CRD_ROLE_EXTERNAL)
		return sec_errf(reterr, -EINVAL, "'%s' is an internal CRD disk; the surviving "
				"disk must be an external disk of the set", o->surviving_path);
	r = old_identify(o->old_path, &surv, &old_id, reterr);
	if (r < 0)
		return r;
	move = crd_uuid_eq(&old_id, &surv.disk_id);
	if (move && surv.set.count != 1)
		return sec_errf(reterr, -EINVAL, "'%s' is the disk to replace; name the other "
				"disk of the set with --surviving", o->old_path);
	r = crd_file_check_shared(o->new_path, o->unsafe_fs, reterr);
	if (r < 0)
		return r;
	r = crd_file_open(o->surviving_path, O_RDWR, &sfd, reterr);
	if (r == 0 && flock(sfd, LOCK_EX | LOCK_NB) < 0) /* one replace at a time */
		r = sec_errf(reterr, -EBUSY, "another 'sectl crd replace' is running on '%s'",
			     o->surviving_path);
	if (r == 0)
		r = watch_slots(sfd, o->surviving_path, &surv.geo, o->progress, &res.waited_ms,
				reterr);
	if (r < 0)
		goto out;

	r = crd_format_open(o->new_path, &surv.cluster_id, surv.geo.disk_size,
			    surv.geo.region0_copy, surv.geo.unit_copy, false, &nfd, &geo, reterr);
	if (r < 0)
		goto out;
	if (crd_sb_read(nfd, o->new_path, &cur, NULL, NULL) == 0 &&
	    !(cur.flags & CRD_SB_RETIRED) && set_find(&surv.set, &cur.disk_id) >= 0) {
		r = sec_errf(reterr, -EINVAL, "'%s' is already a disk of the set", o->new_path);
		goto out;
	}
	nsb = surv;
	nsb.flags = 0;
	nsb.geo = geo;
	nsb.created_wall_ns = clock_wall_ns();
	nsb.set.generation++;
	if ((r = crd_uuid_random(&nsb.disk_id)) < 0) {
		sec_errf(reterr, r, "cannot make a uuid: %s", strerror(-r));
		goto out;
	}
	pos = set_find(&surv.set, &old_id);
	nsb.set.disks[pos] = nsb.disk_id;
	res.new_generation = nsb.set.generation;

	r = crd_format_clear(nfd, o->new_path, &geo, reterr);
	if (r == 0)
		r = copy_content(sfd, o->surviving_path, nfd, o->new_path, &geo, reterr);
	if (r == 0)
		r = crd_sb_write(nfd, o->new_path, &nsb, reterr);
	if (r < 0)
		goto out;
	if (o->progress)
		fprintf(o->progress, "formatted '%s' into the disk set (generation %" PRIu64
			") with the content of '%s'\n", o->new_path, nsb.set.generation,
			o->surviving_path);
	if (!move) {
		surv.set = nsb.set;
		r = crd_sb_write(sfd, o->surviving_path, &surv, reterr);
		if (r < 0)
			goto out;
		if (o->progress)
			fprintf(o->progress, "wrote disk set generation %" PRIu64 " to '%s'\n",
				nsb.set.generation, o->surviving_path);
	}
	old_retire(o->old_path, &old_id, &surv, &res);
	if (o->progress)
		fprintf(o->progress, "%s\n", res.old_note);
	*ret = res;
out:
	crd_file_close(sfd);
	crd_file_close(nfd);
	return r;
}
