/* test_clstatus.c — the status rules of status.md §1–§4 (seed 1.2, 1.4, 2.2, 3.3, glossary
 * "Cluster Status", "Power Status"), one table row per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "clstatus_fixture.h"

#define X -1 /* not checked */

struct row {
	const char *rule;
	void (*mutate)(struct cls_input *in);
	const char *unit; /* the unit whose columns are checked, or NULL */
	int power, hb, crd, summary, system;
	int mgmt, isl, su390, sux86;
};

static void m_none(struct cls_input *in)
{
	(void)in;
}
static void m_answers_alive_stale(struct cls_input *in)
{
	fx_obs(in, "mu12")->alive = CRD_ALIVE_DEAD;
	fx_obs(in, "mu12")->alive_reason = CRD_ALIVE_R_STALE;
}
static void m_silent_alive_fresh(struct cls_input *in)
{
	fx_silent(in, "mu12");
}
static void m_left(struct cls_input *in)
{
	struct cls_unit_obs *o = fx_obs(in, "mu12");
	o->alive = CRD_ALIVE_DEAD;
	o->alive_reason = CRD_ALIVE_R_LEFT;
}
static void m_left_silent(struct cls_input *in)
{
	m_left(in);
	fx_silent(in, "mu12");
}
static void m_powered_off(struct cls_input *in)
{
	fx_obs(in, "mu12")->powered_off = true;
	fx_silent(in, "mu12");
}
static void m_dead(struct cls_input *in)
{
	fx_dead(in, "mu12");
}
static void m_two_misses(struct cls_input *in)
{
	fx_obs(in, "mu12")->hb_missed = 2;
}
static void m_never_replied(struct cls_input *in)
{
	fx_obs(in, "mu12")->last_reply_ms = 0;
}
static void m_crd_warning(struct cls_input *in)
{
	fx_obs(in, "mu12")->crd = CRD_UNIT_WARNING;
}
static void m_crd_error(struct cls_input *in)
{
	fx_obs(in, "mu12")->crd = CRD_UNIT_ERROR;
}
static void m_master_crd_error(struct cls_input *in)
{
	fx_obs(in, "mu11")->crd = CRD_UNIT_ERROR;
}
static void m_no_master(struct cls_input *in)
{
	in->master = -1;
}
static void m_server2_link_down(struct cls_input *in)
{
	fx_silent(in, "mu21");
	fx_silent(in, "mu22");
	fx_silent(in, "su390-2");
	fx_silent(in, "sux86-2");
}
static void m_server2_down(struct cls_input *in)
{
	fx_dead(in, "mu21");
	fx_dead(in, "mu22");
	fx_dead(in, "su390-2");
	fx_dead(in, "sux86-2");
}
static void m_versions(struct cls_input *in)
{
	snprintf(fx_obs(in, "mu21")->version, CLS_VERSION_MAX + 1, "V6.5");
}
static void m_skew(struct cls_input *in)
{
	fx_obs(in, "mu22")->skew_known = true;
	fx_obs(in, "mu22")->skew_ms = 1500;
}
static void m_skew_small(struct cls_input *in)
{
	fx_obs(in, "mu22")->skew_known = true;
	fx_obs(in, "mu22")->skew_ms = 1000;
}
static void m_inactive(struct cls_input *in)
{
	in->su_cluster[0].inactive = true;
	fx_dead(in, "su390-1");
}
static void m_su_off(struct cls_input *in)
{
	fx_obs(in, "su390-1")->alive_reason = CRD_ALIVE_R_LEFT;
	fx_obs(in, "su390-1")->alive = CRD_ALIVE_DEAD;
	fx_obs(in, "sux86-1")->alive_reason = CRD_ALIVE_R_LEFT;
	fx_obs(in, "sux86-1")->alive = CRD_ALIVE_DEAD;
}
static void m_su_silent(struct cls_input *in)
{
	fx_silent(in, "su390-2");
}
static void m_su_crd_error(struct cls_input *in)
{
	fx_obs(in, "sux86-2")->crd = CRD_UNIT_ERROR;
}
static void m_su_crd_warning(struct cls_input *in)
{
	fx_obs(in, "sux86-2")->crd = CRD_UNIT_WARNING;
}
static void m_modes(struct cls_input *in)
{
	snprintf(in->unit[fx_find(in, "su390-2")].bs2000_mode, CLS_VERSION_MAX + 1, "NATIVE");
}
static void m_su_versions(struct cls_input *in)
{
	snprintf(fx_obs(in, "sux86-2")->version, CLS_VERSION_MAX + 1, "V6.5");
}
static void m_mu_of_se2_off(struct cls_input *in)
{
	fx_obs(in, "mu22")->powered_off = true;
}
static void m_mus_of_se2_off(struct cls_input *in)
{
	fx_obs(in, "mu21")->powered_off = true;
	fx_obs(in, "mu22")->powered_off = true;
}

