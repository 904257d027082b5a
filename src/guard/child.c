/* child.c — the guard's guests: fork+exec, reap, kill, fence records (child.h). */
#include "guard/child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"

#define CHILD_NICE 10

int child_table_init(struct child_table *t, const char *data_dir, struct sec_err *reterr)
{
	DIR *d;
	struct dirent *e;
	int fd;

	memset(t, 0, sizeof(*t));
	t->data_fd = t->fenced_fd = -1;
	t->data_fd = open(data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->data_fd < 0)
		return sec_errf(reterr, -errno, "cannot open data directory '%s': %s", data_dir,
				strerror(errno));
	if (mkdirat(t->data_fd, "fenced", 0700) < 0 && errno != EEXIST)
		return sec_errf(reterr, -errno, "cannot create '%s/fenced': %s", data_dir,
				strerror(errno));
	t->fenced_fd = openat(t->data_fd, "fenced", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fenced_fd < 0)
		return sec_errf(reterr, -errno, "cannot open '%s/fenced': %s", data_dir,
				strerror(errno));
	fd = dup(t->fenced_fd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return sec_errf(reterr, -errno, "cannot read '%s/fenced': %s", data_dir,
				strerror(errno));
	}
	while ((e = readdir(d)) && t->n_used < GUARD_CHILDREN_MAX) {
		struct guard_child *c;
		char buf[512], *p;
		ssize_t n;
		int rfd;

		if (!guard_key_valid(e->d_name) || strlen(e->d_name) >= GUARD_KEY_BYTES)
			continue; /* also skips ".", ".." and ".tmp" files */
		c = &t->c[t->n_used];
		memset(c, 0, sizeof(*c));
		memcpy(c->key, e->d_name, strlen(e->d_name) + 1);
		c->flags = GUARD_CHILD_FENCED;
		c->status = SIGKILL; /* a wait status: killed by SIGKILL */
		rfd = openat(t->fenced_fd, e->d_name, O_RDONLY | O_CLOEXEC);
		if (rfd >= 0) {
			n = read(rfd, buf, sizeof(buf) - 1);
			close(rfd);
			buf[n > 0 ? n : 0] = 0;
			if ((p = strstr(buf, " pid=")))
				c->pid = (int32_t)strtol(p + 5, NULL, 10);
		}
		t->used[t->n_used++] = true;
		log_info("guest '%s' (pid %d) was fenced before this start: it stays down",
			 c->key, c->pid);
	}
	closedir(d);
	return 0;
}

void child_table_close(struct child_table *t)
{
	if (t->fenced_fd >= 0)
		close(t->fenced_fd);
	if (t->data_fd >= 0)
		close(t->data_fd);
	t->fenced_fd = t->data_fd = -1;
}

static int child_index(const struct child_table *t, const char *key)
{
	for (int i = 0; i < GUARD_CHILDREN_MAX; i++)
		if (t->used[i] && strcmp(t->c[i].key, key) == 0)
			return i;
	return -1;
}

struct guard_child *child_find(struct child_table *t, const char *key)
{
	int i = child_index(t, key);

	return i < 0 ? NULL : &t->c[i];
}

unsigned child_unreaped(const struct child_table *t)
{
	unsigned n = 0;

	for (int i = 0; i < GUARD_CHILDREN_MAX; i++)
		n += t->used[i] && (t->c[i].flags & GUARD_CHILD_RUNNING);
	return n;
}

unsigned child_alive(const struct child_table *t)
{
	unsigned n = 0;

	for (int i = 0; i < GUARD_CHILDREN_MAX; i++)
		n += t->used[i] && (t->c[i].flags & GUARD_CHILD_RUNNING) &&
		     !(t->c[i].flags & GUARD_CHILD_FENCED);
	return n;
}

/* In the child, between fork and exec: only async-signal-safe calls. Never returns. */
static _Noreturn void child_exec(pid_t guard, int nullfd, int outfd, int cwdfd, int errfd,
				 char *const *argv)
{
	struct sched_param sp = {.sched_priority = 0};
	sigset_t none;
	int err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != guard)
		_exit(127); /* the guard died before the death signal was set */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP, 32, 33 */
	/* glibc refuses 32 and 33 (its own); an ignored one would stay ignored across exec
	 * (seen: SIGIgn bit 32 inherited from the CI's shell): reset them with the raw call */
	for (int sig = 32; sig <= 33; sig++) {
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			unsigned long mask;
		} ksa = {SIG_DFL, 0, NULL, 0};
		syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sched_setscheduler(0, SCHED_OTHER, &sp);
	if (setpriority(PRIO_PROCESS, 0, CHILD_NICE) < 0)
		goto fail;
	if (dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0 || fchdir(cwdfd) < 0)
		goto fail;
	/* every descriptor >= 3 closes at exec (the error pipe stays open until then) */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 65536; fd++)
			if (fd != errfd)
				close(fd);
	}
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0) {
		/* the guard learns only "no exec" from EOF-less exit; nothing else to do */
	}
	_exit(127);
}

