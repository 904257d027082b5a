/* lab_su.c — what an SU of the lab has beyond an MU (issue 4 "API and CLI", the lab bullet;
 * crd.md §4 "Fencing layers"; shared I/O configuration of docs/su.md): the devices of its
 * I/O configuration, its [su] configuration, and the two processes started before its
 * secd — the lab's fake watchdog (sec-fakewd) and the SU's sec-guard, which owns the
 * guests' QEMU processes.
 *
 * Every SU of a lab has the same I/O configuration: disks A000..A00F backed by files in
 * DIR/disks/ shared by all SUs (A000 the demo guest's image, A001 its marker disk), tape T0
 * (DIR/tapes/T0.img, shared) and local disk L0 (DIR/units/NAME/L0.img, one per SU). Files
 * are sparse: 16 disks of 64 MiB cost nothing until written. */
#include "sectl/lab.h"

#include "crd/timing.h"
#include "lib/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOCKET_WAIT_MS 10000 /* a started guard or fake watchdog has its socket by then */
#define STOP_TERM_MS   10000
#define STOP_KILL_MS   5000
#define POLL_MS	       20

/* ---- the programs ---- */

static bool executable(const char *path)
{
	struct stat st;

	return access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* $env, else DIR/../guard/NAME (build tree), else DIR/../sbin/NAME (installed: make
 * install puts sec-guard there), else DIR/NAME (DIR = sectl's). */
static int find_prog(const char *name, const char *what, const char *env, char buf[LAB_PATH_MAX],
		     struct sec_err *err)
{
	static const char *const where[] = {"%s/../guard/%s", "%s/../sbin/%s", "%s/%s"};
	char self[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 64];
	const char *e = getenv(env);
	ssize_t n;

	if (e && *e) {
		if (!executable(e) || strlen(e) >= LAB_PATH_MAX)
			return sec_errf(err, -ENOENT, "%s '%s' is not an executable file", env, e);
		memcpy(buf, e, strlen(e) + 1);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return sec_errf(err, -errno, "cannot read /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", dirname(self));
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), where[i], dir, name);
		if (strlen(path) < LAB_PATH_MAX && executable(path)) {
			memcpy(buf, path, strlen(path) + 1);
			return 0;
		}
	}
	return sec_errf(err, -ENOENT,
			"cannot find %s (%s, src/guard): not in "
			"%s/../guard/, %s/../sbin/ nor in %s/; build it, set %s to its path, or "
			"run the SUs without guests: 'sectl lab up --no-guard'",
			name, what, dir, dir, dir, env);
}

int lab_find_bins(const struct lab *lab, struct lab_bins *b, struct sec_err *err)
{
	bool su = false;
	int r;

	memset(b, 0, sizeof(*b));
	for (int i = 0; i < lab->n_units; i++)
		su |= !lab->units[i].mu && !lab->units[i].sim;
	if ((r = lab_find_secd(b->secd, err)) < 0)
		return r;
	if (!su || lab->no_guard)
		return 0;
	if ((r = find_prog("sec-guard", "the SUs' fencing guard", "SECLUSTER_GUARD", b->guard,
			   err)) < 0 ||
	    (r = find_prog("sec-fakewd", "the lab's fake watchdog", "SECLUSTER_FAKEWD", b->fakewd,
			   err)) < 0)
		return r;
	return 0;
}

