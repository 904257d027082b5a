/* lab.c — `sectl lab up|status|down` (issue 3 "The local lab"; testing.md "Lab";
 * architecture.md §2): a whole cluster on one machine, how newcomers and the tests meet
 * the product. The pieces are in lab.h; this file is up, status and down (add-server:
 * lab_add.c; start and kill of one unit: lab_cmd.c).
 * Exit status: 0 ok, 1 the operation failed (the reason on stderr), 2 usage. */
#include "sectl/lab.h"

#include "auth/password.h"
#include "lib/clock.h"
#include "sectl/sectl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_POLL_MS 100
#define TAIL_LINES 15

static const char lab_usage[] =
	"usage: sectl lab up --dir DIR [--servers N] [--mus-per-server M] [--sus-per-server K]\n"
	"                    [--profile test|lab] [--base-port P] [--netns] [--faults]\n"
	"                    [--sim-units S] [--guest-image PATH] [--no-guard] [--su-cluster]\n"
	"                    [--su-type x86|390]\n"
	"       sectl lab status --dir DIR [--json]\n"
	"       sectl lab down --dir DIR\n"
	"       sectl lab add-server --dir DIR [--mus M] [--sus K]\n"
	"       sectl lab start --dir DIR UNIT\n"
	"       sectl lab kill --dir DIR UNIT [--signal KILL|TERM|STOP|CONT|HUP]\n"
	"                          [--only secd,guard,fakewd,qemu]\n";

static volatile sig_atomic_t interrupted;

static int usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("lab", lab_usage, fmt, arg);
}

static int fail(const char *msg)
{
	fprintf(stderr, "sectl lab: %s\n", msg);
	return SECTL_EXIT_FAIL;
}

/* DIR as an absolute path without a trailing '/' (DIR need not exist yet; lab.h). */
int lab_absolute_dir(const char *arg, char out[LAB_DIR_MAX], struct sec_err *err)
{
	char cwd[PATH_MAX];
	size_t n;

	if (arg[0] == '/')
		n = (size_t)snprintf(out, LAB_DIR_MAX, "%s", arg);
	else if (!getcwd(cwd, sizeof(cwd)))
		return sec_errf(err, -errno, "cannot get the current directory: %s", strerror(errno));
	else
		n = (size_t)snprintf(out, LAB_DIR_MAX, "%s/%s", cwd, arg);
	if (n >= LAB_DIR_MAX)
		return sec_errf(err, -ENAMETOOLONG, "lab directory '%s' is too long", arg);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	if (strchr(out, ','))
		return sec_errf(err, -EINVAL, "lab directory '%s': a ',' cannot be in a secd "
				"configuration's list of CRD disks", out);
	return 0;
}

/* An exclusive flock on DIR for the whole command: one `up`, `down` or `add-server` at a
 * time (lab.h). */
int lab_lock_dir(const char *dir, struct sec_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return sec_errf(err, -errno, "cannot open '%s': %s", dir, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return sec_errf(err, -EBUSY, "another 'sectl lab' works on '%s'", dir);
	}
	return fd;
}

/* ---- up ---- */

struct up_opts {
	struct lab_opts lab;
	const char *dir_arg;
	char dir[LAB_DIR_MAX];
	bool su_cluster; /* --su-cluster: SU Cluster SUC1 after up (lab_suc.c) */
};

/* A number min..max for option --name into *ret; else a usage error. */
static int parse_count(const char *name, const char *arg, int min, int max, int *ret)
{
	char *end, msg[160];
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		snprintf(msg, sizeof(msg), "--%s '%.32s' is not a number in %d..%d", name, arg, min,
			 max);
		return usage_error("%s", msg);
	}
	*ret = (int)v;
	return 0;
}

