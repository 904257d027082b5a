/* test_lbjson.c — events, audit entries and marks as JSON (secd/lbjson.h): what one MU sends
 * another decodes to the same entry; malformed entries are refused, never stored. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "secd/lbjson.h"

static void test_event_round_trip(void **state)
{
	struct lb_event e = {.id = {3, 0x00a3f2c81b7d9e40ull, 17}, .ts_ms = 1796000000123,
			     .weight = LB_WARNING}, back;
	strcpy(e.unit, "mu2");
	strcpy(e.component, "Cluster");
	strcpy(e.msg, "Network heartbeat of unit 'mu1' changed from 'NORMAL' to 'NOT_ACCESSIBLE'");
	json_t *j = lbj_event(&e);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "3.00a3f2c81b7d9e40.17");
	assert_string_equal(json_string_value(json_object_get(j, "weight")), "WARNING");
	assert_string_equal(json_string_value(json_object_get(j, "time")), "2026-11-30T00:53:20.123Z");
	assert_int_equal(lbj_event_in(j, &back), 0);
	assert_int_equal(back.id.unit, e.id.unit);
	assert_true(back.id.incarnation == e.id.incarnation);
	assert_int_equal(back.id.seq, e.id.seq);
	assert_int_equal(back.ts_ms, e.ts_ms);
	assert_int_equal(back.weight, LB_WARNING);
	assert_string_equal(back.msg, e.msg);
	assert_string_equal(back.unit, "mu2");
	json_object_set_new(j, "weight", json_string("LOUD"));
	assert_int_equal(lbj_event_in(j, &back), -EINVAL);
	json_object_set_new(j, "weight", json_string("NOTICE"));
	json_object_set_new(j, "id", json_string("0.00a3f2c81b7d9e40.17"));
	assert_int_equal(lbj_event_in(j, &back), -EINVAL);
	json_object_set_new(j, "id", json_string("3.00a3f2c81b7d9e40.17x"));
	assert_int_equal(lbj_event_in(j, &back), -EINVAL);
	json_decref(j);
}

static void test_audit_round_trip(void **state)
{
	struct lb_audit a = {.id = {1, 7, 2}, .ts_ms = 5, .type = LB_AUDIT_LOGIN_FAILED}, back;
	strcpy(a.unit, "mu1");
	strcpy(a.account, "admin");
	strcpy(a.component, "SEM");
	strcpy(a.msg, "Action=Login; Account=admin --> invalid account or password");
	json_t *j = lbj_audit(&a);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "Login failed");
	assert_int_equal(lbj_audit_in(j, &back), 0);
	assert_int_equal(back.type, LB_AUDIT_LOGIN_FAILED);
	assert_string_equal(back.account, "admin");
	json_object_set_new(j, "type", json_string("Maybe"));
	assert_int_equal(lbj_audit_in(j, &back), -EINVAL);
	json_decref(j);
}

static void test_marks(void **state)
{
	struct lb_id m[2] = {{1, 0xffffffffffffffffull, 9}, {256, 1, 1}}, *back = NULL;
	size_t n = 0;
	json_t *j = lbj_marks(m, 2);
	assert_int_equal(lbj_marks_in(j, &back, &n), 0);
	assert_int_equal(n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(back[i].unit, m[i].unit);
		assert_true(back[i].incarnation == m[i].incarnation);
		assert_int_equal(back[i].seq, m[i].seq);
	}
	free(back);
	json_object_set_new(json_array_get(j, 1), "unit", json_integer(257));
	assert_int_equal(lbj_marks_in(j, &back, &n), -EINVAL);
	json_decref(j);
	j = json_string("x");
	assert_int_equal(lbj_marks_in(j, &back, &n), -EINVAL);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_round_trip),
		cmocka_unit_test(test_audit_round_trip),
		cmocka_unit_test(test_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
