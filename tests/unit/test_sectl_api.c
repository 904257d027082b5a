/* test_sectl_api.c — the pieces of sectl's API commands that need no server: the table
 * printer (src/sectl/table.c), the event and audit filters and their query
 * (src/sectl/logq.c), the client configuration (src/sectl/config.c) and the ages and
 * times people see (src/sectl/show.c). The commands against a fake API:
 * tests/fault/test_sectl_client.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sectl/client_priv.h"
#include "sectl/logq.h"
#include "sectl/show.h"
#include "sectl/table.h"

static char *print_table(const struct table *t, bool header)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (header)
		table_print(t, f);
	else
		table_print_rows(t, f);
	fclose(f);
	return buf;
}

static void test_table_columns_sized_to_content(void **state)
{
	struct table *t = table_new(3, (const char *[]){"Name", "Type", "Status"});
	char *out;

	table_add(t, (const char *[]){"Management Cluster", "SE", "NORMAL"});
	table_add(t, (const char *[]){"suc1", NULL, ""});
	table_add(t, (const char *[]){"M\xc3\xbcnchen", "SU", "bad\x1b[31m"});
	assert_int_equal(table_rows(t), 3);
	out = print_table(t, true);
	assert_string_equal(out,
			    "Name                Type  Status\n"
			    "Management Cluster  SE    NORMAL\n"
			    "suc1                -\n" /* empty last cell: no padding, no blank */
			    "M\xc3\xbcnchen             SU    bad?[31m\n");
	free(out);
	t = table_free(t);
	assert_null(t);
}

static void test_table_without_header_and_min_width(void **state)
{
	struct table *t = table_new(2, NULL);
	char *out;

	table_add(t, (const char *[]){"a", "b"});
	table_min_width(t, 0, 5);
	assert_int_equal(table_width(t, 0), 5);
	assert_int_equal(table_width(t, 1), 1);
	out = print_table(t, false);
	assert_string_equal(out, "a      b\n");
	free(out);
	table_free(t);
	assert_null(table_new(0, NULL));
	assert_null(table_free(NULL));
}

static void test_time_formats(void **state)
{
	const int64_t now = 1796000000000;
	int64_t ms = 0;

	assert_int_equal(logq_parse_time("2026-11-30T02:00:00", now, &ms), 0);
	assert_int_equal(ms, 1796004000000);
	assert_int_equal(logq_parse_time("2026-11-30T02:00:00Z", now, &ms), 0);
	assert_int_equal(ms, 1796004000000);
	assert_int_equal(logq_parse_time("2026-11-30 02:00", now, &ms), 0);
	assert_int_equal(ms, 1796004000000);
	assert_int_equal(logq_parse_time("2026-11-30", now, &ms), 0);
	assert_int_equal(ms, 1795996800000);
	assert_int_equal(logq_parse_time("-10m", now, &ms), 0);
	assert_int_equal(ms, now - 600000);
	assert_int_equal(logq_parse_time("-2h", now, &ms), 0);
	assert_int_equal(ms, now - 7200000);
	assert_int_equal(logq_parse_time("-1d", now, &ms), 0);
	assert_int_equal(ms, now - 86400000);
	assert_int_equal(logq_parse_time("1796000000123", now, &ms), 0);
	assert_int_equal(ms, 1796000000123);
	ms = 42;
	static const char *const bad[] = {"", "-", "-10x", "2026-02-30", "2026-11-30T25:00:00",
					  "2026-11-30T02:00:00+01:00", "2026-1-3", "yesterday",
					  "2026-11-30T02", "99999999999999999999999", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(logq_parse_time(bad[i], now, &ms), -EINVAL);
	assert_int_equal(ms, 42); /* written only on success */
}

static void test_filters_into_query(void **state)
{
	struct logq q = {0};
	struct sec_err err = {0};
	char *p;

	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_CURRENT, NULL, 0, &err), 1);
	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_WEIGHT, "notice", 0, &err), 1);
	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_TEXT, "a b&c=d/é", 0, &err), 1);
	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_LIMIT, "1000", 0, &err), 1);
	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_ACCOUNT, "x", 0, &err), 0);
	p = logq_path("/api/v1/events", &q, 0);
	assert_string_equal(p, "/api/v1/events?current=1&weight=NOTICE&text=a%20b%26c%3Dd%2F%C3%A9"
			       "&limit=1000");
	free(p);
	p = logq_path("/api/v1/events", &q, 2000);
	assert_non_null(strstr(p, "&offset=2000&limit=1000"));
	free(p);
	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_LIMIT, "0", 0, &err), -EINVAL);
	assert_string_equal(err.msg, "--limit '0': not a number in 1..1000");
	assert_int_equal(logq_opt(&q, LOGQ_EVENTS, LOGQ_OPT_WEIGHT, "LOUD", 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--weight 'LOUD': not a weight"));

	struct logq a = {0};
	assert_int_equal(logq_opt(&a, LOGQ_AUDIT, LOGQ_OPT_TYPE, "login SUCCESSFUL", 0, &err), 1);
	assert_int_equal(logq_opt(&a, LOGQ_AUDIT, LOGQ_OPT_WEIGHT, "ERROR", 0, &err), 0);
	assert_int_equal(logq_opt(&a, LOGQ_AUDIT, LOGQ_OPT_FROM, "2026-11-30", 0, &err), 1);
	assert_int_equal(logq_opt(&a, LOGQ_AUDIT, LOGQ_OPT_TO, "1", 0, &err), 1);
	assert_int_equal(logq_check(&a, &err), -EINVAL);
	p = logq_path("/api/v1/audit", &a, 0);
	assert_string_equal(p, "/api/v1/audit?from=1795996800000&to=1&type=Login%20successful");
	free(p);
	struct logq none = {0};
	p = logq_path("/api/v1/audit", &none, 0);
	assert_string_equal(p, "/api/v1/audit");
	free(p);
}

static char dir[64];

static int setup_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_sectl_api.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int read_config(const char *text, struct sectl_client *c, struct sec_err *err)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sectl.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	memset(c, 0, sizeof(*c));
	return sectl_config_read(c, path, err);
}

