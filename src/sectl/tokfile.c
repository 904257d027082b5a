/* tokfile.c — the session token file of sectl (client.h): read it only when no one but its
 * owner can read it; write it atomically with mode 0600. Messages name the file, never the
 * token (docs/security.md). */
#include "sectl/client_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A printable token without blanks: it goes into an HTTP header. */
static bool token_ok(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return false;
	return true;
}

static int check_file(int fd, const char *path, struct sec_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return sec_errf(err, -errno, "cannot stat the token file '%s': %s", path,
				strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sec_errf(err, -EPERM, "the token file '%s' is not a regular file", path);
	if (st.st_mode & 077)
		return sec_errf(err, -EPERM, "the token file '%s' has mode %04o; refused: it must "
				"be 0600 (only its owner may read it): chmod 600 it or run 'sectl "
				"login' again", path, (unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		return sec_errf(err, -EPERM, "the token file '%s' belongs to uid %u, not to this "
				"user (uid %u); refused", path, (unsigned)st.st_uid,
				(unsigned)geteuid());
	return 0;
}

int sectl_client_use_token(struct sectl_client *c, struct sec_err *err)
{
	char buf[SECTL_TOKEN_MAX + 1];
	const char *path = c->token_path;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			return sec_errf(err, -ENOENT, "not logged in: no token file '%s'; run "
					"'sectl login'", path);
		return sec_errf(err, -errno, "cannot open the token file '%s': %s", path,
				strerror(errno));
	}
	if ((r = check_file(fd, path, err)) < 0)
		goto out;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sec_errf(err, -errno, "cannot read the token file '%s': %s", path,
				     strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (len == sizeof(buf) - 1 || !token_ok(buf)) {
		r = sec_errf(err, -EINVAL, "the token file '%s' holds no session token; run "
			     "'sectl login'", path);
		goto out;
	}
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	r = (c->token = strdup(buf)) ? 0 : sec_errf(err, -ENOMEM, "out of memory");
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}

/* The directory of path, open for fsync. */
static int open_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sectl_client_save_token(const struct sectl_client *c, const char *token,
			    struct sec_err *err)
{
	const char *path = c->token_path;
	char tmp[PATH_MAX + 32];
	int fd = -1, dfd = -1, r = 0;

	if (!token_ok(token) || strlen(token) >= SECTL_TOKEN_MAX)
		return sec_errf(err, -EINVAL, "the server's answer holds no usable token");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return sec_errf(err, -ENAMETOOLONG, "the token file name '%s' is too long", path);
	(void)unlink(tmp); /* a leftover of a crashed login of a process with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || (r = write_all(fd, token, strlen(token))) < 0 ||
	    (r = write_all(fd, "\n", 1)) < 0 || fsync(fd) < 0) {
		r = r ? r : -errno;
		sec_errf(err, r, "cannot write the token file '%s' (as '%s'): %s", path, tmp,
			 strerror(-r));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = sec_errf(err, -errno, "cannot write the token file '%s' (as '%s'): %s", path,
			     tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = sec_errf(err, -errno, "cannot rename '%s' to '%s': %s", tmp, path,
			     strerror(errno));
		goto fail;
	}
	if ((dfd = open_dir(path)) < 0 || fsync(dfd) < 0)
		r = sec_errf(err, -errno, "cannot sync the directory of '%s': %s", path,
			     strerror(errno));
	if (dfd >= 0)
		close(dfd);
	return r;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return r;
}

int sectl_client_remove_token(const struct sectl_client *c, struct sec_err *err)
{
	const char *path = c->token_path;
	int dfd;

	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return sec_errf(err, -ENOENT, "not logged in: no token file '%s'", path);
		return sec_errf(err, -errno, "cannot remove the token file '%s': %s", path,
				strerror(errno));
	}
	if ((dfd = open_dir(path)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}
