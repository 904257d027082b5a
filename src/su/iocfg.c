/* iocfg.c — the SU's I/O configuration file (iocfg.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "su/iocfg.h"

#define IOCFG_FILE_MAX (1u << 20) /* bytes */

static bool alnum_ch(char c)
{
	return isalnum((unsigned char)c) || c == '$' || c == '#' || c == '@';
}

bool su_mn_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 2)
		return alnum_ch(s[0]) && alnum_ch(s[1]);
	if (n == 4) {
		for (size_t i = 0; i < 4; i++)
			if (!isxdigit((unsigned char)s[i]))
				return false;
		return true;
	}
	return false;
}

bool su_mn_range_valid(const char *from, const char *to)
{
	if (!su_mn_valid(from) || !su_mn_valid(to) || strlen(from) != strlen(to))
		return false;
	if (strlen(from) == 4)
		return strtoul(from, NULL, 16) <= strtoul(to, NULL, 16);
	return strcasecmp(from, to) <= 0;
}

bool su_mn_in_range(const char *from, const char *to, const char *mn)
{
	if (!su_mn_range_valid(from, to) || !su_mn_valid(mn) || strlen(mn) != strlen(from))
		return false;
	if (strlen(mn) == 4) {
		unsigned long v = strtoul(mn, NULL, 16);
		return v >= strtoul(from, NULL, 16) && v <= strtoul(to, NULL, 16);
	}
	return strcasecmp(mn, from) >= 0 && strcasecmp(mn, to) <= 0;
}

int su_dev_class_parse(const char *s, enum su_dev_class *ret)
{
	static const char *const names[SU_DEV_CLASS_MAX] = {[SU_DEV_DISK] = "disk",
							    [SU_DEV_TAPE] = "tape",
							    [SU_DEV_LOCAL_DISK] = "local-disk",
							    [SU_DEV_CONSOLE] = "console"};

	for (int i = SU_DEV_DISK; i < SU_DEV_CLASS_MAX; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum su_dev_class)i;
			return 0;
		}
	return -EINVAL;
}

static void upcase(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* Checks a printable token without blanks of at most max bytes. */
static int token_ok(const char *t, size_t max)
{
	size_t n = strlen(t);

	if (n == 0 || n > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)t[i]))
			return -1;
	return 0;
}

static int parse_line(const char *name, unsigned lineno, char *line, struct su_iodev *d,
		      struct sec_err *reterr)
{
	static const char *const fields[] = {"MN",	"device type", "class", "host connector",
					     "unit id", "backing file"};
	char *tok[7];
	unsigned n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 6)
			return sec_errf(reterr, -EINVAL,
					"%s:%u: field 7: '%s' is one field too many (MN, device "
					"type, class, host connector, unit id, backing file)",
					name, lineno, t);
		tok[n++] = t;
	}
	if (n < 6)
		return sec_errf(reterr, -EINVAL, "%s:%u: field %u (%s) is missing", name, lineno,
				n + 1, fields[n]);
	memset(d, 0, sizeof(*d));
	if (!su_mn_valid(tok[0]))
		return sec_errf(reterr, -EINVAL,
				"%s:%u: field 1 (MN): '%s' is not 2 alphanumerics or 4 hex digits",
				name, lineno, tok[0]);
	snprintf(d->mn, sizeof(d->mn), "%s", tok[0]);
	upcase(d->mn);
	if (token_ok(tok[1], SU_DEVTYPE_MAX) < 0)
		return sec_errf(reterr, -EINVAL,
				"%s:%u: field 2 (device type): '%s' is longer than %d characters",
				name, lineno, tok[1], SU_DEVTYPE_MAX);
	snprintf(d->type, sizeof(d->type), "%s", tok[1]);
	upcase(d->type);
	if (su_dev_class_parse(tok[2], &d->cls) < 0)
		return sec_errf(reterr, -EINVAL,
				"%s:%u: field 3 (class): '%s' is not one of disk, tape, "
				"local-disk, console",
				name, lineno, tok[2]);
	if (token_ok(tok[3], SU_CONN_MAX) < 0)
		return sec_errf(
		    reterr, -EINVAL,
		    "%s:%u: field 4 (host connector): '%s' is longer than %d characters", name,
		    lineno, tok[3], SU_CONN_MAX);
	snprintf(d->connector, sizeof(d->connector), "%s", tok[3]);
	if (token_ok(tok[4], SU_CONN_MAX) < 0)
		return sec_errf(reterr, -EINVAL,
				"%s:%u: field 5 (unit id): '%s' is longer than %d characters", name,
				lineno, tok[4], SU_CONN_MAX);
	snprintf(d->unit_id, sizeof(d->unit_id), "%s", tok[4]);
	bool dash = strcmp(tok[5], "-") == 0;
	if ((dash && d->cls != SU_DEV_CONSOLE) || (!dash && tok[5][0] != '/') ||
	    strlen(tok[5]) >= SU_PATH_MAX)
		return sec_errf(reterr, -EINVAL,
				"%s:%u: field 6 (backing file): '%s' must be an absolute path "
				"shorter than %d bytes (\"-\" only for a console)",
				name, lineno, tok[5], SU_PATH_MAX);
	snprintf(d->backing, sizeof(d->backing), "%s", tok[5]);
	return 0;
}

