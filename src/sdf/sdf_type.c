/* sdf_type.c — name abbreviation and the variable value types of SDF (docs/sdf.md
 * "Abbreviations" and "Value types"; vm2000-facts.md §3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sdf/sdf_priv.h"

bool sdf_abbrev_of(const char *w, const char *full)
{
	const char *p = w, *q = full;
	bool first = true;

	if (*w == '\0')
		return false;
	for (;;) {
		/* one part of w: a non-empty prefix of the same part of full */
		size_t n = strcspn(p, "-"), m = strcspn(q, "-");
		if (n == 0 || n > m || memcmp(p, q, n) != 0)
			return false;
		if (first && n == 1 && *p == '*')
			return false; /* "*" alone abbreviates nothing */
		first = false;
		p += n;
		q += m;
		if (*p == '\0')
			return true;
		if (*q == '\0')
			return false; /* w has more parts than full */
		p++;
		q++;
	}
}

int sdf_lookup(const char *w, size_t n, const char *(*get)(size_t i, const void *arg),
	       const void *arg, char *cands, size_t cands_size)
{
	int found = -1, count = 0;
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(w, get(i, arg)) == 0)
			return (int)i;
	if (cands_size)
		cands[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!sdf_abbrev_of(w, get(i, arg)))
			continue;
		found = (int)i;
		count++;
		if (used < cands_size) {
			int k = snprintf(cands + used, cands_size - used, "%s%s",
					 count > 1 ? ", " : "", get(i, arg));
			used += k > 0 ? (size_t)k : 0;
		}
	}
	if (count > 1)
		return -2;
	return count == 1 ? found : -1;
}

static bool is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '$' || c == '#' || c == '@';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'F');
}

static enum sdf_check range(const struct sdf_value_def *d, const char *w, char *why,
			    size_t why_size, const char *what)
{
	char desc[64];

	(void)w;
	sdf_value_def_describe(d, desc, sizeof(desc));
	snprintf(why, why_size, "%s; expected %s", what, desc);
	return SDF_CHECK_RANGE;
}

static enum sdf_check check_len(const struct sdf_value_def *d, const char *w, size_t len, char *why,
				size_t why_size)
{
	if ((int64_t)len < d->min || (int64_t)len > d->max)
		return range(d, w, why, why_size, (int64_t)len < d->min ? "too short" : "too long");
	return SDF_CHECK_OK;
}

static enum sdf_check check_integer(const struct sdf_value_def *d, const char *w, int64_t *num,
				    char *why, size_t why_size)
{
	const char *p = w;
	bool neg = false;
	int64_t v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!is_digit(*p))
		return SDF_CHECK_NO;
	for (; *p; p++) {
		if (!is_digit(*p))
			return SDF_CHECK_NO;
		if (v > (INT64_MAX - 9) / 10)
			v = INT64_MAX / 2; /* saturate: out of any table range */
		else
			v = v * 10 + (*p - '0');
	}
	if (neg)
		v = -v;
	if (v < d->min || v > d->max)
		return range(d, w, why, why_size, "out of range");
	*num = v;
	return SDF_CHECK_OK;
}

static enum sdf_check check_fixed(const struct sdf_value_def *d, const char *w, int64_t *num,
				  char *why, size_t why_size)
{
	const char *p = w;
	int64_t v = 0;
	int digits = 0, decimals = -1;

	for (; *p; p++) {
		if (*p == '.' && decimals < 0) {
			decimals = 0;
			continue;
		}
		if (!is_digit(*p))
			return SDF_CHECK_NO;
		if (decimals >= 0)
			decimals++;
		digits++;
		if (v < INT64_MAX / 100)
			v = v * 10 + (*p - '0');
	}
	if (digits == 0)
		return SDF_CHECK_NO;
	if (strlen(w) > 10 || decimals > 2)
		return range(d, w, why, why_size, "has too many digits");
	for (int k = decimals < 0 ? 0 : decimals; k < 2; k++)
		v *= 10;
	if (v < d->min || v > d->max)
		return range(d, w, why, why_size, "out of range");
	*num = v;
	return SDF_CHECK_OK;
}

/* A name of the character set ok(); with SDF_F_WILD also '*' and '/'. */
static enum sdf_check check_chars(const struct sdf_value_def *d, const char *w, bool (*ok)(char),
				  bool first_not_digit, char *why, size_t why_size)
{
	bool wild = false;
	size_t len = strlen(w);

	if (len == 0 || (first_not_digit && is_digit(w[0])))
		return SDF_CHECK_NO;
	for (const char *p = w; *p; p++) {
		if ((d->flags & SDF_F_WILD) && (*p == '*' || *p == '/')) {
			wild = true;
			continue;
		}
		if (!ok(*p))
			return SDF_CHECK_NO;
	}
	if (wild)
		return len > SDF_MAX_WILD ? range(d, w, why, why_size, "too long for a pattern")
					  : SDF_CHECK_OK;
	return check_len(d, w, len, why, why_size);
}

