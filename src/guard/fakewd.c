/* fakewd.c — sec-fakewd, the lab's fake watchdog (crd.md §4 "Fencing layers" 4; lab only:
 * build machines have no /dev/watchdog).
 *
 * It listens on a unix datagram socket for the guard's pets ("pet") and, when it has not
 * been petted for --timeout-ms W, SIGKILLs the SU's process group (the guard and its
 * QEMUs), logs that it fired, and exits 3. Before the first pet it never fires (the first
 * pet arms it). Pets are taken only from the guard: with --pgid-of PID from process PID
 * (whose process group is resolved when it arms, after the guard's setpgid), with --pgid
 * PGID from a member of that group (SO_PASSCRED). It refuses to arm on its own process
 * group. Single-threaded, real-time priority (best effort), a CLOCK_BOOTTIME timerfd for
 * the deadline, checked first after any wake-up.
 *
 * Usage: sec-fakewd --socket PATH (--pgid-of PID | --pgid PGID) --timeout-ms W [-v]
 * Exit: 3 after firing, 0 after SIGTERM/SIGINT, 1 on an error, 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"

#define FAKEWD_RT_PRIORITY 21 /* above the guard's 20 */

static void usage(void)
{
	fprintf(stderr, "usage: sec-fakewd --socket PATH (--pgid-of PID | --pgid PGID) "
			"--timeout-ms W [-v]\n");
	exit(2);
}

static long num_arg(const char *name, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > INT32_MAX) {
		fprintf(stderr, "sec-fakewd: %s '%s' is not a positive number\n", name, s);
		exit(2);
	}
	return v;
}

/* Receives one datagram; returns the sender's pid (0 if unknown) or -1 when none. */
static pid_t recv_pet(int fd, char *buf, size_t len, ssize_t *n)
{
	union {
		char c[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.c,
			    .msg_controllen = sizeof(ctl.c)};
	pid_t pid = 0;

	*n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (*n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cr;
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			pid = cr.pid;
		}
	return pid;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"pgid-of", required_argument, NULL, 'p'},
		{"pgid", required_argument, NULL, 'g'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sched_param sp = {.sched_priority = FAKEWD_RT_PRIORITY};
	const char *path = NULL;
	pid_t pgid_of = 0, pgid = 0;
	uint64_t timeout_ns = 0, last_pet = 0, pets = 0;
	bool armed = false;
	int c, fd, sfd, tfd, one = 1, verbose = 0;
	sigset_t set;
	mode_t old;

	log_init("sec-fakewd", 0);
	while ((c = getopt_long(argc, argv, "s:p:g:t:v", opts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'p': pgid_of = (pid_t)num_arg("--pgid-of", optarg); break;
		case 'g': pgid = (pid_t)num_arg("--pgid", optarg); break;
		case 't': timeout_ns = (uint64_t)num_arg("--timeout-ms", optarg) * NSEC_PER_MSEC; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (!path || !timeout_ns || !!pgid_of == !!pgid || optind != argc)
		usage();
	log_init("sec-fakewd", verbose);
	if (strlen(path) >= sizeof(sa.sun_path))
		fatalx("socket path '%s' too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0)
		log_warn("no real-time priority (SCHED_FIFO %d)", FAKEWD_RT_PRIORITY);
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		log_debug("mlockall refused: %s", strerror(errno));

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sfd < 0 || tfd < 0 || fd < 0)
		fatal("setup");
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	unlink(path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("cannot bind '%s'", path);
	umask(old);
	log_info("pid %d, socket '%s', timeout %" PRIu64 " ms, waiting for the first pet",
		 (int)getpid(), path, (uint64_t)(timeout_ns / NSEC_PER_MSEC));

	for (;;) {
		struct pollfd p[3] = {{.fd = sfd, .events = POLLIN}, {.fd = tfd, .events = POLLIN},
				      {.fd = fd, .events = POLLIN}};
		struct itimerspec its = {0};
		uint64_t now = clock_boottime_ns(), deadline = last_pet + timeout_ns;

		if (armed && now >= deadline) {
			log_warnx("fired: not petted for %" PRIu64 " ms (timeout %" PRIu64
				  " ms): SIGKILL to process group %d",
				  (uint64_t)((now - last_pet) / NSEC_PER_MSEC), (uint64_t)(timeout_ns / NSEC_PER_MSEC),
				  (int)pgid);
			if (kill(-pgid, SIGKILL) < 0)
				log_warn("kill of process group %d", (int)pgid);
			unlink(path);
			return 3;
		}
		if (armed) {
			its.it_value.tv_sec = (time_t)(deadline / NSEC_PER_SEC);
			its.it_value.tv_nsec = (long)(deadline % NSEC_PER_SEC);
			timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
		}
		if (ppoll(p, 3, NULL, NULL) < 0 && errno != EINTR)
			fatal("ppoll");
		if (p[1].revents) {
			uint64_t x;
			if (read(tfd, &x, sizeof(x)) < 0) {
				/* EAGAIN: nothing due */
			}
		}
		if (p[0].revents) {
			log_info("stopped by signal (%" PRIu64 " pets)", pets);
			unlink(path);
			return 0;
		}
		if (!p[2].revents)
			continue;
		/* check the deadline before taking a pet that arrived after it */
		now = clock_boottime_ns();
		if (armed && now >= last_pet + timeout_ns)
			continue;
		for (;;) {
			char buf[16];
			ssize_t n;
			pid_t from = recv_pet(fd, buf, sizeof(buf), &n);

			if (from < 0)
				break;
			if (n < 3 || memcmp(buf, "pet", 3) != 0)
				continue;
			if (!armed) {
				if (pgid_of) {
					if (from != pgid_of)
						continue;
					pgid = getpgid(pgid_of);
					if (pgid < 0)
						fatal("cannot find the process group of %d", (int)pgid_of);
				} else if (getpgid(from) != pgid) {
					continue;
				}
				if (pgid <= 1 || pgid == getpgrp())
					fatalx("refusing to arm on process group %d (my own or init's)",
					       (int)pgid);
				armed = true;
				log_info("armed by pid %d: process group %d", (int)from, (int)pgid);
			} else if (from && getpgid(from) != pgid) {
				continue;
			}
			last_pet = now;
			pets++;
		}
	}
}
