/* config.c — the client configuration of sectl (client.h): the INI file of --config or
 * SECTL_CONFIG, read with inih. */
#include "lib/parse.h"
#include "sectl/client_priv.h"
#include "sectl/sectl.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cfg_parse {
	struct sectl_client *c;
	const char *path;
	FILE *f;
	int line;
	bool failed;
	int api_line, token_line, cto_line, to_line;
	struct sec_err *err;
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The first error only: "PATH:LINE: MESSAGE". */
static void cfg_fail(struct cfg_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cfg_fail(struct cfg_parse *p, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (p->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sec_errf(p->err, -EINVAL, "%s:%d: %s", p->path, p->line, msg);
	p->failed = true;
}

/* Line reader for inih: counts lines and strips leading blanks (no continuation lines). */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;
	size_t len;
	char *t;

	if (p->failed || !fgets(str, num, p->f))
		return NULL;
	p->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		cfg_fail(p, "line longer than %d bytes", num - 2);
		return NULL;
	}
	t = trim(str);
	memmove(str, t, strlen(t) + 1);
	strcat(str, "\n");
	return str;
}

/* "a, b , c" into c->addrs. */
static void set_api(struct cfg_parse *p, const char *value)
{
	char buf[1024], *next;
	struct sectl_client *c = p->c;

	if (strlen(value) >= sizeof(buf)) {
		cfg_fail(p, "key 'api': longer than %d bytes", (int)sizeof(buf) - 1);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	if (!*trim(buf)) {
		cfg_fail(p, "key 'api': empty (the API addresses of the MUs, HOST:PORT, ...)");
		return;
	}
	for (char *tok = buf; tok; tok = next) {
		char *a;
		if ((next = strchr(tok, ',')))
			*next++ = '\0';
		a = trim(tok);
		if (!*a) {
			cfg_fail(p, "key 'api': an empty address in '%s'", value);
			return;
		}
		if (strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-[]/_")
		    != strlen(a) || !strchr(a, ':')) {
			cfg_fail(p, "key 'api': '%s' is not an address HOST:PORT", a);
			return;
		}
		if (c->n_addrs == SECTL_API_ADDRS_MAX) {
			cfg_fail(p, "key 'api': more than %d addresses", SECTL_API_ADDRS_MAX);
			return;
		}
		if (!(c->addrs[c->n_addrs++] = strdup(a))) {
			cfg_fail(p, "out of memory");
			return;
		}
	}
}

/* token_file: absolute, or relative to the configuration's directory. */
static void set_token_file(struct cfg_parse *p, const char *value)
{
	const char *slash = strrchr(p->path, '/');
	int dirlen = slash ? (int)(slash - p->path) : 0;
	int n;

	if (!*value) {
		cfg_fail(p, "key 'token_file': empty");
		return;
	}
	if (value[0] == '/' || !slash)
		n = snprintf(p->c->token_path, sizeof(p->c->token_path), "%s", value);
	else
		n = snprintf(p->c->token_path, sizeof(p->c->token_path), "%.*s/%s", dirlen,
			     p->path, value);
	if (n < 0 || (size_t)n >= sizeof(p->c->token_path))
		cfg_fail(p, "key 'token_file': path too long");
}

static void set_duration(struct cfg_parse *p, const char *key, const char *value, uint64_t *ms)
{
	if (parse_duration_ms(value, ms) < 0 || *ms == 0 || *ms > 3600000)
		cfg_fail(p, "key '%s': '%s' is not a duration between 1ms and 1h", key, value);
}

static int cfg_handler(void *user, const char *section, const char *key, const char *value)
{
	struct cfg_parse *p = user;
	int *seen;

	if (p->failed)
		return 1;
	if (strcmp(section, "sectl")) {
		if (*section)
			cfg_fail(p, "unknown section '[%s]' (only [sectl])", section);
		else
			cfg_fail(p, "key '%s' outside the section [sectl]", key);
		return 1;
	}
	seen = !strcmp(key, "api")		? &p->api_line
	       : !strcmp(key, "token_file")	? &p->token_line
	       : !strcmp(key, "connect_timeout") ? &p->cto_line
	       : !strcmp(key, "timeout")	? &p->to_line
						: NULL;
	if (!seen) {
		cfg_fail(p, "unknown key '%s' in [sectl]", key);
		return 1;
	}
	if (*seen) {
		cfg_fail(p, "key '%s' given twice (first on line %d)", key, *seen);
		return 1;
	}
	*seen = p->line;
	if (seen == &p->api_line)
		set_api(p, value);
	else if (seen == &p->token_line)
		set_token_file(p, value);
	else
		set_duration(p, key, value, seen == &p->to_line ? &p->c->timeout_ms
								: &p->c->connect_timeout_ms);
	return 1;
}

int sectl_config_read(struct sectl_client *c, const char *path, struct sec_err *err)
{
	struct cfg_parse p = {.c = c, .path = path, .err = err};
	int r;

	if (!(p.f = fopen(path, "re")))
		return sec_errf(err, -errno, "cannot read the configuration '%s': %s", path,
				strerror(errno));
	c->timeout_ms = SECTL_TIMEOUT_MS;
	c->connect_timeout_ms = SECTL_CONNECT_TIMEOUT_MS;
	r = ini_parse_stream(cfg_reader, &p, cfg_handler, &p);
	fclose(p.f);
	if (p.failed)
		return -EINVAL;
	if (r) {
		p.line = r > 0 ? r : p.line;
		cfg_fail(&p, "not an INI line (expected KEY = VALUE or [sectl])");
		return -EINVAL;
	}
	if (!p.api_line)
		return sec_errf(err, -EINVAL, "%s: no key 'api' in [sectl] (the API addresses of "
				"the MUs, e.g. api = 127.0.0.1:7301, 127.0.0.1:7302)", path);
	if (!p.token_line)
		set_token_file(&p, "sectl.token");
	return p.failed ? -EINVAL : 0;
}
