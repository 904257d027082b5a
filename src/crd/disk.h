/* disk.h — one open CRD disk and its synchronous block I/O (crd.md §1 "I/O rules").
 *
 * Usage: crd_disk_open() a file or block device, then crd_disk_pread()/crd_disk_pwrite()/
 * crd_disk_sync() on 4 KiB aligned offsets with 4 KiB aligned buffers from crd_buf_alloc().
 * These calls block; only the disk's own I/O thread (io.h) calls them in the daemon, tools
 * and tests may call them directly. Every call goes through `sys_ops` (the fault seam) and
 * checks the named fault points of fault.h first:
 *
 *   "crd.read:PATH"   crd_disk_pread()
 *   "crd.write:PATH"  crd_disk_pwrite() and crd_disk_sync()
 *
 * (PATH as given to crd_disk_open(), so a test targets one disk with an fnmatch pattern such
 * as "crd.write:*d1"). Actions and the semantics chosen here:
 *
 *   fail [errno]  the call returns -errno (default EIO) and does nothing;
 *   hang          the call blocks until the rule is removed (polls fault_active() every
 *                 millisecond, like a kernel I/O stuck in a queue), then runs normally;
 *   delay ms      the call sleeps ms, then runs normally;
 *   tear bytes    pwrite only: writes only the first `bytes` of the buffer (rounded down to
 *                 4 KiB when the disk is open with O_DIRECT), then returns -EIO; a torn write
 *                 is partial data on disk and a failed call (a crash would report nothing);
 *   late ms       pwrite only: returns -ETIMEDOUT at once, and a detached helper thread writes
 *                 the same bytes ms later (plus fdatasync) on a dup of the fd — the "land
 *                 late" fault of crd.md §1; crd_disk_late_pending() counts the landings still
 *                 to come, so a test can wait for them. For a sync or a read, `late` acts as
 *                 `fail ETIMEDOUT`.
 * The "stale read" fault of crd.md §1 is not implemented at this layer (see io.h). */
#ifndef SEC_CRD_DISK_H
#define SEC_CRD_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct crd_disk {
	char *path;
	int fd;
	bool direct;          /* O_DIRECT in effect; false only where the fs refused it */
	uint64_t size;        /* bytes (st_size, or the device size) */
	char *fault_read;     /* "crd.read:PATH" */
	char *fault_write;    /* "crd.write:PATH" */
};

/* Opens path O_RDWR|O_DIRECT|O_CLOEXEC (falls back to buffered I/O only when open() refuses
 * O_DIRECT with EINVAL, and then sets d->direct = false). Returns 0 and *ret (owned by the
 * caller, free with crd_disk_close()), or -errno with reterr naming the path. */
int crd_disk_open(const char *path, struct crd_disk **ret, struct sec_err *reterr);
/* Closes and frees d; accepts NULL; returns NULL. */
struct crd_disk *crd_disk_close(struct crd_disk *d);

/* Reads exactly len bytes at off (both multiples of CRD_BLOCK; buf 4 KiB aligned).
 * Returns 0, -EIO on a short read (past the end), or -errno. */
int crd_disk_pread(struct crd_disk *d, void *buf, size_t len, uint64_t off);
/* Writes exactly len bytes at off (same rules). No fdatasync: call crd_disk_sync().
 * Returns 0, -EIO (short or torn write), -ETIMEDOUT (late fault) or -errno. */
int crd_disk_pwrite(struct crd_disk *d, const void *buf, size_t len, uint64_t off);
/* fdatasync(2). Returns 0 or -errno. */
int crd_disk_sync(struct crd_disk *d);

/* Late-landing writes (fault `late`) not yet landed, process-wide. */
int crd_disk_late_pending(void);

/* A zeroed buffer of len bytes (rounded up to 4 KiB) aligned to 4 KiB, or NULL (ENOMEM).
 * Free with crd_buf_free() (or free(3), which bypasses the reuse below). */
void *crd_buf_alloc(size_t len);

/* Frees a crd_buf_alloc() buffer of len bytes (the len it was allocated with). Buffers of
 * CRD_IO_CHUNK bytes are kept, up to 8 (2 MiB), for the next crd_buf_alloc(): a fresh 256 KiB
 * buffer per slot-area read cost an MU's secd ~20 ms of CPU per second in the lab (secd's
 * mlockall populates every new mapping, and on a host that charges for fresh memory that
 * is most of the observer's work; docs/benchmarks.md "The lab's idle CPU"). Thread-safe. */
void crd_buf_free(void *p, size_t len);

#endif
