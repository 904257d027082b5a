/* logq.c — event and audit filters into the query of docs/api.md (logq.h). */
#include "sectl/logq.h"

#include "lib/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const weights[] = {"DEBUG", "INFO", "NOTICE", "WARNING", "ERROR",
				      "CRITICAL", "EMERGENCY", NULL};
static const char *const types[] = {"Start", "OK", "Failed", "Login successful",
				    "Login failed", "Logout", NULL};

static const char *lookup(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcasecmp(names[i], s))
			return names[i];
	return NULL;
}

const char *logq_weight(const char *s)
{
	return lookup(weights, s);
}

const char *logq_type(const char *s)
{
	return lookup(types, s);
}

/* "-10m": before now by a duration (parse.h, and days "2d"). */
static int parse_relative(const char *s, int64_t now_ms, int64_t *ret_ms)
{
	uint64_t v, ms;
	size_t n = strlen(s);

	if (n >= 2 && s[n - 1] == 'd') {
		char num[32];
		if (n - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (parse_u64(num, &v) < 0 || v > 365000)
			return -EINVAL;
		ms = v * 86400000ULL;
	} else if (parse_duration_ms(s, &ms) < 0) {
		return -EINVAL;
	}
	if (ms > (uint64_t)now_ms)
		return -EINVAL;
	*ret_ms = now_ms - (int64_t)ms;
	return 0;
}

/* "YYYY-MM-DD[(T| )HH:MM[:SS]][Z]" in UTC; checked by converting back. */
static int parse_utc(const char *s, int64_t *ret_ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, len = (int)strlen(s);
	struct tm tm = {0}, back;
	time_t t;

	if (len && s[len - 1] == 'Z')
		len--;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	if (n < len) {
		int m = 0;
		if ((s[n] != 'T' && s[n] != ' ') ||
		    sscanf(s + n + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			return -EINVAL;
		n += 1 + m;
		if (n < len) {
			if (sscanf(s + n, ":%2d%n", &sec, &m) != 1 || m != 3)
				return -EINVAL;
			n += m;
		}
	}
	if (n != len)
		return -EINVAL;
	tm = (struct tm){.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_sec = sec};
	t = timegm(&tm);
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_year != y - 1900 ||
	    back.tm_mon != mo - 1 || back.tm_mday != d || back.tm_hour != h || back.tm_min != mi ||
	    back.tm_sec != sec)
		return -EINVAL;
	*ret_ms = (int64_t)t * 1000;
	return 0;
}

int logq_parse_time(const char *s, int64_t now_ms, int64_t *ret_ms)
{
	uint64_t v;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '-')
		return parse_relative(s + 1, now_ms, ret_ms);
	if (strspn(s, "0123456789") == strlen(s)) {
		if (parse_u64(s, &v) < 0 || v > (uint64_t)INT64_MAX)
			return -EINVAL;
		*ret_ms = (int64_t)v;
		return 0;
	}
	return parse_utc(s, ret_ms);
}

static int bad(struct sec_err *err, const char *opt, const char *arg, const char *why)
{
	return sec_errf(err, -EINVAL, "--%s '%s': %s", opt, arg, why);
}

static int take_u32(const char *opt, const char *arg, uint32_t lo, uint32_t hi,
		    uint32_t *ret, bool *has, struct sec_err *err)
{
	uint32_t v;
	char why[64];

	if (parse_u32(arg, &v) < 0 || v < lo || v > hi) {
		snprintf(why, sizeof(why), "not a number in %u..%u", lo, hi);
		return bad(err, opt, arg, why);
	}
	*ret = v;
	*has = true;
	return 1;
}

static int take_time(const char *opt, const char *arg, int64_t now_ms, int64_t *ret,
		     bool *has, struct sec_err *err)
{
	if (logq_parse_time(arg, now_ms, ret) < 0)
		return bad(err, opt, arg, "not a time (2026-11-30T02:00:00 in UTC, -10m, -2h, "
			   "or ms since the epoch)");
	*has = true;
	return 1;
}

static int take_text(const char *opt, const char *arg, const char **ret, struct sec_err *err)
{
	if (!*arg)
		return bad(err, opt, arg, "empty");
	*ret = arg;
	return 1;
}

int logq_opt(struct logq *q, enum logq_kind kind, int ch, const char *arg, int64_t now_ms,
	     struct sec_err *err)
{
	bool ev = kind == LOGQ_EVENTS;

	switch (ch) {
	case LOGQ_OPT_CURRENT:
		if (!ev)
			return 0;
		q->current = true;
		return 1;
	case LOGQ_OPT_WEIGHT:
		if (!ev)
			return 0;
		if (!(q->weight = logq_weight(arg)))
			return bad(err, "weight", arg, "not a weight (DEBUG, INFO, NOTICE, WARNING, "
				   "ERROR, CRITICAL, EMERGENCY)");
		return 1;
	case LOGQ_OPT_ACCOUNT:
		return ev ? 0 : take_text("account", arg, &q->account, err);
	case LOGQ_OPT_TYPE:
		if (ev)
			return 0;
		if (!(q->type = logq_type(arg)))
			return bad(err, "type", arg, "not an audit type (Start, OK, Failed, 'Login "
				   "successful', 'Login failed', Logout)");
		return 1;
	case LOGQ_OPT_UNIT:
		return take_text("unit", arg, &q->unit, err);
	case LOGQ_OPT_COMPONENT:
		return take_text("component", arg, &q->component, err);
	case LOGQ_OPT_TEXT:
		return take_text("text", arg, &q->text, err);
	case LOGQ_OPT_FROM:
		return take_time("from", arg, now_ms, &q->from_ms, &q->has_from, err);
	case LOGQ_OPT_TO:
		return take_time("to", arg, now_ms, &q->to_ms, &q->has_to, err);
	case LOGQ_OPT_OFFSET:
		return take_u32("offset", arg, 0, UINT32_MAX, &q->offset, &q->has_offset, err);
	case LOGQ_OPT_LIMIT:
		return take_u32("limit", arg, 1, LOGQ_LIMIT_MAX, &q->limit, &q->has_limit, err);
	default:
		return 0;
	}
}

int logq_check(const struct logq *q, struct sec_err *err)
{
	if (q->has_from && q->has_to && q->from_ms > q->to_ms)
		return sec_errf(err, -EINVAL, "--from is after --to (%lld > %lld ms since the "
				"epoch)", (long long)q->from_ms, (long long)q->to_ms);
	return 0;
}

/* ---- the query string ---- */

struct qbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct qbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* "&key=value" (or "?key=value" first), value percent-encoded (RFC 3986 unreserved stay). */
static void param(struct qbuf *b, bool *first, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	put(b, *first ? "?" : "&", 1);
	*first = false;
	put(b, key, strlen(key));
	put(b, "=", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p)) {
			put(b, (const char *)p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			put(b, e, 3);
		}
	}
}

static void param_num(struct qbuf *b, bool *first, const char *key, long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	param(b, first, key, num);
}

char *logq_path(const char *base, const struct logq *q, uint32_t extra_offset)
{
	struct qbuf b = {0};
	bool first = true;
	uint64_t off = (uint64_t)q->offset + extra_offset;

	put(&b, base, strlen(base));
	if (q->current)
		param(&b, &first, "current", "1");
	if (q->has_from)
		param_num(&b, &first, "from", q->from_ms);
	if (q->has_to)
		param_num(&b, &first, "to", q->to_ms);
	if (q->weight)
		param(&b, &first, "weight", q->weight);
	if (q->account)
		param(&b, &first, "account", q->account);
	if (q->type)
		param(&b, &first, "type", q->type);
	if (q->unit)
		param(&b, &first, "unit", q->unit);
	if (q->component)
		param(&b, &first, "component", q->component);
	if (q->text)
		param(&b, &first, "text", q->text);
	if (q->has_offset || extra_offset)
		param_num(&b, &first, "offset", (long long)off);
	if (q->has_limit)
		param_num(&b, &first, "limit", q->limit);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
