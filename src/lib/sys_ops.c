#include "sys_ops.h"

#include <fcntl.h>
#include <unistd.h>

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags | O_CLOEXEC, mode);
}

const struct sys_ops sys_ops_real = {
	.open = real_open,
	.close = close,
	.pread = pread,
	.pwrite = pwrite,
	.fdatasync = fdatasync,
	.fstat = fstat,
	.fstatfs = fstatfs,
	.ftruncate = ftruncate,
};

const struct sys_ops *sys_ops = &sys_ops_real;
