/* proccpu.c — see proccpu.h. */
#include "lib/proccpu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first number of the schedstat file at dirfd/name, or -errno. */
static int64_t thread_ns(int dirfd, const char *name)
{
	char path[300], buf[96];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/schedstat", name);
	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	buf[n] = '\0';
	char *end;
	uint64_t ns = strtoull(buf, &end, 10);
	return end == buf ? -ENOENT : (int64_t)ns;
}

int64_t proc_cpu_ns(int pid)
{
	char path[32];
	DIR *dir;
	struct dirent *e;
	int64_t sum = 0, n, err = -ESRCH;
	unsigned threads = 0;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(dir = opendir(path)))
		return errno == ENOENT ? -ESRCH : -errno;
	while ((e = readdir(dir))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		n = thread_ns(dirfd(dir), e->d_name);
		if (n < 0) { /* a thread that ended meanwhile, or no schedstat at all */
			err = n;
			continue;
		}
		sum += n;
		threads++;
	}
	closedir(dir);
	return threads ? sum : err;
}

bool proc_alive(int pid)
{
	char path[32], buf[512], *p, st;
	unsigned long flags;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* after "(comm)": state ppid pgrp session tty_nr tpgid flags */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &st, &flags) != 2)
		return false;
	return st != 'Z' && st != 'X' && !(flags & 0x00200000UL); /* PF_KTHREAD */
}