/* Splits the argv blob of s into a NULL-terminated array (malloc'ed). */
static char **argv_split(const struct guard_spawn *s, char *copy)
{
	char **argv = calloc(s->argc + 1, sizeof(char *));
	size_t off = 0;

	if (!argv)
		return NULL;
	memcpy(copy, s->argv, s->argv_len);
	for (uint32_t i = 0; i < s->argc; i++) {
		argv[i] = copy + off;
		off += strlen(copy + off) + 1;
	}
	return argv;
}

static int slot_for(struct child_table *t, const char *key)
{
	int i = child_index(t, key);

	if (i >= 0)
		return i;
	for (i = 0; i < GUARD_CHILDREN_MAX; i++)
		if (!t->used[i])
			return i;
	return -1;
}

int child_spawn(struct child_table *t, const struct guard_spawn *s, uint64_t now_ns,
		struct sec_err *reterr)
{
	static char copy[GUARD_ARGV_BYTES];
	int i = child_index(t, s->key), nullfd = -1, outfd = -1, cwdfd = -1, pfd[2] = {-1, -1};
	int r, err = 0;
	char **argv = NULL;
	ssize_t n;
	pid_t pid, guard = getpid();

	if (i >= 0 && (t->c[i].flags & GUARD_CHILD_RUNNING))
		return sec_errf(reterr, -EEXIST, "guest '%s' runs already (pid %d)", s->key,
				t->c[i].pid);
	if ((i >= 0 && (t->c[i].flags & GUARD_CHILD_FENCED)) ||
	    faccessat(t->fenced_fd, s->key, F_OK, 0) == 0)
		return sec_errf(reterr, -EPERM,
				"guest '%s' was fenced: it is not started again until forgotten",
				s->key);
	i = slot_for(t, s->key);
	if (i < 0)
		return sec_errf(reterr, -ENOSPC, "guard table full (%d guests)",
				GUARD_CHILDREN_MAX);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0) {
		r = sec_errf(reterr, -errno, "cannot open /dev/null: %s", strerror(errno));
		goto out;
	}
	outfd = s->out_path[0] ? openat(t->data_fd, s->out_path,
					O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640)
			       : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (outfd < 0) {
		r = sec_errf(reterr, -errno, "cannot open output file '%s': %s", s->out_path,
			     strerror(errno));
		goto out;
	}
	cwdfd = s->cwd[0] ? open(s->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC)
			  : openat(t->data_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwdfd < 0) {
		r = sec_errf(reterr, -errno, "cannot open working directory '%s': %s", s->cwd,
			     strerror(errno));
		goto out;
	}
	argv = argv_split(s, copy);
	if (!argv || pipe2(pfd, O_CLOEXEC) < 0) {
		r = sec_errf(reterr, argv ? -errno : -ENOMEM, "cannot prepare the start of '%s'",
			     s->key);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = sec_errf(reterr, -errno, "fork for '%s': %s", s->key, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(guard, nullfd, outfd, cwdfd, pfd[1], argv);
	close(pfd[1]);
	pfd[1] = -1;
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		r = sec_errf(reterr, -err, "cannot start '%s' for guest '%s': %s", argv[0],
			     s->key, strerror(err));
		goto out;
	}
	if (!t->used[i])
		t->n_used++;
	t->used[i] = true;
	memset(&t->c[i], 0, sizeof(t->c[i]));
	memcpy(t->c[i].key, s->key, sizeof(t->c[i].key));
	t->c[i].pid = pid;
	t->c[i].flags = GUARD_CHILD_RUNNING;
	t->c[i].start_boot_ns = now_ns;
	r = pid;
out:
	free(argv);
	for (int k = 0; k < 2; k++)
		if (pfd[k] >= 0)
			close(pfd[k]);
	if (nullfd >= 0)
		close(nullfd);
	if (outfd >= 0)
		close(outfd);
	if (cwdfd >= 0)
		close(cwdfd);
	return r;
}