#define ON     CLS_POWER_ON
#define OFF    CLS_POWER_OFF
#define PU     CLS_POWER_UNKNOWN
#define HN     CLS_HB_NORMAL
#define HNA    CLS_HB_NOT_ACCESSIBLE
#define HU     CLS_HB_UNKNOWN
#define N      CLS_NORMAL
#define W      CLS_WARNING
#define E      CLS_ERROR
#define I      CLS_INACTIVE
#define U      CLS_UNKNOWN
#define RUN    CLS_SYSTEM_RUNNING
#define DOWN   CLS_SYSTEM_DOWN
#define SU_    CLS_SYSTEM_UNKNOWN

/* Topology: 2 SE Servers × (2 MUs, 1 SU /390, 1 SU x86), SU Clusters SU390 and SUx86,
 * master mu11. Columns: unit power, hb, crd, summary, system; Management Cluster status,
 * ISL-E, SU390, SUx86. */
static const struct row rows[] = {
	{"healthy cluster: every status NORMAL", m_none, "mu12", ON, HN, N, N, RUN, N, N, N, N},
	{"§1 power ON: the unit answers (alive message not fresh)", m_answers_alive_stale, "mu12",
	 ON, HN, N, N, RUN, N, N, N, N},
	{"§1 power ON: alive message fresh (no answer); NOT_ACCESSIBLE is ERROR", m_silent_alive_fresh,
	 "mu12", ON, HNA, N, E, SU_, W, W, W, N},
	{"§1 power OFF: slot LEFT (clean shutdown), even before hb_misses", m_left, "mu12", OFF, HN, N,
	 E, DOWN, W, N, W, N},
	{"§1 power OFF: LEFT and silent", m_left_silent, "mu12", OFF, HNA, N, E, DOWN, W, N, W, N},
	{"§1 power OFF: an operator powered it off", m_powered_off, "mu12", OFF, HNA, N, E, DOWN, W,
	 N, W, N},
	{"§1 power UNKNOWN: neither network nor disk tells", m_dead, "mu12", PU, HNA, N, E, SU_, W, W,
	 W, N},
	{"§1 heartbeat: 2 misses < hb_misses (3) stays NORMAL", m_two_misses, "mu12", ON, HN, N, N,
	 RUN, N, N, N, N},
	{"§1 heartbeat: never replied is NOT_ACCESSIBLE", m_never_replied, "mu12", ON, HNA, N, E, SU_,
	 W, W, W, N},
	{"§1 CRD disks WARNING as reported → unit WARNING, Management Cluster WARNING", m_crd_warning,
	 "mu12", ON, HN, W, W, RUN, W, N, N, N},
	{"§1 CRD disks ERROR → unit ERROR; Management Cluster WARNING (not the master)", m_crd_error,
	 "mu12", ON, HN, E, E, RUN, W, N, N, N},
	{"§2 the master's CRD status ERROR → Management Cluster ERROR", m_master_crd_error, "mu11", ON,
	 HN, E, E, RUN, E, N, N, N},
	{"§2 no Master MU: statuses UNKNOWN, Management Cluster ERROR", m_no_master, "mu12", PU, HU, U,
	 U, SU_, E, U, U, U},
	{"§2 ISL-E ERROR: server's units silent, alive messages fresh — not OFF",
	 m_server2_link_down, "mu21", ON, HNA, N, E, SU_, W, E, E, E},
	{"§2 ISL-E WARNING: some but not all units of a server answer", m_silent_alive_fresh, "mu12",
	 ON, HNA, N, E, SU_, W, W, W, N},
	{"§2 ISL-E: a server that is down (nothing fresh) is WARNING, not ERROR", m_server2_down,
	 "mu21", PU, HNA, N, E, SU_, W, W, E, E},
	{"§2 MUs on more than one software version (seed 2.5) → WARNING", m_versions, "mu21", ON, HN,
	 N, N, RUN, W, N, N, N},
	{"clock skew above the threshold → WARNING", m_skew, "mu22", ON, HN, N, N, RUN, W, N, N, N},
	{"clock skew at the threshold is not skew", m_skew_small, "mu22", ON, HN, N, N, RUN, N, N, N,
	 N},
	{"§3 INACTIVE: deactivated by an administrator, whatever its SUs", m_inactive, NULL, X, X, X, X,
	 X, W, W, I, N},
	{"§3 ERROR: an SU is not ON (glossary Power Status)", m_su_off, "su390-1", OFF, HN, N, E, DOWN,
	 N, N, E, E},
	{"§3 ERROR: an SU is NOT_ACCESSIBLE", m_su_silent, "su390-2", ON, HNA, N, E, SU_, W, W, E, N},
	{"§3 ERROR: an SU's CRD status is ERROR", m_su_crd_error, "sux86-2", ON, HN, E, E, RUN, N, N,
	 N, E},
	{"§3 WARNING: an SU's CRD status is WARNING", m_su_crd_warning, "sux86-2", ON, HN, W, W, RUN, N,
	 N, N, W},
	{"§3 ERROR: the two SUs run different BS2000 operation modes", m_modes, NULL, X, X, X, X, X, N,
	 N, E, N},
	{"§3 WARNING: the two SUs run different software versions", m_su_versions, NULL, X, X, X, X, X,
	 N, N, N, W},
	{"§3 WARNING (SU /390): an MU of an SU's server powered off (seed 2.3.3 example)",
	 m_mu_of_se2_off, "mu22", OFF, HN, N, E, DOWN, W, N, W, N},
	{"§3 ERROR (SU /390): no MU of an SU's own SE Server available", m_mus_of_se2_off, "mu21",
	 OFF, HN, N, E, DOWN, W, N, E, N},
};

