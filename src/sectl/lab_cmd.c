/* lab_cmd.c — `sectl lab start` and `sectl lab kill` of one unit of a lab (lab.h): what
 * `make demo`, the benchmarks and the tests use to stop a unit the hard way and bring it
 * back as a new incarnation, always by the PID recorded in DIR/lab.json. */
#include "sectl/lab.h"

#include "lib/clock.h"
#include "lib/proccpu.h"
#include "sectl/sectl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS	    50
#define KILL_WAIT_S 10
#define TAIL_LINES  15

static int fail(const char *msg)
{
	fprintf(stderr, "sectl lab: %s\n", msg);
	return SECTL_EXIT_FAIL;
}

static void sleep_poll(void)
{
	struct timespec ts = {.tv_nsec = POLL_MS * 1000000L};

	nanosleep(&ts, NULL);
}

static const char start_usage[] =
	"usage: sectl lab start --dir DIR UNIT\n"
	"starts the secd of UNIT (an SU: first its guard and fake watchdog when they do not run)\n"
	"as 'sectl lab up' did, records the new PIDs in DIR/lab.json and waits until its alive\n"
	"message with a new incarnation is on the CRD. Exit 0 started, 1 (no such unit, it runs\n"
	"already, it ended: the end of its log), 2 usage.\n";

static const char kill_usage[] =
	"usage: sectl lab kill --dir DIR UNIT [--signal KILL|TERM|STOP|CONT|HUP]\n"
	"                      [--only secd,guard,fakewd,qemu]\n"
	"simulates an outage of UNIT: sends the signal (default KILL: kill -9) to every process\n"
	"of the unit by the PID recorded in DIR/lab.json - an MU's secd; an SU's secd, the QEMUs\n"
	"its guard runs, the guard and the lab's fake watchdog - or, with --only, to those named.\n"
	"One line per process (\"killed the secd of su1 (pid N) with SIGKILL\"); after KILL or\n"
	"TERM it waits (10 s) until they have ended. 'sectl lab start' brings the unit back.\n"
	"Exit 0 (also when nothing of the unit runs: it says so), 1 (no such unit, an MU with\n"
	"--only guard|fakewd|qemu, a process still runs), 2 usage.\n";

/* 1 when argv asks for --help or -h (the usage is printed to stdout). */
static int want_help(int argc, char **argv, const char *usage)
{
	for (int k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			fputs(usage, stdout);
			return 1;
		}
	return 0;
}

/* --dir DIR and one UNIT (any order); --signal and --only for kill (sig == NULL: not
 * accepted). */
static int parse(int argc, char **argv, const char **ret_dir, const char **ret_unit,
		 const char **sig, const char **only)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"signal", required_argument, NULL, 's'},
					     {"only", required_argument, NULL, 'o'},
					     {0}};
	const char *usage = sig ? kill_usage : start_usage;
	int ch;

	*ret_dir = *ret_unit = NULL;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'd')
			*ret_dir = optarg;
		else if (ch == 's' && sig)
			*sig = optarg;
		else if (ch == 'o' && only)
			*only = optarg;
		else
			return sectl_usage_error("lab", usage, "%s", "bad option");
	}
	if (optind < argc)
		*ret_unit = argv[optind++];
	if (optind < argc)
		return sectl_usage_error("lab", usage, "unexpected argument '%s'", argv[optind]);
	if (!*ret_dir)
		return sectl_usage_error("lab", usage, "%s needs --dir DIR", argv[0]);
	if (!*ret_unit)
		return sectl_usage_error("lab", usage, "%s needs a UNIT (e.g. mu1)", argv[0]);
	return 0;
}

/* Reads the lab of dir_arg into lab and finds the unit; -errno with err. */
static int load(const char *dir_arg, const char *name, struct lab *lab, int *ret_i,
		struct sec_err *err)
{
	char dir[LAB_DIR_MAX];
	int r;

