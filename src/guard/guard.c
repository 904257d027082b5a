/* guard.c — sec-guard, the fencing guard of an SU (crd.md §4 "Fencing layers"; docs/guard.md).
 *
 * One single-threaded process per SU, started by the supervisor before secd, in its own
 * process group with its guests. It listens on <data_dir>/guard.sock for one secd at a
 * time, starts and owns the guests (QEMU processes), takes secd's renewals, kills every
 * guest when renewals stop for fence_timeout, and pets the watchdog only while renewals are
 * fresh or every guest has been reaped. The loop: ppoll on the listening socket, the secd
 * connection, a signalfd (SIGCHLD, SIGTERM, SIGINT) and a CLOCK_BOOTTIME timerfd armed at
 * the next deadline (freshness end, next pet); after every wake-up guard_tick() runs
 * first, before any message is read.
 *
 * Usage: sec-guard --dir DATA_DIR [--socket PATH] [--watchdog DEV | --fake-watchdog SOCK]
 *                  [-v]
 * Exit: 0 after SIGTERM/SIGINT (guests killed and reaped first), 1 on a start error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "guard/child.h"
#include "guard/guardmsg.h"
#include "guard/policy.h"
#include "guard/watchdog.h"
#include "lib/clock.h"
#include "lib/log.h"

#define GUARD_RT_PRIORITY 20

struct guard {
	const char *dir;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lock_fd, listen_fd, conn_fd, sig_fd, timer_fd;
	pid_t conn_pid;
	struct child_table kids;
	struct guard_wd wd;
	bool renewed, fenced_ever, stale_logged, stopping;
	uint64_t last_issue_ns, fence_timeout_ns, start_boot_ns, start_wall_ns, next_pet_ns;
	uint32_t fence_timeout_ms, w_ms;
	struct guard_msg in, out; /* 17 KiB each: not on the stack */
	uint8_t buf[GUARD_MSG_SIZE_MAX + 1];
};

static struct guard G;

/* The usage on stderr, exit 2 (a usage error); with --help/-h on stdout, exit 0. */
static _Noreturn void usage_to(FILE *out, int status)
{
	fprintf(out, "usage: sec-guard --dir DATA_DIR [--socket PATH] "
		     "[--watchdog DEVICE | --fake-watchdog SOCKET] [-v]\n"
		     "       sec-guard --version\n");
	exit(status);
}

static _Noreturn void usage(void)
{
	usage_to(stderr, 2);
}

static struct guard_decision guard_decision_now(struct guard *g, uint64_t now)
{
	struct guard_policy_in in = {
		.renewed = g->renewed,
		.last_issue_ns = g->last_issue_ns,
		.fence_timeout_ns = g->fence_timeout_ns,
		.alive = child_alive(&g->kids),
		.unreaped = child_unreaped(&g->kids),
	};
	return guard_decide(now, &in);
}

/* ---- the connection to secd ---- */

static void conn_close(struct guard *g, const char *why)
{
	if (g->conn_fd < 0)
		return;
	log_info("secd (pid %d) disconnected: %s", (int)g->conn_pid, why);
	close(g->conn_fd);
	g->conn_fd = -1;
}