static bool readable_file(const char *path)
{
	struct stat st;

	return access(path, R_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int lab_find_guest_image(struct lab *lab, const char *path, struct sec_err *err)
{
	char self[PATH_MAX], cand[PATH_MAX + 64];
	const char *e = getenv("SECLUSTER_GUEST_IMAGE");
	ssize_t n;

	lab->guest_image[0] = '\0';
	if (!path && e && *e)
		path = e;
	if (path) {
		if (!readable_file(path) || strlen(path) >= LAB_PATH_MAX)
			return sec_errf(err, -ENOENT,
					"guest image '%s' is not a readable file (build "
					"it: ninja -C build builds %s)",
					path, LAB_GUEST_IMAGE);
		snprintf(lab->guest_image, sizeof(lab->guest_image), "%s", path);
		return 0;
	}
	/* the build tree: BUILD/src/sectl/sectl -> BUILD/guest/secguest.elf */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return 0;
	self[n] = '\0';
	snprintf(cand, sizeof(cand), "%s/../../%s", dirname(self), LAB_GUEST_IMAGE);
	if (readable_file(cand) && realpath(cand, self) && strlen(self) < LAB_PATH_MAX)
		snprintf(lab->guest_image, sizeof(lab->guest_image), "%s", self);
	return 0;
}

/* ---- the files ---- */

/* A sparse file of mib MiB at path unless it exists. */
static int sparse_file(const char *path, unsigned mib, struct sec_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return sec_errf(err, -errno, "cannot create '%s': %s", path, strerror(errno));
	if (ftruncate(fd, (off_t)mib << 20) < 0) {
		int r = -errno;
		close(fd);
		unlink(path);
		return sec_errf(err, r, "cannot size '%s' to %u MiB: %s", path, mib, strerror(-r));
	}
	close(fd);
	return 0;
}

/* A copy of src at dst (through dst.tmp, renamed) unless dst exists. */
static int copy_file(const char *src, const char *dst, struct sec_err *err)
{
	char tmp[LAB_PATH_MAX + 8], buf[65536];
	int in, out, r = 0;
	ssize_t n;

	if (access(dst, F_OK) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return sec_errf(err, -errno, "cannot open the guest image '%s': %s", src,
				strerror(errno));
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		r = -errno;
		close(in);
		return sec_errf(err, r, "cannot create '%s': %s", tmp, strerror(-r));
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			r = -(errno ? errno : EIO);
			break;
		}
	}
	if (close(out) < 0 && !r)
		r = -errno;
	close(in);
	if (!r && rename(tmp, dst) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return sec_errf(err, r, "cannot copy '%s' to '%s': %s", src, dst, strerror(-r));
	}
	return 0;
}

static int make_dir(const char *path, struct sec_err *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return sec_errf(err, -errno, "cannot create directory '%s': %s", path,
				strerror(errno));
	return 0;
}

int lab_su_shared_files(const struct lab *lab, struct sec_err *err)
{
	char path[LAB_PATH_MAX], rel[32];
	int r;

	if ((r = make_dir(lab_path(lab, "disks", path), err)) < 0 ||
	    (r = make_dir(lab_path(lab, "tapes", path), err)) < 0)
		return r;
	for (int i = 0; i < LAB_SHARED_DISKS; i++) {
		snprintf(rel, sizeof(rel), "disks/A%03X.img", i);
		lab_path(lab, rel, path);
		if (i == 0 && lab->guest_image[0])
			r = copy_file(lab->guest_image, path, err);
		else
			r = sparse_file(path, LAB_DISK_MIB, err);
		if (r < 0)
			return r;
	}
	return sparse_file(lab_path(lab, "tapes/T0.img", path), LAB_DISK_MIB, err);
}

const char *lab_su_guard_socket(const struct lab *lab, const struct lab_unit *u,
				char buf[LAB_PATH_MAX])
{
	char rel[64];

	snprintf(rel, sizeof(rel), "units/%s/data/guard.sock", u->name);
	return lab_path(lab, rel, buf);
}

const char *lab_su_fakewd_socket(const struct lab *lab, const struct lab_unit *u,
				 char buf[LAB_PATH_MAX])
{
	char rel[64];

	snprintf(rel, sizeof(rel), "units/%s/fakewd.sock", u->name);
	return lab_path(lab, rel, buf);
}

int lab_su_unit_files(const struct lab *lab, const struct lab_unit *u, struct sec_err *err)
{
	char path[LAB_PATH_MAX], rel[64], disks[LAB_PATH_MAX], text[24 * (LAB_PATH_MAX + 64)];
	size_t n;
	int r;

	if (strlen(lab_su_guard_socket(lab, u, path)) >= LAB_SUN_PATH_MAX ||
	    strlen(lab_su_fakewd_socket(lab, u, path)) >= LAB_SUN_PATH_MAX)
		return sec_errf(err, -ENAMETOOLONG,
				"the guard socket '%s' of SU '%s' is longer "
				"than a unix socket path may be (%d bytes): choose a shorter --dir",
				path, u->name, LAB_SUN_PATH_MAX - 1);
	snprintf(rel, sizeof(rel), "units/%s/L0.img", u->name);
	if ((r = sparse_file(lab_path(lab, rel, path), LAB_DISK_MIB, err)) < 0)
		return r;
	lab_path(lab, "disks", disks);
	n = (size_t)snprintf(text, sizeof(text),
			     "# I/O configuration of SU '%s' (written by 'sectl lab up'; every SU "
			     "of the lab has the same devices)\n"
			     "# MN  device type  class  host connector  unit id  backing file\n",
			     u->name);
	for (int i = 0; i < LAB_SHARED_DISKS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "A%03X D3490-30 disk C0 %02X "
				      "%s/A%03X.img\n",
				      i, i, disks, i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "T0 TAPE-U4 tape C1 00 %s/tapes/T0.img\n",
			      lab->dir);
	snprintf(text + n, sizeof(text) - n, "L0 D3435 local-disk C2 00 %s\n", path);
	snprintf(rel, sizeof(rel), "units/%s/io.conf", u->name);
	return lab_write_file_atomic(lab_path(lab, rel, path), text, 0644, err);
}

int lab_su_config(const struct lab *lab, const struct lab_unit *u, char *buf, size_t size)
{
	char io[LAB_PATH_MAX], rel[64];
	int n;

	snprintf(rel, sizeof(rel), "units/%s/io.conf", u->name);
	n = snprintf(buf, size,
		     "\n[su]\n"
		     "memory_mib = 4096\n"
		     "cpus = 2\n"
		     "max_vms = 32\n"
		     "max_vm_definitions = 98\n"
		     "io_config = %s\n"
		     "# TCG: /dev/kvm of these machines is a slow nested one\n"
		     "accel = tcg\n"
		     "qemu = qemu-system-x86_64\n"
		     "# guard_socket: DATA_DIR/guard.sock (the default)\n",
		     lab_path(lab, rel, io));
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* ---- the processes ---- */

static void log_path(const struct lab *lab, const struct lab_unit *u, const char *file,
		     char buf[LAB_PATH_MAX])
{
	char rel[64];

	snprintf(rel, sizeof(rel), "units/%s/%s", u->name, file);
	lab_path(lab, rel, buf);
}

static void data_dir(const struct lab_unit *u, char buf[LAB_PATH_MAX])
{
	/* u->config is DIR/units/NAME/secd.conf */
	snprintf(buf, LAB_PATH_MAX, "%.*s/data", (int)(strrchr(u->config, '/') - u->config),
		 u->config);
}

bool lab_guard_running(const struct lab_unit *u)
{
	char data[LAB_PATH_MAX];

	if (u->guard_pid <= 0)
		return false;
	data_dir(u, data);
	return lab_pid_runs(u->guard_pid, "sec-guard", data);
}

bool lab_fakewd_running(const struct lab_unit *u)
{
	char sock[LAB_PATH_MAX];

	if (u->fakewd_pid <= 0)
		return false;
	snprintf(sock, sizeof(sock), "%.*s/fakewd.sock", (int)(strrchr(u->config, '/') - u->config),
		 u->config);
	return lab_pid_runs(u->fakewd_pid, "sec-fakewd", sock);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Until path exists (the program listens) or pid ended or the deadline. */
static int wait_socket(const struct lab_unit *u, const char *what, pid_t pid, const char *path,
		       const char *log, struct sec_err *err)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)SOCKET_WAIT_MS * NSEC_PER_MSEC;
	struct stat st;

	for (;;) {
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		if (kill(pid, 0) < 0 || waitpid(pid, NULL, WNOHANG) == pid)
			return sec_errf(err, -ECHILD, "SU '%s': %s (pid %d) ended at start; see %s",
					u->name, what, (int)pid, log);
		if (clock_monotonic_ns() >= deadline)
			return sec_errf(err, -ETIMEDOUT,
					"SU '%s': %s (pid %d) has no socket '%s' "
					"after %d ms; see %s",
					u->name, what, (int)pid, path, SOCKET_WAIT_MS, log);
		sleep_ms(POLL_MS);
	}
}

static void stop_pid(pid_t pid)
{
	if (pid > 0 && kill(pid, SIGKILL) == 0)
		waitpid(pid, NULL, 0);
}

/* sec-guard for u: `sec-guard --dir DATA --fake-watchdog SOCK`. */
static int start_guard(const struct lab *lab, struct lab_unit *u, const struct lab_bins *b,
		       struct sec_err *err)
{
	char data[LAB_PATH_MAX], wd[LAB_PATH_MAX], sock[LAB_PATH_MAX], log[LAB_PATH_MAX];
	char *argv[] = {(char *)b->guard, "--dir", data, "--fake-watchdog", wd, NULL};
	int r;

	data_dir(u, data);
	lab_su_fakewd_socket(lab, u, wd);
	lab_su_guard_socket(lab, u, sock);
	log_path(lab, u, "guard.log", log);
	unlink(sock);
	if ((r = lab_spawn(lab, u, b->guard, argv, NULL, log, &u->guard_pid, err)) < 0)
		return r;
	return wait_socket(u, "sec-guard", u->guard_pid, sock, log, err);
}

/* sec-fakewd for u, after its guard: `sec-fakewd --socket DIR/units/NAME/fakewd.sock
 * --pgid-of GUARD_PID --timeout-ms W` (W: the watchdog time of the lab's timing profile,
 * what secd advertises); it SIGKILLs the guard's process group when the pets stop for W
 * (docs/guard.md "Processes"). */
static int start_fakewd(const struct lab *lab, struct lab_unit *u, const struct lab_bins *b,
			struct sec_err *err)
{
	char sock[LAB_PATH_MAX], log[LAB_PATH_MAX], pid[24], w[24];
	char *argv[] = {(char *)b->fakewd, "--socket", sock, "--pgid-of", pid, "--timeout-ms", w,
			NULL};
	int r;

	lab_su_fakewd_socket(lab, u, sock);
	log_path(lab, u, "fakewd.log", log);
	snprintf(pid, sizeof(pid), "%d", (int)u->guard_pid);
	snprintf(w, sizeof(w), "%u", crd_timing_profile(lab->profile).watchdog_ms);
	unlink(sock); /* a socket left by a killed one */
	if ((r = lab_spawn(lab, u, b->fakewd, argv, NULL, log, &u->fakewd_pid, err)) < 0)
		return r;
	return wait_socket(u, "sec-fakewd", u->fakewd_pid, sock, log, err);
}

/* Ends u's fake watchdog when it runs (it watches a guard that is gone): SIGTERM, then
 * SIGKILL after STOP_TERM_MS. */
static void fakewd_end(const struct lab_unit *u)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)STOP_TERM_MS * NSEC_PER_MSEC;

	if (!lab_fakewd_running(u) || kill(u->fakewd_pid, SIGTERM) < 0)
		return;
	while (lab_fakewd_running(u)) {
		waitpid(u->fakewd_pid, NULL, WNOHANG); /* ours: reap */
		if (clock_monotonic_ns() >= deadline) {
			kill(u->fakewd_pid, SIGKILL);
			deadline = UINT64_MAX;
		}
		sleep_ms(POLL_MS);
	}
}

