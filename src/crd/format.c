/* format.c — see format.h (crd.md §1 "Disks and the disk set", §2 "Layout"). */
#include "crd/format.h"

#include "crd/file.h"
#include "lib/clock.h"
#include "lib/sys_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char copy_name[2] = {'A', 'B'};

/* ---- superblock copies ---- */

int crd_sb_read(int fd, const char *path, struct crd_sb *ret_sb, int ret_err[2],
		struct sec_err *reterr)
{
	_Alignas(8) uint8_t block[CRD_BLOCK];
	struct crd_sb sb[2];
	int err[2], r, pick = -1;

	for (int c = 0; c < 2; c++) {
		r = crd_file_read(fd, path, block, CRD_BLOCK, (uint64_t)c * CRD_BLOCK, reterr);
		if (r < 0)
			return r;
		err[c] = crd_sb_in(block, &sb[c]);
	}
	if (ret_err) {
		ret_err[0] = err[0];
		ret_err[1] = err[1];
	}
	if (!err[0] && !err[1])
		pick = sb[1].set.generation > sb[0].set.generation ? 1 : 0;
	else if (!err[0] || !err[1])
		pick = err[0] ? 1 : 0;
	if (pick >= 0) {
		*ret_sb = sb[pick];
		return 0;
	}
	if (err[0] == -ENODATA && err[1] == -ENODATA)
		return sec_errf(reterr, -ENODATA, "'%s' is not a CRD disk (no superblock; format "
				"it with 'sectl crd format')", path);
	if (err[0] == -EPROTO || err[1] == -EPROTO)
		return sec_errf(reterr, -EPROTO, "'%s' has another CRD format version (this "
				"program reads version %u)", path, CRD_FORMAT_VERSION);
	return sec_errf(reterr, -EBADMSG, "'%s' has a damaged superblock (copy A at offset 0: "
			"%s; copy B at offset %u: %s)", path, crd_decode_strerror(err[0]),
			CRD_BLOCK, crd_decode_strerror(err[1]));
}