static int send_to(int fd, struct guard_msg *m)
{
	size_t n = guard_msg_out(m, G.buf);

	if (send(fd, G.buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n)
		return -errno;
	return 0;
}

/* Sends g->out to secd; a secd that does not read loses its connection (it reconnects and
 * asks LIST: nothing is lost but the connection). */
static void conn_send(struct guard *g)
{
	int r;

	if (g->conn_fd < 0)
		return;
	if ((r = send_to(g->conn_fd, &g->out)) < 0) {
		log_warnx("cannot send %s to secd: %s", guard_msg_type_to_string(g->out.type),
			  strerror(-r));
		conn_close(g, "send failed");
	}
}

static void reply_result(struct guard *g, int err, int32_t pid, const char *text)
{
	memset(&g->out, 0, sizeof(g->out));
	g->out.type = GUARD_MSG_RESULT;
	g->out.seq = g->in.seq;
	g->out.result.req_type = (uint16_t)g->in.type;
	g->out.result.err = err < 0 ? -err : err;
	g->out.result.pid = pid;
	if (text) /* cut to the field */
		memcpy(g->out.result.text, text, strnlen(text, sizeof(g->out.result.text) - 1));
	conn_send(g);
}

static void on_exited(void *userdata, const struct guard_child *c)
{
	struct guard *g = userdata;

	memset(&g->out, 0, sizeof(g->out));
	g->out.type = GUARD_MSG_EXITED;
	g->out.child = *c;
	conn_send(g);
}

static void do_hello(struct guard *g)
{
	struct guard_hello_reply *h = &g->out.hello_reply;
	struct guard_decision d = guard_decision_now(g, clock_boottime_ns());

	log_info("secd (pid %d) says hello, protocol version %u", (int)g->conn_pid,
		 g->in.hello.version);
	memset(&g->out, 0, sizeof(g->out));
	g->out.type = GUARD_MSG_HELLO_REPLY;
	g->out.seq = g->in.seq;
	h->version = GUARD_VERSION;
	h->guard_pid = (uint32_t)getpid();
	h->start_boot_ns = g->start_boot_ns;
	h->start_wall_ns = g->start_wall_ns;
	h->last_issue_ns = g->renewed ? g->last_issue_ns : 0;
	h->fence_timeout_ms = g->fence_timeout_ms;
	h->w_ms = g->w_ms;
	h->flags = (g->renewed ? GUARD_HELLO_RENEWED : 0) | (d.fresh ? GUARD_HELLO_FRESH : 0) |
		   (g->fenced_ever ? GUARD_HELLO_FENCED : 0);
	h->children = g->kids.n_used;
	conn_send(g);
}

static void do_renew(struct guard *g, uint64_t now)
{
	const struct guard_renew *r = &g->in.renew;
	uint64_t fence_ns = (uint64_t)r->fence_timeout_ms * NSEC_PER_MSEC;
	char text[GUARD_TEXT_BYTES];

	if (!r->fence_timeout_ms || !r->w_ms || r->issue_ns > now) {
		snprintf(text, sizeof(text), "invalid renewal: fence_timeout %u ms, W %u ms%s",
			 r->fence_timeout_ms, r->w_ms,
			 r->issue_ns > now ? ", issued in the future" : "");
		log_warnx("%s", text);
		reply_result(g, EINVAL, 0, text);
		return;
	}
	if ((g->renewed && r->issue_ns < g->last_issue_ns) || now - r->issue_ns >= fence_ns) {
		snprintf(text, sizeof(text), "stale renewal ignored: issued %" PRIu64 " ms ago",
			 (uint64_t)((now - r->issue_ns) / NSEC_PER_MSEC));
		log_debug("%s", text);
		reply_result(g, ESTALE, 0, text);
		return;
	}
	if (g->stale_logged)
		log_info("renewals fresh again");
	g->stale_logged = false;
	if (r->w_ms != g->w_ms) {
		int e = wd_set_timeout(&g->wd, r->w_ms);
		if (e < 0)
			log_warnx("cannot set the watchdog timeout to %u ms: %s", r->w_ms,
				  strerror(-e));
		g->next_pet_ns = now; /* pet at the new pace from now on */
	}
	g->renewed = true;
	g->last_issue_ns = r->issue_ns;
	g->fence_timeout_ns = fence_ns;
	g->fence_timeout_ms = r->fence_timeout_ms;
	g->w_ms = r->w_ms;
	reply_result(g, 0, 0, NULL);
}

static void do_spawn(struct guard *g, uint64_t now)
{
	struct sec_err e = {0};
	int pid;

	if (g->stopping) {
		reply_result(g, ESHUTDOWN, 0, "the guard is stopping");
		return;
	}
	if (!guard_decision_now(g, now).fresh) {
		reply_result(g, EKEYEXPIRED, 0, "renewals are not fresh: no guest is started");
		return;
	}
	pid = child_spawn(&g->kids, &g->in.spawn, now, &e);
	if (pid < 0) {
		log_warnx("spawn of guest '%s' refused: %s", g->in.spawn.key, e.msg);
		reply_result(g, pid, 0, e.msg);
		return;
	}
	log_info("started guest '%s': pid %d (%s)", g->in.spawn.key, pid, g->in.spawn.argv);
	reply_result(g, 0, pid, NULL);
}

static void do_kill(struct guard *g)
{
	const struct guard_kill *k = &g->in.kill;
	struct guard_child *c = child_find(&g->kids, k->key);
	char text[GUARD_TEXT_BYTES];

	if (!c) {
		snprintf(text, sizeof(text), "no guest '%s'", k->key);
		reply_result(g, ENOENT, 0, text);
	} else if (!(c->flags & GUARD_CHILD_RUNNING)) {
		snprintf(text, sizeof(text), "guest '%s' (pid %d) has ended", k->key, c->pid);
		reply_result(g, ESRCH, c->pid, text);
	} else if (kill(c->pid, k->signal) < 0) {
		snprintf(text, sizeof(text), "kill of guest '%s': %s", k->key, strerror(errno));
		reply_result(g, errno, c->pid, text);
	} else {
		log_info("sent signal %d to guest '%s' pid %d", k->signal, k->key, c->pid);
		reply_result(g, 0, c->pid, NULL);
	}
}

static void do_list(struct guard *g)
{
	uint32_t n = 0, seq = g->in.seq;

	for (int i = 0; i < GUARD_CHILDREN_MAX && g->conn_fd >= 0; i++) {
		if (!g->kids.used[i])
			continue;
		memset(&g->out, 0, sizeof(g->out));
		g->out.type = GUARD_MSG_CHILD;
		g->out.seq = seq;
		g->out.child = g->kids.c[i];
		conn_send(g);
		n++;
	}
	memset(&g->out, 0, sizeof(g->out));
	g->out.type = GUARD_MSG_LIST_END;
	g->out.seq = seq;
	g->out.list_end.count = n;
	conn_send(g);
}

static void do_forget(struct guard *g)
{
	int r = child_forget(&g->kids, g->in.forget.key);
	char text[GUARD_TEXT_BYTES] = "";

	if (r == -ENOENT)
		snprintf(text, sizeof(text), "no guest '%s'", g->in.forget.key);
	else if (r == -EBUSY)
		snprintf(text, sizeof(text), "guest '%s' runs", g->in.forget.key);
	else if (r < 0)
		snprintf(text, sizeof(text), "cannot forget guest '%s': %s", g->in.forget.key,
			 strerror(-r));
	else
		log_info("forgot guest '%s'", g->in.forget.key);
	reply_result(g, r, 0, text);
}

static void conn_read(struct guard *g)
{
	/* a bounded batch, so that guard_tick() runs again soon even under a flood */
	for (int batch = 0; batch < 64 && g->conn_fd >= 0; batch++) {
		ssize_t n = recv(g->conn_fd, g->buf, sizeof(g->buf), MSG_DONTWAIT | MSG_TRUNC);
		int t;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			conn_close(g, strerror(errno));
			return;
		}
		if (n == 0) {
			conn_close(g, "closed");
			return;
		}
		t = guard_msg_in(g->buf, (size_t)n > sizeof(g->buf) ? sizeof(g->buf) : (size_t)n,
				 &g->in);
		if (t < 0) {
			log_warnx("malformed record from secd (%zd bytes): %s", n,
				  guard_msg_strerror(t));
			conn_close(g, "malformed record");
			return;
		}
		uint64_t now = clock_boottime_ns();
		switch (t) {
		case GUARD_MSG_HELLO: do_hello(g); break;
		case GUARD_MSG_RENEW: do_renew(g, now); break;
		case GUARD_MSG_SPAWN: do_spawn(g, now); break;
		case GUARD_MSG_KILL: do_kill(g); break;
		case GUARD_MSG_LIST: do_list(g); break;
		case GUARD_MSG_FORGET: do_forget(g); break;
		default:
			log_warnx("unexpected %s record from secd", guard_msg_type_to_string(t));
			reply_result(g, EOPNOTSUPP, 0, "not a request");
		}
	}
}

