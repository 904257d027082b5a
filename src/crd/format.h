/* format.h — formatting CRD disks and opening them with the checks of crd.md §1.
 *
 *   struct crd_format_opts o = {.cluster_id = id, .role = CRD_ROLE_EXTERNAL,
 *                               .paths = {"d1.crd", "d2.crd"}, .n_paths = 2};
 *   crd_format(&o, &err);                       // both disks, one new disk set
 *   crd_disk_open_check("d1.crd", &id, &sb, &err);  // before a unit uses the disk
 *
 * A formatted disk holds two identical superblock copies (blocks 0 and 1) and all-zero
 * ("empty") lease, slot and region-header blocks; files are sparse. Nothing of a disk is
 * written before every disk of the call has passed its checks. See docs/crd-format.md. */
#ifndef SEC_CRD_FORMAT_H
#define SEC_CRD_FORMAT_H

#include "crd/ondisk.h"
#include "lib/err.h"

#include <stdbool.h>

struct crd_format_opts {
	crd_uuid cluster_id;
	enum crd_role role;
	const char *paths[CRD_SET_DISKS_MAX + 1]; /* internal: 1 path; external: 1 or 2 */
	unsigned n_paths;
	uint64_t size;         /* bytes; 0 = CRD_DEFAULT_SIZE (a block device: its own size) */
	uint64_t region0_copy; /* bytes; 0 = CRD_DEFAULT_REGION0_COPY */
	uint64_t unit_copy;    /* bytes; 0 = CRD_DEFAULT_UNIT_COPY */
	bool force;            /* format over another cluster's disk or unknown data */
	/* internal role only: the external set to record in the superblock; NULL records
	 * none (set count 0), which `sectl crd format` does. */
	const struct crd_disk_set *set;
};

/* Formats every path of o (crd.md §1 "sectl crd format"). External disks get one new disk
 * set {random set id, generation 1, their disk ids}. Files are created (mode 0600) if
 * missing and sized sparsely; a block device keeps its size and must hold the layout.
 * Errors (reterr names the path): -EINVAL (bad options: role, path count, a third external
 * disk, sizes), -ENOSPC (the layout does not fit in the size), -EEXIST (the disk holds a
 * superblock of another cluster, or non-zero data that is no CRD superblock, and !force),
 * or an I/O -errno. */
int crd_format(const struct crd_format_opts *o, struct sec_err *reterr);

/* Opens path read-only and reads both superblock copies; takes a valid one (the higher set
 * generation, copy A on a tie). cluster_id NULL accepts any cluster. Writes nothing.
 * Returns 0 and *ret_sb, or (reterr names the path):
 *   -ENODATA  never formatted (both copies all zero)
 *   -EPROTO   another format version
 *   -EBADMSG  damaged superblock (no copy valid; the reason of each copy is given)
 *   -EXDEV    a disk of another cluster
 *   -ESTALE   a RETIRED disk (replaced by `sectl crd replace`)
 *   -ENOSPC   the file or device is smaller than its recorded size
 *   or an I/O -errno. */
int crd_disk_open_check(const char *path, const crd_uuid *cluster_id, struct crd_sb *ret_sb,
			struct sec_err *reterr);

/* Lower level, shared with replace and inspect. */

/* Reads both copies from fd: ret_err[c] is copy c's crd_sb_in() result. Returns 0 and the
 * chosen copy in *ret_sb, or the error of crd_disk_open_check() for "no valid copy" (-ENODATA,
 * -EPROTO, -EBADMSG) with reterr naming the path, or an I/O -errno. ret_err may be NULL. */
int crd_sb_read(int fd, const char *path, struct crd_sb *ret_sb, int ret_err[2],
		struct sec_err *reterr);
/* Writes sb to copy A, fdatasync, then copy B, fdatasync. */
int crd_sb_write(int fd, const char *path, const struct crd_sb *sb, struct sec_err *reterr);

/* Opens (creating) path for formatting into cluster: refuses foreign data unless force and
 * makes the geometry for `size` bytes (0 = default; a block device: its own size when 0, and
 * never more). On success *ret_fd is open read-write; nothing has been written yet (a
 * missing file has been created empty). */
int crd_format_open(const char *path, const crd_uuid *cluster, uint64_t size,
		    uint64_t region0_copy, uint64_t unit_copy, bool force, int *ret_fd,
		    struct crd_geometry *ret_geo, struct sec_err *reterr);
/* Makes every metadata block of fd empty (superblocks, lease, slots, region headers) and
 * syncs: a file is truncated and re-extended sparsely to geo->disk_size, a block device
 * gets zero blocks. */
int crd_format_clear(int fd, const char *path, const struct crd_geometry *geo,
		     struct sec_err *reterr);

#endif
