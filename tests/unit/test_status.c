/* test_status.c — the "CRD disks" status table of crd.md §7 and its events (status.md §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "crd/status.h"

#define N_ CRD_DISK_NORMAL
#define A_ CRD_DISK_NOT_ACCESSIBLE
#define S_ CRD_DISK_STALE
#define I_ CRD_DISK_INVALID
#define C_ CRD_DISK_NOT_CONFIGURED
#define UN CRD_UNIT_NORMAL
#define UW CRD_UNIT_WARNING
#define UE CRD_UNIT_ERROR

static void test_to_string(void **state)
{
	assert_string_equal(crd_disk_status_to_string(N_), "NORMAL");
	assert_string_equal(crd_disk_status_to_string(A_), "NOT_ACCESSIBLE");
	assert_string_equal(crd_disk_status_to_string(S_), "STALE");
	assert_string_equal(crd_disk_status_to_string(I_), "INVALID");
	assert_string_equal(crd_disk_status_to_string(C_), "NOT_CONFIGURED");
	assert_string_equal(crd_disk_status_to_string(CRD_DISK_STATUS_MAX), "?");
	assert_string_equal(crd_unit_status_to_string(UN), "NORMAL");
	assert_string_equal(crd_unit_status_to_string(UW), "WARNING");
	assert_string_equal(crd_unit_status_to_string(UE), "ERROR");
	assert_string_equal(crd_unit_status_to_string(CRD_UNIT_NOT_CONFIGURED), "NOT_CONFIGURED");
	assert_string_equal(crd_event_weight_to_string(CRD_WEIGHT_NOTICE), "NOTICE");
	assert_string_equal(crd_event_weight_to_string(CRD_WEIGHT_WARNING), "WARNING");
}

static void test_table_n0(void **state)
{
	assert_int_equal(crd_status_unit(0, NULL), CRD_UNIT_NOT_CONFIGURED);
	enum crd_disk_status d[3] = {N_, N_, N_};
	assert_int_equal(crd_status_unit(3, d), UE);
}

/* N = 1: acquire, keep and commit all need D1. */
static void test_table_n1(void **state)
{
	static const struct {
		enum crd_disk_status d;
		enum crd_unit_status want;
	} rows[] = {{N_, UN}, {A_, UE}, {S_, UW}, {I_, UE}, {C_, UE}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum crd_unit_status got = crd_status_unit(1, &rows[i].d);
		if (got != rows[i].want)
			fail_msg("N=1 D1=%s: got %s, want %s", crd_disk_status_to_string(rows[i].d),
				 crd_unit_status_to_string(got), crd_unit_status_to_string(rows[i].want));
	}
}

/* N = 2: acquire needs both, keep and commit at least one. Rows D1, columns D2, in the
 * order NORMAL, NOT_ACCESSIBLE, STALE, INVALID, NOT_CONFIGURED. */
static void test_table_n2(void **state)
{
	static const enum crd_unit_status want[5][5] = {
		/*        N   A   S   I   C */
		/* N */ {UN, UW, UW, UW, UW},
		/* A */ {UW, UE, UW, UE, UE},
		/* S */ {UW, UW, UW, UW, UW},
		/* I */ {UW, UE, UW, UE, UE},
		/* C */ {UW, UE, UW, UE, UE},
	};
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 5; b++) {
			enum crd_disk_status d[2] = {(enum crd_disk_status)a, (enum crd_disk_status)b};
			enum crd_unit_status got = crd_status_unit(2, d);
			if (got != want[a][b])
				fail_msg("N=2 D1=%s D2=%s: got %s, want %s",
					 crd_disk_status_to_string(d[0]), crd_disk_status_to_string(d[1]),
					 crd_unit_status_to_string(got),
					 crd_unit_status_to_string(want[a][b]));
		}
}

static void test_set_disk_events(void **state)
{
	struct crd_status st;
	const char *names[] = {"/dev/sdb", "/srv/crd/ext2.img"};
	assert_int_equal(crd_status_init(&st, "su1", 2, names), 0);
	assert_int_equal(crd_status_get_unit(&st), UN);

	struct crd_status_event ev;
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(crd_status_set_disk(&st, 1, N_, A_, &ev), 1);
	assert_int_equal(ev.weight, CRD_WEIGHT_WARNING);
	assert_string_equal(ev.component, "CRD");
	assert_string_equal(ev.msg, "CRD disk '/srv/crd/ext2.img' of unit 'su1' changed from "
				    "'NORMAL' to 'NOT_ACCESSIBLE'");
	assert_int_equal(crd_status_get_unit(&st), UW);

	/* compare-and-set: a stale old value changes nothing and emits nothing */
	assert_int_equal(crd_status_set_disk(&st, 1, N_, S_, &ev), -ESTALE);
	assert_int_equal(st.disk[1], A_);
	/* same value: no event */
	assert_int_equal(crd_status_set_disk(&st, 1, A_, A_, &ev), 0);

	assert_int_equal(crd_status_set_disk(&st, 1, A_, S_, &ev), 1);
	assert_int_equal(ev.weight, CRD_WEIGHT_WARNING);
	assert_string_equal(ev.msg, "CRD disk '/srv/crd/ext2.img' of unit 'su1' changed from "
				    "'NOT_ACCESSIBLE' to 'STALE'");
	assert_int_equal(crd_status_set_disk(&st, 0, N_, I_, NULL), 1);
	assert_int_equal(crd_status_get_unit(&st), UW);
	assert_int_equal(crd_status_set_disk(&st, 1, S_, A_, NULL), 1);
	assert_int_equal(crd_status_get_unit(&st), UE);

	assert_int_equal(crd_status_set_disk(&st, 1, A_, N_, &ev), 1);
	assert_int_equal(ev.weight, CRD_WEIGHT_NOTICE);
	assert_string_equal(ev.msg, "CRD disk '/srv/crd/ext2.img' of unit 'su1' changed from "
				    "'NOT_ACCESSIBLE' to 'NORMAL'");
	assert_int_equal(crd_status_set_disk(&st, 0, I_, N_, &ev), 1);
	assert_string_equal(ev.msg, "CRD disk '/dev/sdb' of unit 'su1' changed from 'INVALID' to "
				    "'NORMAL'");
	assert_int_equal(crd_status_get_unit(&st), UN);

	/* bad arguments */
	assert_int_equal(crd_status_set_disk(&st, 2, N_, A_, &ev), -EINVAL);
	assert_int_equal(crd_status_set_disk(&st, 0, N_, CRD_DISK_STATUS_MAX, &ev), -EINVAL);
	assert_int_equal(crd_status_init(&st, "x", 3, NULL), -EINVAL);
}

static void test_n1_unit(void **state)
{
	struct crd_status st;
	const char *names[] = {"d1"};
	assert_int_equal(crd_status_init(&st, "mu1", 1, names), 0);
	assert_int_equal(crd_status_set_disk(&st, 0, N_, A_, NULL), 1);
	assert_int_equal(crd_status_get_unit(&st), UE);
	assert_int_equal(crd_status_set_disk(&st, 1, N_, A_, NULL), -EINVAL);
	struct crd_status none;
	assert_int_equal(crd_status_init(&none, "mu2", 0, NULL), 0);
	assert_int_equal(crd_status_get_unit(&none), CRD_UNIT_NOT_CONFIGURED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_string),
		cmocka_unit_test(test_table_n0),
		cmocka_unit_test(test_table_n1),
		cmocka_unit_test(test_table_n2),
		cmocka_unit_test(test_set_disk_events),
		cmocka_unit_test(test_n1_unit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
