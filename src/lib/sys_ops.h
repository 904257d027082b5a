/* sys_ops.h — the fault seam (SQLite os_unix.c style): every file operation of the CRD goes
 * through this table, so tests can replace a call (fail, hang, tear, land late) without
 * touching the code above. `sys_ops` points at the real table unless a test swaps it;
 * swapping is done before any thread starts and restored afterwards (not thread-safe). */
#ifndef SEC_SYS_OPS_H
#define SEC_SYS_OPS_H

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

struct sys_ops {
	int (*open)(const char *path, int flags, mode_t mode);
	int (*close)(int fd);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
	int (*fstat)(int fd, struct stat *st);
	int (*fstatfs)(int fd, struct statfs *st);
	int (*ftruncate)(int fd, off_t len);
};

extern const struct sys_ops sys_ops_real;
extern const struct sys_ops *sys_ops;

#endif
