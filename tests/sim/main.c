/* main.c — crd-sim: runs random schedules of the simulator (sim.h) and the mutation
 * proofs; docs/simulator.md describes the fault model and the invariants.
 *
 *   crd-sim [--schedules K] [--base B] [--workers J] [--mutation-schedules M] [--no-checks]
 *   crd-sim [--mutation NAME] --seed S        replay one schedule with its trace
 *   crd-sim --mutation NAME [--schedules K]   one check (its expectation below)
 *
 * Schedule i of a run has seed mix(B, i); `--seed S` replays it exactly (add the same
 * --mutation when the seed came from a check). The default run counts scenario groups,
 * not schedules: one group per configuration class (N = 1 / N = 2, test / lab, two-site
 * split, SU ownership), which passes when none of its schedules violated an invariant,
 * plus one group per check (a mutation of struct crd_lease_mutations, of the simulator's
 * clients or of its fault model), which passes when it met its expectation within M
 * schedules: catch a violation, stay clean (a fixed finding), or — an open finding — be
 * counted as skipped with its reason. The last line is "N passed, N failed" (", N
 * skipped" may follow); exit 0 only if none failed. */
#include "sim.h"

#include "crd/timing.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GROUPS 7
#define WORKERS_MAX 16
#define KEEP_FAILS 4

static const char *const group_names[GROUPS] = {
	"N=1 test", "N=1 lab", "N=2 test", "N=2 lab", "N=2 two-site split",
	"SU ownership (inv. 3, 4)", "N=2 split, force-master",
};

/* The engine's struct crd_lease_mutations, and r0_copy_ab: the simulator's own region-0
 * client writing copy A then B always (shows why the newest copy must be written last). */
enum mutation {
	MUT_NONE = 0,
	MUT_NO_R1,
	MUT_R0_ISSUE_TIME,
	MUT_N2_ANY_DISK,
	MUT_R0_COPY_AB,
	MUT_R0_TEAR_LATE,
	MUT_LATE_RELEASE,
	MUT_LATE_RELEASE_TRUST,
	MUT_SU_NO_GUARD,
	MUT_SU_NO_RECONCILE,
	MUT_SU_LATE_WRITE,
	MUT_FORCE_NO_CHECK,
	MUT_MAX
};
/* What each check must show: CATCH a violation (a mutation proof or a residual risk),
 * stay CLEAN (a fixed finding), or KNOWN (an open finding: a skip with its reason when
 * found, a pass when not). */
enum expect { EXPECT_CATCH = 0, EXPECT_CLEAN, EXPECT_KNOWN };
static const enum expect expect[MUT_MAX] = {
	[MUT_LATE_RELEASE] = EXPECT_CLEAN, /* fixed in lease.c (ad7ace3) */
	[MUT_SU_LATE_WRITE] = EXPECT_KNOWN,
};
static const char *const mut_names[MUT_MAX] = {
	"none",         "no_r1",       "r0_issue_time",      "n2_any_disk",
	"r0_copy_ab",   "r0_tear_late", "late_release",      "late_release_trust",
	"su_no_guard",  "su_no_reconcile", "su_late_write", "force_no_check",
};

struct result {
	uint64_t run, failed, events, acks, acquisitions, recovers, reconciles, fences, forced;
	uint64_t group_run[GROUPS], group_failed[GROUPS];
	uint64_t fail_seed[KEEP_FAILS];
	int nfail_seed;
	uint64_t first_index; /* smallest failing schedule index, for "caught after" */
};

static struct sim_world world;