int crd_sb_write(int fd, const char *path, const struct crd_sb *sb, struct sec_err *reterr)
{
	_Alignas(8) uint8_t block[CRD_BLOCK];
	int r;

	crd_sb_out(sb, block);
	for (int c = 0; c < 2; c++) {
		r = crd_file_write(fd, path, block, CRD_BLOCK, (uint64_t)c * CRD_BLOCK, reterr);
		if (r == 0)
			r = crd_file_sync(fd, path, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

int crd_disk_open_check(const char *path, const crd_uuid *cluster_id, struct crd_sb *ret_sb,
			struct sec_err *reterr)
{
	struct crd_sb sb;
	uint64_t size;
	char want[37], have[37];
	int fd, r;

	r = crd_file_open(path, O_RDONLY, &fd, reterr);
	if (r < 0)
		return r;
	r = crd_sb_read(fd, path, &sb, NULL, reterr);
	if (r < 0)
		goto out;
	if (cluster_id && !crd_uuid_eq(cluster_id, &sb.cluster_id)) {
		crd_uuid_to_string(cluster_id, want);
		crd_uuid_to_string(&sb.cluster_id, have);
		r = sec_errf(reterr, -EXDEV, "'%s' belongs to another cluster (%s, expected %s)",
			     path, have, want);
		goto out;
	}
	if (sb.flags & CRD_SB_RETIRED) {
		r = sec_errf(reterr, -ESTALE, "'%s' is RETIRED (replaced by 'sectl crd replace'); "
			     "it must not be used again", path);
		goto out;
	}
	r = crd_file_size(fd, path, &size, reterr);
	if (r < 0)
		goto out;
	if (size < sb.geo.disk_size) {
		r = sec_errf(reterr, -ENOSPC, "'%s' is smaller (%llu bytes) than its recorded "
			     "size (%llu bytes)", path, (unsigned long long)size,
			     (unsigned long long)sb.geo.disk_size);
		goto out;
	}
	*ret_sb = sb;
out:
	crd_file_close(fd);
	return r;
}

/* ---- formatting ---- */

/* Refuses a disk whose superblock area holds anything but nothing or this cluster's CRD. */
static int format_check_existing(int fd, const char *path, const crd_uuid *cluster,
				 struct sec_err *reterr)
{
	_Alignas(8) uint8_t block[CRD_BLOCK];
	struct crd_sb sb;
	char have[37];
	int r;

	for (int c = 0; c < 2; c++) {
		r = crd_file_read(fd, path, block, CRD_BLOCK, (uint64_t)c * CRD_BLOCK, reterr);
		if (r < 0)
			return r;
		r = crd_sb_in(block, &sb);
		if (r == -ENODATA || (r == 0 && (sb.flags & CRD_SB_RETIRED) &&
				      crd_uuid_eq(&sb.cluster_id, cluster)))
			continue; /* empty, or retired by a replace: free to use */
		if (r == 0 && crd_uuid_eq(&sb.cluster_id, cluster)) {
			crd_uuid_to_string(&sb.disk_id, have);
			return sec_errf(reterr, -EEXIST,
					"'%s' is already a CRD disk of this cluster (%s disk %s); "
					"formatting it destroys its alive messages, lease and regions: "
					"use --force to format it anyway", path,
					crd_role_to_string(sb.role), have);
		}
		if (r == 0) {
			crd_uuid_to_string(&sb.cluster_id, have);
			return sec_errf(reterr, -EEXIST, "'%s' holds a CRD disk of another cluster "
					"(%s); use --force to format it anyway", path, have);
		}
		return sec_errf(reterr, -EEXIST, "'%s' holds data that is not a CRD superblock "
				"(block %d, copy %c: %s); use --force to format it anyway", path,
				c, copy_name[c], crd_decode_strerror(r));
	}
	return 0;
}

/* The layout for size bytes, or reterr explaining why it does not fit. */
static int format_geometry(const char *path, uint64_t size, uint64_t region0_copy,
			   uint64_t unit_copy, struct crd_geometry *ret, struct sec_err *reterr)
{
	int r = crd_geometry_make(size - size % CRD_BLOCK, region0_copy, unit_copy, ret);

	if (r == -ENOSPC)
		return sec_errf(reterr, r, "the CRD layout does not fit in %llu bytes on '%s' "
				"(2 MiB + 2 x region 0 copy + 512 x unit region copy)",
				(unsigned long long)size, path);
	if (r < 0)
		return sec_errf(reterr, r, "bad region sizes for '%s': copies must be multiples "
				"of 4 KiB and at least 8 KiB", path);
	return 0;
}

int crd_format_open(const char *path, const crd_uuid *cluster, uint64_t size,
		    uint64_t region0_copy, uint64_t unit_copy, bool force, int *ret_fd,
		    struct crd_geometry *ret_geo, struct sec_err *reterr)
{
	uint64_t have;
	int fd, r, blk;

	r = crd_file_open(path, O_RDWR, &fd, reterr);
	if (r == -ENOENT) { /* a new file: check the layout before creating it */
		r = format_geometry(path, size ? size : CRD_DEFAULT_SIZE, region0_copy,
				    unit_copy, ret_geo, reterr);
		if (r < 0)
			return r;
		r = crd_file_open(path, O_RDWR | O_CREAT | O_EXCL, &fd, reterr);
	}
	if (r < 0)
		return r;
	blk = r = crd_file_is_blockdev(fd, path, reterr);
	if (r >= 0)
		r = crd_file_size(fd, path, &have, reterr);
	if (r < 0)
		goto fail;
	if (!size)
		size = blk ? have : CRD_DEFAULT_SIZE;
	if (blk && size > have) {
		r = sec_errf(reterr, -ENOSPC, "'%s' is smaller (%llu bytes) than the size asked "
			     "for (%llu bytes)", path, (unsigned long long)have,
			     (unsigned long long)size);
		goto fail;
	}
	r = format_geometry(path, size, region0_copy, unit_copy, ret_geo, reterr);
	if (r == 0 && !force)
		r = format_check_existing(fd, path, cluster, reterr);
	if (r < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	crd_file_close(fd);
	return r;
}

int crd_format_clear(int fd, const char *path, const struct crd_geometry *geo,
		     struct sec_err *reterr)
{
	uint8_t *zero;
	size_t slots_len = (size_t)geo->slot_count * CRD_BLOCK;
	int r;

	r = crd_file_is_blockdev(fd, path, reterr);
	if (r == 0) {
		if (sys_ops->ftruncate(fd, 0) < 0 ||
		    sys_ops->ftruncate(fd, (off_t)geo->disk_size) < 0)
			return sec_errf(reterr, -errno, "cannot size '%s' to %llu bytes: %s", path,
					(unsigned long long)geo->disk_size, strerror(errno));
		return crd_file_sync(fd, path, reterr);
	}
	if (r < 0)
		return r;
	zero = calloc(1, slots_len);
	if (!zero)
		return sec_errf(reterr, -ENOMEM, "out of memory formatting '%s'", path);
	r = crd_file_write(fd, path, zero, 2 * CRD_BLOCK, 0, reterr);
	if (r == 0)
		r = crd_file_write(fd, path, zero, CRD_BLOCK, geo->lease_off, reterr);
	if (r == 0)
		r = crd_file_write(fd, path, zero, slots_len, geo->slots_off, reterr);
	for (uint32_t k = 0; r == 0 && k < geo->region_count; k++)
		for (int c = 0; r == 0 && c < 2; c++)
			r = crd_file_write(fd, path, zero, CRD_BLOCK, crd_region_off(geo, k, c),
					   reterr);
	free(zero);
	return r ? r : crd_file_sync(fd, path, reterr);
}

static int format_check_opts(const struct crd_format_opts *o, struct sec_err *reterr)
{
	if (o->role != CRD_ROLE_INTERNAL && o->role != CRD_ROLE_EXTERNAL)
		return sec_errf(reterr, -EINVAL, "unknown role (expected internal or external)");
	if (crd_uuid_is_null(&o->cluster_id))
		return sec_errf(reterr, -EINVAL, "the cluster id must not be the null uuid");
	if (o->n_paths == 0)
		return sec_errf(reterr, -EINVAL, "no disk given");
	if (o->role == CRD_ROLE_INTERNAL && o->n_paths != 1)
		return sec_errf(reterr, -EINVAL, "an internal CRD is one disk ('%s' is a second)",
				o->paths[1]);
	if (o->n_paths > CRD_SET_DISKS_MAX)
		return sec_errf(reterr, -EINVAL, "a disk set holds at most %u external disks "
				"('%s' is a third)", CRD_SET_DISKS_MAX, o->paths[2]);
	if (o->n_paths == 2 && !strcmp(o->paths[0], o->paths[1]))
		return sec_errf(reterr, -EINVAL, "'%s' is given twice", o->paths[0]);
	if (o->role == CRD_ROLE_EXTERNAL && o->set)
		return sec_errf(reterr, -EINVAL, "external disks get a new disk set");
	if (o->set && (o->set->count < 1 || o->set->count > CRD_SET_DISKS_MAX ||
		       o->set->generation < 1 || crd_uuid_is_null(&o->set->set_id)))
		return sec_errf(reterr, -EINVAL, "a disk set holds 1 or 2 disks, a set id and a "
				"generation >= 1");
	return 0;
}

int crd_format(const struct crd_format_opts *o, struct sec_err *reterr)
{
	int fd[CRD_SET_DISKS_MAX] = {-1, -1};
	bool existed[CRD_SET_DISKS_MAX] = {true, true};
	struct stat st[CRD_SET_DISKS_MAX];
	struct crd_geometry geo[CRD_SET_DISKS_MAX];
	struct crd_sb sb = {.version = CRD_FORMAT_VERSION, .cluster_id = o->cluster_id,
			    .role = o->role};
	unsigned i;
	int r;

	r = format_check_opts(o, reterr);
	if (r < 0)
		return r;
	/* every disk passes its checks before anything is written */
	for (i = 0; o->role == CRD_ROLE_EXTERNAL && i < o->n_paths; i++) {
		r = crd_file_check_shared(o->paths[i], o->unsafe_fs, reterr);
		if (r < 0)
			return r;
	}
	for (i = 0; i < o->n_paths; i++)
		existed[i] = stat(o->paths[i], &st[i]) == 0;
	for (i = 0; i < o->n_paths; i++) {
		r = crd_format_open(o->paths[i], &o->cluster_id, o->size, o->region0_copy,
				    o->unit_copy, o->force, &fd[i], &geo[i], reterr);
		if (r < 0)
			goto out;
		if (sys_ops->fstat(fd[i], &st[i]) < 0) {
			r = sec_errf(reterr, -errno, "cannot stat '%s': %s", o->paths[i],
				     strerror(errno));
			goto out;
		}
		for (unsigned k = 0; k < i; k++)
			if (st[k].st_dev == st[i].st_dev && st[k].st_ino == st[i].st_ino) {
				r = sec_errf(reterr, -EINVAL, "'%s' and '%s' are the same file",
					     o->paths[k], o->paths[i]);
				goto out;
			}
	}
	if (o->set) {
		sb.set = *o->set;
	} else if (o->role == CRD_ROLE_EXTERNAL) {
		r = crd_uuid_random(&sb.set.set_id);
		for (i = 0; r == 0 && i < o->n_paths; i++)
			r = crd_uuid_random(&sb.set.disks[i]);
		if (r < 0) {
			sec_errf(reterr, r, "cannot make uuids: %s", strerror(-r));
			goto out;
		}
		sb.set.generation = 1;
		sb.set.count = o->n_paths;
	}
	sb.created_wall_ns = clock_wall_ns();
	for (i = 0; i < o->n_paths; i++) {
		if (o->role == CRD_ROLE_EXTERNAL)
			sb.disk_id = sb.set.disks[i];
		else if ((r = crd_uuid_random(&sb.disk_id)) < 0) {
			sec_errf(reterr, r, "cannot make a uuid: %s", strerror(-r));
			goto out;
		}
		sb.geo = geo[i];
		r = crd_format_clear(fd[i], o->paths[i], &geo[i], reterr);
		if (r == 0)
			r = crd_sb_write(fd[i], o->paths[i], &sb, reterr);
		if (r < 0)
			goto out;
	}
out:
	for (i = 0; i < o->n_paths && i < CRD_SET_DISKS_MAX; i++) {
		crd_file_close(fd[i]);
		if (r < 0 && !existed[i])
			unlink(o->paths[i]); /* a failed format leaves no file it created */
	}
	return r;
}
