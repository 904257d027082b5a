/* test_password.c — argon2id hashes, the password policy and password files
 * (src/auth/password.h). argon2 runs with libsodium's MIN limits to keep the tier fast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/key.h"
#include "auth/password.h"

static int setup(void **state)
{
	assert_int_equal(auth_init(), 0);
	auth_password_set_limits(AUTH_PWHASH_MIN);
	return 0;
}

static void test_hash_verify(void **state)
{
	char h1[AUTH_PASSWORD_HASH_MAX], h2[AUTH_PASSWORD_HASH_MAX];

	assert_int_equal(auth_password_hash("correct horse", h1), 0);
	assert_true(strncmp(h1, "$argon2id$", 10) == 0);
	assert_null(strstr(h1, "correct horse"));
	assert_int_equal(auth_password_verify(h1, "correct horse"), 0);
	assert_int_equal(auth_password_verify(h1, "correct horsE"), -EACCES);
	assert_int_equal(auth_password_verify(h1, "correct hors"), -EACCES);
	assert_int_equal(auth_password_verify(h1, ""), -EACCES);
	/* a random salt: the same password hashes differently, both verify */
	assert_int_equal(auth_password_hash("correct horse", h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(auth_password_verify(h2, "correct horse"), 0);
}

static void test_hash_bad_input(void **state)
{
	char h[AUTH_PASSWORD_HASH_MAX];
	char *big = malloc(AUTH_PASSWORD_MAX + 2);

	assert_int_equal(auth_password_hash("", h), -EINVAL);
	memset(big, 'x', AUTH_PASSWORD_MAX + 1);
	big[AUTH_PASSWORD_MAX + 1] = '\0';
	assert_int_equal(auth_password_hash(big, h), -EINVAL);
	big[AUTH_PASSWORD_MAX] = '\0';
	assert_int_equal(auth_password_hash(big, h), 0);
	assert_int_equal(auth_password_verify(h, big), 0);
	free(big);
}

static void test_verify_malformed_hash(void **state)
{
	char h[AUTH_PASSWORD_HASH_MAX];

	assert_int_equal(auth_password_verify("", "password1"), -EINVAL);
	assert_int_equal(auth_password_verify("plaintext", "plaintext"), -EINVAL);
	assert_int_equal(auth_password_verify("$argon2i$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "x"), -EINVAL);
	assert_int_equal(auth_password_hash("password1", h), 0);
	char *p = strrchr(h, '$');
	assert_non_null(p);
	p[1] = '\0'; /* no hash part */
	assert_int_equal(auth_password_verify(h, "password1"), -EINVAL);
	assert_int_equal(auth_password_verify("$argon2id$v=19$m=zz,t=1,p=1$c2FsdA$aGFzaA", "x"), -EINVAL);
}

static void test_needs_rehash(void **state)
{
	char h[AUTH_PASSWORD_HASH_MAX];

	assert_int_equal(auth_password_hash("password1", h), 0);
	assert_false(auth_password_needs_rehash(h));
	auth_password_set_limits(AUTH_PWHASH_INTERACTIVE);
	assert_true(auth_password_needs_rehash(h));
	/* the old hash still verifies: the cost is read from the string */
	assert_int_equal(auth_password_verify(h, "password1"), 0);
	auth_password_set_limits(AUTH_PWHASH_MIN);
	assert_true(auth_password_needs_rehash("garbage"));
}

static void expect_policy(const char *account, const char *pw, const char *msg)
{
	struct sec_err err = {0};
	int r = auth_password_check_policy(account, pw, &err);

	if (!msg) {
		assert_int_equal(r, 0);
		return;
	}
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, msg);
	if (*pw)
		assert_null(strcasestr(err.msg, pw));
}

static void test_policy(void **state)
{
	expect_policy("admin", "", "password is shorter than 8 characters");
	expect_policy("admin", "1234567", "password is shorter than 8 characters");
	expect_policy("admin", "12345678", "password is on the list of the most common passwords");
	expect_policy("admin", "Password1", "password is on the list of the most common passwords");
	expect_policy("admin", "zzzzzzzzzz", "password is one character repeated");
	expect_policy("admin", "12345679", NULL);
	expect_policy("operator1", "operator1", "password equals the account name");
	expect_policy("operator1", "OPERATOR1", "password equals the account name");
	expect_policy("operator1", "operator12", NULL);
	expect_policy("admin", "tab\there-ok", "password contains a control character");
	expect_policy(NULL, "longenough", NULL);
	char *big = malloc(AUTH_PASSWORD_MAX + 2);
	memset(big, 'y', AUTH_PASSWORD_MAX + 1);
	big[AUTH_PASSWORD_MAX + 1] = '\0';
	struct sec_err err;
	assert_int_equal(auth_password_check_policy("admin", big, &err), -EINVAL);
	assert_string_equal(err.msg, "password is longer than 1024 characters");
	free(big);
	/* the message never contains the password */
	assert_int_equal(auth_password_check_policy("admin", "s3cr", &err), -EINVAL);
	assert_null(strstr(err.msg, "s3cr"));
}

/* Writes data to a pipe (closed after) and reads a password from it. */
static int read_from_pipe(const char *data, size_t len, char *buf, size_t size,
			  struct sec_err *err)
{
	int p[2], r;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], data, len), (ssize_t)len);
	close(p[1]);
	r = auth_password_read_fd(p[0], "standard input", buf, size, err);
	close(p[0]);
	return r;
}

