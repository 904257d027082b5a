/* lab_proc.c — the lab's secd processes: find the binary, start one unit, tell whether a
 * recorded PID still is that unit, stop them all by PID (lab.h). */
#include "sectl/lab.h"

#include "lib/clock.h"
#include "lib/proccpu.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_TERM_MS 10000 /* SIGTERM, then this long before SIGKILL */
#define STOP_KILL_MS 5000  /* after SIGKILL, this long for the process to vanish */
#define POLL_MS 50
#define FAULT_ENV "SECLUSTER_FAULT_FILE="

extern char **environ;

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* dir/rel into buf when it fits and is executable. */
static bool try_secd(const char *dir, const char *rel, char buf[LAB_PATH_MAX])
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (strlen(path) >= LAB_PATH_MAX || !executable(path))
		return false;
	memcpy(buf, path, strlen(path) + 1);
	return true;
}

int lab_find_secd(char buf[LAB_PATH_MAX], struct sec_err *err)
{
	char self[PATH_MAX], dir[PATH_MAX];
	const char *env = getenv("SECLUSTER_SECD");
	ssize_t n;

	if (env && *env) {
		if (!executable(env) || strlen(env) >= LAB_PATH_MAX)
			return sec_errf(err, -ENOENT, "SECLUSTER_SECD '%s' is not an executable file",
					env);
		memcpy(buf, env, strlen(env) + 1);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return sec_errf(err, -errno, "cannot read /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", dirname(self));
	if (try_secd(dir, "../secd/secd", buf) || /* the build tree */
	    try_secd(dir, "../sbin/secd", buf) || /* installed: PREFIX/bin/sectl, PREFIX/sbin/secd */
	    try_secd(dir, "secd", buf))            /* next to sectl */
		return 0;
	return sec_errf(err, -ENOENT, "cannot find secd: not in %s/../secd/, %s/../sbin/ nor "
			"in %s/; set SECLUSTER_SECD to its path", dir, dir, dir);
}

/* The child: its own session, the fds prepared by the parent, nothing else; then exec.
 * Only async-signal-safe calls. */
static _Noreturn void child_exec(const char *secd, char *const argv[], char *const envp[],
				 int nullfd, int logfd, int nsfd)
{
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
		dprintf(logfd, "sectl lab: cannot enter the network namespace: %s\n",
			strerror(errno));
		_exit(127);
	}
	if (setsid() < 0 || dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	close_range(3, ~0u, 0);
	execve(secd, argv, envp);
	dprintf(2, "sectl lab: cannot run '%s': %s\n", secd, strerror(errno));
	_exit(127);
}

/* environ, with SECLUSTER_FAULT_FILE=DIR/units/NAME/faults when the lab has --faults (the
 * file created empty when missing). Returns a malloc'd array (its strings are environ's and
 * fault_env's), or NULL with reterr. */
static char **unit_env(const struct lab *lab, const struct lab_unit *u, char *fault_env,
		       size_t size, struct sec_err *err)
{
	static const char key[] = "SECLUSTER_FAULT_FILE=";
	char rel[64], path[LAB_PATH_MAX];
	size_t n = 0, k = 0;
	char **env;
	int fd;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 2, sizeof(*env)))) {
		sec_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!lab->faults || strncmp(environ[i], key, sizeof(key) - 1))
			env[k++] = environ[i];
	if (lab->faults) {
		snprintf(rel, sizeof(rel), "units/%s/faults", u->name);
		lab_path(lab, rel, path);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			sec_errf(err, -errno, "unit '%s': cannot create '%s': %s", u->name, path,
				 strerror(errno));
			free(env);
			return NULL;
		}
		close(fd);
		snprintf(fault_env, size, "%s%s", key, path);
		env[k++] = fault_env;
	}
	env[k] = NULL;
	return env;
}

