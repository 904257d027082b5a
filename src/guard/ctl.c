/* ctl.c — sec-guard-ctl, a small client of sec-guard for tests and people (docs/guard.md).
 * It speaks the real protocol through guardc.h.
 *
 * Usage: sec-guard-ctl --socket PATH [--timeout-ms T] COMMAND
 *   hello | list | renew FENCE_MS W_MS [AGE_MS] | kill KEY SIGNAL | forget KEY |
 *   spawn KEY [--out FILE] [--cwd DIR] -- ARGV... | session
 * A single command waits (up to T ms, default 5000) for its answer, prints it, and exits 0
 * when it succeeded, 1 when the guard refused it (or no answer came), 2 on bad usage.
 * `session` keeps the connection and reads commands from stdin, one a line (the same
 * syntax, plus `autorenew INTERVAL_MS FENCE_MS W_MS` — a renewal issued now every
 * INTERVAL_MS — `autorenew off`, and `quit`); it prints every record it receives, one a
 * line, and "SENT <command> seq=N" or "ERROR <command> <reason>" for each command:
 *   HELLO seq=N version=V guard_pid=P flags=0xF children=C fence_timeout_ms=F w_ms=W
 *   RESULT seq=N req=SPAWN err=E pid=P text=...
 *   CHILD seq=N key=K pid=P running=0|1 fenced=0|1 status=S
 *   LIST_END seq=N count=C
 *   EXITED key=K pid=P fenced=0|1 status=S
 *   CLOSED reason */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard/guardc.h"
#include "lib/clock.h"

struct ctl {
	struct guardc *g;
	int want_seq;   /* one-shot: the answer awaited */
	bool done;
	int rc;
	uint64_t renew_every_ns, renew_next_ns;
	uint32_t renew_fence_ms, renew_w_ms;
};

static void on_hello(void *ud, uint32_t seq, const struct guard_hello_reply *h)
{
	struct ctl *c = ud;

	printf("HELLO seq=%u version=%u guard_pid=%u flags=0x%x children=%u fence_timeout_ms=%u "
	       "w_ms=%u start_boot_ns=%" PRIu64 " last_issue_ns=%" PRIu64 "\n",
	       seq, h->version, h->guard_pid, h->flags, h->children, h->fence_timeout_ms, h->w_ms,
	       h->start_boot_ns, h->last_issue_ns);
	if ((int)seq == c->want_seq)
		c->done = true;
}

static void on_result(void *ud, uint32_t seq, const struct guard_result *r)
{
	struct ctl *c = ud;

	printf("RESULT seq=%u req=%s err=%d pid=%d text=%s\n", seq,
	       guard_msg_type_to_string(r->req_type), r->err, r->pid, r->text);
	if ((int)seq == c->want_seq || seq == 0) { /* seq 0: refused connection */
		c->done = true;
		c->rc = r->err ? 1 : 0;
	}
}

static void on_child(void *ud, uint32_t seq, const struct guard_child *ch)
{
	printf("CHILD seq=%u key=%s pid=%d running=%d fenced=%d status=%d\n", seq, ch->key,
	       ch->pid, !!(ch->flags & GUARD_CHILD_RUNNING), !!(ch->flags & GUARD_CHILD_FENCED),
	       ch->status);
}

static void on_list_end(void *ud, uint32_t seq, uint32_t count)
{
	struct ctl *c = ud;

	printf("LIST_END seq=%u count=%u\n", seq, count);
	if ((int)seq == c->want_seq)
		c->done = true;
}

static void on_exited(void *ud, const struct guard_child *ch)
{
	printf("EXITED key=%s pid=%d fenced=%d status=%d\n", ch->key, ch->pid,
	       !!(ch->flags & GUARD_CHILD_FENCED), ch->status);
}

static const struct guardc_ops ops = {
	.hello = on_hello,
	.result = on_result,
	.list_child = on_child,
	.list_end = on_list_end,
	.exited = on_exited,
};

static int num(const char *s, long *ret)
{
	char *end;

	errno = 0;
	*ret = strtol(s, &end, 10);
	return errno || *end || !*s ? -EINVAL : 0;
}

/* Sends the command words[0..n-1]; returns the seq or -errno (-EDOM: bad usage). */
static int command(struct ctl *c, int n, char **w)
{
	long a, b, age = 0;

	if (n == 1 && !strcmp(w[0], "hello"))
		return guardc_hello(c->g);
	if (n == 1 && !strcmp(w[0], "list"))
		return guardc_list(c->g);
	if ((n == 3 || n == 4) && !strcmp(w[0], "renew")) {
		if (num(w[1], &a) < 0 || num(w[2], &b) < 0 || (n == 4 && num(w[3], &age) < 0) ||
		    a < 0 || b < 0 || age < 0)
			return -EDOM;
		return guardc_renew(c->g, clock_boottime_ns() - (uint64_t)age * NSEC_PER_MSEC,
				    (uint32_t)a, (uint32_t)b);
	}
	if (n == 3 && !strcmp(w[0], "kill")) {
		if (num(w[2], &a) < 0)
			return -EDOM;
		return guardc_kill(c->g, w[1], (int)a);
	}
	if (n == 2 && !strcmp(w[0], "forget"))
		return guardc_forget(c->g, w[1]);
	if (n >= 4 && !strcmp(w[0], "spawn")) {
		const char *out = NULL, *cwd = NULL;
		int i = 2;
		for (; i + 1 < n && strcmp(w[i], "--"); i += 2) {
			if (!strcmp(w[i], "--out"))
				out = w[i + 1];
			else if (!strcmp(w[i], "--cwd"))
				cwd = w[i + 1];
			else
				return -EDOM;
		}
		if (i >= n - 1 || strcmp(w[i], "--"))
			return -EDOM;
		return guardc_spawn(c->g, w[1], (const char *const *)&w[i + 1], out, cwd);
	}
	return -EDOM;
}

