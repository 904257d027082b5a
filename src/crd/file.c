/* file.c — see file.h. */
#include "crd/file.h"

#include "lib/sys_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

int crd_file_open(const char *path, int flags, int *ret_fd, struct sec_err *reterr)
{
	int fd = sys_ops->open(path, flags, 0600);

	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot open '%s': %s", path, strerror(errno));
	*ret_fd = fd;
	return 0;
}

void crd_file_close(int fd)
{
	if (fd >= 0)
		sys_ops->close(fd);
}

int crd_file_read(int fd, const char *path, void *buf, size_t len, uint64_t off,
		  struct sec_err *reterr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = sys_ops->pread(fd, (char *)buf + done, len - done,
					   (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sec_errf(reterr, -errno, "cannot read '%s' at offset %llu: %s", path,
					(unsigned long long)(off + done), strerror(errno));
		if (n == 0) { /* past the end: reads as never written */
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

int crd_file_write(int fd, const char *path, const void *buf, size_t len, uint64_t off,
		   struct sec_err *reterr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = sys_ops->pwrite(fd, (const char *)buf + done, len - done,
					    (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sec_errf(reterr, n < 0 ? -errno : -EIO,
					"cannot write '%s' at offset %llu: %s", path,
					(unsigned long long)(off + done),
					n < 0 ? strerror(errno) : "short write");
		done += (size_t)n;
	}
	return 0;
}

int crd_file_sync(int fd, const char *path, struct sec_err *reterr)
{
	if (sys_ops->fdatasync(fd) < 0)
		return sec_errf(reterr, -errno, "cannot sync '%s': %s", path, strerror(errno));
	return 0;
}

int crd_file_size(int fd, const char *path, uint64_t *ret_size, struct sec_err *reterr)
{
	struct stat st;
	uint64_t size;

	if (sys_ops->fstat(fd, &st) < 0)
		return sec_errf(reterr, -errno, "cannot stat '%s': %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return sec_errf(reterr, -errno, "cannot get the size of '%s': %s", path,
					strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		return sec_errf(reterr, -EINVAL, "'%s' is neither a file nor a block device",
				path);
	}
	*ret_size = size;
	return 0;
}

int crd_file_is_blockdev(int fd, const char *path, struct sec_err *reterr)
{
	struct stat st;

	if (sys_ops->fstat(fd, &st) < 0)
		return sec_errf(reterr, -errno, "cannot stat '%s': %s", path, strerror(errno));
	return S_ISBLK(st.st_mode);
}

/* statfs f_type values of the file systems crd.md §1 accepts for external CRD files */
#define FS_NFS 0x6969
#define FS_GFS2 0x01161970
#define FS_OCFS2 0x7461636f

int crd_file_check_shared(const char *path, bool unsafe_ok, struct sec_err *reterr)
{
	struct statfs sf;
	struct stat st;
	char dir[4096];
	const char *slash;
	int fd, r;

	fd = sys_ops->open(path, O_RDONLY, 0);
	if (fd < 0 && errno == ENOENT) { /* not created yet: its directory decides */
		slash = strrchr(path, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1,
			 slash ? path : ".");
		fd = sys_ops->open(dir, O_RDONLY | O_DIRECTORY, 0);
	}
	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot open '%s': %s", path, strerror(errno));
	r = sys_ops->fstat(fd, &st) < 0 || sys_ops->fstatfs(fd, &sf) < 0 ? -errno : 0;
	sys_ops->close(fd);
	if (r < 0)
		return sec_errf(reterr, r, "cannot stat the file system of '%s': %s", path,
				strerror(-r));
	if (S_ISBLK(st.st_mode) || unsafe_ok || sf.f_type == FS_NFS || sf.f_type == FS_GFS2 ||
	    sf.f_type == FS_OCFS2)
		return 0;
	return sec_errf(reterr, -EPERM,
			"'%s' is a file on a local file system (type 0x%lx): an external CRD disk "
			"must be a block device or a file on NFS, GFS2 or OCFS2; "
			"'sectl ... --unsafe-crd-fs' or key 'unsafe_crd_fs = true' of secd accepts "
			"it (only where every unit runs on this host)",
			path, (unsigned long)sf.f_type);
}
