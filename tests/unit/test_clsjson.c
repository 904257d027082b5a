/* test_clsjson.c — the status snapshot as JSON (clsjson.h): what every MU shows is what the
 * Master MU computed, and a decoded snapshot raises no status event against its original. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clstatus/clevents.h"
#include "clstatus/clsjson.h"
#include "clstatus_fixture.h"

static int count_emit(void *ctx, const struct clev_event *ev)
{
	(*(int *)ctx)++;
	print_message("unexpected event: %s\n", ev->msg);
	return 0;
}

static void round_trip(struct cls_input *in)
{
	struct cls_snapshot *s = calloc(1, sizeof(*s)), *back = calloc(1, sizeof(*back));
	struct sec_err err = {0};
	json_t *j, *j2;
	char *text;
	int events = 0;

	assert_int_equal(cls_compute(in, s), 0);
	s->version = 812;
	j = cls_snapshot_to_json(s, "demo");
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	json_t *parsed = json_loads(text, 0, NULL);
	assert_int_equal(cls_snapshot_from_json(parsed, back, &err), 0);
	j2 = cls_snapshot_to_json(back, "demo");
	assert_true(json_equal(j, j2));
	assert_int_equal(clev_diff(s, back, "mu11", count_emit, &events), 0);
	assert_int_equal(events, 0);
	assert_int_equal(back->version, 812);
	assert_int_equal(back->n_units, s->n_units);
	free(text);
	json_decref(j);
	json_decref(j2);
	json_decref(parsed);
	free(s);
	free(back);
}

static void test_round_trip_healthy(void **state)
{
	struct cls_input *in = calloc(1, sizeof(*in));
	fx_topo(in, 2, 2, true);
	round_trip(in);
	free(in);
}

static void test_round_trip_troubled(void **state)
{
	struct cls_input *in = calloc(1, sizeof(*in));
	fx_topo(in, 3, 2, true);
	fx_obs(in, "mu21")->hb_missed = 5;
	fx_obs(in, "mu22")->alive = CRD_ALIVE_NEVER_SEEN;
	fx_obs(in, "mu22")->alive_reason = CRD_ALIVE_R_EMPTY;
	fx_obs(in, "mu22")->alive_change_ms = 0;
	fx_obs(in, "mu22")->alive_state = CRD_SLOT_EMPTY;
	fx_obs(in, "mu22")->alive_bound_ms = 0;
	fx_obs(in, "mu31")->alive_state = CRD_SLOT_RESTARTING;
	fx_obs(in, "mu32")->alive = CRD_ALIVE_UNDETERMINABLE;
	fx_obs(in, "mu32")->alive_reason = CRD_ALIVE_R_UNREADABLE;
	fx_dead(in, "mu11");
	fx_obs(in, "mu11")->alive_reason = CRD_ALIVE_R_LEFT;
	fx_obs(in, "mu11")->alive_state = CRD_SLOT_LEFT;
	fx_obs(in, "mu12")->disk[1] = CRD_DISK_NOT_ACCESSIBLE;
	fx_obs(in, "mu12")->crd = CRD_UNIT_WARNING;
	fx_obs(in, "mu31")->skew_known = true;
	fx_obs(in, "mu31")->skew_ms = 9000;
	in->su_cluster[0].inactive = true;
	round_trip(in);
	in->master = -1; /* no Master MU: UNKNOWN everywhere, master_mu null */
	round_trip(in);
	free(in);
}

static void test_user_sees_fields(void **state)
{
	struct cls_input *in = calloc(1, sizeof(*in));
	struct cls_snapshot *s = calloc(1, sizeof(*s));
	fx_topo(in, 2, 2, false);
	fx_obs(in, "mu21")->hb_missed = 3;
	assert_int_equal(cls_compute(in, s), 0);
	json_t *j = cls_snapshot_to_json(s, "demo");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "WARNING");
	assert_string_equal(json_string_value(json_object_get(j, "master_mu")), "mu11");
	json_t *units = json_object_get(j, "units");
	int found = 0;
	for (size_t i = 0; i < json_array_size(units); i++) {
		json_t *u = json_array_get(units, i);
		if (strcmp(json_string_value(json_object_get(u, "name")), "mu21"))
			continue;
		found = 1;
		assert_string_equal(json_string_value(json_object_get(u, "network_heartbeat")),
				    "NOT_ACCESSIBLE");
		assert_string_equal(json_string_value(json_object_get(u, "server")), "SE2");
		assert_string_equal(json_string_value(json_object_get(u, "role")), "MU");
		assert_string_equal(json_string_value(json_object_get(u, "power_status")), "ON");
		assert_string_equal(json_string_value(json_object_get(u, "crd_disks")), "NORMAL");
	}
	assert_true(found);
	json_decref(j);
	free(s);
	free(in);
}

