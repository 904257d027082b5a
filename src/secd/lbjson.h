/* lbjson.h — events, audit entries and high-water marks as JSON (docs/api.md "Events",
 * "Audit", "Routes between units"; status.md §5, §6).
 *
 * An entry's id is "UNIT.INCARNATION.SEQ" (origin unit id, origin incarnation as 16 hex
 * digits, sequence): unique in the cluster, the same on every MU. The same object serves
 * the API pages and replication; the *_in() decoders take what another MU sent and
 * return -EINVAL for anything malformed (nothing is stored then). Pure, no I/O. */
#ifndef SEC_SECD_LBJSON_H
#define SEC_SECD_LBJSON_H

#include <jansson.h>

#include "logbook/logbook.h"

#define LBJ_ID_MAX 48

void lbj_id_string(const struct lb_id *id, char buf[LBJ_ID_MAX]);
int lbj_id_parse(const char *s, struct lb_id *ret); /* 0 or -EINVAL */
json_t *lbj_event(const struct lb_event *e);          /* new reference or NULL */
json_t *lbj_audit(const struct lb_audit *a);
int lbj_event_in(const json_t *o, struct lb_event *ret); /* 0 or -EINVAL */
int lbj_audit_in(const json_t *o, struct lb_audit *ret);
json_t *lbj_marks(const struct lb_id *m, size_t n);  /* [{"unit","incarnation","seq"}] */
/* Parses marks (at most 4096) into *ret (malloc'd; free()) and *ret_n; 0, -EINVAL, -ENOMEM. */
int lbj_marks_in(const json_t *a, struct lb_id **ret, size_t *ret_n);

#endif
