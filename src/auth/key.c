/* key.c — random keys, their hex form and key files (key.h, docs/security.md). */
#include "auth/key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int auth_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int auth_key_generate(struct auth_key *k)
{
	if (auth_init() < 0)
		return -EIO;
	randombytes_buf(k->b, sizeof(k->b));
	return 0;
}

void auth_key_to_hex(const struct auth_key *k, char hex[AUTH_KEY_HEX + 1])
{
	sodium_bin2hex(hex, AUTH_KEY_HEX + 1, k->b, sizeof(k->b));
}

int auth_key_from_hex(const char *hex, struct auth_key *ret)
{
	struct auth_key k;
	size_t n = 0;
	const char *end = NULL;

	if (strlen(hex) != AUTH_KEY_HEX)
		return -EINVAL;
	if (sodium_hex2bin(k.b, sizeof(k.b), hex, AUTH_KEY_HEX, NULL, &n, &end) != 0 ||
	    n != sizeof(k.b) || end != hex + AUTH_KEY_HEX) {
		sodium_memzero(&k, sizeof(k));
		return -EINVAL;
	}
	*ret = k;
	sodium_memzero(&k, sizeof(k));
	return 0;
}

int auth_key_read_file(const char *path, struct auth_key *ret, struct sec_err *reterr)
{
	char buf[AUTH_KEY_HEX + 3];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot open key file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		r = sec_errf(reterr, -errno, "cannot stat key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = sec_errf(reterr, -EINVAL, "key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		r = sec_errf(reterr, -EPERM,
			     "key file '%s' has mode %04o: group and others must have no access "
			     "(chmod 600)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sec_errf(reterr, -errno, "cannot read key file '%s': %s", path,
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == AUTH_KEY_HEX + 1 && buf[AUTH_KEY_HEX] == '\n')
		len--;
	if (len != AUTH_KEY_HEX) {
		r = sec_errf(reterr, -EINVAL, "key file '%s' does not hold %d hex digits", path,
			     AUTH_KEY_HEX);
		goto out;
	}
	buf[len] = '\0';
	r = auth_key_from_hex(buf, ret);
	if (r < 0)
		sec_errf(reterr, r, "key file '%s' does not hold %d hex digits", path, AUTH_KEY_HEX);
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return r;
}

int auth_key_write_file(const char *path, const struct auth_key *k, struct sec_err *reterr)
{
	char buf[AUTH_KEY_HEX + 2];
	size_t off = 0;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot create key file '%s': %s", path,
				strerror(errno));
	auth_key_to_hex(k, buf);
	buf[AUTH_KEY_HEX] = '\n';
	while (off < AUTH_KEY_HEX + 1) {
		ssize_t n = write(fd, buf + off, AUTH_KEY_HEX + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sec_errf(reterr, -errno, "cannot write key file '%s': %s", path,
				     strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = sec_errf(reterr, -errno, "cannot sync key file '%s': %s", path, strerror(errno));
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	if (r < 0)
		unlink(path);
	return r;
}

void auth_key_wipe(struct auth_key *k)
{
	if (k)
		sodium_memzero(k, sizeof(*k));
}
