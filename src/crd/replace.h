/* replace.h — the offline form of `sectl crd replace OLD NEW --surviving PATH` (crd.md §1).
 *
 * Replaces the external disk OLD of a disk set by NEW while no unit runs:
 *   1. reads the surviving disk of the set (it must pass crd_disk_open_check);
 *   2. reads every slot and the lease block twice, the largest advertised dead_bound apart
 *      (no wait when no slot is used), and refuses (-EBUSY) if any of them changed;
 *   3. formats NEW into the set: set generation + 1, NEW's new disk id in OLD's place, and
 *      the surviving disk's slots, lease block and regions copied onto it;
 *   4. writes the new set to the surviving disk's superblocks (A, sync, B, sync);
 *   5. marks OLD's superblocks RETIRED when OLD is readable and writable (best effort: the
 *      outcome is in ret->old_note, it does not fail the replace).
 * With a one-disk set, `--surviving` may name OLD itself (OLD is copied onto NEW, retired).
 * Progress lines ("waiting 3400 ms ...") go to o->progress when not NULL. */
#ifndef SEC_CRD_REPLACE_H
#define SEC_CRD_REPLACE_H

#include "crd/ondisk.h"
#include "lib/err.h"

#include <stdbool.h>
#include <stdio.h>

struct crd_replace_opts {
	const char *old_path;
	const char *new_path;
	const char *surviving_path;
	FILE *progress; /* may be NULL */
	bool unsafe_fs; /* NEW may be a file on a local file system (crd.md §1) */
};

struct crd_replace_result {
	uint64_t waited_ms;      /* the watch time: the largest advertised dead_bound, or 0 */
	uint64_t new_generation; /* the set generation written */
	bool old_retired;
	char old_note[1024]; /* what happened to OLD, one sentence */
};

/* Returns 0 and fills *ret, or: -EINVAL (OLD is not in the set, NEW is, wrong roles),
 * -EBUSY (a slot or the lease changed during the watch: units are running), any error of
 * crd_disk_open_check() for the surviving disk, -EEXIST (NEW holds another cluster's data),
 * or an I/O -errno; reterr names the path. On failure before step 4 the set is unchanged. */
int crd_replace(const struct crd_replace_opts *o, struct crd_replace_result *ret,
		struct sec_err *reterr);

#endif
