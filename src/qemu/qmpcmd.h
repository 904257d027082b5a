/* qmpcmd.h — typed QMP commands over qmp.h and parsers of their replies (vm2000.md §2,
 * shared layout of issue 4; research/qemu-lm2.md Experiment 2 for the media commands).
 *
 * Each helper builds the arguments and calls qmp_command(): same return values, same
 * done() contract. The parsers are pure functions of a reply's "return" value, so they are
 * tested against recorded QEMU 7.2 replies (tests/unit/data/qmp/).
 *
 * VM lifecycle (shared.md): INIT-ONLY = QEMU with -S; /START-VM = qmp_cont(); from DOWN
 * qmp_system_reset() + qmp_cont(); /SHUTDOWN-VM = qmp_system_powerdown() then qmp_quit();
 * /DELETE-VM = qmp_quit().
 *
 * Removable media (tapes: scsi-cd; local disks: scsi-hd removable=on), by the device id
 * ("dev-T0"), docs/qemu.md has the measured QMP:
 *     detach: qmp_blockdev_open_tray(force) + qmp_blockdev_remove_medium()
 *             [+ qmp_blockdev_del(node) when the medium came from qmp_blockdev_add()]
 *     attach: qmp_blockdev_add(node, file) + qmp_blockdev_insert_medium(node)
 *             + qmp_blockdev_close_tray()
 *     check:  qmp_query_block() → qmp_block_parse()
 * Use a fresh node name per attach (qmp_media_node_name()). */
#ifndef SEC_QEMU_QMPCMD_H
#define SEC_QEMU_QMPCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "qemu/qmp.h"

int qmp_cont(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_stop(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
/* QEMU answers, then closes the socket and exits (closed() with -ECONNRESET follows). */
int qmp_quit(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_system_reset(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_system_powerdown(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_query_status(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_query_block(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
/* Skeleton for the LM issue: the reply is parsed by qmp_migrate_parse(). */
int qmp_query_migrate(struct qmp *q, uint32_t timeout_ms, qmp_done_fn *done, void *arg);

/* dev_id: the qdev id ("dev-T0"). force opens a tray the guest locked. */
int qmp_blockdev_open_tray(struct qmp *q, const char *dev_id, bool force, uint32_t timeout_ms,
			   qmp_done_fn *done, void *arg);
int qmp_blockdev_remove_medium(struct qmp *q, const char *dev_id, uint32_t timeout_ms,
			       qmp_done_fn *done, void *arg);
/* Adds node `node` = format raw over the file at path; read_only for tapes; cache_direct
 * (O_DIRECT, the -drive cache=none of qemu_argv.h) when the file's file system allows it. */
int qmp_blockdev_add(struct qmp *q, const char *node, const char *path, bool read_only,
		     bool cache_direct, uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_blockdev_insert_medium(struct qmp *q, const char *dev_id, const char *node,
			       uint32_t timeout_ms, qmp_done_fn *done, void *arg);
int qmp_blockdev_close_tray(struct qmp *q, const char *dev_id, uint32_t timeout_ms,
			    qmp_done_fn *done, void *arg);
int qmp_blockdev_del(struct qmp *q, const char *node, uint32_t timeout_ms, qmp_done_fn *done,
		     void *arg);

/* The whole detach as one operation: blockdev-open-tray (force) + blockdev-remove-medium
 * [+ blockdev-del of node, when node is not NULL: a medium that qmp_medium_attach() or
 * qmp_blockdev_add() put in; a -drive medium needs none], one after the other, each with
 * timeout_ms. done() is called once: with the reply of the first step that failed (its
 * r->command says which; later steps are not sent) or of the last step. Returns as
 * qmp_command() (then done() is never called). Strings are copied. */
int qmp_medium_detach(struct qmp *q, const char *dev_id, const char *node, uint32_t timeout_ms,
		      qmp_done_fn *done, void *arg);
/* The whole attach: blockdev-add (node over path, raw; read_only; cache_direct) +
 * blockdev-insert-medium + blockdev-close-tray; done() as for qmp_medium_detach(). A failure
 * after blockdev-add leaves the node behind: the caller may blockdev-del it. */
int qmp_medium_attach(struct qmp *q, const char *dev_id, const char *node, const char *path,
		      bool read_only, bool cache_direct, uint32_t timeout_ms, qmp_done_fn *done,
		      void *arg);

/* A node name for the n-th attach of MN: "med-<MN>-<n>" into buf (>= 32 bytes). */
void qmp_media_node_name(char *buf, size_t size, const char *mn, unsigned n);

/* query-status: "running", "paused", "prelaunch", "shutdown", "inmigrate", "postmigrate",
 * "guest-panicked", ... */
struct qmp_status {
	bool running;
	char status[32];
};
/* Returns 0, or -EPROTO (ret has not that shape). */
int qmp_status_parse(const json_t *ret, struct qmp_status *out);

/* One entry of query-block. */
struct qmp_block {
	char device[64];     /* the -drive id ("drv-T0"); "" for a -blockdev-only device */
	char qdev[128];	     /* the device's id ("dev-T0") or QOM path */
	bool removable;
	bool has_tray;	     /* tray_open is meaningful */
	bool tray_open;
	bool inserted;	     /* a medium is present */
	bool read_only;	     /* the medium's "ro" */
	char node_name[64];  /* the medium's node-name ("#block123" for -drive media) */
	char file[4096];     /* the medium's "file" (the backing file name) */
};
/* Parses query-block's return array. Returns the count >= 0 and *ret (an array the caller
 * frees with free(); NULL when the count is 0), or -EPROTO, -ENOMEM. */
int qmp_block_parse(const json_t *ret, struct qmp_block **ret_blocks);
/* The entry of device id dev_id ("dev-T0") or drive id, or NULL. */
const struct qmp_block *qmp_block_find(const struct qmp_block *b, size_t n, const char *id);

/* query-migrate, the fields the LM uses (source progress; target listening address). */
struct qmp_migrate {
	char status[32];	    /* "" (none yet), "setup", "active", "completed", "failed", ... */
	int64_t total_time_ms;	    /* -1 when absent */
	int64_t downtime_ms;	    /* -1 when absent */
	int64_t ram_transferred;    /* bytes, -1 when absent */
	int64_t ram_remaining;	    /* bytes, -1 when absent */
	int64_t ram_total;	    /* bytes, -1 when absent */
	int64_t dirty_pages_rate;   /* pages/s, -1 when absent */
	double mbps;		    /* Mbit/s of the last iteration, -1 when absent */
	int64_t dirty_sync_count;   /* RAM iterations so far, -1 when absent */
	char socket_host[64];	    /* target after migrate-incoming: "socket-address"[0] */
	int socket_port;	    /* its port, 0 when absent */
	char error_desc[256];	    /* "" when absent */
};
int qmp_migrate_parse(const json_t *ret, struct qmp_migrate *out);

#endif