int lab_spawn(const struct lab *lab, const struct lab_unit *u, const char *prog,
	      char *const argv[], char *const envp[], const char *log, pid_t *ret,
	      struct sec_err *err)
{
	int nullfd, logfd, nsfd = -1, r = 0;
	pid_t pid;

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (nullfd < 0 || logfd < 0) {
		r = sec_errf(err, -errno, "unit '%s': cannot open '%s': %s", u->name,
			     logfd < 0 ? log : "/dev/null", strerror(errno));
		goto out;
	}
	if (lab->netns.on && (nsfd = lab_netns_open(lab, u->server)) < 0) {
		r = sec_errf(err, nsfd, "unit '%s': cannot open the network namespace of server%d: "
			     "%s", u->name, u->server, strerror(-nsfd));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = sec_errf(err, -errno, "unit '%s': cannot fork: %s", u->name, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(prog, argv, envp ? envp : environ, nullfd, logfd, nsfd);
	*ret = pid;
out:
	if (nullfd >= 0)
		close(nullfd);
	if (logfd >= 0)
		close(logfd);
	if (nsfd >= 0)
		close(nsfd);
	return r;
}

int lab_unit_start(const struct lab *lab, struct lab_unit *u, const char *secd,
		   struct sec_err *err)
{
	char *argv[] = {(char *)secd, "--role", u->mu ? "mu" : "su", "--config", u->config, NULL};
	char fault_env[LAB_PATH_MAX + 32], **envp;
	int r;

	if (!(envp = unit_env(lab, u, fault_env, sizeof(fault_env), err)))
		return err ? err->code : -ENOMEM;
	r = lab_spawn(lab, u, secd, argv, envp, u->log, &u->pid, err);
	free(envp);
	return r;
}

bool lab_pid_runs(pid_t pid, const char *prog, const char *arg)
{
	char path[64], buf[8192];
	bool name = false, has_arg = false;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) { /* empty: a zombie, or a process in its exit (its memory released): the
		       * latter still runs — it stays in /proc until it is a zombie, and its
		       * pid cannot belong to another process meanwhile */
		return proc_alive(pid);
	}
	buf[n] = '\0';
	for (char *a = buf; a < buf + n; a += strlen(a) + 1) {
		if (a == buf) {
			const char *base = strrchr(a, '/');
			name = strstr(base ? base + 1 : a, prog) != NULL;
		} else if (!strcmp(a, arg)) {
			has_arg = true;
		}
	}
	return name && has_arg;
}

bool lab_unit_running(const struct lab_unit *u)
{
	pid_t r;

	if (u->pid <= 0)
		return false;
	/* our child (during up): it is ours by construction, also before its exec of secd
	 * (or through a wrapper, SECLUSTER_SECD); reaped here once it has ended */
	r = waitpid(u->pid, NULL, WNOHANG);
	if (r == 0)
		return true;
	if (r == u->pid || kill(u->pid, 0) < 0)
		return false;
	return lab_pid_runs(u->pid, "secd", u->config);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Waits until none of the units flagged in mask runs, or timeout_ms; clears the flags of
 * those that ended. Returns how many still run. */
static int wait_gone(const struct lab *lab, bool *mask, unsigned timeout_ms)
{
	uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	int left;

	for (;;) {
		left = 0;
		for (int i = 0; i < lab->n_units; i++) {
			if (mask[i] && !lab_unit_running(&lab->units[i]))
				mask[i] = false;
			left += mask[i];
		}
		if (!left || clock_monotonic_ns() >= deadline)
			return left;
		sleep_ms(POLL_MS);
	}
}

int lab_units_stop(const struct lab *lab, FILE *out)
{
	bool running[LAB_UNITS_MAX] = {false}, killed[LAB_UNITS_MAX] = {false};
	int n = 0;

	for (int i = 0; i < lab->n_units; i++)
		if (lab_unit_running(&lab->units[i]) && kill(lab->units[i].pid, SIGTERM) == 0) {
			running[i] = true;
			n++;
		}
	if (!n)
		return 0;
	bool left[LAB_UNITS_MAX];
	memcpy(left, running, sizeof(left));
	if (wait_gone(lab, left, STOP_TERM_MS)) {
		for (int i = 0; i < lab->n_units; i++)
			if (left[i] && lab_unit_running(&lab->units[i])) {
				kill(lab->units[i].pid, SIGKILL);
				killed[i] = true;
			}
		wait_gone(lab, left, STOP_KILL_MS);
	}
	for (int i = 0; i < lab->n_units && out; i++) {
		const struct lab_unit *u = &lab->units[i];
		if (!running[i])
			continue;
		if (left[i])
			fprintf(out, "%s (pid %d): still running after SIGKILL\n", u->name,
				(int)u->pid);
		else
			fprintf(out, "stopped %s (pid %d)%s\n", u->name, (int)u->pid,
				killed[i] ? " with SIGKILL after 10 s" : "");
	}
	return n;
}

void lab_print_tail(const char *path, int n, FILE *out)
{
	char buf[16384];
	ssize_t len;
	off_t size;
	int fd = open(path, O_RDONLY | O_CLOEXEC), lines = 0;
	char *start;

	if (fd < 0) {
		fprintf(out, "  (no log: %s)\n", strerror(errno));
		return;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0) {
		fprintf(out, "  (the log is empty)\n");
		return;
	}
	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	start = buf + len;
	while (start > buf && lines < n)
		if (*--start == '\n' && ++lines == n)
			start++;
	for (char *line = start, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		fprintf(out, "  %s\n", line);
	}
}
