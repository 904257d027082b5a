/* qmpcmd.c — typed QMP commands of qmpcmd.h: argument building only; the replies go to the
 * caller's done() untouched (parsers in qmpparse.c). */
#include <errno.h>
#include <stdio.h>

#include "qemu/qmpcmd.h"

static int simple(struct qmp *q, const char *name, uint32_t timeout_ms, qmp_done_fn *done,
		  void *arg)
{
	return qmp_command(q, name, NULL, timeout_ms, done, arg);
}

int qmp_cont(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "cont", timeout_ms, done, arg);
}

int qmp_stop(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "stop", timeout_ms, done, arg);
}

int qmp_quit(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "quit", timeout_ms, done, arg);
}

int qmp_system_reset(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "system_reset", timeout_ms, done, arg);
}

int qmp_system_powerdown(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "system_powerdown", timeout_ms, done, arg);
}

int qmp_query_status(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "query-status", timeout_ms, done, arg);
}

int qmp_query_block(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "query-block", timeout_ms, done, arg);
}

int qmp_query_migrate(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return simple(q, "query-migrate", timeout_ms, done, arg);
}

/* Runs name with args built by json_pack(fmt, ...): -EINVAL when a string is NULL. */
static int with_args(struct qmp *q, const char *name, json_t *args, uint32_t timeout_ms,
		     qmp_done_fn *done, void *arg)
{
	if (!args)
		return -EINVAL; /* json_pack fails on a NULL string (or ENOMEM) */
	return qmp_command(q, name, args, timeout_ms, done, arg);
}

int qmp_blockdev_open_tray(struct qmp *q, const char *dev_id, bool force, uint32_t timeout_ms,
			   qmp_done_fn *done, void *arg)
{
	return with_args(q, "blockdev-open-tray", json_pack("{s:s, s:b}", "id", dev_id, "force",
							    force),
			 timeout_ms, done, arg);
}

int qmp_blockdev_remove_medium(struct qmp *q, const char *dev_id, uint32_t timeout_ms,
			       qmp_done_fn *done, void *arg)
{
	return with_args(q, "blockdev-remove-medium", json_pack("{s:s}", "id", dev_id), timeout_ms,
			 done, arg);
}

int qmp_blockdev_add(struct qmp *q, const char *node, const char *path, bool read_only,
		     bool cache_direct, uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	json_t *a = json_pack("{s:s, s:s, s:b, s:{s:b, s:b}, s:{s:s, s:s}}", "driver", "raw",
			      "node-name", node, "read-only", read_only, "cache", "direct",
			      cache_direct, "no-flush", 0, "file", "driver", "file", "filename",
			      path);

	return with_args(q, "blockdev-add", a, timeout_ms, done, arg);
}

int qmp_blockdev_insert_medium(struct qmp *q, const char *dev_id, const char *node,
			       uint32_t timeout_ms, qmp_done_fn *done, void *arg)
{
	return with_args(q, "blockdev-insert-medium",
			 json_pack("{s:s, s:s}", "id", dev_id, "node-name", node), timeout_ms, done,
			 arg);
}

int qmp_blockdev_close_tray(struct qmp *q, const char *dev_id, uint32_t timeout_ms,
			    qmp_done_fn *done, void *arg)
{
	return with_args(q, "blockdev-close-tray", json_pack("{s:s}", "id", dev_id), timeout_ms,
			 done, arg);
}

int qmp_blockdev_del(struct qmp *q, const char *node, uint32_t timeout_ms, qmp_done_fn *done,
		     void *arg)
{
	return with_args(q, "blockdev-del", json_pack("{s:s}", "node-name", node), timeout_ms,
			 done, arg);
}

void qmp_media_node_name(char *buf, size_t size, const char *mn, unsigned n)
{
	snprintf(buf, size, "med-%s-%u", mn, n);
}
