/* topology.h — what `sectl server add|remove` and `sectl unit add|remove` (topology.c) share
 * with `sectl lab add-server` (lab_add.c): the answer of a topology change printed for
 * people (docs/api.md "Topology changes": {"added": {...}, "removed": {...},
 * "global_generation": N}). */
#ifndef SEC_SECTL_TOPOLOGY_H
#define SEC_SECTL_TOPOLOGY_H

#include <jansson.h>
#include <stdio.h>

/* One line per change, in the words of the events:
 *   SE Server 'server3' added to the cluster (model SE710, location Munich)
 *   Unit 'mu5' added to the cluster (MU, unit id 5, SE Server 'server3', API 127.0.0.1:7305,
 *   heartbeat 127.0.0.1:7405)
 *   Account 'viewer' added to the cluster
 *   Unit 'mu5' removed from the cluster
 *   SE Server 'server3' removed from the cluster
 * then "global data: region-0 generation N". Returns the number of changes printed. */
int sectl_topology_print(const json_t *answer, FILE *out);

#endif