int su_iocfg_parse(const char *name, const char *text, size_t len, struct su_iocfg *ret,
		   struct sec_err *reterr)
{
	struct su_iocfg *cfg = calloc(1, sizeof(*cfg));
	unsigned lineno = 0;
	size_t pos = 0;
	int r = 0;

	if (!cfg)
		return sec_errf(reterr, -ENOMEM, "%s: out of memory", name);
	while (pos < len) {
		size_t end = pos;
		char line[1024];

		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		if (end - pos >= sizeof(line)) {
			r = sec_errf(reterr, -EINVAL, "%s:%u: line longer than %zu bytes", name,
				     lineno, sizeof(line) - 1);
			goto out;
		}
		if (memchr(text + pos, '\0', end - pos)) {
			r = sec_errf(reterr, -EINVAL,
				     "%s:%u: NUL byte in the line (not a text file?)", name,
				     lineno);
			goto out;
		}
		memcpy(line, text + pos, end - pos);
		line[end - pos] = '\0';
		pos = end + 1;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r") == strlen(line))
			continue;
		if (cfg->n >= SU_IODEV_MAX) {
			r = sec_errf(reterr, -E2BIG, "%s:%u: more than %d devices", name, lineno,
				     SU_IODEV_MAX);
			goto out;
		}
		struct su_iodev d;
		r = parse_line(name, lineno, line, &d, reterr);
		if (r < 0)
			goto out;
		for (unsigned i = 0; i < cfg->n; i++)
			if (strcmp(cfg->dev[i].mn, d.mn) == 0) {
				r = sec_errf(reterr, -EINVAL,
					     "%s:%u: field 1 (MN): '%s' is already defined", name,
					     lineno, d.mn);
				goto out;
			}
		cfg->dev[cfg->n++] = d;
	}
	*ret = *cfg;
out:
	free(cfg);
	return r;
}

int su_iocfg_load(const char *path, struct su_iocfg *ret, struct sec_err *reterr)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot open I/O configuration '%s': %s", path,
				strerror(errno));
	buf = malloc(IOCFG_FILE_MAX);
	if (!buf) {
		r = sec_errf(reterr, -ENOMEM, "'%s': out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, IOCFG_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = sec_errf(reterr, -errno, "cannot read I/O configuration '%s': %s", path,
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == IOCFG_FILE_MAX) {
			r = sec_errf(reterr, -E2BIG,
				     "I/O configuration '%s' is larger than %u bytes", path,
				     IOCFG_FILE_MAX - 1);
			goto out;
		}
	}
	r = su_iocfg_parse(path, buf, len, ret, reterr);
out:
	free(buf);
	close(fd);
	return r;
}

static bool iodev_same(const struct su_iodev *a, const struct su_iodev *b)
{
	return !strcmp(a->mn, b->mn) && !strcmp(a->type, b->type) && a->cls == b->cls &&
	       !strcmp(a->connector, b->connector) && !strcmp(a->unit_id, b->unit_id);
}

bool su_iocfg_same(const struct su_iocfg *a, const struct su_iocfg *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		unsigned k = 0;
		while (k < b->n && !iodev_same(&a->dev[i], &b->dev[k]))
			k++;
		if (k == b->n)
			return false;
	}
	return true;
}
