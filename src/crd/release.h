/* release.h — `sectl crd release-slot`: frees the CRD slot of a unit whose data directory
 * was lost (crd.md §4 "duplicate unit id"; newcomer finding: a lost data directory made
 * its unit id unusable, because the slot still holds the old identity).
 *
 * A slot may be freed only when its unit is certainly not running: the slot says LEFT on
 * every external disk that holds it, or its bytes did not change on any of them for the
 * dead_bound the slot advertises (read twice, dead_bound apart, timed like R0 from the
 * completion of the first read). Then an empty block is written to the slot of every
 * external disk (fsync) and read back. The unit can then start with a new data directory
 * (a new identity). Other slots, the lease and the regions are not touched. */
#ifndef SEC_CRD_RELEASE_H
#define SEC_CRD_RELEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"

struct crd_release_result {
	bool was_empty;      /* nothing to free: the slot was empty on every disk */
	bool was_left;       /* freed at once: LEFT on every disk that held it */
	uint64_t waited_ms;  /* the watch time when the slot was not LEFT */
};

/* Frees the slot of unit_id (1..256) on the external disks paths[0..n-1] (the whole set,
 * one cluster). progress (may be NULL) gets "waiting N ms ..." lines. Returns 0, or
 * -EBUSY "unit N is running: its alive message changed ...", -EINVAL for a bad unit id
 * or internal disks, the errors of crd_disk_open_check(), -EIO for a read-back mismatch. */
int crd_release_slot(const char *const *paths, int n, uint32_t unit_id, FILE *progress,
		     struct crd_release_result *ret, struct sec_err *reterr);

#endif