	if ((r = lab_absolute_dir(dir_arg, dir, err)) < 0 ||
	    (r = lab_state_read(dir, lab, err)) < 0)
		return r;
	for (int i = 0; i < lab->n_units; i++)
		if (!strcmp(lab->units[i].name, name)) {
			*ret_i = i;
			return 0;
		}
	return sec_errf(err, -ENOENT, "the lab in '%s' has no unit '%s'", lab->dir, name);
}

/* Waits until unit i's alive message is on the CRD with an incarnation other than old,
 * it ends (our child), or the deadline. */
static int start_wait(struct lab *lab, int i, uint64_t old)
{
	unsigned limit_s = lab->profile == CRD_PROFILE_TEST ? 15 : 30;
	uint64_t deadline = clock_monotonic_ns() + limit_s * NSEC_PER_SEC;
	struct lab_unit *u = &lab->units[i];
	struct lab_view v;
	int st;

	for (;;) {
		if (waitpid(u->pid, &st, WNOHANG) == u->pid) {
			fprintf(stderr,
				"sectl lab: unit '%s' (pid %d) ended (%s %d); the end of %s:\n",
				u->name, (int)u->pid, WIFEXITED(st) ? "exit status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), u->log);
			lab_print_tail(u->log, TAIL_LINES, stderr);
			return -ECHILD;
		}
		lab_observe(lab, &v);
		if (v.alive[i] && v.incarnation[i] != old)
			return 0;
		if (clock_monotonic_ns() >= deadline)
			break;
		sleep_poll();
	}
	fprintf(stderr,
		"sectl lab: unit '%s' (pid %d) wrote no new alive message in %u s; it "
		"keeps running; the end of %s:\n",
		u->name, (int)u->pid, limit_s, u->log);
	lab_print_tail(u->log, 5, stderr);
	return -ETIMEDOUT;
}

int lab_cmd_start(int argc, char **argv)
{
	const char *dir_arg, *name;
	struct lab_bins bins;
	struct sec_err err = {0};
	struct lab *lab = lab_new();
	struct lab_view v;
	int i = -1, lockfd = -1, rc = SECTL_EXIT_FAIL, r;

	if (want_help(argc, argv, start_usage))
		return SECTL_EXIT_OK;
	if (!lab)
		return fail("out of memory");
	if ((r = parse(argc, argv, &dir_arg, &name, NULL, NULL)) != 0) {
		lab_free(lab);
		return r;
	}
	if (load(dir_arg, name, lab, &i, &err) < 0 || (lockfd = lab_lock_dir(lab->dir, &err)) < 0)
		goto out;
	/* again under the lock: a concurrent start or down may have changed lab.json */
	if (load(lab->dir, name, lab, &i, &err) < 0)
		goto out;
	struct lab_unit *u = &lab->units[i];
	if (u->sim) {
		sec_errf(&err, -EINVAL,
			 "unit '%s' is simulated (no secd; bench/hb-sim answers "
			 "its heartbeat)",
			 u->name);
		goto out;
	}
	/* an SU's secd that runs while its guard or fake watchdog is gone: start those only */
	bool secd_runs = lab_unit_running(u);
	bool helpers_gone = !u->mu && !lab->no_guard && (!lab_guard_running(u) ||
						     !lab_fakewd_running(u));
	if (secd_runs && !helpers_gone) {
		sec_errf(&err, -EBUSY,
			 "unit '%s' runs already (pid %d); stop it first, e.g. "
			 "'sectl lab kill --dir %s %s'",
			 u->name, (int)u->pid, lab->dir, u->name);
		goto out;
	}
	lab_observe(lab, &v);
	if (lab_find_bins(lab, &bins, &err) < 0)
		goto out;
	r = lab_unit_start_all(lab, u, &bins, &err);
	if (lab_state_write(lab, r < 0 ? NULL : &err) < 0 || r < 0) /* at once: `down` stops it */
		goto out;
	close(lockfd);
	lockfd = -1;
	if (secd_runs) {
		printf("started the guard of %s (pid %d) and its fake watchdog (pid %d); its secd "
		       "(pid %d) runs already\n", u->name, (int)u->guard_pid, (int)u->fakewd_pid,
		       (int)u->pid);
		rc = SECTL_EXIT_OK;
		goto out_nomsg;
	}
	if (start_wait(lab, i, v.alive[i] ? v.incarnation[i] : 0) == 0) {
		printf("started %s (pid %d)\n", u->name, (int)u->pid);
		rc = SECTL_EXIT_OK;
	}
	goto out_nomsg;
out:
	fail(err.msg);
out_nomsg:
	if (lockfd >= 0)
		close(lockfd);
	lab_free(lab);
	return rc;
}

/* KILL, TERM, STOP, CONT or HUP (reload; also with "SIG", any case) into *ret; -EINVAL
 * otherwise. */
static int signal_parse(const char *s, int *ret)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"STOP", SIGSTOP},
		    {"CONT", SIGCONT}, {"HUP", SIGHUP}};

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
		if (!strcasecmp(s, sigs[k].name)) {
			*ret = sigs[k].sig;
			return 0;
		}
	return -EINVAL;
}