static uint64_t seed_of(uint64_t base, uint64_t i)
{
	uint64_t x = base * 0x100000001b3ull + i + 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static struct sim_opts force_for(enum mutation m)
{
	struct sim_opts f = {.profile = -1, .split = -1, .su_mode = m == MUT_NONE ? -1 : 0};

	switch (m) {
	case MUT_NO_R1:
		f.mut.no_r1 = true;
		break;
	case MUT_R0_ISSUE_TIME:
		f.mut.r0_issue_time = true;
		break;
	case MUT_N2_ANY_DISK:
		f.mut.n2_any_disk = true;
		f.ndisks = 2;
		break;
	case MUT_R0_COPY_AB:
		f.r0_ab = true;
		break;
	case MUT_R0_TEAR_LATE:
		f.r0_tear_late = true;
		break;
	case MUT_LATE_RELEASE:
		f.late_release = true;
		break;
	case MUT_LATE_RELEASE_TRUST:
		f.late_release = true;
		f.mut.late_release_trust = true;
		break;
	case MUT_SU_NO_GUARD:
		f.su_mode = 1;
		f.su_no_guard = true;
		break;
	case MUT_SU_NO_RECONCILE:
		f.su_mode = 1;
		f.su_no_reconcile = true;
		break;
	case MUT_SU_LATE_WRITE:
		f.su_mode = 1;
		f.su_late_write = true;
		break;
	case MUT_FORCE_NO_CHECK:
		f.mut.force_no_check = true;
		f.ndisks = 2;
		f.split = 1;
		f.force = 1;
		break;
	default:
		break;
	}
	return f;
}

static int group_of(const struct sim_world *w)
{
	if (w->o.su_mode)
		return 5;
	if (w->o.force)
		return 6;
	if (w->o.split)
		return 4;
	return (w->o.ndisks == 2 ? 2 : 0) + (w->o.profile == CRD_PROFILE_LAB);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Schedules k, k + j, k + 2j, ... of [0, count); stops early once *stop is set. */
static void run_share(uint64_t base, uint64_t count, int k, int j, enum mutation m,
		      volatile int *stop, struct result *r)
{
	struct sim_opts f = force_for(m);

	memset(r, 0, sizeof(*r));
	r->first_index = UINT64_MAX;
	for (uint64_t i = (uint64_t)k; i < count; i += (uint64_t)j) {
		uint64_t seed = seed_of(base, i);
		int g;

		if (stop && *stop)
			break;
		g = sim_run(&world, seed, &f, false);
		r->run++;
		r->events += world.st.events;
		r->acks += world.st.acks;
		r->acquisitions += world.st.acquisitions;
		r->recovers += world.st.recovers;
		r->reconciles += world.st.reconciles;
		r->fences += world.st.fences;
		r->forced += world.st.forced;
		r->group_run[group_of(&world)]++;
		if (g == 0)
			continue;
		r->failed++;
		r->group_failed[group_of(&world)]++;
		if (r->nfail_seed < KEEP_FAILS)
			r->fail_seed[r->nfail_seed++] = seed;
		if (i < r->first_index)
			r->first_index = i;
		if (stop)
			*stop = 1;
	}
}

/* Runs count schedules in j forked workers and sums their results. */
static int run_batch(uint64_t base, uint64_t count, int j, enum mutation m, bool stop_first,
		     struct result *sum)
{
	volatile int *stop = NULL;
	pid_t pid[WORKERS_MAX];
	int fds[WORKERS_MAX];

	if (stop_first) {
		stop = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
		if (stop == MAP_FAILED)
			return -errno;
		*stop = 0;
	}
	memset(sum, 0, sizeof(*sum));
	sum->first_index = UINT64_MAX;
	for (int k = 0; k < j; k++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		pid[k] = fork();
		if (pid[k] < 0)
			return -errno;
		if (pid[k] == 0) {
			struct result r;
			close(p[0]);
			run_share(base, count, k, j, m, stop, &r);
			if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(2);
			_exit(0);
		}
		close(p[1]);
		fds[k] = p[0];
	}
	for (int k = 0; k < j; k++) {
		struct result r;
		int st;
		ssize_t n = read(fds[k], &r, sizeof(r));

		close(fds[k]);
		waitpid(pid[k], &st, 0);
		if (n != (ssize_t)sizeof(r) || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "crd-sim: worker %d died (status %d)\n", k, st);
			sum->failed++;
			continue;
		}
		sum->run += r.run;
		sum->failed += r.failed;
		sum->events += r.events;
		sum->acks += r.acks;
		sum->acquisitions += r.acquisitions;
		sum->recovers += r.recovers;
		sum->reconciles += r.reconciles;
		sum->fences += r.fences;
		sum->forced += r.forced;
		for (int g = 0; g < GROUPS; g++) {
			sum->group_run[g] += r.group_run[g];
			sum->group_failed[g] += r.group_failed[g];
		}
		for (int i = 0; i < r.nfail_seed && sum->nfail_seed < KEEP_FAILS; i++)
			sum->fail_seed[sum->nfail_seed++] = r.fail_seed[i];
		if (r.first_index < sum->first_index)
			sum->first_index = r.first_index;
	}
	if (stop)
		munmap((void *)stop, sizeof(int));
	return 0;
}

/* Replays one seed with tracing and prints the verdict and the last events. */
static int replay(uint64_t seed, enum mutation m, bool quiet_ok)
{
	struct sim_opts f = force_for(m);
	int rc = sim_run(&world, seed, &f, true);
	int first = world.ntr > SIM_TRACE_LINES ? world.ntr - SIM_TRACE_LINES : 0;

	if (rc == 0 && quiet_ok) {
		printf("seed %" PRIu64 ": ok (%" PRIu64 " events)\n", seed, world.st.events);
		return 0;
	}
	printf("--- seed %" PRIu64 "%s%s: last %d events ---\n", seed, m ? " mutation " : "",
	       m ? mut_names[m] : "", world.ntr - first);
	for (int i = first; i < world.ntr; i++)
		printf("  %s\n", world.tr[i % SIM_TRACE_LINES]);
	if (rc)
		printf("seed %" PRIu64 ": VIOLATION: %s\n", seed, world.why);
	else
		printf("seed %" PRIu64 ": ok (%" PRIu64 " events, %" PRIu64 " masters, %" PRIu64
		       " increments)\n",
		       seed, world.st.events, world.st.acquisitions, world.st.acks);
	return rc;
}

static enum mutation mutation_parse(const char *s)
{
	for (int i = 1; i < MUT_MAX; i++)
		if (!strcmp(s, mut_names[i]))
			return (enum mutation)i;
	return MUT_MAX;
}

/* One mutation: caught (a violation found) within count schedules is a pass. */
static bool mutation_check(uint64_t base, uint64_t count, int j, enum mutation m)
{
	struct result r;

	if (run_batch(base, count, j, m, true, &r) < 0 || !r.nfail_seed) {
		printf("mutation %s: NOT caught in %" PRIu64 " schedules\n", mut_names[m], r.run);
		return false;
	}
	{
		struct sim_opts f = force_for(m);
		sim_run(&world, r.fail_seed[0], &f, false); /* again, for its message */
	}
	printf("mutation %s: caught after ~%" PRIu64 " schedules: crd-sim --mutation %s --seed %" PRIu64
	       "\n    %s\n",
	       mut_names[m], r.first_index + 1, mut_names[m], r.fail_seed[0], world.why);
	return true;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: crd-sim [--schedules K] [--base B] [--workers J] [--mutation-schedules M]\n"
		"               [--no-checks]\n"
		"       crd-sim [--mutation NAME] --seed S\n"
		"       crd-sim --mutation NAME [--schedules K]\n"
		"NAME: no_r1 r0_issue_time n2_any_disk r0_copy_ab r0_tear_late late_release\n"
		"      late_release_trust su_no_guard su_no_reconcile su_late_write\n"
		"      force_no_check\n");
}