/* Whether the current connection is gone (its peer closed, nothing left to read). */
static bool conn_dead(struct guard *g)
{
	struct pollfd p = {.fd = g->conn_fd, .events = POLLIN | POLLRDHUP};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLRDHUP));
}

static void do_accept(struct guard *g)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept on '%s'", g->sock_path);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    (cr.uid != 0 && cr.uid != geteuid())) {
		log_warnx("refused a client with uid %d on '%s'", (int)cr.uid, g->sock_path);
		close(fd);
		return;
	}
	if (g->conn_fd >= 0 && conn_dead(g)) {
		conn_read(g); /* whatever it sent before it went */
		conn_close(g, "gone");
	}
	if (g->conn_fd >= 0) {
		struct guard_msg *m = &g->out;
		log_warnx("refused a second client (pid %d): secd pid %d is connected", (int)cr.pid,
			  (int)g->conn_pid);
		memset(m, 0, sizeof(*m));
		m->type = GUARD_MSG_RESULT;
		m->result.err = EBUSY;
		snprintf(m->result.text, sizeof(m->result.text),
			 "another client (pid %d) holds the guard", (int)g->conn_pid);
		send_to(fd, m);
		close(fd);
		return;
	}
	g->conn_fd = fd;
	g->conn_pid = cr.pid;
	log_info("secd (pid %d) connected", (int)cr.pid);
}