/* The processes of a unit `kill --only` chooses from. */
enum kill_what { KILL_SECD = 1, KILL_GUARD = 2, KILL_FAKEWD = 4, KILL_QEMU = 8, KILL_ALL = 15 };

/* "secd,guard,fakewd,qemu" (any of them, comma-separated) into *ret; -EINVAL otherwise. */
static int only_parse(const char *s, unsigned *ret)
{
	static const struct {
		const char *name;
		unsigned bit;
	} kinds[] = {{"secd", KILL_SECD}, {"guard", KILL_GUARD}, {"fakewd", KILL_FAKEWD},
		     {"qemu", KILL_QEMU}};
	char buf[128], *save = NULL;
	size_t k;

	*ret = 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(t, kinds[k].name); k++)
			;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return -EINVAL;
		*ret |= kinds[k].bit;
	}
	return *ret ? 0 : -EINVAL;
}

/* One process to signal. */
struct target {
	pid_t pid;
	unsigned what;
	bool sent;
};

#define TARGETS_MAX 72

static const char *what_name(unsigned what)
{
	return what == KILL_SECD ? "secd" : what == KILL_GUARD ? "guard" :
	       what == KILL_FAKEWD ? "fake watchdog" : "QEMU";
}

/* True while t still runs as what it was (a QEMU: its /proc entry, not a zombie). */
static bool target_runs(const struct lab_unit *u, const struct target *t)
{
	switch (t->what) {
	case KILL_SECD: return lab_unit_running(u);
	case KILL_GUARD: return lab_guard_running(u);
	case KILL_FAKEWD: return lab_fakewd_running(u);
	}
	return proc_alive(t->pid);
}

/* After KILL or TERM: until no target runs, or KILL_WAIT_S. */
static bool kill_wait_gone(const struct lab_unit *u, const struct target *t, int n)
{
	uint64_t deadline = clock_monotonic_ns() + KILL_WAIT_S * NSEC_PER_SEC;
	bool any;

	for (;;) {
		any = false;
		for (int i = 0; i < n; i++)
			any |= t[i].sent && target_runs(u, &t[i]);
		if (!any)
			return true;
		if (clock_monotonic_ns() >= deadline)
			return false;
		sleep_poll();
	}
}

/* The running processes of u that `what` chooses; QEMUs before their guard is signalled. */
static int targets(const struct lab_unit *u, unsigned what, struct target *t)
{
	pid_t q[TARGETS_MAX - 3];
	int n = 0, nq;

	if ((what & KILL_SECD) && lab_unit_running(u))
		t[n++] = (struct target){u->pid, KILL_SECD, false};
	if (what & KILL_QEMU) {
		nq = lab_qemu_pids(u, q, TARGETS_MAX - 3);
		for (int i = 0; i < nq; i++)
			t[n++] = (struct target){q[i], KILL_QEMU, false};
	}
	if ((what & KILL_GUARD) && lab_guard_running(u))
		t[n++] = (struct target){u->guard_pid, KILL_GUARD, false};
	if ((what & KILL_FAKEWD) && lab_fakewd_running(u))
		t[n++] = (struct target){u->fakewd_pid, KILL_FAKEWD, false};
	return n;
}