static void check(const struct row *r, const char *what, int got, int want,
		  const char *(*str)(int))
{
	if (want != X && got != want)
		fail_msg("rule '%s': %s is %s, want %s", r->rule, what, str(got), str(want));
}

static const char *s_status(int v)
{
	return cls_status_to_string((enum cls_status)v);
}
static const char *s_power(int v)
{
	return cls_power_to_string((enum cls_power)v);
}
static const char *s_hb(int v)
{
	return cls_hb_to_string((enum cls_hb)v);
}
static const char *s_system(int v)
{
	return cls_system_to_string((enum cls_system)v);
}

static void test_rules(void **state)
{
	struct cls_input *in = malloc(sizeof(*in));
	struct cls_snapshot *out = malloc(sizeof(*out));
	assert_non_null(in);
	assert_non_null(out);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		fx_topo(in, 2, 2, true);
		r->mutate(in);
		assert_int_equal(cls_compute(in, out), 0);
		if (r->unit) {
			const struct cls_unit_out *u = &out->unit[fx_find(in, r->unit)];
			check(r, "power status", u->power, r->power, s_power);
			check(r, "network heartbeat", u->hb, r->hb, s_hb);
			check(r, "CRD disks", u->crd, r->crd, s_status);
			check(r, "unit status summary", u->summary, r->summary, s_status);
			check(r, "system status", u->system, r->system, s_system);
		}
		check(r, "Management Cluster status", out->mgmt.status, r->mgmt, s_status);
		check(r, "ISL-E", out->mgmt.isl_e, r->isl, s_status);
		check(r, "SU390", out->su_cluster[0].status, r->su390, s_status);
		check(r, "SUx86", out->su_cluster[1].status, r->sux86, s_status);
	}
	free(in);
	free(out);
}

/* §1: a unit that does not answer keeps its last CRD report, shown with its age. */
static void test_crd_kept_with_age(void **state)
{
	struct cls_input *in = malloc(sizeof(*in));
	struct cls_snapshot *out = malloc(sizeof(*out));
	fx_topo(in, 2, 2, false);
	struct cls_unit_obs *o = fx_obs(in, "mu21");
	o->crd = CRD_UNIT_WARNING;
	o->report_ms = FX_NOW - 7000;
	fx_silent(in, "mu21");
	assert_int_equal(cls_compute(in, out), 0);
	const struct cls_unit_out *u = &out->unit[fx_find(in, "mu21")];
	assert_int_equal(u->crd, CLS_WARNING);
	assert_int_equal(u->crd_age_ms, 7000);
	assert_int_equal(u->alive_age_ms, 300);
	/* an answering unit's report is current: age 0 */
	assert_int_equal(out->unit[fx_find(in, "mu22")].crd_age_ms, 0);
	/* never reported: UNKNOWN, counted as WARNING in the summary */
	fx_obs(in, "mu22")->reported = false;
	assert_int_equal(cls_compute(in, out), 0);
	assert_int_equal(out->unit[fx_find(in, "mu22")].crd, CLS_UNKNOWN);
	assert_int_equal(out->unit[fx_find(in, "mu22")].summary, CLS_WARNING);
	free(in);
	free(out);
}

