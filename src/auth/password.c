/* password.c — argon2id password hashes, the password policy and password files
 * (password.h). Nothing here logs: a password must never reach a log line. */
#include "auth/password.h"

#include "auth/key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

_Static_assert(AUTH_PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "hash string size");

static _Atomic int limits = AUTH_PWHASH_INTERACTIVE;

void auth_password_set_limits(enum auth_pwhash_limits l)
{
	if (l >= 0 && l < AUTH_PWHASH_LIMITS_MAX)
		atomic_store(&limits, (int)l);
}

static void limits_get(unsigned long long *ops, size_t *mem)
{
	switch (atomic_load(&limits)) {
	case AUTH_PWHASH_MIN:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
		break;
	case AUTH_PWHASH_MODERATE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		break;
	default:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
		break;
	}
}

int auth_password_hash(const char *password, char ret_hash[AUTH_PASSWORD_HASH_MAX])
{
	unsigned long long ops;
	size_t mem, len = strnlen(password, AUTH_PASSWORD_MAX + 1);

	if (len == 0 || len > AUTH_PASSWORD_MAX)
		return -EINVAL;
	if (auth_init() < 0)
		return -EIO;
	limits_get(&ops, &mem);
	if (crypto_pwhash_argon2id_str(ret_hash, password, len, ops, mem) != 0)
		return -ENOMEM;
	return 0;
}

static bool is_argon2id(const char *hash)
{
	return strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
		       strlen(crypto_pwhash_argon2id_STRPREFIX)) == 0 &&
	       strnlen(hash, AUTH_PASSWORD_HASH_MAX) < AUTH_PASSWORD_HASH_MAX;
}

int auth_password_verify(const char *hash, const char *password)
{
	size_t len = strnlen(password, AUTH_PASSWORD_MAX + 1);

	if (!is_argon2id(hash))
		return -EINVAL;
	if (auth_init() < 0)
		return -EIO;
	if (len == 0 || len > AUTH_PASSWORD_MAX)
		return -EACCES;
	/* -1 for a mismatch and for a string libsodium cannot parse: tell them apart by
	 * asking whether the string's parameters can be read */
	if (crypto_pwhash_argon2id_str_verify(hash, password, len) == 0)
		return 0;
	unsigned long long ops;
	size_t mem;
	limits_get(&ops, &mem);
	if (crypto_pwhash_argon2id_str_needs_rehash(hash, ops, mem) < 0)
		return -EINVAL;
	return -EACCES;
}

bool auth_password_needs_rehash(const char *hash)
{
	unsigned long long ops;
	size_t mem;

	if (!is_argon2id(hash) || auth_init() < 0)
		return true;
	limits_get(&ops, &mem);
	return crypto_pwhash_argon2id_str_needs_rehash(hash, ops, mem) != 0;
}

/* The most common passwords of public breach lists that are 8 or more characters long
 * (compared ignoring ASCII case). A short list by design: it refuses what an attacker
 * tries first; length does the rest. */
static const char *const common_passwords[] = {
	"password", "password1", "password123", "passw0rd", "12345678", "123456789",
	"1234567890", "87654321", "11111111", "00000000", "qwertyui", "qwerty123",
	"qwertyuiop", "1q2w3e4r", "1qaz2wsx", "abcd1234", "abc12345", "admin123", "administrator",
	"iloveyou", "letmein1", "sunshine", "princess", "football", "baseball", "welcome1",
	"changeme", "trustno1", "superman", "starwars", "zaq12wsx", "secluster", "bs2000se",
};

static bool one_repeated_char(const char *p, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

int auth_password_check_policy(const char *account, const char *password, struct sec_err *reterr)
{
	size_t len = strnlen(password, AUTH_PASSWORD_MAX + 1);

	if (len < AUTH_PASSWORD_MIN)
		return sec_errf(reterr, -EINVAL, "password is shorter than %d characters",
				AUTH_PASSWORD_MIN);
	if (len > AUTH_PASSWORD_MAX)
		return sec_errf(reterr, -EINVAL, "password is longer than %d characters",
				AUTH_PASSWORD_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)password[i];
		if (c < 0x20 || c == 0x7f)
			return sec_errf(reterr, -EINVAL, "password contains a control character");
	}
	if (account && strcasecmp(account, password) == 0)
		return sec_errf(reterr, -EINVAL, "password equals the account name");
	if (one_repeated_char(password, len))
		return sec_errf(reterr, -EINVAL, "password is one character repeated");
	for (size_t i = 0; i < sizeof(common_passwords) / sizeof(common_passwords[0]); i++)
		if (strcasecmp(common_passwords[i], password) == 0)
			return sec_errf(reterr, -EINVAL, "password is on the list of the most common "
					"passwords");
	return 0;
}

int auth_password_read_fd(int fd, const char *what, char *buf, size_t size,
			  struct sec_err *reterr)
{
	size_t len = 0;
	char *nl = NULL;
	int r;

	if (size < 2)
		return sec_errf(reterr, -EINVAL, "no room to read the password from %s", what);
	for (;;) {
		ssize_t n;
		if (len == size - 1) {
			/* buffer full: fine only when the input ends or the line ends here */
			char c;
			do
				n = read(fd, &c, 1);
			while (n < 0 && errno == EINTR);
			if (n < 0)
				goto fail_errno;
			if (n == 1 && c != '\n') {
				r = sec_errf(reterr, -E2BIG, "password in %s is longer than %zu bytes",
					     what, size - 2);
				goto fail;
			}
			c = 0;
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_errno;
		if (n == 0)
			break;
		nl = memchr(buf + len, '\n', (size_t)n);
		if (nl) {
			len = (size_t)(nl - buf);
			break;
		}
		len += (size_t)n;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	memset(buf + len, 0, size - len); /* also wipes bytes read after the first line */
	if (memchr(buf, '\0', len)) {
		r = sec_errf(reterr, -EINVAL, "password in %s contains a NUL byte", what);
		goto fail;
	}
	if (len == 0) {
		r = sec_errf(reterr, -ENODATA, "%s holds no password (empty first line)", what);
		goto fail;
	}
	return (int)len;
fail_errno:
	r = sec_errf(reterr, -errno, "cannot read the password from %s: %s", what, strerror(errno));
fail:
	sodium_memzero(buf, size);
	return r;
}

int auth_password_read_file(const char *path, char *buf, size_t size, struct sec_err *reterr)
{
	char what[4200];
	int fd, r;

	snprintf(what, sizeof(what), "password file '%s'", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot open %s: %s", what, strerror(errno));
	r = auth_password_read_fd(fd, what, buf, size, reterr);
	close(fd);
	return r;
}

void auth_password_wipe(char *buf, size_t size)
{
	if (buf)
		sodium_memzero(buf, size);
}
