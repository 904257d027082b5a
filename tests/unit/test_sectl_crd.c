/* test_sectl_crd.c — `sectl crd ...` as a user runs it: exit status 0 / 1 (the operation
 * failed, one line naming the disk) / 2 (usage), and what it prints. SECTL names the binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLUSTER "6b1c2f5e-8d1a-4c39-9f0e-2a7d3b4c5e6f"

static char dir[64];
static char out[1 << 16], err[4096];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_sectl_crd.XXXXXX");
	return mkdtemp(dir) && getenv("SECTL") ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Runs `sectl ARGS` in dir; returns the exit status, output in out and err. */
static int sectl(const char *args)
{
	char cmd[1024], o[128], e[128];
	int st;

	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >out 2>err", dir, getenv("SECTL"), args);
	st = system(cmd);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_exit_statuses(void **state)
{
	assert_int_equal(sectl("crd format --cluster-id " CLUSTER " --role external --unsafe-crd-fs --size 8M "
			       "--region0-size 8K --unit-region-size 8K d1 d2"), 0);
	assert_non_null(strstr(out, "formatted 'd2' (external)"));
	assert_int_equal(sectl("crd inspect d1"), 0);
	assert_non_null(strstr(out, "  role                 external\n"));
	assert_non_null(strstr(out, "  generation           1\n"));
	assert_non_null(strstr(out, "  state                empty (never held)\n"));
	assert_int_equal(sectl("crd inspect --json d1"), 0);
	assert_non_null(strstr(out, "\"cluster_id\": \"" CLUSTER "\""));
	assert_int_equal(sectl("crd verify d1 d2"), 0);
	assert_string_equal(out, "2 disks ok\n");

	/* usage errors: 2 */
	assert_int_equal(sectl(""), 2);
	assert_int_equal(sectl("crd"), 2);
	assert_int_equal(sectl("crd frobnicate"), 2);
	assert_int_equal(sectl("crd format --role external d1"), 2);
	assert_int_equal(sectl("crd format --cluster-id nope --role external d1"), 2);
	assert_non_null(strstr(err, "bad cluster id 'nope'"));
	assert_int_equal(sectl("crd format --cluster-id " CLUSTER " --role external a b c"), 2);
	assert_non_null(strstr(err, "'c' is a third"));
	assert_int_equal(sectl("crd format --cluster-id " CLUSTER " --role external --size 1X a"),
			 2);
	assert_int_equal(sectl("crd inspect"), 2);
	assert_int_equal(sectl("crd replace d1 d3"), 2);

	/* operation failures: 1, one line naming the disk */
	assert_int_equal(sectl("crd format --cluster-id 00000000-8d1a-4c39-9f0e-2a7d3b4c5e6f "
			       "--role external --unsafe-crd-fs --size 8M --region0-size 8K "
			       "--unit-region-size 8K d1"), 1);
	assert_non_null(strstr(err, "'d1' holds a CRD disk of another cluster"));
	assert_int_equal(sectl("crd inspect missing"), 1);
	assert_string_equal(err, "sectl crd: cannot open 'missing': No such file or directory\n");

	/* replace, then verify sees the retired disk */
	assert_int_equal(sectl("crd replace d2 d3 --surviving d1"), 1); /* d3 on a local fs */
	assert_non_null(strstr(err, "--unsafe-crd-fs"));
	assert_int_equal(sectl("crd replace d2 d3 --surviving d1 --unsafe-crd-fs"), 0);
	assert_non_null(strstr(out, "'d2' marked RETIRED"));
	assert_int_equal(sectl("crd verify d1 d3"), 0);
	assert_int_equal(sectl("crd verify d1 d2 d3"), 1);
	assert_non_null(strstr(out, "d2: block 0 (offset 0): disk is RETIRED"));
	assert_non_null(strstr(err, "verify found 2 problems"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_statuses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
