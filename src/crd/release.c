/* release.c — freeing the slot of a unit whose data directory was lost (release.h). */
#include "crd/release.h"

#include "crd/file.h"
#include "crd/format.h"
#include "crd/ondisk.h"
#include "crd/timing.h"
#include "lib/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rdisk {
	const char *path;
	int fd;
	uint64_t off;                 /* the slot's byte offset */
	uint8_t first[CRD_BLOCK];     /* the first read */
	int decode;                   /* crd_slot_in() of the first read */
	struct crd_slot slot;
};

static int open_all(struct rdisk *d, const char *const *paths, int n, uint32_t unit_id,
		    struct sec_err *reterr)
{
	struct crd_sb sb0, sb;
	int r;

	for (int i = 0; i < n; i++) {
		d[i].path = paths[i];
		d[i].fd = -1;
		if ((r = crd_disk_open_check(paths[i], i ? &sb0.cluster_id : NULL, &sb, reterr)) < 0)
			return r;
		if (!i)
			sb0 = sb;
		if (sb.role != CRD_ROLE_EXTERNAL)
			return sec_errf(reterr, -EINVAL, "'%s' is an internal CRD disk; name the "
					"external disks", paths[i]);
		if (unit_id > sb.geo.slot_count)
			return sec_errf(reterr, -EINVAL, "unit id %u is above the %u slots of '%s'",
					unit_id, sb.geo.slot_count, paths[i]);
		d[i].off = crd_slot_off(&sb.geo, unit_id);
		if ((r = crd_file_open(paths[i], O_RDWR, &d[i].fd, reterr)) < 0)
			return r;
	}
	return 0;
}

static void sleep_until(uint64_t deadline_ns)
{
	for (uint64_t now; (now = clock_boottime_ns()) < deadline_ns;) {
		uint64_t left = deadline_ns - now;
		struct timespec ts = {(time_t)(left / NSEC_PER_SEC), (long)(left % NSEC_PER_SEC)};
		nanosleep(&ts, NULL);
	}
}

/* Not LEFT everywhere: the bytes must stay the same for the advertised dead_bound (the
 * production profile's for an undecodable slot, as replace.c). */
static int watch(struct rdisk *d, int n, uint32_t unit_id, FILE *progress, uint64_t start_ns,
		 struct crd_release_result *res, struct sec_err *reterr)
{
	struct crd_timing prod = crd_timing_profile(CRD_PROFILE_PRODUCTION);
	uint8_t again[CRD_BLOCK];
	uint64_t ms = 0;
	int r;

	for (int i = 0; i < n; i++) {
		const struct crd_timing *t = d[i].decode == 0 && crd_timing_validate(&d[i].slot.timing,
						NULL) == 0 ? &d[i].slot.timing : &prod;
		if (d[i].decode != -ENODATA && crd_dead_bound_ms(t) > ms)
			ms = crd_dead_bound_ms(t);
	}
	if (progress)
		fprintf(progress, "waiting %" PRIu64 " ms (the dead_bound unit %u advertises) to see "
			"that its alive message does not change\n", ms, unit_id);
	sleep_until(start_ns + ms * NSEC_PER_MSEC);
	res->waited_ms = ms;
	for (int i = 0; i < n; i++) {
		if ((r = crd_file_read(d[i].fd, d[i].path, again, CRD_BLOCK, d[i].off, reterr)) < 0)
			return r;
		if (memcmp(again, d[i].first, CRD_BLOCK))
			return sec_errf(reterr, -EBUSY, "unit %u is running: its alive message on '%s' "
					"changed within %" PRIu64 " ms; stop the unit first", unit_id,
					d[i].path, ms);
	}
	return 0;
}

static int clear(struct rdisk *d, int n, uint32_t unit_id, struct sec_err *reterr)
{
	uint8_t zero[CRD_BLOCK] = {0}, back[CRD_BLOCK];
	int r;

	for (int i = 0; i < n; i++) {
		if ((r = crd_file_write(d[i].fd, d[i].path, zero, CRD_BLOCK, d[i].off, reterr)) < 0 ||
		    (r = crd_file_sync(d[i].fd, d[i].path, reterr)) < 0 ||
		    (r = crd_file_read(d[i].fd, d[i].path, back, CRD_BLOCK, d[i].off, reterr)) < 0)
			return r;
		if (memcmp(back, zero, CRD_BLOCK))
			return sec_errf(reterr, -EIO, "the slot of unit %u on '%s' did not read back "
					"empty", unit_id, d[i].path);
	}
	return 0;
}

int crd_release_slot(const char *const *paths, int n, uint32_t unit_id, FILE *progress,
		     struct crd_release_result *ret, struct sec_err *reterr)
{
	struct rdisk d[CRD_SET_DISKS_MAX];
	struct crd_release_result res = {0};
	bool empty = true, left = true;
	uint64_t start;
	int r;

	if (n < 1 || n > (int)CRD_SET_DISKS_MAX)
		return sec_errf(reterr, -EINVAL, "name the 1 or 2 external disks of the set");
	if (unit_id < 1 || unit_id > CRD_UNITS_MAX)
		return sec_errf(reterr, -EINVAL, "unit id %u is out of range 1..%u", unit_id,
				CRD_UNITS_MAX);
	memset(d, 0, sizeof(d));
	if ((r = open_all(d, paths, n, unit_id, reterr)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if ((r = crd_file_read(d[i].fd, d[i].path, d[i].first, CRD_BLOCK, d[i].off, reterr)) < 0)
			goto out;
		d[i].decode = crd_slot_in(d[i].first, &d[i].slot);
		empty &= d[i].decode == -ENODATA;
		left &= d[i].decode == -ENODATA ||
			(d[i].decode == 0 && d[i].slot.state == CRD_SLOT_LEFT);
	}
	start = clock_boottime_ns();
	res.was_empty = empty;
	res.was_left = left && !empty;
	if (!empty && !left && (r = watch(d, n, unit_id, progress, start, &res, reterr)) < 0)
		goto out;
	if (!empty)
		r = clear(d, n, unit_id, reterr);
	if (r == 0 && ret)
		*ret = res;
out:
	for (int i = 0; i < n; i++)
		if (d[i].fd > 0)
			crd_file_close(d[i].fd);
	return r;
}
