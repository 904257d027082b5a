/* setpaths.h — the "disk set paths" record of an online replace (crd.md §1; docs
 * crd-format.md, block 3 at 12 KiB).
 *
 * The disk set in the superblocks names its disks by UUID only. When `sectl crd replace
 * OLD NEW` runs on a running cluster, every unit has to find NEW to switch to the new set.
 * The Master MU therefore writes, next to the new set, where it found each disk of it: this
 * record {set id, set generation, per disk: disk id and the path the master used}. A unit
 * that reads a newer set on any disk looks here for the path of a disk it does not know
 * yet, opens it, and uses it only after that disk's own superblock confirms cluster, disk
 * id and set (crd_disk_open_check). The path is a hint: on a real installation it must name
 * the same device on every host (e.g. /dev/disk/by-id/...); a unit that cannot open it
 * runs on the disks of the set it can reach and says so (docs/decisions.md).
 *
 * Pure conversions as in ondisk.h: crd_setpaths_out() fills a 4 KiB block, crd_setpaths_in()
 * returns 0, -ENODATA (empty), -EBADMSG, -EPROTO, -EILSEQ or -EINVAL (a field out of range:
 * count, an empty or unterminated path, a null disk id). */
#ifndef SEC_CRD_SETPATHS_H
#define SEC_CRD_SETPATHS_H

#include "crd/ondisk.h"

#define CRD_SETPATHS_OFF (12ull << 10)
#define CRD_SETPATHS_MAGIC 0x4854505f44524353ull /* "SCRD_PTH" */
#define CRD_SETPATHS_PATH_MAX 1020u /* bytes of a path with its NUL */

struct crd_setpaths {
	crd_uuid set_id;
	uint64_t generation;
	uint32_t count; /* 1 or 2, as the set */
	crd_uuid disks[CRD_SET_DISKS_MAX];
	char path[CRD_SET_DISKS_MAX][CRD_SETPATHS_PATH_MAX];
};

void crd_setpaths_out(const struct crd_setpaths *p, void *block);
int crd_setpaths_in(const void *block, struct crd_setpaths *ret);
/* The path recorded for disk id, or NULL. */
const char *crd_setpaths_find(const struct crd_setpaths *p, const crd_uuid *id);

#endif