static void test_read_fd(void **state)
{
	char buf[16];
	struct sec_err err = {0};

	assert_int_equal(read_from_pipe("secret-pw\nsecond\n", 17, buf, sizeof(buf), &err), 9);
	assert_string_equal(buf, "secret-pw");
	assert_int_equal(read_from_pipe("crlf-pass\r\n", 11, buf, sizeof(buf), &err), 9);
	assert_string_equal(buf, "crlf-pass");
	assert_int_equal(read_from_pipe("no-newline", 10, buf, sizeof(buf), &err), 10);
	assert_string_equal(buf, "no-newline");
	/* 15 bytes fill buf exactly, with or without the newline */
	assert_int_equal(read_from_pipe("123456789012345", 15, buf, sizeof(buf), &err), 15);
	assert_string_equal(buf, "123456789012345");
	assert_int_equal(read_from_pipe("123456789012345\nmore", 20, buf, sizeof(buf), &err), 15);
	assert_string_equal(buf, "123456789012345");
	assert_int_equal(read_from_pipe("1234567890123456", 16, buf, sizeof(buf), &err), -E2BIG);
	assert_string_equal(err.msg, "password in standard input is longer than 14 bytes");
	assert_null(strstr(err.msg, "123456"));
	assert_int_equal(buf[0], 0); /* wiped */
	assert_int_equal(read_from_pipe("", 0, buf, sizeof(buf), &err), -ENODATA);
	assert_string_equal(err.msg, "standard input holds no password (empty first line)");
	assert_int_equal(read_from_pipe("\nsecond-line\n", 13, buf, sizeof(buf), &err), -ENODATA);
	assert_int_equal(read_from_pipe("ab\0cd\n", 6, buf, sizeof(buf), &err), -EINVAL);
	assert_string_equal(err.msg, "password in standard input contains a NUL byte");
	assert_int_equal(read_from_pipe("x", 1, buf, 1, &err), -EINVAL);
	/* a closed descriptor */
	assert_int_equal(auth_password_read_fd(-1, "fd -1", buf, sizeof(buf), &err), -EBADF);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/test_password.XXXXXX";
	char buf[64];
	struct sec_err err = {0};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "from-a-file-42\n", 15), 15);
	close(fd);
	assert_int_equal(auth_password_read_file(path, buf, sizeof(buf), &err), 14);
	assert_string_equal(buf, "from-a-file-42");
	unlink(path);
	assert_int_equal(auth_password_read_file(path, buf, sizeof(buf), &err), -ENOENT);
	char want[256];
	snprintf(want, sizeof(want), "cannot open password file '%s': No such file or directory", path);
	assert_string_equal(err.msg, want);
}

/* Nothing of a password reaches stderr (where the log goes), on success or failure. */
static void test_never_logged(void **state)
{
	char path[] = "/tmp/test_password_log.XXXXXX";
	char h[AUTH_PASSWORD_HASH_MAX], buf[64], out[4096];
	struct sec_err err;
	int fd = mkstemp(path), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	setenv("SECLUSTER_DEBUG", "1", 1);
	assert_int_equal(auth_password_hash("Sup3rSecret!", h), 0);
	assert_int_equal(auth_password_verify(h, "Sup3rSecret!"), 0);
	assert_int_equal(auth_password_verify(h, "Wr0ngSecret!"), -EACCES);
	assert_int_equal(auth_password_check_policy("Sup3rSecret!", "Sup3rSecret!", &err), -EINVAL);
	assert_int_equal(read_from_pipe("Sup3rSecret!-but-far-too-long-for-it\n", 37, buf, 16, &err),
			 -E2BIG);
	unsetenv("SECLUSTER_DEBUG");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	ssize_t n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
	assert_null(strstr(out, "Sup3r"));
	assert_null(strstr(out, "Wr0ng"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_hash_bad_input),
		cmocka_unit_test(test_verify_malformed_hash),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_never_logged),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
