/* clsjson.h — the status snapshot as JSON (docs/api.md "The status snapshot"; status.md
 * §1–§4; seed 1.4, 2.2, 2.3).
 *
 * The Master MU publishes every computed snapshot to every MU as this JSON
 * (POST /api/v1/internal/snapshot), and every MU answers GET /api/v1/cluster/status, /units
 * and /clusters from it. A receiving MU decodes it back into a struct cls_snapshot for the
 * event tracker (clevents.h clev_tracker_adopt), so the encoding carries every field the
 * event diff compares; cls_snapshot_from_json(cls_snapshot_to_json(s)) equals s field by
 * field (the round trip is tested).
 *
 *     json_t *j = cls_snapshot_to_json(snap, "demo");       // new reference, NULL on ENOMEM
 *     struct cls_snapshot *s = calloc(1, sizeof(*s));
 *     if (cls_snapshot_from_json(j, s, &err) < 0) -> err.msg names the field
 *
 * "age_ms" is not part of the encoding: the API adds it when answering. Names of statuses
 * are the exact words of clstatus.h. Pure: no I/O, no clock. */
#ifndef SEC_CLSJSON_H
#define SEC_CLSJSON_H

#include <jansson.h>

#include "clstatus/clstatus.h"
#include "lib/err.h"

/* The snapshot s of the cluster named cluster as a new JSON object (docs/api.md), or NULL
 * when out of memory. With no Master MU "master_mu" is null. */
json_t *cls_snapshot_to_json(const struct cls_snapshot *s, const char *cluster);
/* Decodes j into *ret (fully overwritten; zeroed on error). Returns 0, or -EINVAL with
 * reterr naming the field ("units[3].power_status: 'MAYBE' is not a power status"). */
int cls_snapshot_from_json(const json_t *j, struct cls_snapshot *ret, struct sec_err *reterr);

#endif
