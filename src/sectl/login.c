/* login.c — `sectl login` and `sectl logout` (seed 2.3.1 logging in; issue 3 "API and CLI";
 * docs/api.md POST /api/v1/login, /api/v1/logout; docs/security.md).
 *
 * login asks for the password on the terminal without echo (or reads the first line of
 * --password-file FILE; never from the command line), and writes the session token to the
 * token file of the configuration (mode 0600, client.h). logout tells the API and removes
 * the token file — also when the API cannot be told, so that no token stays behind. */
#include "auth/password.h"
#include "sectl/client.h"
#include "sectl/sectl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ACCOUNT_MAX 64 /* bytes (auth/token.h AUTH_ACCOUNT_MAX) */

static const char login_usage[] =
	"usage: sectl login [--account NAME] [--password-file FILE] [--config FILE] [-v]\n"
	"       sectl logout [--config FILE] [-v]\n";

static int usage_error(const char *group, const char *fmt, const char *arg)
{
	return sectl_usage_error(group, login_usage, fmt, arg);
}

/* Asks once on /dev/tty without echo. Returns the length or -errno (message in err). */
static int ask_password(const char *account, char *buf, size_t size, struct sec_err *err)
{
	struct termios old, noecho;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), r = -ENOTTY;

	if (fd < 0 || tcgetattr(fd, &old) < 0) {
		if (fd >= 0)
			close(fd);
		return sec_errf(err, -ENOTTY, "no terminal to ask for the password of '%s' on; use "
				"--password-file FILE", account);
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0) {
		dprintf(fd, "password for account '%s': ", account);
		r = auth_password_read_fd(fd, "the terminal", buf, size, err);
		tcsetattr(fd, TCSAFLUSH, &old);
	} else {
		r = sec_errf(err, -errno, "cannot turn off the terminal's echo: %s", strerror(errno));
	}
	close(fd);
	return r;
}

static bool account_ok(const char *a)
{
	size_t n = strlen(a);

	if (!n || n > ACCOUNT_MAX)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f)
			return false;
	return true;
}

/* "administrator, operator" from the answer's roles. */
static void roles_text(const json_t *roles, char *buf, size_t size)
{
	const json_t *r;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(roles, i, r)
		if (json_is_string(r) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
					      json_string_value(r));
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* The answer's token, wiped inside the JSON once saved (jansson keeps its own copy). */
static void wipe_token(json_t *ans)
{
	json_t *tok = json_object_get(ans, "token");

	if (json_is_string(tok))
		explicit_bzero((char *)json_string_value(tok), json_string_length(tok));
}

static int logged_in(const struct sectl_client *c, const char *account, const json_t *ans)
{
	const json_t *exp = json_object_get(ans, "expires_s");
	const char *name = json_string_value(json_object_get(ans, "account"));
	char roles[256], until[64] = "?";
	struct tm tm;
	time_t t;

	roles_text(json_object_get(ans, "roles"), roles, sizeof(roles));
	if (json_is_integer(exp)) {
		t = (time_t)json_integer_value(exp);
		if (gmtime_r(&t, &tm))
			strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm);
	}
	printf("Logged in as %s (%s) on %s; session valid until %s\n",
	       name && account_ok(name) ? name : account, *roles ? roles : "no role",
	       sectl_client_addr(c), until);
	return SECTL_EXIT_OK;
}

static int do_login(const struct sectl_api_opts *o, const char *account, const char *pwfile)
{
	char pw[AUTH_PASSWORD_MAX + 2];
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	json_t *body = NULL, *ans = NULL, *pws;
	int rc, r;

	if ((rc = sectl_connect(o, false, &c)) != SECTL_EXIT_OK)
		return rc;
	r = pwfile ? auth_password_read_file(pwfile, pw, sizeof(pw), &err)
		   : ask_password(account, pw, sizeof(pw), &err);
	if (r >= 0) {
		body = json_pack("{s:s, s:s}", "account", account, "password", pw);
		auth_password_wipe(pw, sizeof(pw));
		r = body ? sectl_client_call(c, "POST", "/api/v1/login", body, SECTL_CALL_NO_TOKEN,
					     &ans, &err)
			 : sec_errf(&err, -ENOMEM, "out of memory");
	}
	auth_password_wipe(pw, sizeof(pw));
	if ((pws = json_object_get(body, "password")))
		explicit_bzero((char *)json_string_value(pws), json_string_length(pws));
	json_decref(body);
	if (r >= 0 && !json_is_string(json_object_get(ans, "token")))
		r = sec_errf(&err, -EIO, "%s answered the login without a token",
			     sectl_client_addr(c));
	if (r >= 0)
		r = sectl_client_save_token(c, json_string_value(json_object_get(ans, "token")),
					    &err);
	rc = r < 0 ? sectl_fail(&err) : logged_in(c, account, ans);
	wipe_token(ans);
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}

int sectl_login_main(int argc, char **argv)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"account", required_argument, NULL, 'a'},
					     {"password-file", required_argument, NULL, 'p'},
					     {0}};
	struct sectl_api_opts o = {0};
	const char *account = "admin", *pwfile = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(login_usage, stdout);
			return SECTL_EXIT_OK;
		} else if (ch == 'a') {
			account = optarg;
		} else if (ch == 'p') {
			pwfile = optarg;
		} else if (!sectl_api_opt(&o, ch, optarg) || ch == SECTL_OPT_JSON) {
			return usage_error("login", "%s", "bad option");
		}
	}
	if (optind < argc) /* not echoed: it may be the password */
		return usage_error("login", "%s", "unexpected argument (the password is never "
				   "given on the command line: the prompt or --password-file FILE)");
	if (!account_ok(account))
		return usage_error("login", "--account '%s': not an account name (1..64 "
				   "characters)", account);
	return do_login(&o, account, pwfile);
}

int sectl_logout_main(int argc, char **argv)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS, {0}};
	struct sectl_api_opts o = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0}, rm = {0};
	json_t *ans = NULL;
	int ch, rc, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(login_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (!sectl_api_opt(&o, ch, optarg) || ch == SECTL_OPT_JSON)
			return usage_error("logout", "%s", "bad option");
	}
	if (optind < argc)
		return usage_error("logout", "unexpected argument '%s'", argv[optind]);
	if ((rc = sectl_connect(&o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	r = sectl_client_call(c, "POST", "/api/v1/logout", NULL, 0, &ans, &err);
	json_decref(ans);
	if (sectl_client_remove_token(c, &rm) < 0 && rm.code != -ENOENT) {
		rc = sectl_fail(&rm);
	} else if (r == -EACCES) { /* expired or invalid: the session has ended anyway */
		printf("Logged out (the session had already ended); removed '%s'\n",
		       sectl_client_token_path(c));
	} else if (r < 0) {
		fprintf(stderr, "sectl: %s\nsectl: the token file '%s' was removed, but the API "
			"was not told\n", err.msg, sectl_client_token_path(c));
		rc = SECTL_EXIT_FAIL;
	} else {
		printf("Logged out on %s; removed '%s'\n", sectl_client_addr(c),
		       sectl_client_token_path(c));
	}
	sectl_client_free(c);
	return rc;
}
