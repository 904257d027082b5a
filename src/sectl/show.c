/* show.c — fields, ages and times of the API's JSON for people (show.h). */
#include "sectl/show.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *show_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

char *show_age(long long ms, char *buf, size_t size)
{
	if (ms < 0)
		ms = 0;
	if (ms < 10000)
		snprintf(buf, size, "%lld.%lld s", ms / 1000, ms % 1000 / 100);
	else if (ms < 120000)
		snprintf(buf, size, "%lld s", ms / 1000);
	else if (ms < 2 * 3600000LL)
		snprintf(buf, size, "%lld min", ms / 60000);
	else if (ms < 2 * 86400000LL)
		snprintf(buf, size, "%lld h", ms / 3600000);
	else
		snprintf(buf, size, "%lld d", ms / 86400000);
	return buf;
}

const char *show_age_field(const json_t *o, const char *key, char *buf, size_t size)
{
	const json_t *v = json_object_get(o, key);
	char age[32];

	if (json_is_null(v))
		return "never";
	if (!json_is_number(v))
		return NULL;
	snprintf(buf, size, "%s ago", show_age((long long)json_number_value(v), age, sizeof(age)));
	return buf;
}

const char *show_alive_age(const json_t *u, char *buf, size_t size)
{
	const char *verdict = show_str(u, "alive_verdict");

	if (json_is_null(json_object_get(u, "alive_age_ms")) && verdict &&
	    strcmp(verdict, "never seen"))
		return "not yet read";
	return show_age_field(u, "alive_age_ms", buf, size);
}

const char *show_alive_verdict(const json_t *u, char *buf, size_t size)
{
	const char *verdict = show_str(u, "alive_verdict"), *state = show_str(u, "alive_state");
	const char *reason = show_str(u, "alive_reason");

	if (!verdict)
		return NULL;
	if (!strcmp(verdict, "undeterminable") && reason && *reason)
		snprintf(buf, size, "%s: %s", verdict, reason);
	else if (state && (!strcmp(state, "RESTARTING") || !strcmp(state, "LEFT")))
		snprintf(buf, size, "%s (%s)", verdict, state);
	else
		snprintf(buf, size, "%s", verdict);
	return buf;
}

char *show_local_time(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	if (!localtime_r(&s, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "?");
	return buf;
}

char *show_snapshot_age(const json_t *snap, char *buf, size_t size)
{
	const json_t *age = json_object_get(snap, "age_ms"), *ver = json_object_get(snap, "version");
	char a[32] = "?";

	if (json_is_number(age))
		show_age((long long)json_number_value(age), a, sizeof(a));
	if (json_is_integer(ver) && json_integer_value(ver) == 0) /* nothing published yet */
		snprintf(buf, size, "not known yet: no status from the Master MU so far");
	else if (json_is_integer(ver))
		snprintf(buf, size, "as of %s ago, version %lld", a,
			 (long long)json_integer_value(ver));
	else
		snprintf(buf, size, "as of %s ago", a);
	return buf;
}

void show_page_total(const json_t *ans, size_t shown)
{
	long long total = json_integer_value(json_object_get(ans, "total"));
	long long all = json_integer_value(json_object_get(ans, "all"));
	long long off = json_integer_value(json_object_get(ans, "offset"));

	printf("Total: %lld from %lld", total, all);
	if (shown && (off > 0 || (long long)shown < total))
		printf(" (showing %lld-%lld)", off + 1, off + (long long)shown);
	else if (!shown && total > 0)
		printf(" (none on this page: offset %lld)", off);
	putchar('\n');
}
