/* disk.c — see disk.h. */
#include "crd/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crd/io.h"
#include "crd/ondisk.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/sys_ops.h"

static _Atomic int disk_late_pending;

/* Freed CRD_IO_CHUNK buffers kept for the next crd_buf_alloc() (see disk.h): a slot-area
 * or region read takes one per piece, several times a second on an MU. */
#define BUF_KEEP 8
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
static void *buf_kept[BUF_KEEP];
static int buf_nkept;

static size_t buf_round(size_t len)
{
	size_t n = (len + CRD_BLOCK - 1) / CRD_BLOCK * CRD_BLOCK;

	return n ? n : CRD_BLOCK;
}

void *crd_buf_alloc(size_t len)
{
	size_t n = buf_round(len);
	void *p = NULL;

	if (n == CRD_IO_CHUNK) {
		pthread_mutex_lock(&buf_lock);
		if (buf_nkept > 0)
			p = buf_kept[--buf_nkept];
		pthread_mutex_unlock(&buf_lock);
	}
	if (!p && posix_memalign(&p, CRD_BLOCK, n) != 0)
		return NULL;
	memset(p, 0, n);
	return p;
}

void crd_buf_free(void *p, size_t len)
{
	if (!p)
		return;
	if (buf_round(len) == CRD_IO_CHUNK) {
		pthread_mutex_lock(&buf_lock);
		if (buf_nkept < BUF_KEEP) {
			buf_kept[buf_nkept++] = p;
			p = NULL;
		}
		pthread_mutex_unlock(&buf_lock);
	}
	free(p);
}

int crd_disk_late_pending(void)
{
	return atomic_load(&disk_late_pending);
}

static void disk_sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int crd_disk_open(const char *path, struct crd_disk **ret, struct sec_err *reterr)
{
	struct crd_disk *d;
	struct stat st;
	int fd, r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return sec_errf(reterr, -ENOMEM, "out of memory opening crd disk '%s'", path);
	d->fd = -1;
	d->direct = true;
	fd = sys_ops->open(path, O_RDWR | O_DIRECT | O_CLOEXEC, 0);
	if (fd < 0 && errno == EINVAL) {
		/* Only a file system that the statfs check of file.c accepted (or unsafe_crd_fs)
		 * gets here; buffered I/O weakens the staleness rules of crd.md §2 across hosts
		 * (docs/install.md), so an operator must see it. */
		log_warnx("crd disk '%s' refuses O_DIRECT: using buffered I/O with fdatasync; "
			  "another host may read stale blocks of it (docs/install.md)", path);
		d->direct = false;
		fd = sys_ops->open(path, O_RDWR | O_CLOEXEC, 0);
	}
	if (fd < 0) {
		r = -errno;
		free(d);
		return sec_errf(reterr, r, "cannot open crd disk '%s': %s", path, strerror(-r));
	}
	d->fd = fd;
	if (sys_ops->fstat(fd, &st) < 0) {
		r = sec_errf(reterr, -errno, "cannot stat crd disk '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz;
		if (ioctl(fd, BLKGETSIZE64, &sz) < 0) {
			r = sec_errf(reterr, -errno, "cannot get the size of crd disk '%s': %s", path,
				     strerror(errno));
			goto fail;
		}
		d->size = sz;
	} else if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
	} else {
		r = sec_errf(reterr, -EINVAL, "crd disk '%s' is neither a file nor a block device",
			     path);
		goto fail;
	}
	d->path = strdup(path);
	if (!d->path || asprintf(&d->fault_read, "crd.read:%s", path) < 0 ||
	    asprintf(&d->fault_write, "crd.write:%s", path) < 0) {
		d->fault_read = d->fault_write = NULL;
		r = sec_errf(reterr, -ENOMEM, "out of memory opening crd disk '%s'", path);
		goto fail;
	}
	*ret = d;
	return 0;
fail:
	crd_disk_close(d);
	return r;
}

struct crd_disk *crd_disk_close(struct crd_disk *d)
{
	if (!d)
		return NULL;
	if (d->fd >= 0)
		sys_ops->close(d->fd);
	free(d->path);
	free(d->fault_read);
	free(d->fault_write);
	free(d);
	return NULL;
}