static int up_parse(int argc, char **argv, struct up_opts *o)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"servers", required_argument, NULL, 's'},
					     {"mus-per-server", required_argument, NULL, 'm'},
					     {"sus-per-server", required_argument, NULL, 'k'},
					     {"profile", required_argument, NULL, 'p'},
					     {"base-port", required_argument, NULL, 'b'},
					     {"netns", no_argument, NULL, 'n'},
					     {"faults", no_argument, NULL, 'f'},
					     {"sim-units", required_argument, NULL, 'S'},
					     {"guest-image", required_argument, NULL, 'g'},
					     {"no-guard", no_argument, NULL, 'G'},
					     {"su-cluster", no_argument, NULL, 'C'},
					     {"su-type", required_argument, NULL, 'T'},
					     {0}};
	int ch, port = 0;

	o->lab = (struct lab_opts){.servers = 2, .mus_per_server = 2, .sus_per_server = 0,
				   .profile = CRD_PROFILE_LAB};
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = 0;
		switch (ch) {
		case 'd': o->dir_arg = optarg; break;
		case 's':
			r = parse_count("servers", optarg, 1, LAB_SERVERS_MAX, &o->lab.servers);
			break;
		case 'm':
			r = parse_count("mus-per-server", optarg, 1, LAB_MUS_PER_SERVER_MAX,
					&o->lab.mus_per_server);
			break;
		case 'k':
			r = parse_count("sus-per-server", optarg, 0, LAB_SUS_PER_SERVER_MAX,
					&o->lab.sus_per_server);
			break;
		case 'b':
			r = parse_count("base-port", optarg, 1, 65536 - LAB_PORT_SPAN, &port);
			o->lab.base_port = (unsigned)port;
			break;
		case 'p':
			if (!strcmp(optarg, "test"))
				o->lab.profile = CRD_PROFILE_TEST;
			else if (!strcmp(optarg, "lab"))
				o->lab.profile = CRD_PROFILE_LAB;
			else
				return usage_error("unknown profile '%s' (test or lab)", optarg);
			break;
		case 'n': o->lab.netns = true; break;
		case 'f': o->lab.faults = true; break;
		case 'g': o->lab.guest_image = optarg; break;
		case 'G': o->lab.no_guard = true; break;
		case 'C': o->su_cluster = true; break;
		case 'T':
			if (strcmp(optarg, "x86") && strcmp(optarg, "390"))
				return usage_error("unknown SU type '%s' (x86 or 390)", optarg);
			o->lab.su390 = !strcmp(optarg, "390");
			break;
		case 'S':
			r = parse_count("sim-units", optarg, 0, LAB_SIM_UNITS_MAX,
					&o->lab.sim_units);
			break;
		default: return usage_error("%s", "bad option");
		}
		if (r)
			return r;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->dir_arg)
		return usage_error("%s", "up needs --dir DIR");
	return 0;
}

/* The units of a lab.json in dir that still run, as "mu1 (pid 12), ..."; 0 when none. */
static int running_units(const char *dir, char *buf, size_t size)
{
	struct lab *old = lab_new();
	struct sec_err err;
	int n = 0;
	size_t len = 0;

	buf[0] = '\0';
	if (old && lab_state_read(dir, old, &err) == 0)
		for (int i = 0; i < old->n_units; i++)
			if (lab_unit_running(&old->units[i]) && len < size)
				len += (size_t)snprintf(buf + len, size - len, "%s%s (pid %d)",
							n++ ? ", " : "", old->units[i].name,
							(int)old->units[i].pid);
	lab_free(old);
	return n;
}

/* True when dir holds nothing but "." and "..". */
static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* DIR must hold no lab and nothing else: creates it (0700) when missing, locks it, then
 * checks (under the lock: a concurrent up cannot slip in). Returns the lock fd;
 * *ret_created when this call made DIR. */
