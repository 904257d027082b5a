/* qemu_probe.c — what qemu_argv.h learns from files: is the IPL disk's backing file a
 * Multiboot ELF kernel, does the backing file's file system take O_DIRECT, is an MN valid. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "qemu/qemu_argv.h"

#define MB_MAGIC  0x1BADB002u
#define MB_SEARCH 8192 /* the Multiboot header lies in the first 8 KiB, 4-byte aligned */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

bool qemu_is_multiboot_kernel(const char *path)
{
	unsigned char buf[MB_SEARCH];
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (got < (ssize_t)sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	if (got < 64 || memcmp(buf, "\177ELF", 4) != 0)
		return false;
	for (ssize_t off = 0; off + 12 <= got; off += 4) {
		uint32_t magic = le32(buf + off), flags = le32(buf + off + 4);

		if (magic == MB_MAGIC && (uint32_t)(magic + flags + le32(buf + off + 8)) == 0)
			return true;
	}
	return false;
}

const char *qemu_cache_mode(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		return "writeback";
	close(fd);
	return "none";
}

static bool upper_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool qemu_mn_valid(const char *mn)
{
	size_t n = mn ? strlen(mn) : 0;

	if (n == 2)
		return upper_or_digit(mn[0]) && upper_or_digit(mn[1]);
	if (n == 4) {
		for (size_t i = 0; i < 4; i++)
			if (!(mn[i] >= '0' && mn[i] <= '9') && !(mn[i] >= 'A' && mn[i] <= 'F'))
				return false;
		return true;
	}
	return false;
}
