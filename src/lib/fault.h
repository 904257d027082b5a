/* fault.h — named fault points, inert unless a test enables them (style.md, SQLite's
 * test VFS is the model).
 *
 * A fault point is a string such as "crd.write:/path/to/disk" or "crd.region.before-b".
 * Code asks fault_check(point, &spec) at the place the fault would happen; it returns true
 * when an enabled rule matches (fnmatch pattern on the point name) and has hits left.
 * Rules come from fault_set() (unit tests), or from the file named by the environment
 * variable SECLUSTER_FAULT_FILE, re-read whenever its mtime changes, so a test can turn
 * faults on and off in a running process. One rule a line:
 *
 *     PATTERN ACTION [ARG] [count=N]
 *
 * ACTION: fail [errno-number, default EIO] | hang (until the rule is removed) |
 *         tear [bytes written before the tear] | delay [ms] | late [ms: report ETIMEDOUT
 *         at once, then complete the write ARG ms later] | kill (SIGKILL self).
 * With neither set, fault_check() costs one relaxed atomic load. Thread-safe. */
#ifndef SEC_FAULT_H
#define SEC_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault_action {
	FAULT_NONE = 0,
	FAULT_FAIL,
	FAULT_HANG,
	FAULT_TEAR,
	FAULT_DELAY,
	FAULT_LATE,
	FAULT_KILL,
	FAULT_MAX
};

struct fault_spec {
	enum fault_action action;
	uint64_t arg; /* errno for fail, bytes for tear, ms for delay and late */
	uint32_t count; /* hits left; 0 = unlimited */
};

const char *fault_action_to_string(enum fault_action a);
/* Adds or replaces the rule for pattern. Returns 0 or -ENOMEM / -EINVAL. */
int fault_set(const char *pattern, const struct fault_spec *spec);
void fault_clear_all(void);
/* True when a rule matches point; fills ret (if not NULL) and consumes one hit.
 * FAULT_KILL is carried out here (the process dies). */
bool fault_check(const char *point, struct fault_spec *ret);
/* True while a rule matching point exists (used by `hang` to wait for its removal). */
bool fault_active(const char *point);
/* Parses one rule line (see above). Returns 0 or -EINVAL. */
int fault_parse_line(const char *line, char *ret_pattern, size_t pattern_len,
		     struct fault_spec *ret_spec);

#endif