int lab_unit_start_all(const struct lab *lab, struct lab_unit *u, const struct lab_bins *b,
		       struct sec_err *err)
{
	pid_t old_wd = u->fakewd_pid, old_guard = u->guard_pid;
	bool wd = false, guard = false;
	int r;

	/* the guard first (it calls setpgid), then the fake watchdog of its process group
	 * (docs/guard.md: the guard ignores pets that fail until then); a fake watchdog of an
	 * earlier guard is replaced with the guard */
	if (!u->mu && !u->sim && b->guard[0]) {
		if (!lab_guard_running(u)) {
			fakewd_end(u);
			if ((r = start_guard(lab, u, b, err)) < 0)
				goto fail;
			guard = true;
		}
		if (!lab_fakewd_running(u)) {
			if ((r = start_fakewd(lab, u, b, err)) < 0)
				goto fail;
			wd = true;
		}
	}
	if (!lab_unit_running(u) && (r = lab_unit_start(lab, u, b->secd, err)) < 0)
		goto fail;
	return 0;
fail:
	if (guard)
		stop_pid(u->guard_pid);
	if (wd)
		stop_pid(u->fakewd_pid);
	if (guard || r < 0)
		u->guard_pid = guard ? 0 : old_guard;
	if (wd || r < 0)
		u->fakewd_pid = wd ? 0 : old_wd;
	return r;
}