static void release(struct sectl_client *c)
{
	for (size_t i = 0; i < c->n_addrs; i++)
		free(c->addrs[i]);
}

static void test_config(void **state)
{
	struct sectl_client c;
	struct sec_err err = {0};
	char want[160];

	assert_int_equal(read_config("[sectl]\n  api = 127.0.0.1:7301 ,[::1]:7302  ; MUs\n", &c,
				     &err), 0);
	assert_int_equal(c.n_addrs, 2);
	assert_string_equal(c.addrs[0], "127.0.0.1:7301");
	assert_string_equal(c.addrs[1], "[::1]:7302");
	snprintf(want, sizeof(want), "%s/sectl.token", dir);
	assert_string_equal(c.token_path, want); /* default: next to the configuration */
	assert_int_equal(c.timeout_ms, SECTL_TIMEOUT_MS);
	assert_int_equal(c.connect_timeout_ms, SECTL_CONNECT_TIMEOUT_MS);
	release(&c);

	assert_int_equal(read_config("[sectl]\napi=h:1\ntoken_file=t/x\ntimeout=1.5s\n"
				     "connect_timeout=250ms\n", &c, &err), 0);
	snprintf(want, sizeof(want), "%s/t/x", dir);
	assert_string_equal(c.token_path, want);
	assert_int_equal(c.timeout_ms, 1500);
	assert_int_equal(c.connect_timeout_ms, 250);
	release(&c);

	assert_int_equal(read_config("[sectl]\napi=h:1\ntoken_file=/abs/tok\n", &c, &err), 0);
	assert_string_equal(c.token_path, "/abs/tok");
	release(&c);

	assert_int_equal(read_config("[sectl]\napi=h:1\n\ntimeout = 0\n", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "sectl.conf:4: key 'timeout': '0' is not a duration"));
	release(&c);
	assert_int_equal(read_config("api = h:1\n", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "sectl.conf:1: key 'api' outside the section [sectl]"));
	release(&c);
	assert_int_equal(read_config("[sectl]\napi = h:1\nnot a line\n", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "sectl.conf:3: not an INI line"));
	release(&c);
	assert_int_equal(read_config("[sectl]\napi =\n", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "sectl.conf:2: key 'api': empty"));
	release(&c);
}

static void test_ages_and_times(void **state)
{
	char b[64];
	json_t *j;

	assert_string_equal(show_age(140, b, sizeof(b)), "0.1 s");
	assert_string_equal(show_age(9999, b, sizeof(b)), "9.9 s");
	assert_string_equal(show_age(12000, b, sizeof(b)), "12 s");
	assert_string_equal(show_age(300000, b, sizeof(b)), "5 min");
	assert_string_equal(show_age(3 * 3600000LL, b, sizeof(b)), "3 h");
	assert_string_equal(show_age(3 * 86400000LL, b, sizeof(b)), "3 d");
	assert_string_equal(show_age(-5, b, sizeof(b)), "0.0 s");
	j = json_pack("{s:n, s:i, s:s}", "never", "age", 180, "bad", "x");
	assert_string_equal(show_age_field(j, "never", b, sizeof(b)), "never");
	assert_string_equal(show_age_field(j, "age", b, sizeof(b)), "0.1 s ago");
	assert_null(show_age_field(j, "bad", b, sizeof(b)));
	assert_null(show_age_field(j, "missing", b, sizeof(b)));
	assert_null(show_str(j, "age"));
	json_decref(j);
	j = json_pack("{s:i, s:i}", "version", 812, "age_ms", 140);
	assert_string_equal(show_snapshot_age(j, b, sizeof(b)), "as of 0.1 s ago, version 812");
	json_decref(j);
	assert_string_equal(show_snapshot_age(NULL, b, sizeof(b)), "as of ? ago");
	setenv("TZ", "UTC", 1);
	assert_string_equal(show_local_time(1796000000123, b, sizeof(b)), "2026-11-30 00:53:20");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_columns_sized_to_content),
		cmocka_unit_test(test_table_without_header_and_min_width),
		cmocka_unit_test(test_time_formats),
		cmocka_unit_test(test_filters_into_query),
		cmocka_unit_test_setup_teardown(test_config, setup_dir, teardown_dir),
		cmocka_unit_test(test_ages_and_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
