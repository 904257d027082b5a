/* logq.h — the filters of `sectl events` and `sectl audit` and the query of
 * GET /api/v1/events and /api/v1/audit they become (docs/api.md "Events", "Audit";
 * status.md §5, §6; seed 2.3.2, 2.3.3).
 *
 *     struct logq q = {0};
 *     while ((ch = getopt_long(...)) != -1)
 *             r = logq_opt(&q, LOGQ_EVENTS, ch, optarg, now_ms, &err); // 1 taken, 0 not, <0 bad
 *     char *path = logq_path("/api/v1/events", &q);  // "/api/v1/events?current=1&unit=mu1"
 *
 * TIME (--from, --to) is one of: "2026-11-30T02:00:00" (UTC; also "2026-11-30",
 * "2026-11-30T02:00", a trailing "Z", a space for the T), "-10m" / "-2h" / "-1d" / "-30s"
 * (before now), or a number of ms since the epoch ("1796000000000"). */
#ifndef SEC_SECTL_LOGQ_H
#define SEC_SECTL_LOGQ_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"
#include "sectl/client.h"

#define LOGQ_LIMIT_MAX 1000 /* docs/api.md: limit at most 1000 */

enum logq_kind { LOGQ_EVENTS = 0, LOGQ_AUDIT, LOGQ_KIND_MAX };

struct logq {
	bool current;            /* events: unacknowledged only */
	const char *weight;      /* events: minimum weight, canonical ("WARNING") or NULL */
	const char *type;        /* audit: canonical type ("Login failed") or NULL */
	const char *account;     /* audit */
	const char *unit, *component, *text;
	bool has_from, has_to, has_offset, has_limit;
	int64_t from_ms, to_ms;  /* ms since the epoch */
	uint32_t offset, limit;
};

/* getopt_long values of the filter options (after the common ones of client.h). */
enum {
	LOGQ_OPT_CURRENT = SECTL_OPT_FIRST_FREE,
	LOGQ_OPT_WEIGHT,
	LOGQ_OPT_UNIT,
	LOGQ_OPT_COMPONENT,
	LOGQ_OPT_TEXT,
	LOGQ_OPT_FROM,
	LOGQ_OPT_TO,
	LOGQ_OPT_OFFSET,
	LOGQ_OPT_LIMIT,
	LOGQ_OPT_ACCOUNT,
	LOGQ_OPT_TYPE,
	LOGQ_OPT_FOLLOW,
};
/* The filters both commands take. */
#define LOGQ_LONGOPTS                                                      \
	{"unit", required_argument, NULL, LOGQ_OPT_UNIT},                  \
	{"component", required_argument, NULL, LOGQ_OPT_COMPONENT},        \
	{"text", required_argument, NULL, LOGQ_OPT_TEXT},                  \
	{"from", required_argument, NULL, LOGQ_OPT_FROM},                  \
	{"to", required_argument, NULL, LOGQ_OPT_TO},                      \
	{"offset", required_argument, NULL, LOGQ_OPT_OFFSET},              \
	{"limit", required_argument, NULL, LOGQ_OPT_LIMIT}

/* Takes the filter option ch (with its argument) into q; kind says which filters exist
 * (--current and --weight for events, --account and --type for audit). Returns 1 when
 * taken, 0 when ch is no filter option, -EINVAL with a message naming the option and the
 * value (a usage error). now_ms: the wall clock for relative times. */
int logq_opt(struct logq *q, enum logq_kind kind, int ch, const char *arg, int64_t now_ms,
	     struct sec_err *reterr);
/* The rules between options: --from not after --to. Returns 0 or -EINVAL. */
int logq_check(const struct logq *q, struct sec_err *reterr);

/* TIME (above) into ms since the epoch. Returns 0 or -EINVAL; ret written on success. */
int logq_parse_time(const char *s, int64_t now_ms, int64_t *ret_ms);
/* The canonical weight (status.md §5: DEBUG ... EMERGENCY) of s, any case; NULL if none. */
const char *logq_weight(const char *s);
/* The canonical audit type (status.md §6) of s, any case; NULL if none. */
const char *logq_type(const char *s);

/* base + "?" + the query of q (percent-encoded, in a fixed order: current, from, to,
 * weight, account, type, unit, component, text, offset, limit), or base alone. extra_offset
 * is added to q's offset (--follow pages). Returns a malloc'd string or NULL (no memory). */
char *logq_path(const char *base, const struct logq *q, uint32_t extra_offset);

#endif