static int receive(struct ctl *c)
{
	int r = guardc_receive(c->g, &ops, c);

	if (r < 0)
		printf("CLOSED %s\n", r == -ECONNRESET ? "by the guard" : guard_msg_strerror(r));
	return r;
}

static int session(struct ctl *c)
{
	char line[8192];

	for (;;) {
		struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
				      {.fd = guardc_fd(c->g), .events = POLLIN}};
		int timeout = -1;
		uint64_t now = clock_boottime_ns();

		if (c->renew_every_ns) {
			if (now >= c->renew_next_ns) {
				int r = guardc_renew(c->g, now, c->renew_fence_ms, c->renew_w_ms);
				if (r < 0)
					printf("ERROR autorenew %s\n", strerror(-r));
				c->renew_next_ns = now + c->renew_every_ns;
			}
			timeout = (int)((c->renew_next_ns - now) / NSEC_PER_MSEC) + 1;
		}
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return 1;
		if (p[1].revents && receive(c) < 0)
			return 1;
		if (!p[0].revents)
			continue;
		if (!fgets(line, sizeof(line), stdin))
			return 0;
		line[strcspn(line, "\n")] = 0;
		char *w[512], *save = NULL;
		int n = 0;
		for (char *t = strtok_r(line, " \t", &save); t && n < 511; t = strtok_r(NULL, " \t", &save))
			w[n++] = t;
		w[n] = NULL;
		if (n == 0)
			continue;
		if (!strcmp(w[0], "quit"))
			return 0;
		if (!strcmp(w[0], "autorenew")) {
			long a, f, wd;
			if (n == 2 && !strcmp(w[1], "off")) {
				c->renew_every_ns = 0;
				printf("SENT autorenew seq=0\n");
			} else if (n == 4 && !num(w[1], &a) && !num(w[2], &f) && !num(w[3], &wd) && a > 0) {
				c->renew_every_ns = (uint64_t)a * NSEC_PER_MSEC;
				c->renew_next_ns = 0;
				c->renew_fence_ms = (uint32_t)f;
				c->renew_w_ms = (uint32_t)wd;
				printf("SENT autorenew seq=0\n");
			} else {
				printf("ERROR autorenew usage\n");
			}
			continue;
		}
		int r = command(c, n, w);
		if (r < 0)
			printf("ERROR %s %s\n", w[0], r == -EDOM ? "usage" : strerror(-r));
		else
			printf("SENT %s seq=%d\n", w[0], r);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"timeout-ms", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.rc = 0};
	const char *sock = NULL;
	long timeout_ms = 5000;
	uint64_t deadline;
	int o, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	while ((o = getopt_long(argc, argv, "+s:t:", opts, NULL)) != -1) {
		if (o == 's')
			sock = optarg;
		else if (o == 't' && num(optarg, &timeout_ms) == 0 && timeout_ms > 0)
			continue;
		else
			goto usage;
	}
	if (!sock || optind >= argc)
		goto usage;
	r = guardc_connect(sock, &c.g);
	if (r < 0) {
		fprintf(stderr, "sec-guard-ctl: cannot connect to '%s': %s\n", sock, strerror(-r));
		return 1;
	}
	if (argc - optind == 1 && !strcmp(argv[optind], "session")) {
		r = session(&c);
		guardc_free(c.g);
		return r;
	}
	r = command(&c, argc - optind, argv + optind);
	if (r == -EDOM)
		goto usage;
	if (r < 0) {
		fprintf(stderr, "sec-guard-ctl: %s: %s\n", argv[optind], strerror(-r));
		guardc_free(c.g);
		return 1;
	}
	c.want_seq = r;
	deadline = clock_boottime_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	while (!c.done) {
		uint64_t now = clock_boottime_ns();
		if (now >= deadline) {
			fprintf(stderr, "sec-guard-ctl: no answer within %ld ms\n", timeout_ms);
			break;
		}
		if (guardc_wait(c.g, (int)((deadline - now) / NSEC_PER_MSEC) + 1) < 0 ||
		    receive(&c) < 0)
			break;
	}
	guardc_free(c.g);
	return c.done ? c.rc : 1;
usage:
	fprintf(stderr, "usage: sec-guard-ctl --socket PATH [--timeout-ms T] hello | list | "
			"renew FENCE_MS W_MS [AGE_MS] | kill KEY SIGNAL | forget KEY | "
			"spawn KEY [--out FILE] [--cwd DIR] -- ARGV... | session\n");
	return 2;
}