static int up_prepare_dir(const char *dir, bool *ret_created, struct sec_err *err)
{
	char running[512], path[LAB_PATH_MAX];
	struct stat st;
	int fd, r = 0;

	*ret_created = mkdir(dir, 0700) == 0;
	if (!*ret_created && errno != EEXIST)
		return sec_errf(err, -errno, "cannot create '%s': %s", dir, strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return sec_errf(err, -ENOTDIR, "'%s' is not a directory", dir);
	if ((fd = lab_lock_dir(dir, err)) < 0)
		return fd;
	snprintf(path, sizeof(path), "%s/lab.json", dir);
	if (running_units(dir, running, sizeof(running)))
		r = sec_errf(err, -EBUSY, "'%s' holds a running lab: %s; stop it with 'sectl lab "
			     "down --dir %s'", dir, running, dir);
	else if (access(path, F_OK) == 0)
		r = sec_errf(err, -EEXIST, "'%s' holds a stopped lab (its files and logs); remove "
			     "it or choose another --dir", dir);
	else if (!dir_empty(dir))
		r = sec_errf(err, -ENOTEMPTY, "'%s' is not empty: the lab needs a new or empty "
			     "directory", dir);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* A failure before any secd ran: nothing in DIR is evidence. */
static void up_remove_dir(const char *dir, bool created)
{
	if (created)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/* A unit that has ended: our child, reaped here with its status, or no longer secd. */
static bool unit_ended(struct lab_unit *u, char *how, size_t size)
{
	int st;
	pid_t r = waitpid(u->pid, &st, WNOHANG);

	if (r == 0) /* our child, not ended */
		return false;
	if (r == u->pid) {
		if (WIFEXITED(st))
			snprintf(how, size, "exited with status %d", WEXITSTATUS(st));
		else
			snprintf(how, size, "was killed by signal %d", WTERMSIG(st));
		return true;
	}
	if (!lab_unit_running(u)) {
		snprintf(how, size, "is gone");
		return true;
	}
	return false;
}

/* Polls until a Master MU is elected and every unit has started (its slot RUNNING), a
 * unit ends, or the deadline. Prints why on failure. */
static int up_wait(struct lab *lab, struct lab_view *v)
{
	unsigned limit_s = lab->profile == CRD_PROFILE_TEST ? 15 : 30;
	uint64_t deadline = clock_monotonic_ns() + limit_s * NSEC_PER_SEC;
	struct timespec ts = {.tv_nsec = WAIT_POLL_MS * 1000000L};
	char how[64];
	bool all;

	for (;;) {
		for (int i = 0; i < lab->n_units; i++)
			if (!lab->units[i].sim && unit_ended(&lab->units[i], how, sizeof(how))) {
				fprintf(stderr, "sectl lab: unit '%s' (pid %d) %s; the end of %s:\n",
					lab->units[i].name, (int)lab->units[i].pid, how,
					lab->units[i].log);
				lab_print_tail(lab->units[i].log, TAIL_LINES, stderr);
				return -ECHILD;
			}
		lab_observe(lab, v);
		all = v->master >= 0;
		for (int i = 0; i < lab->n_units; i++)
			all &= v->alive[i] || lab->units[i].sim;
		if (all)
			return 0;
		if (interrupted) {
			fprintf(stderr, "sectl lab: interrupted\n");
			return -EINTR;
		}
		if (clock_monotonic_ns() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "sectl lab: no complete lab after %u s (timing profile %s):\n", limit_s,
		crd_profile_to_string(lab->profile));
	if (v->read_err)
		fprintf(stderr, "  neither external CRD disk could be read\n");
	fprintf(stderr, "  Master MU: %s\n", v->master >= 0 ? lab->units[v->master].name
							    : "none elected");
	for (int i = 0; i < lab->n_units; i++)
		if (!v->alive[i] && !lab->units[i].sim) {
			fprintf(stderr, "  unit '%s': no alive message on the CRD yet; the end of "
					"%s:\n", lab->units[i].name, lab->units[i].log);
			lab_print_tail(lab->units[i].log, 5, stderr);
		}
	return -ETIMEDOUT;
}

static int up_start(struct lab *lab, const struct lab_bins *bins, struct sec_err *err)
{
	int r;

	for (int i = 0; i < lab->n_units; i++) {
		if (lab->units[i].sim)
			continue;
		r = lab_unit_start_all(lab, &lab->units[i], bins, err);
		if (r < 0) {
			lab_state_write(lab, NULL);
			return r;
		}
		/* recorded at once: `down` can stop what was started, even after a crash */
		if ((r = lab_state_write(lab, err)) < 0)
			return r;
	}
	return 0;
}

/* "-" (MU, --no-guard), "12345" or, with running_col, "12345 no" / "12345 3 QEMU". */
static const char *guard_cell(const struct lab *lab, const struct lab_unit *u, bool running_col,
			      char *buf, size_t size)
{
	pid_t q[64];

	if (u->mu || lab->no_guard || !u->guard_pid)
		return "-";
	if (!running_col)
		snprintf(buf, size, "%d", (int)u->guard_pid);
	else if (!lab_guard_running(u))
		snprintf(buf, size, "%d no", (int)u->guard_pid);
	else
		snprintf(buf, size, "%d, %d QEMU", (int)u->guard_pid, lab_qemu_pids(u, q, 64));
	return buf;
}

static void print_units(const struct lab *lab, const struct lab_view *v, bool running_col)
{
	char server[16], guard[48];

	printf("  %-6s %-4s %-9s %-8s %s%-13s %s\n", "Unit", "Role", "Server", "PID",
	       running_col ? "Running  " : "", "Guard", "API");
	for (int i = 0; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		if (u->sim)
			continue;
		printf("  %-6s %-4s %-9s %-8d %s%-13s %s%s\n", u->name, u->mu ? "MU" : "SU",
		       lab_server_name(u->server, server), (int)u->pid,
		       running_col ? (lab_unit_running(u) ? "yes      " : "no       ") : "",
		       guard_cell(lab, u, running_col, guard, sizeof(guard)), u->api,
		       v->master == i ? "  (Master MU)" : "");
	}
	if (lab->sim_units)
		printf("  and %d simulated units sim1..sim%d (SU, no secd): heartbeat on %s..%s, "
		       "answered by bench/hb-sim --lab %s\n", lab->sim_units, lab->sim_units,
		       lab->units[lab->n_units - lab->sim_units].heartbeat,
		       lab->units[lab->n_units - 1].heartbeat, lab->dir);
}

static void up_summary(const struct lab *lab, const struct lab_view *v, const char *pw)
{
	const struct lab_unit *m = &lab->units[v->master];
	char server[16];
	int n_mu = 0, n_su;

	for (int i = 0; i < lab->n_units; i++)
		n_mu += lab->units[i].mu;
	n_su = lab->n_units - lab->sim_units - n_mu;
	printf("lab up in %s: %d SE Server%s, %d MU%s, %d SU%s, timing profile %s%s\n", lab->dir,
	       lab->n_servers, lab->n_servers == 1 ? "" : "s", n_mu, n_mu == 1 ? "" : "s",
	       n_su, n_su == 1 ? "" : "s",
	       crd_profile_to_string(lab->profile), lab->netns.on ? ", one network namespace "
								     "per SE Server" : "");
	printf("Master MU: %s (%s, unit %u, term %llu)\n", m->name,
	       lab_server_name(m->server, server), m->unit_id, (unsigned long long)v->term);
	print_units(lab, v, false);
	printf("account 'admin', password %s (also in %s/admin.password)\n", pw, lab->dir);
	printf("next:\n"
	       "  export SECTL_CONFIG=%s/sectl.conf\n"
	       "  sectl login --password-file %s/admin.password\n"
	       "  sectl cluster status\n"
	       "  sectl lab down --dir %s\n", lab->dir, lab->dir, lab->dir);
}

/* After processes started: stop them, undo the namespaces; files stay (evidence). */
static int up_abort(struct lab *lab, const char *msg)
{
	if (msg)
		fprintf(stderr, "sectl lab: %s\n", msg);
	lab_units_stop(lab, stderr);
	lab_guards_stop(lab, stderr);
	lab_netns_down(lab, stderr);
	fprintf(stderr, "sectl lab: up failed; nothing of the lab runs; its files and logs "
			"stay in %s\n", lab->dir);
	return SECTL_EXIT_FAIL;
}

static int cmd_up(int argc, char **argv)
{
	struct up_opts o = {0};
	struct sec_err err = {0};
	struct lab *lab = NULL;
	struct lab_view v;
	struct lab_bins bins;
	char pw[LAB_PASSWORD_LEN + 1] = "";
	bool created = false;
	int lockfd = -1, rc = SECTL_EXIT_FAIL, r;

	if ((r = up_parse(argc, argv, &o)) != 0)
		return r;
	if (lab_absolute_dir(o.dir_arg, o.dir, &err) < 0)
		return fail(err.msg);
	if (!(lab = lab_new()))
		return fail("out of memory");
	if ((lockfd = up_prepare_dir(o.dir, &created, &err)) < 0)
		goto out;
	o.lab.dir = o.dir;
	if (lab_password_generate(pw) < 0)
		sec_errf(&err, -EIO, "cannot initialise libsodium");
	if (!pw[0] || lab_plan(lab, &o.lab, &err) < 0 ||
	    (o.su_cluster && lab_su_cluster_pick(lab, &(int){0}, &(int){0}, &err) < 0) ||
	    lab_find_bins(lab, &bins, &err) < 0 ||
	    (lab->sus_per_server && lab_find_guest_image(lab, o.lab.guest_image, &err) < 0) ||
	    lab_setup_files(lab, pw, &err) < 0 ||
	    (lab->netns.on && lab_netns_up(lab, &err) < 0)) {
		up_remove_dir(o.dir, created);
		goto out;
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	printf("starting %d units (secd) in %s ...\n", lab->n_units - lab->sim_units, lab->dir);
	fflush(stdout);
	if (lab->sus_per_server && !lab->guest_image[0])
		printf("note: no demo guest image (%s in the build directory; build guest/ or give "
		       "--guest-image PATH): A000 is an empty placeholder that boots nothing\n",
		       LAB_GUEST_IMAGE);
	if (up_start(lab, &bins, &err) < 0) {
		rc = up_abort(lab, err.msg);
		goto out_nomsg;
	}
	if (up_wait(lab, &v) < 0) {
		rc = up_abort(lab, NULL);
		goto out_nomsg;
	}
	if (lab_write_sectl_conf(lab, &err) < 0 ||
	    (o.su_cluster && lab_su_cluster_up(lab, &err) < 0)) {
		rc = up_abort(lab, err.msg);
		goto out_nomsg;
	}
	up_summary(lab, &v, pw);
	rc = SECTL_EXIT_OK;
	goto out_nomsg;
out:
	fail(err.msg);
out_nomsg:
	auth_password_wipe(pw, sizeof(pw));
	if (lockfd >= 0)
		close(lockfd);
	lab_free(lab);
	return rc;
}

/* ---- status ---- */

/* An SU's guard, fake watchdog and QEMUs in `lab status --json`. */
static json_t *guard_json(const struct lab *lab, const struct lab_unit *u)
{
	pid_t q[64];
	int n = lab_qemu_pids(u, q, 64);
	json_t *qemu = json_array();
	char sock[LAB_PATH_MAX];

	for (int i = 0; i < n; i++)
		json_array_append_new(qemu, json_integer(q[i]));
	return json_pack("{s:b, s:I, s:b, s:I, s:b, s:s, s:o}", "enabled", !lab->no_guard, "pid",
			 (json_int_t)u->guard_pid, "running", lab_guard_running(u), "fakewd_pid",
			 (json_int_t)u->fakewd_pid, "fakewd_running", lab_fakewd_running(u),
			 "socket", lab_su_guard_socket(lab, u, sock), "qemu_pids", qemu);
}

static int status_json(const struct lab *lab, const struct lab_view *v)
{
	json_t *j = json_object(), *units = json_array();
	char server[16];
	int r;

	json_object_set_new(j, "dir", json_string(lab->dir));
	json_object_set_new(j, "master_mu", v->master >= 0 ? json_string(lab->units[v->master].name)
							   : json_null());
	for (int i = 0; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:s, s:s}", "name",
				      u->name, "role", u->mu ? "MU" : "SU", "server",
				      lab_server_name(u->server, server), "unit_id",
				      (json_int_t)u->unit_id, "pid", (json_int_t)u->pid, "running",
				      lab_unit_running(u), "api", u->api, "heartbeat",
				      u->heartbeat, "log", u->log);
		if (o && u->sim)
			json_object_set_new(o, "simulated", json_true());
		if (o && !u->mu && !u->sim)
			json_object_set_new(o, "guard", guard_json(lab, u));
		json_array_append_new(units, o);
	}
	json_object_set_new(j, "units", units);
	r = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (r < 0)
		return fail("cannot write JSON");
	putchar('\n');
	return SECTL_EXIT_OK;
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"json", no_argument, NULL, 'j'},
					     {0}};
	const char *dir_arg = NULL;
	char dir[LAB_DIR_MAX];
	struct sec_err err = {0};
	struct lab *lab;
	struct lab_view v;
	bool json = false;
	int ch, rc, running = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'd')
			dir_arg = optarg;
		else if (ch == 'j')
			json = true;
		else
			return usage_error("%s", "bad option");
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!dir_arg)
		return usage_error("%s", "status needs --dir DIR");
	if (lab_absolute_dir(dir_arg, dir, &err) < 0)
		return fail(err.msg);
	if (!(lab = lab_new()))
		return fail("out of memory");
	if (lab_state_read(dir, lab, &err) < 0) {
		lab_free(lab);
		return fail(err.msg);
	}
	lab_observe(lab, &v);
	if (json) {
		rc = status_json(lab, &v);
	} else {
		for (int i = 0; i < lab->n_units; i++)
			running += lab_unit_running(&lab->units[i]);
		printf("lab in %s: %d of %d units running, timing profile %s\n", lab->dir, running,
		       lab->n_units - lab->sim_units, crd_profile_to_string(lab->profile));
		if (v.master >= 0)
			printf("Master MU: %s (term %llu)\n", lab->units[v.master].name,
			       (unsigned long long)v.term);
		else
			printf("Master MU: none\n");
		print_units(lab, &v, true);
		rc = SECTL_EXIT_OK;
	}
	lab_free(lab);
	return rc;
}