int main(int argc, char **argv)
{
	uint64_t count = 100000, base = 1, mcount = 100000, seed = 0;
	bool have_seed = false, have_count = false, no_checks = false;
	enum mutation m = MUT_NONE;
	int j = 2, passed = 0, failed = 0, skipped = 0;
	struct result r;
	double t0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-checks")) {
			no_checks = true;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "--schedules")) {
			count = strtoull(v, NULL, 10);
			have_count = true;
		} else if (!strcmp(a, "--base")) {
			base = strtoull(v, NULL, 10);
		} else if (!strcmp(a, "--workers")) {
			j = atoi(v);
		} else if (!strcmp(a, "--mutation-schedules")) {
			mcount = strtoull(v, NULL, 10);
		} else if (!strcmp(a, "--seed")) {
			seed = strtoull(v, NULL, 10);
			have_seed = true;
		} else if (!strcmp(a, "--mutation")) {
			m = mutation_parse(v);
			if (m == MUT_MAX) {
				fprintf(stderr, "crd-sim: unknown mutation '%s'\n", v);
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}
	if (j < 1 || j > WORKERS_MAX)
		j = 2;
	if (have_seed)
		return replay(seed, m, false) ? 1 : 0;
	if (m != MUT_NONE) {
		bool caught = mutation_check(base, have_count ? count : mcount, j, m);
		bool ok = expect[m] == EXPECT_CATCH ? caught : !caught;

		if (expect[m] == EXPECT_KNOWN && caught) {
			printf("0 passed, 0 failed, 1 skipped\n");
			return 0;
		}
		printf("%d passed, %d failed\n", ok, !ok);
		return ok ? 0 : 1;
	}

	t0 = now_s();
	if (run_batch(base, count, j, MUT_NONE, false, &r) < 0) {
		perror("crd-sim");
		return 2;
	}
	{
		double dt = now_s() - t0;
		printf("crd-sim: %" PRIu64 " schedules (base %" PRIu64 ", %d workers) in %.1f s: "
		       "%.0f schedules/s, %" PRIu64 " events, %" PRIu64 " master terms, %" PRIu64
		       " acknowledged increments, %" PRIu64 " violations\n",
		       r.run, base, j, dt, dt > 0 ? (double)r.run / dt : 0.0, r.events,
		       r.acquisitions, r.acks, r.failed);
		printf("crd-sim: SU schedules: %" PRIu64 " guard fences, %" PRIu64
		       " RECOVERs committed, %" PRIu64 " reconciles; %" PRIu64 " masters by "
		       "force-master\n", r.fences, r.recovers, r.reconciles, r.forced);
	}
	for (int g = 0; g < GROUPS; g++) {
		bool ok = !r.group_failed[g];
		printf("  %-20s %8" PRIu64 " schedules, %" PRIu64 " violations: %s\n",
		       group_names[g], r.group_run[g], r.group_failed[g], ok ? "ok" : "FAILED");
		ok ? passed++ : failed++;
	}
	{
		uint64_t sum = 0;
		for (int g = 0; g < GROUPS; g++)
			sum += r.group_failed[g];
		if (r.failed > sum)
			failed++; /* a worker died */
	}
	for (int i = 0; i < r.nfail_seed; i++) {
		if (i < 2)
			replay(r.fail_seed[i], MUT_NONE, false);
		else
			printf("also failed: crd-sim --seed %" PRIu64 "\n", r.fail_seed[i]);
	}
	t0 = now_s();
	for (int i = 1; i < MUT_MAX && !no_checks; i++) {
		bool caught = mutation_check(base, mcount, j, (enum mutation)i);
		if (expect[i] == EXPECT_CLEAN) { /* a fixed finding: must stay fixed */
			if (caught)
				printf("  FAILED: %s was fixed and must find nothing\n", mut_names[i]);
			caught ? failed++ : passed++;
			continue;
		}
		if (expect[i] == EXPECT_KNOWN) { /* an open finding: a skip with its reason */
			if (caught) {
				printf("  skipped: %s is a known, open violation (docs/simulator.md, "
				       "findings)\n", mut_names[i]);
				skipped++;
			} else {
				passed++;
			}
			continue;
		}
		caught ? passed++ : failed++;
	}
	printf("mutations checked in %.1f s\n", now_s() - t0);
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