int lab_cmd_kill(int argc, char **argv)
{
	const char *dir_arg, *name, *sig_arg = "KILL", *only_arg = NULL;
	struct sec_err err = {0};
	struct lab *lab = lab_new();
	struct target t[TARGETS_MAX];
	unsigned what = KILL_ALL;
	int i, sig, r, n, sent = 0;

	if (want_help(argc, argv, kill_usage))
		return SECTL_EXIT_OK;
	if (!lab)
		return fail("out of memory");
	if ((r = parse(argc, argv, &dir_arg, &name, &sig_arg, &only_arg)) != 0)
		goto out_free;
	if (signal_parse(sig_arg, &sig) < 0) {
		r = sectl_usage_error("lab", kill_usage,
				      "--signal '%s': one of KILL, TERM, STOP, CONT, HUP", sig_arg);
		goto out_free;
	}
	if (only_arg && only_parse(only_arg, &what) < 0) {
		r = sectl_usage_error("lab", kill_usage,
				      "--only '%s': any of secd, guard, fakewd, qemu "
				      "(comma-separated)", only_arg);
		goto out_free;
	}
	if (load(dir_arg, name, lab, &i, &err) < 0) {
		r = fail(err.msg);
		goto out_free;
	}
	const struct lab_unit *u = &lab->units[i];
	if ((u->mu || lab->no_guard) && only_arg && (what & ~(unsigned)KILL_SECD)) {
		snprintf(err.msg, sizeof(err.msg), "unit '%s' %s: it has no guard, fake watchdog "
			 "or QEMU", u->name, u->mu ? "is an MU" : "runs without a guard (--no-guard)");
		r = fail(err.msg);
		goto out_free;
	}
	if (!(n = targets(u, what, t))) { /* the outage is there already: say so, exit 0 */
		if (only_arg)
			printf("nothing to %s: none of --only %s runs for %s (recorded secd pid %d)\n",
			       sig == SIGKILL ? "kill" : "signal", only_arg, u->name, (int)u->pid);
		else
			printf("nothing to %s: nothing of %s runs (recorded secd pid %d)\n",
			       sig == SIGKILL ? "kill" : "signal", u->name, (int)u->pid);
		r = SECTL_EXIT_OK;
		goto out_free;
	}
	r = SECTL_EXIT_OK;
	for (int k = 0; k < n; k++) {
		if (kill(t[k].pid, sig) < 0) {
			fprintf(stderr, "sectl lab: cannot signal the %s of unit '%s' (pid %d): %s\n",
				what_name(t[k].what), u->name, (int)t[k].pid, strerror(errno));
			r = SECTL_EXIT_FAIL;
			continue;
		}
		t[k].sent = true;
		sent++;
	}
	if ((sig == SIGKILL || sig == SIGTERM) && sent && !kill_wait_gone(u, t, n)) {
		for (int k = 0; k < n; k++)
			if (t[k].sent && target_runs(u, &t[k]))
				fprintf(stderr, "sectl lab: sent SIG%s to the %s of %s (pid %d); it still "
					"runs after %d s%s\n", sigabbrev_np(sig), what_name(t[k].what),
					u->name, (int)t[k].pid, KILL_WAIT_S,
					sig == SIGTERM ? " (stopped? send CONT)" : "");
		r = SECTL_EXIT_FAIL;
	} else {
		for (int k = 0; k < n; k++) {
			if (!t[k].sent)
				continue;
			if (sig == SIGKILL || sig == SIGTERM) /* it has ended (kill_wait_gone) */
				printf("%s the %s of %s (pid %d) with SIG%s\n",
				       sig == SIGKILL ? "killed" : "ended", what_name(t[k].what),
				       u->name, (int)t[k].pid, sigabbrev_np(sig));
			else
				printf("sent SIG%s to the %s of %s (pid %d)\n", sigabbrev_np(sig),
				       what_name(t[k].what), u->name, (int)t[k].pid);
		}
	}
out_free:
	lab_free(lab);
	return r;
}
