/* child.h — the guests of sec-guard: start, reap, kill, fence (crd.md §4 "Fencing layers"
 * 1, 2 and 5). Used only by the guard (single-threaded).
 *
 * A table of at most GUARD_CHILDREN_MAX entries, one per key. child_spawn() forks and
 * execs with PR_SET_PDEATHSIG(SIGKILL) (checked against the race with the guard's death),
 * default signal mask and dispositions, SCHED_OTHER at nice 10, stdin /dev/null, stdout and
 * stderr appended to the given file, every other descriptor closed, in the guard's process
 * group. It waits only until exec() succeeded or failed (a close-on-exec pipe). A reaped
 * child keeps its entry (wait status, end time) until child_forget() or a new spawn of its
 * key. child_fence() SIGKILLs every running guest and records it in
 * <data_dir>/fenced/<key> ("time=... boottime_ns=... pid=... reason=..."; file and directory
 * fsync'ed); a fenced key cannot be spawned again until it is forgotten, also after a
 * restart of the guard (child_table_init() loads fenced/). */
#ifndef SEC_GUARD_CHILD_H
#define SEC_GUARD_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "guard/guardmsg.h"
#include "lib/err.h"

#define GUARD_CHILDREN_MAX 128

struct child_table {
	int data_fd;                 /* the data directory (O_PATH) */
	int fenced_fd;               /* <data_dir>/fenced */
	unsigned n_used;
	bool used[GUARD_CHILDREN_MAX];
	struct guard_child c[GUARD_CHILDREN_MAX];
};

/* Opens data_dir and creates <data_dir>/fenced (0700); loads every fenced/<key> record as
 * a reaped FENCED entry. Returns 0 or -errno with reterr naming the path. */
int child_table_init(struct child_table *t, const char *data_dir, struct sec_err *reterr);
void child_table_close(struct child_table *t);

/* The entry of key, or NULL. */
struct guard_child *child_find(struct child_table *t, const char *key);
/* Guests not yet reaped; of them, those not killed by fencing. */
unsigned child_unreaped(const struct child_table *t);
unsigned child_alive(const struct child_table *t);

/* Starts s (decoded, so key, paths and argv are valid). Returns the pid, or -EEXIST (key
 * runs), -EPERM (key was fenced), -ENOSPC (table full), -ENOENT/-EACCES/... (exec or
 * opening out_path/cwd failed, reterr says which). */
int child_spawn(struct child_table *t, const struct guard_spawn *s, uint64_t now_ns,
		struct sec_err *reterr);
/* Reaps every child that exited (waitpid WNOHANG) and calls cb with its final entry. */
void child_reap(struct child_table *t, uint64_t now_ns,
		void (*cb)(void *userdata, const struct guard_child *c), void *userdata);
/* SIGKILLs every alive guest, marks it FENCED and writes its fenced/ record with reason.
 * Returns how many were fenced. Logs each (warning). */
unsigned child_fence(struct child_table *t, const char *reason);
/* SIGKILLs every running guest (guard shutdown). */
void child_kill_all(struct child_table *t);
/* Drops a reaped entry of key and its fenced/ record. Returns 0, -ENOENT (neither
 * exists), -EBUSY (the child runs), -errno of unlink. */
int child_forget(struct child_table *t, const char *key);

#endif
