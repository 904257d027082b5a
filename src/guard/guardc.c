/* guardc.c — secd's side of the sec-guard protocol (guardc.h). */
#include "guard/guardc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct guardc {
	int fd;
	uint32_t seq;
	bool broken;                        /* a receive error: no more requests */
	/* separate send and receive scratch (17 KiB each, not on the stack): a callback of
	 * guardc_receive() may send a request while it reads the received record */
	struct guard_msg msg;
	uint8_t buf[GUARD_MSG_SIZE_MAX];
	struct guard_msg rmsg;
	uint8_t rbuf[GUARD_MSG_SIZE_MAX + 1]; /* +1: an oversized record shows as such */
};

int guardc_connect(const char *path, struct guardc **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct guardc *g;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fd < 0) {
		r = -errno;
		free(g);
		return r;
	}
	if (connect(g->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		guardc_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

int guardc_fd(const struct guardc *g)
{
	return g->fd;
}

struct guardc *guardc_free(struct guardc *g)
{
	if (!g)
		return NULL;
	if (g->fd >= 0)
		close(g->fd);
	free(g);
	return NULL;
}

/* Sends g->msg with the next seq; returns the seq or -errno. */
static int send_msg(struct guardc *g)
{
	size_t n;
	ssize_t w;

	if (g->broken)
		return -ENOTCONN;
	if (++g->seq == 0 || g->seq > INT32_MAX)
		g->seq = 1;
	g->msg.seq = g->seq;
	n = guard_msg_out(&g->msg, g->buf);
	if (!n)
		return -EINVAL;
	w = send(g->fd, g->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)w != n)
		return -EIO;
	return (int)g->seq;
}

static void msg_init(struct guardc *g, enum guard_msg_type type)
{
	memset(&g->msg, 0, sizeof(g->msg));
	g->msg.type = type;
}

static int key_set(char *dst, const char *key)
{
	if (!key || !guard_key_valid(key) || strlen(key) >= GUARD_KEY_BYTES)
		return -EINVAL;
	memcpy(dst, key, strlen(key) + 1);
	return 0;
}

int guardc_hello(struct guardc *g)
{
	msg_init(g, GUARD_MSG_HELLO);
	g->msg.hello.version = GUARD_VERSION;
	g->msg.hello.client_pid = (uint32_t)getpid();
	return send_msg(g);
}

int guardc_renew(struct guardc *g, uint64_t issue_ns, uint32_t fence_timeout_ms, uint32_t w_ms)
{
	msg_init(g, GUARD_MSG_RENEW);
	g->msg.renew.issue_ns = issue_ns;
	g->msg.renew.fence_timeout_ms = fence_timeout_ms;
	g->msg.renew.w_ms = w_ms;
	return send_msg(g);
}

static int path_set(char *dst, const char *path)
{
	if (!path)
		return 0;
	if (path[0] != '/' || strlen(path) >= GUARD_PATH_BYTES)
		return -EINVAL;
	memcpy(dst, path, strlen(path) + 1);
	return 0;
}

int guardc_spawn(struct guardc *g, const char *key, const char *const *argv,
		 const char *out_path, const char *cwd)
{
	int r;

	msg_init(g, GUARD_MSG_SPAWN);
	if ((r = key_set(g->msg.spawn.key, key)) < 0 ||
	    (r = path_set(g->msg.spawn.out_path, out_path)) < 0 ||
	    (r = path_set(g->msg.spawn.cwd, cwd)) < 0 ||
	    (r = guard_spawn_set_argv(&g->msg.spawn, argv)) < 0)
		return r;
	return send_msg(g);
}

int guardc_kill(struct guardc *g, const char *key, int sig)
{
	int r;

	msg_init(g, GUARD_MSG_KILL);
	if ((r = key_set(g->msg.kill.key, key)) < 0)
		return r;
	if (sig < 0 || sig > 64)
		return -EINVAL;
	g->msg.kill.signal = sig;
	return send_msg(g);
}

int guardc_list(struct guardc *g)
{
	msg_init(g, GUARD_MSG_LIST);
	return send_msg(g);
}

int guardc_forget(struct guardc *g, const char *key)
{
	int r;

	msg_init(g, GUARD_MSG_FORGET);
	if ((r = key_set(g->msg.forget.key, key)) < 0)
		return r;
	return send_msg(g);
}

static void dispatch(const struct guard_msg *m, const struct guardc_ops *ops, void *ud)
{
	switch (m->type) {
	case GUARD_MSG_HELLO_REPLY:
		if (ops->hello)
			ops->hello(ud, m->seq, &m->hello_reply);
		break;
	case GUARD_MSG_RESULT:
		if (ops->result)
			ops->result(ud, m->seq, &m->result);
		break;
	case GUARD_MSG_CHILD:
		if (ops->list_child)
			ops->list_child(ud, m->seq, &m->child);
		break;
	case GUARD_MSG_LIST_END:
		if (ops->list_end)
			ops->list_end(ud, m->seq, m->list_end.count);
		break;
	case GUARD_MSG_EXITED:
		if (ops->exited)
			ops->exited(ud, &m->child);
		break;
	default: /* a request type from the guard: ignored */
		break;
	}
}

int guardc_receive(struct guardc *g, const struct guardc_ops *ops, void *userdata)
{
	int count = 0;

	if (g->broken)
		return -ENOTCONN;
	for (;;) {
		ssize_t n = recv(g->fd, g->rbuf, sizeof(g->rbuf), MSG_DONTWAIT | MSG_TRUNC);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			g->broken = true;
			return -errno;
		}
		if (n == 0) {
			g->broken = true;
			return -ECONNRESET;
		}
		r = guard_msg_in(g->rbuf, (size_t)n > sizeof(g->rbuf) ? sizeof(g->rbuf) : (size_t)n,
				 &g->rmsg);
		if (r < 0) {
			g->broken = true;
			return r;
		}
		dispatch(&g->rmsg, ops, userdata);
		count++;
	}
}

int guardc_wait(struct guardc *g, int timeout_ms)
{
	struct pollfd p = {.fd = g->fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r > 0;
}
