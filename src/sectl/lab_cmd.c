/* lab_cmd.c — `sectl lab start` and `sectl lab kill` of one unit of a lab (lab.h): what
 * `make demo`, the benchmarks and the tests use to stop a unit the hard way and bring it
 * back as a new incarnation, always by the PID recorded in DIR/lab.json. */
#include "sectl/lab.h"

#include "lib/clock.h"
#include "sectl/sectl.h"

#include <errno.h>
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

/* --dir DIR and one UNIT (any order); --signal for kill (sig == NULL: not accepted). */
static int parse(int argc, char **argv, const char **ret_dir, const char **ret_unit,
		 const char **sig)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'}, {"signal", required_argument, NULL, 's'}, {0}};
	int ch;

	*ret_dir = *ret_unit = NULL;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'd')
			*ret_dir = optarg;
		else if (ch == 's' && sig)
			*sig = optarg;
		else
			return lab_usage_error("%s", "bad option");
	}
	if (optind < argc)
		*ret_unit = argv[optind++];
	if (optind < argc)
		return lab_usage_error("unexpected argument '%s'", argv[optind]);
	if (!*ret_dir)
		return lab_usage_error("%s needs --dir DIR", argv[0]);
	if (!*ret_unit)
		return lab_usage_error("%s needs a UNIT (e.g. mu1)", argv[0]);
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
	char secd[LAB_PATH_MAX];
	struct sec_err err = {0};
	struct lab *lab = lab_new();
	struct lab_view v;
	int i = -1, lockfd = -1, rc = SECTL_EXIT_FAIL, r;

	if (!lab)
		return fail("out of memory");
	if ((r = parse(argc, argv, &dir_arg, &name, NULL)) != 0) {
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
	if (lab_unit_running(u)) {
		sec_errf(&err, -EBUSY,
			 "unit '%s' runs already (pid %d); stop it first, e.g. "
			 "'sectl lab kill --dir %s %s'",
			 u->name, (int)u->pid, lab->dir, u->name);
		goto out;
	}
	lab_observe(lab, &v);
	if (lab_find_secd(secd, &err) < 0 || lab_unit_start(lab, u, secd, &err) < 0 ||
	    lab_state_write(lab, &err) < 0) /* recorded at once: `down` stops it */
		goto out;
	close(lockfd);
	lockfd = -1;
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

/* After KILL or TERM: until the unit no longer runs, or KILL_WAIT_S. */
static bool kill_wait_gone(const struct lab_unit *u)
{
	uint64_t deadline = clock_monotonic_ns() + KILL_WAIT_S * NSEC_PER_SEC;

	while (lab_unit_running(u)) {
		if (clock_monotonic_ns() >= deadline)
			return false;
		sleep_poll();
	}
	return true;
}

int lab_cmd_kill(int argc, char **argv)
{
	const char *dir_arg, *name, *sig_arg = "KILL";
	struct sec_err err = {0};
	struct lab *lab = lab_new();
	int i, sig, r;

	if (!lab)
		return fail("out of memory");
	if ((r = parse(argc, argv, &dir_arg, &name, &sig_arg)) != 0)
		goto out_free;
	if (signal_parse(sig_arg, &sig) < 0) {
		r = lab_usage_error("--signal '%s': one of KILL, TERM, STOP, CONT, HUP", sig_arg);
		goto out_free;
	}
	if (load(dir_arg, name, lab, &i, &err) < 0) {
		r = fail(err.msg);
		goto out_free;
	}
	const struct lab_unit *u = &lab->units[i];
	if (!lab_unit_running(u)) {
		snprintf(err.msg, sizeof(err.msg), "unit '%s' is not running (recorded pid %d)",
			 u->name, (int)u->pid);
		r = fail(err.msg);
		goto out_free;
	}
	if (kill(u->pid, sig) < 0) {
		snprintf(err.msg, sizeof(err.msg), "cannot signal unit '%s' (pid %d): %s", u->name,
			 (int)u->pid, strerror(errno));
		r = fail(err.msg);
		goto out_free;
	}
	r = SECTL_EXIT_OK;
	if ((sig == SIGKILL || sig == SIGTERM) && !kill_wait_gone(u)) {
		fprintf(stderr,
			"sectl lab: sent SIG%s to %s (pid %d); it still runs after %d s%s\n",
			sigabbrev_np(sig), u->name, (int)u->pid, KILL_WAIT_S,
			sig == SIGTERM ? " (stopped? send CONT)" : "");
		r = SECTL_EXIT_FAIL;
	} else if (sig == SIGKILL || sig == SIGTERM) {
		printf("%s %s (pid %d) with SIG%s\n", sig == SIGKILL ? "killed" : "stopped",
		       u->name, (int)u->pid, sigabbrev_np(sig));
	} else {
		printf("sent SIG%s to %s (pid %d)\n", sigabbrev_np(sig), u->name, (int)u->pid);
	}
out_free:
	lab_free(lab);
	return r;
}
