/* watchdog.c — /dev/watchdog and the lab's fake watchdog (watchdog.h). */
#include "guard/watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"

int wd_open(struct guard_wd *wd, enum wd_kind kind, const char *path, struct sec_err *reterr)
{
	memset(wd, 0, sizeof(*wd));
	wd->fd = -1;
	wd->kind = kind;
	if (kind == WD_DEVICE) {
		int t = 0;
		wd->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (wd->fd < 0)
			return sec_errf(reterr, -errno, "cannot open watchdog '%s': %s", path,
					strerror(errno));
		if (ioctl(wd->fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0)
			wd->timeout_s = (uint32_t)t;
	} else if (kind == WD_FAKE) {
		if (strlen(path) >= sizeof(wd->addr.sun_path))
			return sec_errf(reterr, -ENAMETOOLONG, "fake watchdog socket '%s' too long",
					path);
		wd->addr.sun_family = AF_UNIX;
		memcpy(wd->addr.sun_path, path, strlen(path) + 1);
		wd->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (wd->fd < 0)
			return sec_errf(reterr, -errno, "socket for fake watchdog: %s",
					strerror(errno));
	}
	return 0;
}

int wd_set_timeout(struct guard_wd *wd, uint32_t w_ms)
{
	int s = (int)((w_ms + 999) / 1000);

	if (wd->kind != WD_DEVICE || w_ms == 0 || (uint32_t)s == wd->timeout_s)
		return 0;
	if (ioctl(wd->fd, WDIOC_SETTIMEOUT, &s) < 0)
		return -errno;
	wd->timeout_s = (uint32_t)s; /* the driver may round: it wrote back what it took */
	return 0;
}

int wd_pet(struct guard_wd *wd)
{
	switch (wd->kind) {
	case WD_DEVICE:
		if (write(wd->fd, "\0", 1) != 1)
			return -errno;
		break;
	case WD_FAKE:
		if (sendto(wd->fd, "pet", 3, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&wd->addr, sizeof(wd->addr)) < 0 &&
		    errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)
			return -errno;
		break;
	default:
		break;
	}
	wd->pets++;
	return 0;
}

uint64_t wd_pet_interval_ns(const struct guard_wd *wd, uint32_t w_ms)
{
	uint64_t ns;

	if (w_ms)
		ns = (uint64_t)w_ms * NSEC_PER_MSEC / 4;
	else if (wd->kind == WD_DEVICE && wd->timeout_s)
		ns = (uint64_t)wd->timeout_s * NSEC_PER_SEC / 4;
	else
		ns = 100 * NSEC_PER_MSEC;
	return ns < 10 * NSEC_PER_MSEC ? 10 * NSEC_PER_MSEC : ns;
}

void wd_close(struct guard_wd *wd, bool magic)
{
	if (wd->fd < 0)
		return;
	if (wd->kind == WD_DEVICE && magic && write(wd->fd, "V", 1) != 1) {
		/* not disarmed: the host resets after the timeout, which is the safe side */
	}
	close(wd->fd);
	wd->fd = -1;
}

const char *wd_kind_to_string(enum wd_kind k)
{
	switch (k) {
	case WD_NONE: return "none";
	case WD_DEVICE: return "device";
	case WD_FAKE: return "fake";
	default: return "?";
	}
}
