/* qmpparse.c — parsers of QMP replies (qmpcmd.h): pure functions of the "return" value,
 * tested against recorded QEMU 7.2 replies. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "qemu/qmpcmd.h"

static void copy_str(char *dst, size_t size, const json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(dst, size, "%s", s ? s : "");
}

int qmp_status_parse(const json_t *ret, struct qmp_status *out)
{
	const json_t *st = json_object_get(ret, "status");
	const json_t *run = json_object_get(ret, "running");

	if (!json_is_string(st) || !json_is_boolean(run))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	copy_str(out->status, sizeof(out->status), st);
	out->running = json_is_true(run);
	return 0;
}

static int block_one(const json_t *e, struct qmp_block *b)
{
	const json_t *ins = json_object_get(e, "inserted");
	const json_t *tray = json_object_get(e, "tray_open");

	if (!json_is_object(e) || !json_is_string(json_object_get(e, "device")))
		return -EPROTO;
	copy_str(b->device, sizeof(b->device), json_object_get(e, "device"));
	copy_str(b->qdev, sizeof(b->qdev), json_object_get(e, "qdev"));
	b->removable = json_is_true(json_object_get(e, "removable"));
	b->has_tray = json_is_boolean(tray);
	b->tray_open = json_is_true(tray);
	if (json_is_object(ins)) {
		b->inserted = true;
		b->read_only = json_is_true(json_object_get(ins, "ro"));
		copy_str(b->node_name, sizeof(b->node_name), json_object_get(ins, "node-name"));
		copy_str(b->file, sizeof(b->file), json_object_get(ins, "file"));
	}
	return 0;
}

int qmp_block_parse(const json_t *ret, struct qmp_block **ret_blocks)
{
	size_t n = json_array_size(ret);
	struct qmp_block *b = NULL;

	if (!json_is_array(ret))
		return -EPROTO;
	if (n > 4096)
		return -EPROTO;
	if (n) {
		b = calloc(n, sizeof(*b));
		if (!b)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (block_one(json_array_get(ret, i), &b[i]) < 0) {
			free(b);
			return -EPROTO;
		}
	}
	*ret_blocks = b;
	return (int)n;
}

const struct qmp_block *qmp_block_find(const struct qmp_block *b, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(b[i].qdev, id) || !strcmp(b[i].device, id))
			return &b[i];
	return NULL;
}

static int64_t int_or(const json_t *v)
{
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

int qmp_migrate_parse(const json_t *ret, struct qmp_migrate *out)
{
	const json_t *ram = json_object_get(ret, "ram");

	if (!json_is_object(ret))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	copy_str(out->status, sizeof(out->status), json_object_get(ret, "status"));
	out->total_time_ms = int_or(json_object_get(ret, "total-time"));
	out->downtime_ms = int_or(json_object_get(ret, "downtime"));
	out->ram_transferred = int_or(json_object_get(ram, "transferred"));
	out->ram_remaining = int_or(json_object_get(ram, "remaining"));
	out->ram_total = int_or(json_object_get(ram, "total"));
	out->dirty_pages_rate = int_or(json_object_get(ram, "dirty-pages-rate"));
	out->dirty_sync_count = int_or(json_object_get(ram, "dirty-sync-count"));
	const json_t *mbps = json_object_get(ram, "mbps");
	out->mbps = json_is_number(mbps) ? json_number_value(mbps) : -1;
	const json_t *sa = json_array_get(json_object_get(ret, "socket-address"), 0);
	copy_str(out->socket_host, sizeof(out->socket_host), json_object_get(sa, "host"));
	const json_t *port = json_object_get(sa, "port");
	if (json_is_string(port)) { /* QEMU gives the port as a string: "43211" */
		char *end;
		long v = strtol(json_string_value(port), &end, 10);
		out->socket_port = *end || v < 1 || v > 65535 ? 0 : (int)v;
	}
	else if (json_is_integer(port))
		out->socket_port = (int)json_integer_value(port);
	copy_str(out->error_desc, sizeof(out->error_desc), json_object_get(ret, "error-desc"));
	return 0;
}