/* ---- time: fencing and the watchdog ---- */

/* Runs after every wake-up, before anything else: fences, pets, re-arms the timer. */
static void guard_tick(struct guard *g)
{
	uint64_t now = clock_boottime_ns();
	struct guard_decision d = guard_decision_now(g, now);
	struct itimerspec its = {0};
	uint64_t next = 0;

	if (d.fence) {
		char reason[160];
		snprintf(reason, sizeof(reason),
			 "renewals stopped: last renewal %" PRIu64 " ms ago, fence_timeout %u ms",
			 (uint64_t)((now - g->last_issue_ns) / NSEC_PER_MSEC), g->fence_timeout_ms);
		child_fence(&g->kids, reason);
		g->fenced_ever = true;
		d = guard_decision_now(g, now);
	}
	if (g->renewed && !d.fresh && !g->stale_logged) {
		log_warnx("renewals are not fresh: last %" PRIu64 " ms ago (fence_timeout %u ms)",
			  (uint64_t)((now - g->last_issue_ns) / NSEC_PER_MSEC), g->fence_timeout_ms);
		g->stale_logged = true;
	}
	if (d.pet && now >= g->next_pet_ns) {
		int r = wd_pet(&g->wd);
		if (r < 0)
			log_warnx("cannot pet the %s watchdog: %s", wd_kind_to_string(g->wd.kind),
				  strerror(-r));
		g->next_pet_ns = now + wd_pet_interval_ns(&g->wd, g->w_ms);
	}
	if (d.pet && g->wd.kind != WD_NONE)
		next = g->next_pet_ns;
	if (d.fresh && (!next || d.deadline_ns < next))
		next = d.deadline_ns;
	its.it_value.tv_sec = (time_t)(next / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(next % NSEC_PER_SEC);
	if (next && timerfd_settime(g->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("timerfd_settime");
	if (!next)
		timerfd_settime(g->timer_fd, 0, &its, NULL); /* disarm */
}

static void on_signal(struct guard *g)
{
	struct signalfd_siginfo si;

	while (read(g->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below, whatever the count */
		if (!g->stopping)
			log_info("signal %u: killing every guest and stopping", si.ssi_signo);
		g->stopping = true;
		child_kill_all(&g->kids);
	}
	child_reap(&g->kids, clock_boottime_ns(), on_exited, g);
}

/* ---- start ---- */

static void guard_realtime(void)
{
	struct sched_param sp = {.sched_priority = GUARD_RT_PRIORITY};

	/* RESET_ON_FORK: guests start as SCHED_OTHER even before they reset it themselves */
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0)
		log_warn("no real-time priority (SCHED_FIFO %d)", GUARD_RT_PRIORITY);
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		log_debug("mlockall refused: %s", strerror(errno));
}

static int guard_listen(struct guard *g)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char lock[4096];
	mode_t old;

	snprintf(lock, sizeof(lock), "%s/guard.lock", g->dir);
	g->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (g->lock_fd < 0) {
		log_warn("cannot open '%s'", lock);
		return -1;
	}
	if (flock(g->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		log_warnx("another sec-guard runs on '%s' (lock '%s' held)", g->dir, lock);
		return -1;
	}
	memcpy(sa.sun_path, g->sock_path, strlen(g->sock_path) + 1);
	g->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (g->listen_fd < 0) {
		log_warn("socket");
		return -1;
	}
	unlink(g->sock_path); /* a stale socket of a previous guard: the lock says it is gone */
	old = umask(0177);
	if (bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		log_warn("cannot bind '%s'", g->sock_path);
		return -1;
	}
	umask(old);
	if (chmod(g->sock_path, 0600) < 0 || listen(g->listen_fd, 4) < 0) {
		log_warn("cannot listen on '%s'", g->sock_path);
		return -1;
	}
	return 0;
}

static int guard_signals(struct guard *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	g->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	g->timer_fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	return g->sig_fd < 0 || g->timer_fd < 0 ? -1 : 0;
}

static void guard_args(struct guard *g, int argc, char **argv, enum wd_kind *kind,
		       const char **wd_path, int *verbose)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 's'},
		{"watchdog", required_argument, NULL, 'w'},
		{"fake-watchdog", required_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "d:s:w:f:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage_to(stdout, 0);
		case 'V': printf("sec-guard %s\n", SECLUSTER_VERSION); exit(0);
		case 'd': g->dir = optarg; break;
		case 's': sock = optarg; break;
		case 'w':
		case 'f':
			if (*kind != WD_NONE)
				fatalx("--watchdog and --fake-watchdog exclude each other");
			*kind = c == 'w' ? WD_DEVICE : WD_FAKE;
			*wd_path = optarg;
			break;
		case 'v': (*verbose)++; break;
		default: usage();
		}
	}
	if (!g->dir || optind != argc)
		usage();
	if ((size_t)snprintf(g->sock_path, sizeof(g->sock_path), "%s%s%s", sock ? sock : g->dir,
			     sock ? "" : "/", sock ? "" : "guard.sock") >= sizeof(g->sock_path))
		fatalx("socket path of '%s' longer than %zu bytes", g->dir,
		       sizeof(g->sock_path) - 1);
}

