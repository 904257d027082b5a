/* qmp_client.h — the client side of the QMP unit tests: a uv loop in the main thread, a
 * qmp connection whose callbacks record what they saw, and run_until() (a condition with a
 * deadline, checked on every loop turn; a 2 ms tick keeps the loop turning). */
#ifndef TEST_QMP_CLIENT_H
#define TEST_QMP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "qemu/qmp.h"

#define CL_MAX 32

struct cl_rep {
	int err;
	char cmd[32];
	char cls[64];
	char desc[256];
	char ret[2048]; /* the "return" value as compact JSON */
	uint64_t sent_ns, recv_ns;
};

struct cl_ev {
	char name[32];
	char data[256];
	int64_t ts_us;
	uint64_t recv_ns;
};

struct cl {
	uv_loop_t loop;
	uv_timer_t tick;
	struct qmp *q;
	int ready;
	char version[256];
	int nclosed;
	int closed_err;
	char closed_msg[512];
	int nrep;
	struct cl_rep rep[CL_MAX];
	int nev;
	struct cl_ev ev[CL_MAX];
	/* hooks: free q inside the n-th done() (1-based; 0 = never), inside an event, closed */
	int free_in_done;
	bool free_in_event;
	bool free_in_closed;
};

void cl_init(struct cl *c);
/* qmp_new() with the recording callbacks; returns its result */
int cl_connect(struct cl *c, const char *path, uint32_t timeout_ms);
/* the done() that records into c (arg = c) */
void cl_done(void *arg, const struct qmp_reply *r);
bool cl_run_until(struct cl *c, bool (*cond)(struct cl *), int ms);
/* frees q (if still there), runs the loop until every handle is closed, closes the loop:
 * returns uv_loop_close()'s result (0, or UV_EBUSY when a handle was left open) */
int cl_fini(struct cl *c);

bool cl_is_ready(struct cl *c);
bool cl_is_closed(struct cl *c);

#endif