/* §2: ISL-E per pair of SE Servers; NOT_CONFIGURED and no Management Cluster line with one. */
static void test_isl_pairs(void **state)
{
	struct cls_input *in = malloc(sizeof(*in));
	struct cls_snapshot *out = malloc(sizeof(*out));
	fx_topo(in, 3, 1, false);
	fx_silent(in, "mu31");
	assert_int_equal(cls_compute(in, out), 0);
	assert_int_equal(out->mgmt.n_pairs, 3);
	/* pairs (SE1,SE2), (SE1,SE3), (SE2,SE3) */
	assert_int_equal(out->mgmt.pair[0].status, CLS_NORMAL);
	assert_int_equal(out->mgmt.pair[1].status, CLS_ERROR);
	assert_int_equal(out->mgmt.pair[2].status, CLS_ERROR);
	assert_int_equal(out->mgmt.isl_e, CLS_ERROR);
	assert_int_equal(out->unit[2].power, CLS_POWER_ON);

	fx_topo(in, 1, 2, false);
	assert_int_equal(cls_compute(in, out), 0);
	assert_false(out->mgmt.present);
	assert_int_equal(out->mgmt.isl_e, CLS_NOT_CONFIGURED);
	assert_int_equal(out->mgmt.n_pairs, 0);
	assert_int_equal(out->dash.n_clusters, 0);
	assert_int_equal(out->dash.worst, CLS_NOT_CONFIGURED);
	struct cls_overview_row rowsv[4];
	assert_int_equal(cls_overview(out, rowsv, 4), 0);
	free(in);
	free(out);
}

/* §4 / seed 1.4: the dashboard tile and the cluster overview. */
static void test_dashboard_and_overview(void **state)
{
	struct cls_input *in = malloc(sizeof(*in));
	struct cls_snapshot *out = malloc(sizeof(*out));
	fx_topo(in, 2, 2, true);
	assert_int_equal(cls_compute(in, out), 0);
	assert_int_equal(out->dash.n_clusters, 3);
	assert_int_equal(out->dash.worst, CLS_NORMAL);
	assert_true(out->dash.mgmt_present);
	assert_int_equal(out->dash.mgmt, CLS_NORMAL);
	assert_int_equal(out->dash.n_su, 2);
	assert_int_equal(out->dash.su_worst, CLS_NORMAL);

	m_su_crd_error(in); /* SUx86 ERROR, Management Cluster NORMAL */
	assert_int_equal(cls_compute(in, out), 0);
	assert_int_equal(out->dash.worst, CLS_ERROR);
	assert_int_equal(out->dash.mgmt, CLS_NORMAL);
	assert_int_equal(out->dash.su_worst, CLS_ERROR);

	struct cls_overview_row r[8];
	assert_int_equal(cls_overview(out, r, 8), 3);
	assert_string_equal(r[0].name, "Management Cluster");
	assert_string_equal(r[0].type, "SE");
	assert_string_equal(r[0].function, "Management");
	assert_string_equal(cls_status_to_string(r[0].status), "NORMAL");
	assert_string_equal(r[1].name, "SU390");
	assert_string_equal(r[1].type, "SU");
	assert_string_equal(r[1].function, "Live migration");
	assert_string_equal(r[2].name, "SUx86");
	assert_string_equal(cls_status_to_string(r[2].status), "ERROR");
	/* fewer slots than rows: the count is still the number of rows */
	assert_int_equal(cls_overview(out, r, 1), 3);

	/* INACTIVE ranks below WARNING: one INACTIVE, one NORMAL → INACTIVE */
	fx_topo(in, 2, 2, true);
	in->su_cluster[1].inactive = true;
	assert_int_equal(cls_compute(in, out), 0);
	assert_int_equal(out->dash.su_worst, CLS_INACTIVE);
	assert_int_equal(out->dash.worst, CLS_INACTIVE);
	free(in);
	free(out);
}

