/* qmpmedia.c — detach and attach of a removable medium as one operation (qmpcmd.h): the
 * steps run one after the other, each issued from the previous step's done(), so a failed
 * step stops the rest. docs/qemu.md has the QMP and the times measured on QEMU 7.2. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/qmpcmd.h"

enum media_step { M_OPEN = 1, M_REMOVE, M_DEL, M_ADD, M_INSERT, M_CLOSE, M_END };

struct media_op {
	struct qmp *q;
	enum media_step steps[4];
	int cur;
	char *dev_id, *node, *path;
	bool read_only, cache_direct;
	uint32_t timeout_ms;
	qmp_done_fn *done;
	void *arg;
};

static void op_free(struct media_op *op)
{
	free(op->dev_id);
	free(op->node);
	free(op->path);
	free(op);
}

static void on_step(void *arg, const struct qmp_reply *r);

static int issue(struct media_op *op)
{
	struct qmp *q = op->q;
	uint32_t to = op->timeout_ms;

	switch (op->steps[op->cur]) {
	case M_OPEN:
		return qmp_blockdev_open_tray(q, op->dev_id, true, to, on_step, op);
	case M_REMOVE:
		return qmp_blockdev_remove_medium(q, op->dev_id, to, on_step, op);
	case M_DEL:
		return qmp_blockdev_del(q, op->node, to, on_step, op);
	case M_ADD:
		return qmp_blockdev_add(q, op->node, op->path, op->read_only, op->cache_direct, to,
					on_step, op);
	case M_INSERT:
		return qmp_blockdev_insert_medium(q, op->dev_id, op->node, to, on_step, op);
	case M_CLOSE:
		return qmp_blockdev_close_tray(q, op->dev_id, to, on_step, op);
	default:
		return -EINVAL;
	}
}

static void on_step(void *arg, const struct qmp_reply *r)
{
	struct media_op *op = arg;
	int e;

	op->cur++;
	if (r->err == 0 && op->steps[op->cur] != M_END) {
		e = issue(op);
		if (e == 0)
			return;
		/* the next step could not be sent: report that, as a reply of that step */
		struct qmp_reply f = { .err = e, .error_class = "", .error_desc = "",
				       .command = "", .sent_ns = 0, .recv_ns = 0 };
		op->done(op->arg, &f);
		op_free(op);
		return;
	}
	op->done(op->arg, r);
	op_free(op);
}

static int start(struct media_op *op)
{
	int r;

	if (!op->dev_id || (op->steps[0] == M_ADD && (!op->node || !op->path))) {
		op_free(op);
		return -ENOMEM;
	}
	r = issue(op);
	if (r < 0)
		op_free(op);
	return r;
}

static struct media_op *op_new(struct qmp *q, const char *dev_id, const char *node,
			       uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	struct media_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->q = q;
	op->dev_id = strdup(dev_id);
	op->node = node ? strdup(node) : NULL;
	op->timeout_ms = timeout_ms;
	op->done = done;
	op->arg = arg;
	return op;
}

int qmp_medium_detach(struct qmp *q, const char *dev_id, const char *node, uint32_t timeout_ms,
		      qmp_done_fn *done, void *arg)
{
	struct media_op *op;

	if (!q || !dev_id || !*dev_id || !done)
		return -EINVAL;
	op = op_new(q, dev_id, node, timeout_ms, done, arg);
	if (!op)
		return -ENOMEM;
	op->steps[0] = M_OPEN;
	op->steps[1] = M_REMOVE;
	op->steps[2] = node ? M_DEL : M_END;
	op->steps[3] = M_END;
	if (node && !op->node) {
		op_free(op);
		return -ENOMEM;
	}
	return start(op);
}

int qmp_medium_attach(struct qmp *q, const char *dev_id, const char *node, const char *path,
		      bool read_only, bool cache_direct, uint32_t timeout_ms, qmp_done_fn *done,
		      void *arg)
{
	struct media_op *op;

	if (!q || !dev_id || !*dev_id || !node || !*node || !path || !*path || !done)
		return -EINVAL;
	op = op_new(q, dev_id, node, timeout_ms, done, arg);
	if (!op)
		return -ENOMEM;
	op->path = strdup(path);
	op->read_only = read_only;
	op->cache_direct = cache_direct;
	op->steps[0] = M_ADD;
	op->steps[1] = M_INSERT;
	op->steps[2] = M_CLOSE;
	op->steps[3] = M_END;
	return start(op);
}
