/* test_linelog.c — consoles as files of lines (lib/linelog.h): what `sectl console` shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/linelog.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/linelog-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void append_raw(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The monitor console: every line stamped, read back by seq without the stamp; a reopen
 * (secd restarted) finds the same lines with the same seqs and times. */
static void test_stamped_append_get_reopen(void **state)
{
	char path[128], buf[256];
	struct linelog *l;
	struct linelog_line ln;
	struct sec_err err = {0};
	int64_t before = (int64_t)(clock_wall_ns() / NSEC_PER_MSEC);

	snprintf(path, sizeof(path), "%s/monitor.log", dir);
	assert_int_equal(linelog_open(path, LINELOG_STAMPED, &l, &err), 0);
	assert_int_equal(linelog_last(l), 0);
	assert_int_equal(linelog_get(l, 1, &ln, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(linelog_append(l, "/START-VM VM-ID=VM1"), 1);
	assert_int_equal(linelog_append(l, "% VMS3000 done\nsecond"), 2);
	assert_int_equal(linelog_get(l, 2, &ln, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "% VMS3000 done second"); /* a newline cannot split a line */
	assert_true(ln.time_ms >= before - 1000 && ln.time_ms <= before + 60000);
	assert_int_equal(linelog_get(l, 0, &ln, buf, sizeof(buf)), -ERANGE);
	l = linelog_free(l);

	assert_int_equal(linelog_open(path, LINELOG_STAMPED, &l, &err), 0);
	assert_int_equal(linelog_last(l), 2);
	assert_int_equal(linelog_get(l, 1, &ln, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/START-VM VM-ID=VM1");
	assert_true(ln.time_ms > 0);
	/* a small buffer cuts the text but says how long the line is */
	assert_int_equal(linelog_get(l, 1, &ln, buf, 6), 0);
	assert_string_equal(buf, "/STAR");
	assert_int_equal(ln.len, strlen("/START-VM VM-ID=VM1"));
	linelog_free(l);
}

/* A guest's serial file, written by someone else: a missing file is no error; an
 * incomplete last line waits for its newline; CR LF is shown without the CR; a file that
 * shrank is indexed from the start again. */
static void test_raw_partial_lines_and_truncation(void **state)
{
	char path[128], buf[256];
	struct linelog *l;
	struct linelog_line ln;
	struct sec_err err = {0};

	snprintf(path, sizeof(path), "%s/vm1.log", dir);
	assert_int_equal(linelog_open(path, LINELOG_RAW, &l, &err), 0);
	assert_int_equal(linelog_refresh(l), 0);
	append_raw(path, "GUEST READY boot=1\r\nGUEST n=1 ch");
	assert_int_equal(linelog_refresh(l), 1);
	assert_int_equal(linelog_get(l, 1, &ln, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "GUEST READY boot=1");
	assert_true(ln.time_ms > 0);
	assert_int_equal(linelog_get(l, 2, &ln, buf, sizeof(buf)), -ENOENT);
	append_raw(path, "eck=ok\n");
	assert_int_equal(linelog_refresh(l), 1);
	assert_int_equal(linelog_get(l, 2, &ln, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "GUEST n=1 check=ok");
	/* replaced by a shorter file: new seqs continue, old content is gone */
	assert_int_equal(truncate(path, 0), 0);
	append_raw(path, "GUEST READY boot=2\n");
	assert_int_equal(linelog_refresh(l), 1);
	assert_int_equal(linelog_last(l), 3);
	assert_int_equal(linelog_get(l, 3, &ln, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "GUEST READY boot=2");
	/* a seq that left the index gives the oldest line kept */
	assert_int_equal(linelog_get(l, 1, &ln, buf, sizeof(buf)), 0);
	assert_int_equal(ln.seq, 3);
	linelog_free(l);
}

/* A line longer than LINELOG_LINE_MAX is cut into pieces; control bytes show as blanks. */
static void test_long_line_cut(void **state)
{
	char path[128], buf[LINELOG_LINE_MAX + 16];
	char *big = malloc(LINELOG_LINE_MAX + 102);
	struct linelog *l;
	struct linelog_line ln;
	struct sec_err err = {0};

	assert_non_null(big);
	memset(big, 'x', LINELOG_LINE_MAX + 100);
	big[3] = '\033';
	big[LINELOG_LINE_MAX + 100] = '\n';
	big[LINELOG_LINE_MAX + 101] = 0;
	snprintf(path, sizeof(path), "%s/long.log", dir);
	append_raw(path, big);
	assert_int_equal(linelog_open(path, LINELOG_RAW, &l, &err), 0);
	assert_int_equal(linelog_last(l), 2);
	assert_int_equal(linelog_get(l, 1, &ln, buf, sizeof(buf)), 0);
	assert_int_equal(ln.len, LINELOG_LINE_MAX);
	assert_int_equal(buf[3], ' ');
	assert_int_equal(linelog_get(l, 2, &ln, buf, sizeof(buf)), 0);
	assert_int_equal(ln.len, 100);
	linelog_free(l);
	free(big);
}

static void test_open_errors_name_the_path(void **state)
{
	struct linelog *l = NULL;
	struct sec_err err = {0};

	assert_true(linelog_open("/nonexistent-dir/x.log", LINELOG_STAMPED, &l, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.log"));
	assert_null(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stamped_append_get_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_partial_lines_and_truncation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_long_line_cut, setup, teardown),
		cmocka_unit_test(test_open_errors_name_the_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