void child_reap(struct child_table *t, uint64_t now_ns,
		void (*cb)(void *userdata, const struct guard_child *c), void *userdata)
{
	for (;;) {
		int st, i;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid <= 0)
			return;
		for (i = 0; i < GUARD_CHILDREN_MAX; i++)
			if (t->used[i] && t->c[i].pid == pid && (t->c[i].flags & GUARD_CHILD_RUNNING))
				break;
		if (i == GUARD_CHILDREN_MAX) {
			log_debug("reaped unknown child %d", (int)pid);
			continue;
		}
		t->c[i].flags &= ~GUARD_CHILD_RUNNING;
		t->c[i].status = st;
		t->c[i].end_boot_ns = now_ns;
		if (WIFSIGNALED(st))
			log_info("guest '%s' pid %d killed by signal %d%s", t->c[i].key, (int)pid,
				 WTERMSIG(st), t->c[i].flags & GUARD_CHILD_FENCED ? " (fenced)" : "");
		else
			log_info("guest '%s' pid %d exited with status %d", t->c[i].key, (int)pid,
				 WEXITSTATUS(st));
		if (cb)
			cb(userdata, &t->c[i]);
	}
}

/* Writes fenced/<key> durably: a temporary file, fsync, rename, fsync of the directory. */
static int fence_record(struct child_table *t, const struct guard_child *c, const char *reason)
{
	char tmp[GUARD_KEY_BYTES + 8], line[512], when[64];
	uint64_t wall = clock_wall_ns();
	time_t sec = (time_t)(wall / NSEC_PER_SEC);
	struct tm tm;
	int fd, n, r = 0;

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "time=%s.%03uZ boottime_ns=%" PRIu64 " pid=%d key=%s reason=%s\n",
		     when, (unsigned)(wall % NSEC_PER_SEC / NSEC_PER_MSEC), clock_boottime_ns(),
		     c->pid, c->key, reason);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", c->key);
	fd = openat(t->fenced_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	if (r == 0 && renameat(t->fenced_fd, tmp, t->fenced_fd, c->key) < 0)
		r = -errno;
	if (r == 0 && fsync(t->fenced_fd) < 0)
		r = -errno;
	return r;
}

unsigned child_fence(struct child_table *t, const char *reason)
{
	unsigned n = 0;

	/* kill them all first: the records can wait a few ms, the guests cannot */
	for (int i = 0; i < GUARD_CHILDREN_MAX; i++) {
		struct guard_child *c = &t->c[i];
		if (!t->used[i] || !(c->flags & GUARD_CHILD_RUNNING) || (c->flags & GUARD_CHILD_FENCED))
			continue;
		kill(c->pid, SIGKILL);
		c->flags |= GUARD_CHILD_FENCED;
		n++;
	}
	for (int i = 0; i < GUARD_CHILDREN_MAX && n; i++) {
		struct guard_child *c = &t->c[i];
		int r;
		if (!t->used[i] || !(c->flags & GUARD_CHILD_FENCED) ||
		    faccessat(t->fenced_fd, c->key, F_OK, 0) == 0)
			continue;
		log_warnx("fenced guest '%s' pid %d: %s", c->key, c->pid, reason);
		if ((r = fence_record(t, c, reason)) < 0)
			log_warnx("cannot write fenced record of guest '%s': %s", c->key,
				  strerror(-r));
	}
	return n;
}

void child_kill_all(struct child_table *t)
{
	for (int i = 0; i < GUARD_CHILDREN_MAX; i++)
		if (t->used[i] && (t->c[i].flags & GUARD_CHILD_RUNNING))
			kill(t->c[i].pid, SIGKILL);
}

int child_forget(struct child_table *t, const char *key)
{
	int i = child_index(t, key);
	bool file = faccessat(t->fenced_fd, key, F_OK, 0) == 0;

	if (i < 0 && !file)
		return -ENOENT;
	if (i >= 0 && (t->c[i].flags & GUARD_CHILD_RUNNING))
		return -EBUSY;
	if (file) {
		if (unlinkat(t->fenced_fd, key, 0) < 0)
			return -errno;
		fsync(t->fenced_fd);
	}
	if (i >= 0) {
		t->used[i] = false;
		t->n_used--;
	}
	return 0;
}