int main(int argc, char **argv)
{
	struct guard *g = &G;
	enum wd_kind kind = WD_NONE;
	const char *wd_path = NULL;
	struct sec_err e = {0};
	int verbose = 0;

	g->conn_fd = g->listen_fd = g->lock_fd = g->sig_fd = g->timer_fd = -1;
	log_init("sec-guard", 0);
	guard_args(g, argc, argv, &kind, &wd_path, &verbose);
	log_init("sec-guard", verbose);
	if (setpgid(0, 0) < 0 && getpgrp() != getpid())
		fatal("setpgid"); /* the fake watchdog kills our group: it must be ours */
	guard_realtime();
	g->start_boot_ns = clock_boottime_ns();
	g->start_wall_ns = clock_wall_ns();
	if (child_table_init(&g->kids, g->dir, &e) < 0)
		fatalx("%s", e.msg);
	if (guard_signals(g) < 0)
		fatal("signals");
	if (guard_listen(g) < 0)
		exit(1);
	if (wd_open(&g->wd, kind, wd_path, &e) < 0)
		fatalx("%s", e.msg);
	log_info("pid %d, process group %d, listening on '%s', watchdog %s%s%s", (int)getpid(),
		 (int)getpgrp(), g->sock_path, wd_kind_to_string(kind), wd_path ? " " : "",
		 wd_path ? wd_path : " (layer 4 off)");

	while (!g->stopping || child_unreaped(&g->kids) > 0) {
		struct pollfd p[4] = {
			{.fd = g->sig_fd, .events = POLLIN},
			{.fd = g->timer_fd, .events = POLLIN},
			{.fd = g->listen_fd, .events = POLLIN},
			{.fd = g->conn_fd, .events = POLLIN},
		};
		uint64_t expirations;

		guard_tick(g);
		if (ppoll(p, 4, NULL, NULL) < 0 && errno != EINTR)
			fatal("ppoll");
		guard_tick(g); /* after any wake-up: the fence check before anything else */
		if (p[1].revents && read(g->timer_fd, &expirations, sizeof(expirations)) < 0) {
			/* EAGAIN: re-armed meanwhile */
		}
		if (p[0].revents)
			on_signal(g);
		if (p[2].revents)
			do_accept(g);
		if (p[3].revents && g->conn_fd >= 0)
			conn_read(g);
	}
	log_info("stopped: no guest left");
	wd_close(&g->wd, true);
	unlink(g->sock_path);
	child_table_close(&g->kids);
	return 0;
}
