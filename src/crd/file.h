/* file.h — plain file access for the offline CRD tools (format, inspect, verify, replace).
 *
 * These are the blocking pread/pwrite helpers of `sectl crd ...`; the daemon's O_DIRECT disk
 * threads live elsewhere. Every call goes through `sys_ops` (the fault seam), loops over
 * short transfers and EINTR, and on failure fills reterr with a message naming the path and
 * the byte offset. All return 0 or -errno. */
#ifndef SEC_CRD_FILE_H
#define SEC_CRD_FILE_H

#include "lib/err.h"

#include <stddef.h>
#include <stdint.h>

/* Opens path (flags as open(2); O_CLOEXEC is added by sys_ops) and returns the fd in *ret_fd. */
int crd_file_open(const char *path, int flags, int *ret_fd, struct sec_err *reterr);
void crd_file_close(int fd);
/* Reads len bytes at off; a read past the end of the file returns zeros (a sparse or short
 * file reads as empty blocks). */
int crd_file_read(int fd, const char *path, void *buf, size_t len, uint64_t off,
		  struct sec_err *reterr);
int crd_file_write(int fd, const char *path, const void *buf, size_t len, uint64_t off,
		   struct sec_err *reterr);
int crd_file_sync(int fd, const char *path, struct sec_err *reterr);
/* Size in bytes of a regular file or block device (BLKGETSIZE64). */
int crd_file_size(int fd, const char *path, uint64_t *ret_size, struct sec_err *reterr);
/* Returns 1 when fd is a block device, 0 when not, or -errno. */
int crd_file_is_blockdev(int fd, const char *path, struct sec_err *reterr);

#endif