/* Applies the fault rule matching point, if any. Returns 1 to go on with the syscall,
 * or <= 0 as the call's result. tear and late_ms receive the write-only actions. */
static int disk_fault(const char *point, size_t *tear, uint64_t *late_ms)
{
	struct fault_spec s;

	if (!fault_check(point, &s))
		return 1;
	switch (s.action) {
	case FAULT_FAIL:
		return -(int)(s.arg ? s.arg : EIO);
	case FAULT_HANG:
		log_debug("fault: '%s' hangs", point);
		while (fault_active(point))
			disk_sleep_ms(1);
		return 1;
	case FAULT_DELAY:
		disk_sleep_ms(s.arg);
		return 1;
	case FAULT_TEAR:
		if (!tear)
			return 1;
		*tear = (size_t)s.arg;
		return 1;
	case FAULT_LATE:
		if (!late_ms)
			return -ETIMEDOUT;
		*late_ms = s.arg;
		return 1;
	default:
		return 1;
	}
}

int crd_disk_pread(struct crd_disk *d, void *buf, size_t len, uint64_t off)
{
	ssize_t n;
	int r = disk_fault(d->fault_read, NULL, NULL);

	if (r <= 0)
		return r;
	n = sys_ops->pread(d->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

struct disk_late {
	int fd;
	void *buf;
	size_t len;
	uint64_t off;
	uint64_t ms;
};

static void *disk_late_main(void *arg)
{
	struct disk_late *l = arg;

	disk_sleep_ms(l->ms);
	if (sys_ops->pwrite(l->fd, l->buf, l->len, (off_t)l->off) < 0 ||
	    sys_ops->fdatasync(l->fd) < 0)
		log_debug("fault: late write at %llu failed: %s", (unsigned long long)l->off,
			  strerror(errno));
	sys_ops->close(l->fd);
	free(l->buf);
	free(l);
	atomic_fetch_sub(&disk_late_pending, 1);
	return NULL;
}

/* Starts the detached helper of fault `late`. Returns 0 or -errno. */
static int disk_late_start(struct crd_disk *d, const void *buf, size_t len, uint64_t off,
			   uint64_t ms)
{
	struct disk_late *l = calloc(1, sizeof(*l));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!l)
		return -ENOMEM;
	l->buf = crd_buf_alloc(len);
	l->fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
	if (!l->buf || l->fd < 0) {
		r = l->buf ? -errno : -ENOMEM;
		goto fail;
	}
	memcpy(l->buf, buf, len);
	l->len = len;
	l->off = off;
	l->ms = ms;
	atomic_fetch_add(&disk_late_pending, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&t, &attr, disk_late_main, l);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return 0;
	atomic_fetch_sub(&disk_late_pending, 1);
fail:
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	free(l);
	return r;
}

int crd_disk_pwrite(struct crd_disk *d, const void *buf, size_t len, uint64_t off)
{
	size_t tear = SIZE_MAX;
	uint64_t late_ms = UINT64_MAX;
	ssize_t n;
	int r = disk_fault(d->fault_write, &tear, &late_ms);

	if (r <= 0)
		return r;
	if (late_ms != UINT64_MAX) {
		r = disk_late_start(d, buf, len, off, late_ms);
		log_debug("fault: write of %zu bytes at %llu on '%s' lands %llu ms late", len,
			  (unsigned long long)off, d->path, (unsigned long long)late_ms);
		return r < 0 ? r : -ETIMEDOUT;
	}
	if (tear != SIZE_MAX) {
		if (tear > len)
			tear = len;
		if (d->direct)
			tear = tear / CRD_BLOCK * CRD_BLOCK;
		log_debug("fault: write of %zu bytes at %llu on '%s' torn after %zu bytes", len,
			  (unsigned long long)off, d->path, tear);
		if (tear > 0 && sys_ops->pwrite(d->fd, buf, tear, (off_t)off) < 0)
			return -errno;
		return -EIO;
	}
	n = sys_ops->pwrite(d->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int crd_disk_sync(struct crd_disk *d)
{
	int r = disk_fault(d->fault_write, NULL, NULL);

	if (r <= 0)
		return r;
	return sys_ops->fdatasync(d->fd) < 0 ? -errno : 0;
}
