/* lbjson.c — events and audit entries as JSON: the pages of GET /api/v1/events and
 * /api/v1/audit, and the entries the MUs replicate (docs/api.md). */
#include "secd/lbjson.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void lbj_id_string(const struct lb_id *id, char buf[LBJ_ID_MAX])
{
	snprintf(buf, LBJ_ID_MAX, "%u.%016" PRIx64 ".%" PRIu64, id->unit, id->incarnation, id->seq);
}

static void iso_time(int64_t ts_ms, char buf[48])
{
	int ms = (int)(((ts_ms % 1000) + 1000) % 1000);
	time_t s = (time_t)((ts_ms - ms) / 1000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&s, &tm) || !(n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, 48, "?");
		return;
	}
	snprintf(buf + n, 48 - n, ".%03uZ", (unsigned)ms % 1000u);
}

json_t *lbj_event(const struct lb_event *e)
{
	char id[LBJ_ID_MAX], t[48];

	lbj_id_string(&e->id, id);
	iso_time(e->ts_ms, t);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "id", id, "ts_ms",
			 (json_int_t)e->ts_ms, "time", t, "weight", lb_weight_to_string(e->weight),
			 "unit", e->unit, "component", e->component, "message", e->msg, "acked",
			 e->acked);
}

json_t *lbj_audit(const struct lb_audit *a)
{
	char id[LBJ_ID_MAX], t[48];

	lbj_id_string(&a->id, id);
	iso_time(a->ts_ms, t);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "ts_ms",
			 (json_int_t)a->ts_ms, "time", t, "unit", a->unit, "account", a->account,
			 "component", a->component, "type", lb_audit_type_to_string(a->type),
			 "message", a->msg);
}

int lbj_id_parse(const char *s, struct lb_id *ret)
{
	char inc[17];
	unsigned unit;
	uint64_t seq;
	int n = 0;

	if (!s || sscanf(s, "%u.%16[0-9a-f].%" SCNu64 "%n", &unit, inc, &seq, &n) != 3 ||
	    s[n] || strlen(inc) != 16 || unit < 1 || unit > 256 || seq < 1)
		return -EINVAL;
	ret->unit = unit;
	ret->incarnation = strtoull(inc, NULL, 16);
	ret->seq = seq;
	return 0;
}

static int copy_str(const json_t *o, const char *key, char *buf, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) >= size)
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int common_in(const json_t *o, struct lb_id *id, int64_t *ts)
{
	const json_t *t = json_object_get(o, "ts_ms");

	if (!json_is_object(o) || lbj_id_parse(json_string_value(json_object_get(o, "id")), id) < 0 ||
	    !json_is_integer(t))
		return -EINVAL;
	*ts = json_integer_value(t);
	return 0;
}

int lbj_event_in(const json_t *o, struct lb_event *ret)
{
	int w;

	memset(ret, 0, sizeof(*ret));
	if (common_in(o, &ret->id, &ret->ts_ms) < 0 ||
	    (w = lb_weight_from_string(json_string_value(json_object_get(o, "weight")))) < 0 ||
	    copy_str(o, "unit", ret->unit, sizeof(ret->unit)) < 0 ||
	    copy_str(o, "component", ret->component, sizeof(ret->component)) < 0 ||
	    copy_str(o, "message", ret->msg, sizeof(ret->msg)) < 0)
		return -EINVAL;
	ret->weight = (enum lb_weight)w;
	return 0;
}

int lbj_audit_in(const json_t *o, struct lb_audit *ret)
{
	const char *type;
	int t;

	memset(ret, 0, sizeof(*ret));
	if (common_in(o, &ret->id, &ret->ts_ms) < 0 ||
	    copy_str(o, "unit", ret->unit, sizeof(ret->unit)) < 0 ||
	    copy_str(o, "account", ret->account, sizeof(ret->account)) < 0 ||
	    copy_str(o, "component", ret->component, sizeof(ret->component)) < 0 ||
	    copy_str(o, "message", ret->msg, sizeof(ret->msg)) < 0 ||
	    !(type = json_string_value(json_object_get(o, "type"))))
		return -EINVAL;
	for (t = 0; t < LB_AUDIT_TYPE_MAX && strcmp(lb_audit_type_to_string((enum lb_audit_type)t), type); t++)
		;
	if (t == LB_AUDIT_TYPE_MAX)
		return -EINVAL;
	ret->type = (enum lb_audit_type)t;
	return 0;
}

json_t *lbj_marks(const struct lb_id *m, size_t n)
{
	json_t *a = json_array();
	char inc[17];

	for (size_t i = 0; a && i < n; i++) {
		snprintf(inc, sizeof(inc), "%016" PRIx64, m[i].incarnation);
		json_array_append_new(a, json_pack("{s:i, s:s, s:I}", "unit", (int)m[i].unit,
						   "incarnation", inc, "seq", (json_int_t)m[i].seq));
	}
	return a;
}

int lbj_marks_in(const json_t *a, struct lb_id **ret, size_t *ret_n)
{
	size_t n = json_array_size(a);
	struct lb_id *m;

	if (!json_is_array(a) || n > 4096)
		return -EINVAL;
	if (!(m = calloc(n ? n : 1, sizeof(*m))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(a, i);
		const json_t *u = json_object_get(o, "unit"), *s = json_object_get(o, "seq");
		const char *inc = json_string_value(json_object_get(o, "incarnation"));
		char *end;
		if (!json_is_integer(u) || !json_is_integer(s) || !inc || strlen(inc) != 16 ||
		    json_integer_value(u) < 1 || json_integer_value(u) > 256 ||
		    json_integer_value(s) < 0) {
			free(m);
			return -EINVAL;
		}
		m[i].unit = (uint32_t)json_integer_value(u);
		m[i].seq = (uint64_t)json_integer_value(s);
		m[i].incarnation = strtoull(inc, &end, 16);
		if (*end) {
			free(m);
			return -EINVAL;
		}
	}
	*ret = m;
	*ret_n = n;
	return 0;
}