static bool name_char(char c)
{
	return is_alnum(c);
}

static bool composed_char(char c)
{
	return is_alnum(c) || c == '-' || c == '.';
}

static bool filename_char(char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == ':';
}

/* [:catid:]rest, catid 1..4 alphanumerics; rest of composed characters, no "..". */
static enum sdf_check check_filename(const struct sdf_value_def *d, const char *w, char *why,
				     size_t why_size)
{
	const char *p = w;

	if (*p == ':') {
		const char *c = strchr(p + 1, ':');
		if (!c || c - p - 1 < 1 || c - p - 1 > 4)
			return SDF_CHECK_NO;
		for (const char *q = p + 1; q < c; q++)
			if (!is_alnum(*q))
				return SDF_CHECK_NO;
		p = c + 1;
	}
	if (*p == '\0' || *p == '-' || *p == '.' || strstr(p, "..") || strchr(p, ':'))
		return SDF_CHECK_NO;
	for (const char *q = p; *q; q++)
		if (!filename_char(*q))
			return SDF_CHECK_NO;
	return check_len(d, w, strlen(w), why, why_size);
}

enum sdf_check sdf_check_word(const struct sdf_value_def *d, const char *w, int64_t *num, char *why,
			      size_t why_size)
{
	*num = 0;
	switch (d->type) {
	case SDF_T_INTEGER:
		return check_integer(d, w, num, why, why_size);
	case SDF_T_FIXED:
		return check_fixed(d, w, num, why, why_size);
	case SDF_T_NAME:
		return check_chars(d, w, name_char, true, why, why_size);
	case SDF_T_ALNUM_NAME:
		return check_chars(d, w, name_char, false, why, why_size);
	case SDF_T_X_TEXT:
		return check_chars(d, w, is_hex, false, why, why_size);
	case SDF_T_COMPOSED_NAME:
		if (w[0] == '-' || w[0] == '.')
			return SDF_CHECK_NO;
		return check_chars(d, w, composed_char, false, why, why_size);
	case SDF_T_FILENAME:
		return check_filename(d, w, why, why_size);
	case SDF_T_KEYWORD:
	case SDF_T_X_STRING:
	case SDF_T_C_STRING:
	case SDF_T_TYPE_MAX:
		break;
	}
	return SDF_CHECK_NO;
}

static const char *const type_names[SDF_T_TYPE_MAX] = {
    [SDF_T_KEYWORD] = "keyword",   [SDF_T_INTEGER] = "integer",
    [SDF_T_NAME] = "name",	   [SDF_T_ALNUM_NAME] = "alphanum-name",
    [SDF_T_X_TEXT] = "x-text",	   [SDF_T_X_STRING] = "x-string",
    [SDF_T_C_STRING] = "c-string", [SDF_T_FIXED] = "fixed",
    [SDF_T_FILENAME] = "filename", [SDF_T_COMPOSED_NAME] = "composed-name",
};

const char *sdf_type_to_string(enum sdf_type t)
{
	return t > 0 && t < SDF_T_TYPE_MAX ? type_names[t] : "?";
}

void sdf_value_def_describe(const struct sdf_value_def *d, char *buf, size_t size)
{
	const char *wild = (d->flags & SDF_F_WILD) ? " with-wild(20)" : "";

	if (d->type == SDF_T_KEYWORD)
		snprintf(buf, size, "%s", d->keyword);
	else if (d->type == SDF_T_FIXED)
		snprintf(buf, size, "<fixed %lld.%02lld..%lld.%02lld>", (long long)(d->min / 100),
			 (long long)(d->min % 100), (long long)(d->max / 100),
			 (long long)(d->max % 100));
	else
		snprintf(buf, size, "<%s %lld..%lld%s>", sdf_type_to_string(d->type),
			 (long long)d->min, (long long)d->max, wild);
}

void sdf_operand_def_describe(const struct sdf_operand_def *o, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < o->n_alt; i++) {
		char one[80];
		sdf_value_def_describe(&o->alt[i], one, sizeof(one));
		if (used + strlen(one) + 8 >= size) {
			snprintf(buf + used, size - used, ", ...");
			return;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " / " : "", one);
	}
}