/* ---- down ---- */

static int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'}, {0}};
	const char *dir_arg = NULL;
	char dir[LAB_DIR_MAX];
	struct sec_err err = {0};
	struct lab *lab;
	int ch, lockfd, n;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'd')
			return usage_error("%s", "bad option");
		dir_arg = optarg;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!dir_arg)
		return usage_error("%s", "down needs --dir DIR");
	if (lab_absolute_dir(dir_arg, dir, &err) < 0 || (lockfd = lab_lock_dir(dir, &err)) < 0)
		return fail(err.msg);
	if (!(lab = lab_new())) {
		close(lockfd);
		return fail("out of memory");
	}
	if (lab_state_read(dir, lab, &err) < 0) {
		close(lockfd);
		lab_free(lab);
		return fail(err.msg);
	}
	n = lab_units_stop(lab, stdout);
	n += lab_guards_stop(lab, stdout);
	lab_netns_down(lab, stdout);
	if (!n)
		printf("no unit of the lab in %s was running\n", dir);
	else
		printf("lab in %s stopped; its files and logs stay\n", dir);
	close(lockfd);
	lab_free(lab);
	return SECTL_EXIT_OK;
}

int sectl_lab_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {
		{"up", cmd_up, true},
		{"status", cmd_status, true},
		{"down", cmd_down, true},
		{"add-server", lab_cmd_add_server, true},
		{"start", lab_cmd_start, false},
		{"kill", lab_cmd_kill, false},
	};

	return sectl_dispatch("lab", lab_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