static const char *unit_field(json_t *j, const char *unit, const char *key)
{
	json_t *units = json_object_get(j, "units");
	for (size_t i = 0; i < json_array_size(units); i++) {
		json_t *u = json_array_get(units, i);
		if (!strcmp(json_string_value(json_object_get(u, "name")), unit)) {
			json_t *v = json_object_get(u, key);
			return json_is_null(v) ? "null" : json_is_string(v) ? json_string_value(v) : "?";
		}
	}
	return "no such unit";
}

/* crd.md §4 as the units view shows it: verdict, reason, slot state, dead_bound. */
static void test_alive_fields(void **state)
{
	struct cls_input *in = calloc(1, sizeof(*in));
	struct cls_snapshot *s = calloc(1, sizeof(*s)), *back = calloc(1, sizeof(*back));
	struct sec_err err = {0};
	fx_topo(in, 2, 2, true);
	fx_obs(in, "mu21")->alive = CRD_ALIVE_UNDETERMINABLE;
	fx_obs(in, "mu21")->alive_reason = CRD_ALIVE_R_NOT_READ;
	fx_obs(in, "mu21")->alive_change_ms = 0;
	fx_obs(in, "mu21")->alive_state = CRD_SLOT_EMPTY;
	fx_obs(in, "mu21")->alive_bound_ms = 0;
	fx_obs(in, "mu22")->alive_state = CRD_SLOT_RESTARTING;
	fx_obs(in, "mu22")->alive_bound_ms = 6200;
	assert_int_equal(cls_compute(in, s), 0);
	json_t *j = cls_snapshot_to_json(s, "demo");
	assert_string_equal(unit_field(j, "mu12", "alive_verdict"), "alive");
	assert_string_equal(unit_field(j, "mu12", "alive_reason"), "alive message changing");
	assert_string_equal(unit_field(j, "mu12", "alive_state"), "RUNNING");
	assert_string_equal(unit_field(j, "mu21", "alive_verdict"), "undeterminable");
	assert_string_equal(unit_field(j, "mu21", "alive_reason"),
			    "slot not read yet on every required disk");
	assert_string_equal(unit_field(j, "mu21", "alive_state"), "null");
	assert_string_equal(unit_field(j, "mu21", "alive_age_ms"), "null");
	assert_string_equal(unit_field(j, "mu21", "dead_bound_ms"), "null");
	assert_string_equal(unit_field(j, "mu22", "alive_state"), "RESTARTING");
	assert_int_equal(s->unit[fx_find(in, "mu22")].dead_bound_ms, 6200);
	assert_int_equal(s->unit[fx_find(in, "mu22")].alive_age_ms, 300);
	/* a master of an older version sends no alive_* fields: unknown, not refused */
	json_t *units = json_object_get(j, "units");
	for (size_t i = 0; i < json_array_size(units); i++) {
		json_t *u = json_array_get(units, i);
		json_object_del(u, "alive_verdict");
		json_object_del(u, "alive_reason");
		json_object_del(u, "alive_state");
		json_object_del(u, "dead_bound_ms");
	}
	assert_int_equal(cls_snapshot_from_json(j, back, &err), 0);
	assert_int_equal(back->unit[0].alive, CRD_ALIVE_UNDETERMINABLE);
	assert_int_equal(back->unit[0].alive_reason, CRD_ALIVE_R_NONE);
	assert_int_equal(back->unit[0].alive_state, CRD_SLOT_EMPTY);
	/* a verdict that is not one is named */
	json_object_set_new(json_array_get(units, 1), "alive_verdict", json_string("zombie"));
	json_object_set_new(json_array_get(units, 1), "alive_reason", json_string(""));
	assert_int_equal(cls_snapshot_from_json(j, back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "units[1].alive_verdict"));
	json_decref(j);
	free(s);
	free(back);
	free(in);
}

static void test_bad_input_named(void **state)
{
	struct cls_input *in = calloc(1, sizeof(*in));
	struct cls_snapshot *s = calloc(1, sizeof(*s)), *back = calloc(1, sizeof(*back));
	struct sec_err err = {0};
	fx_topo(in, 2, 1, false);
	assert_int_equal(cls_compute(in, s), 0);
	json_t *j = cls_snapshot_to_json(s, "demo");
	json_object_set_new(json_array_get(json_object_get(j, "units"), 1), "power_status",
			    json_string("MAYBE"));
	assert_int_equal(cls_snapshot_from_json(j, back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "units[1].power_status"));
	assert_non_null(strstr(err.msg, "MAYBE"));
	assert_int_equal(back->n_units, 0);
	json_object_del(j, "units");
	assert_int_equal(cls_snapshot_from_json(j, back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "units"));
	json_t *arr = json_array();
	assert_int_equal(cls_snapshot_from_json(arr, back, &err), -EINVAL);
	json_decref(arr);
	json_decref(j);
	free(s);
	free(back);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_healthy),
		cmocka_unit_test(test_round_trip_troubled),
		cmocka_unit_test(test_user_sees_fields),
		cmocka_unit_test(test_alive_fields),
		cmocka_unit_test(test_bad_input_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