/* §3: every reason is reported, not only the worst. */
static void test_su_reasons(void **state)
{
	struct cls_input *in = malloc(sizeof(*in));
	struct cls_snapshot *out = malloc(sizeof(*out));
	fx_topo(in, 2, 2, true);
	m_modes(in);
	m_mu_of_se2_off(in);
	assert_int_equal(cls_compute(in, out), 0);
	uint32_t want = 1u << CLS_SUR_MODE_DIFFERS | 1u << CLS_SUR_MU_DOWN;
	assert_int_equal(out->su_cluster[0].reasons, want);
	assert_int_equal(out->su_cluster[0].status, CLS_ERROR);
	/* SU x86: an MU down is not a reason (status.md §3 names SU /390 only) */
	assert_int_equal(out->su_cluster[1].reasons, 0);
	assert_string_equal(cls_su_reason_to_string(CLS_SUR_NO_MU_OWN_SERVER),
			    "no MU of an SU's own SE Server is available");
	free(in);
	free(out);
}

static void test_invalid_input(void **state)
{
	struct cls_input *in = malloc(sizeof(*in));
	struct cls_snapshot *out = malloc(sizeof(*out));
	fx_topo(in, 2, 2, true);
	in->master = (int32_t)fx_find(in, "su390-1"); /* an SU cannot be Master MU */
	assert_int_equal(cls_compute(in, out), -EINVAL);
	fx_topo(in, 2, 2, true);
	in->unit[0].server = 2;
	assert_int_equal(cls_compute(in, out), -EINVAL);
	fx_topo(in, 2, 2, true);
	in->su_cluster[0].su[1] = in->su_cluster[0].su[0];
	assert_int_equal(cls_compute(in, out), -EINVAL);
	fx_topo(in, 2, 2, true);
	in->su_cluster[0].su[1] = 0; /* an MU */
	assert_int_equal(cls_compute(in, out), -EINVAL);
	fx_topo(in, 2, 2, true);
	in->n_servers = CLS_SERVERS_MAX + 1;
	assert_int_equal(cls_compute(in, out), -EINVAL);
	free(in);
	free(out);
}

static void test_to_string(void **state)
{
	static const char *const st[] = {"NORMAL", "WARNING", "ERROR", "INACTIVE",
					 "NOT_CONFIGURED", "UNKNOWN"};
	for (int i = 0; i < CLS_STATUS_MAX; i++)
		assert_string_equal(cls_status_to_string((enum cls_status)i), st[i]);
	assert_string_equal(cls_status_to_string(CLS_STATUS_MAX), "?");
	assert_string_equal(cls_power_to_string(CLS_POWER_ON), "ON");
	assert_string_equal(cls_power_to_string(CLS_POWER_OFF), "OFF");
	assert_string_equal(cls_power_to_string(CLS_POWER_UNKNOWN), "UNKNOWN");
	assert_string_equal(cls_power_to_string(CLS_POWER_MAX), "?");
	assert_string_equal(cls_hb_to_string(CLS_HB_NORMAL), "NORMAL");
	assert_string_equal(cls_hb_to_string(CLS_HB_NOT_ACCESSIBLE), "NOT_ACCESSIBLE");
	assert_string_equal(cls_hb_to_string(CLS_HB_UNKNOWN), "UNKNOWN");
	assert_string_equal(cls_system_to_string(CLS_SYSTEM_RUNNING), "RUNNING");
	assert_string_equal(cls_system_to_string(CLS_SYSTEM_DOWN), "DOWN");
	assert_string_equal(cls_role_to_string(CLS_ROLE_MU), "MU");
	assert_string_equal(cls_role_to_string(CLS_ROLE_SU), "SU");
	assert_string_equal(cls_su_type_to_string(CLS_SU_390), "SU /390");
	assert_string_equal(cls_su_type_to_string(CLS_SU_X86), "SU x86");
	for (int i = 0; i < CLS_SU_REASON_MAX; i++)
		assert_string_not_equal(cls_su_reason_to_string((enum cls_su_reason)i), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_crd_kept_with_age),
		cmocka_unit_test(test_isl_pairs),
		cmocka_unit_test(test_dashboard_and_overview),
		cmocka_unit_test(test_su_reasons),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_to_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
