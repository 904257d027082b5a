/* global_diff.h — which parts of two versions of the global data (CRD region 0,
 * docs/topology.md) differ: what an event lists when region-0 data of a lower term is
 * discarded after `sectl cluster force-master` (crd.md §5).
 *
 *   char what[256];
 *   if (cluster_global_diff(kept, kept_len, lost, lost_len, what, sizeof(what)) > 0)
 *           event("... it differed in %s", what);      // "accounts, units"
 *
 * Pure: no I/O; secrets are never quoted (only top-level key names). */
#ifndef SEC_CLUSTER_GLOBAL_DIFF_H
#define SEC_CLUSTER_GLOBAL_DIFF_H

#include <stddef.h>

/* Compares the two JSON objects a (alen bytes) and b: the top-level keys whose values
 * differ (present in one only, or different), sorted and joined with ", " into out (cut
 * with "..." when it does not fit). Returns how many differ (0: equal), or -EINVAL when
 * either text is not a JSON object (out then says which). */
int cluster_global_diff(const char *a, size_t alen, const char *b, size_t blen, char *out,
			size_t size);

#endif