int lab_qemu_pids(const struct lab_unit *u, pid_t *ret, int max)
{
	char path[64], buf[512], *p;
	struct dirent *e;
	DIR *d;
	int n = 0, fd;
	ssize_t len;

	if (!lab_guard_running(u) || !(d = opendir("/proc")))
		return 0;
	while ((e = readdir(d)) && n < max) {
		long pid = strtol(e->d_name, &p, 10), ppid;
		if (*p || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid ...": comm may hold blanks and ')' — take the last ')' */
		if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %ld", &ppid) != 1)
			continue;
		if (ppid == u->guard_pid && p[2] != 'Z')
			ret[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

static pid_t kind_pid(const struct lab_unit *u, bool guard)
{
	return guard ? u->guard_pid : u->fakewd_pid;
}

static bool kind_running(const struct lab_unit *u, bool guard)
{
	if (kind_pid(u, guard) > 0)
		waitpid(kind_pid(u, guard), NULL, WNOHANG); /* ours (an up that failed): reap */
	return guard ? lab_guard_running(u) : lab_fakewd_running(u);
}

/* Until none of the flagged processes runs, or timeout_ms. Returns how many still run. */
static int kind_wait(const struct lab *lab, bool guard, const bool *run, unsigned timeout_ms)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	int left;

	for (;;) {
		left = 0;
		for (int i = 0; i < lab->n_units; i++)
			left += run[i] && kind_running(&lab->units[i], guard);
		if (!left || clock_monotonic_ns() >= deadline)
			return left;
		sleep_ms(POLL_MS * 2);
	}
}

/* SIGTERM to every guard (or fake watchdog) of the lab that runs, then SIGKILL to those
 * left after STOP_TERM_MS. Returns how many ran. */
static int stop_kind(const struct lab *lab, bool guard, FILE *out)
{
	bool run[LAB_UNITS_MAX] = {false}, killed[LAB_UNITS_MAX] = {false};
	int n = 0;

	for (int i = 0; i < lab->n_units; i++)
		if (kind_running(&lab->units[i], guard) &&
		    kill(kind_pid(&lab->units[i], guard), SIGTERM) == 0) {
			run[i] = true;
			n++;
		}
	if (n && kind_wait(lab, guard, run, STOP_TERM_MS)) {
		for (int i = 0; i < lab->n_units; i++)
			if (run[i] && kind_running(&lab->units[i], guard)) {
				kill(kind_pid(&lab->units[i], guard), SIGKILL);
				killed[i] = true;
			}
		kind_wait(lab, guard, run, STOP_KILL_MS);
	}
	for (int i = 0; i < lab->n_units && out; i++)
		if (run[i])
			fprintf(out, "stopped the %s of %s (pid %d)%s\n",
				guard ? "guard" : "fake watchdog", lab->units[i].name,
				(int)kind_pid(&lab->units[i], guard),
				killed[i] ? " with SIGKILL after 10 s" : "");
	return n;
}

int lab_guards_stop(const struct lab *lab, FILE *out)
{
	/* the guard first (it ends its QEMUs), then the watchdog it pets */
	int n = stop_kind(lab, true, out);

	return n + stop_kind(lab, false, out);
}
