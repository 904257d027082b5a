/* qmp_fakepeer.c — the scripted fake QMP peer of qmp_fakepeer.h. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp_fakepeer.h"

#define PEER_IO_MS 10000 /* a step waits this long for the client at most */

static bool fail(struct fakepeer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct fakepeer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed[0])
		return false;
	va_start(ap, fmt);
	vsnprintf(p->failed, sizeof(p->failed), fmt, ap);
	va_end(ap);
	return false;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int do_bind(struct fakepeer *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(p->lfd, 4) < 0)
		return -errno;
	return 0;
}

static void *thread_main(void *arg)
{
	struct fakepeer *p = arg;

	if (p->delay_bind_ms) {
		pause_ms(p->delay_bind_ms);
		if (do_bind(p) < 0)
			fail(p, "bind '%s': %s", p->path, strerror(errno));
	}
	if (!p->failed[0])
		p->script(p);
	peer_close(p); /* the client sees EOF when the script is over */
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

void fakepeer_start(struct fakepeer *p, const char *path, void (*script)(struct fakepeer *),
		    void *arg)
{
	int dbm = p->delay_bind_ms;

	memset(p, 0, sizeof(*p));
	p->delay_bind_ms = dbm;
	snprintf(p->path, sizeof(p->path), "%s", path);
	unlink(path);
	p->lfd = p->fd = -1;
	p->script = script;
	p->arg = arg;
	if (!dbm && do_bind(p) < 0)
		fail(p, "bind '%s': %s", path, strerror(errno));
	pthread_create(&p->th, NULL, thread_main, p);
}

bool fakepeer_done(struct fakepeer *p)
{
	return __atomic_load_n(&p->done, __ATOMIC_ACQUIRE) != 0;
}

const char *fakepeer_join(struct fakepeer *p)
{
	pthread_join(p->th, NULL);
	peer_close(p);
	if (p->lfd >= 0)
		close(p->lfd);
	p->lfd = -1;
	unlink(p->path);
	return p->failed;
}

bool peer_accept(struct fakepeer *p)
{
	struct pollfd pf = { .fd = p->lfd, .events = POLLIN };

	if (poll(&pf, 1, PEER_IO_MS) != 1)
		return fail(p, "no client connected within %d ms", PEER_IO_MS);
	p->fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (p->fd < 0)
		return fail(p, "accept: %s", strerror(errno));
	return true;
}

bool peer_send(struct fakepeer *p, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = send(p->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0)
			return fail(p, "send: %s", strerror(errno));
		off += (size_t)n;
	}
	return true;
}

bool peer_send_split(struct fakepeer *p, const char *text, const size_t *sizes)
{
	size_t len = strlen(text), off = 0;

	for (; sizes && *sizes && off < len; sizes++) {
		size_t k = *sizes < len - off ? *sizes : len - off;
		char piece[4096];

		snprintf(piece, sizeof(piece), "%.*s", (int)k, text + off);
		if (!peer_send(p, piece))
			return false;
		off += k;
		pause_ms(2); /* so that the client reads the pieces separately */
	}
	return off < len ? peer_send(p, text + off) : true;
}

/* one line into line (without "\n") */
static bool read_line(struct fakepeer *p, char *line, size_t size, int ms)
{
	for (;;) {
		char *nl = memchr(p->rbuf, '\n', p->rlen);
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - p->rbuf);

			snprintf(line, size, "%.*s", (int)l, p->rbuf);
			memmove(p->rbuf, nl + 1, p->rlen - l - 1);
			p->rlen -= l + 1;
			return true;
		}
		if (poll(&pf, 1, ms) != 1)
			return fail(p, "nothing from the client within %d ms", ms);
		n = recv(p->fd, p->rbuf + p->rlen, sizeof(p->rbuf) - p->rlen, 0);
		if (n <= 0)
			return fail(p, "client closed while a line was expected");
		p->rlen += (size_t)n;
	}
}

long peer_expect(struct fakepeer *p, const char *name, json_t **ret_msg)
{
	char line[8192];
	json_t *m, *id;
	const char *ex;
	long r;

	if (!read_line(p, line, sizeof(line), PEER_IO_MS))
		return -1;
	m = json_loads(line, 0, NULL);
	ex = json_string_value(json_object_get(m, "execute"));
	id = json_object_get(m, "id");
	if (!ex || strcmp(ex, name) || !json_is_integer(id)) {
		json_decref(m);
		fail(p, "expected command '%s' with an id, got '%s'", name, line);
		return -1;
	}
	r = (long)json_integer_value(id);
	if (ret_msg)
		*ret_msg = m;
	else
		json_decref(m);
	return r;
}

bool peer_reply(struct fakepeer *p, long id, const char *return_json)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "{\"return\": %s, \"id\": %ld}\r\n", return_json, id);
	return peer_send(p, buf);
}

bool peer_error(struct fakepeer *p, long id, const char *cls, const char *desc)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"id\": %ld, \"error\": {\"class\": \"%s\", \"desc\": \"%s\"}}\r\n", id, cls,
		 desc);
	return peer_send(p, buf);
}

bool peer_handshake(struct fakepeer *p)
{
	long id;

	if (!peer_accept(p) || !peer_send(p, PEER_GREETING))
		return false;
	id = peer_expect(p, "qmp_capabilities", NULL);
	return id >= 0 && peer_reply(p, id, "{}");
}

bool peer_wait_eof(struct fakepeer *p, int ms)
{
	char b[4096];

	for (;;) {
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };

		if (poll(&pf, 1, ms) != 1)
			return fail(p, "client did not close within %d ms", ms);
		if (recv(p->fd, b, sizeof(b), 0) <= 0)
			return true;
	}
}

void peer_close(struct fakepeer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
