/* linelog.c — a console as a file of lines (linelog.h). */
#include "lib/linelog.h"
#include "lib/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INDEX_MAX 65536 /* lines kept in the index; the oldest half goes when full */
#define STAMP_LEN 24    /* "2026-11-30T05:01:02.123Z" */

struct entry {
	uint64_t off;
	uint32_t len;
	int64_t time_ms;
};

struct linelog {
	char *path;
	enum linelog_kind kind;
	int fd;            /* -1 until a raw file appears */
	uint64_t scanned;  /* bytes of the file indexed (up to the last newline or cut) */
	uint64_t first;    /* seq of e[0] */
	struct entry *e;
	size_t n, cap;
};

void linelog_format_time(int64_t time_ms, char *buf, size_t size)
{
	time_t s = (time_t)(time_ms / 1000);
	struct tm tm;
	char t[24];

	if (!gmtime_r(&s, &tm) || !strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(t, sizeof(t), "1970-01-01T00:00:00");
	snprintf(buf, size, "%s.%03dZ", t, (int)(time_ms % 1000));
}

/* The time of a stamped line's prefix, or 0 when it has none. */
static int64_t parse_stamp(const char *p, size_t len)
{
	struct tm tm = {0};
	char t[STAMP_LEN + 1];
	int ms;

	if (len < STAMP_LEN + 1 || p[STAMP_LEN - 1] != 'Z' || p[STAMP_LEN] != ' ')
		return 0;
	memcpy(t, p, STAMP_LEN);
	t[STAMP_LEN] = 0;
	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static int index_add(struct linelog *l, uint64_t off, uint32_t len, int64_t time_ms)
{
	if (l->n == INDEX_MAX) { /* drop the oldest half */
		size_t drop = INDEX_MAX / 2;
		memmove(l->e, l->e + drop, (l->n - drop) * sizeof(*l->e));
		l->n -= drop;
		l->first += drop;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct entry *e = realloc(l->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		l->e = e;
		l->cap = cap;
	}
	l->e[l->n++] = (struct entry){off, len, time_ms};
	return 0;
}

static void index_reset(struct linelog *l)
{
	l->first += l->n;
	l->n = 0;
	l->scanned = 0;
}

int linelog_refresh(struct linelog *l)
{
	char buf[65536];
	struct stat st;
	int added = 0, r;

	if (l->fd < 0) {
		l->fd = open(l->path, O_RDONLY | O_CLOEXEC);
		if (l->fd < 0)
			return errno == ENOENT ? 0 : -errno;
	}
	if (fstat(l->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < l->scanned) /* replaced or truncated: start again */
		index_reset(l);
	while (l->scanned < (uint64_t)st.st_size) {
		ssize_t got = pread(l->fd, buf, sizeof(buf), (off_t)l->scanned);
		size_t start = 0;
		if (got < 0)
			return errno == EINTR ? added : -errno;
		if (got == 0)
			break;
		for (size_t i = 0; i < (size_t)got; i++) {
			bool nl = buf[i] == '\n';
			if (!nl && i - start < LINELOG_LINE_MAX)
				continue;
			uint32_t len = (uint32_t)(i - start);
			int64_t t = l->kind == LINELOG_STAMPED ? parse_stamp(buf + start, len)
							       : (int64_t)(clock_wall_ns() / NSEC_PER_MSEC);
			if ((r = index_add(l, l->scanned + start, len, t)) < 0)
				return r;
			added++;
			start = nl ? i + 1 : i;
		}
		if (start == 0 && (size_t)got == sizeof(buf)) /* cannot happen: lines are cut */
			return -EIO;
		l->scanned += start;
		if (start < (size_t)got) /* an incomplete last line: wait for its newline */
			break;
	}
	return added;
}

int linelog_open(const char *path, enum linelog_kind kind, struct linelog **ret,
		 struct sec_err *reterr)
{
	struct linelog *l = calloc(1, sizeof(*l));
	int r;

	if (!l || !(l->path = strdup(path))) {
		free(l);
		return sec_errf(reterr, -ENOMEM, "console '%s': out of memory", path);
	}
	l->kind = kind;
	l->first = 1;
	l->fd = -1;
	if (kind == LINELOG_STAMPED) {
		l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (l->fd < 0) {
			r = -errno;
			linelog_free(l);
			return sec_errf(reterr, r, "console '%s': %s", path, strerror(-r));
		}
	}
	if ((r = linelog_refresh(l)) < 0) {
		linelog_free(l);
		return sec_errf(reterr, r, "console '%s': %s", path, strerror(-r));
	}
	*ret = l;
	return 0;
}

struct linelog *linelog_free(struct linelog *l)
{
	if (!l)
		return NULL;
	if (l->fd >= 0)
		close(l->fd);
	free(l->e);
	free(l->path);
	free(l);
	return NULL;
}

int64_t linelog_append(struct linelog *l, const char *text)
{
	char line[STAMP_LEN + 1 + LINELOG_LINE_MAX + 1];
	int64_t now = (int64_t)(clock_wall_ns() / NSEC_PER_MSEC);
	size_t n;
	int r;

	if (l->kind != LINELOG_STAMPED)
		return -EBADF;
	linelog_format_time(now, line, sizeof(line));
	line[STAMP_LEN] = ' ';
	n = STAMP_LEN + 1;
	for (const char *p = text; *p && n < STAMP_LEN + 1 + LINELOG_LINE_MAX - 1; p++)
		line[n++] = *p == '\n' || *p == '\r' ? ' ' : *p;
	line[n++] = '\n';
	for (size_t done = 0; done < n;) {
		ssize_t w = write(l->fd, line + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)w;
	}
	if ((r = linelog_refresh(l)) < 0)
		return r;
	return (int64_t)linelog_last(l);
}

uint64_t linelog_last(const struct linelog *l)
{
	return l->first + l->n - 1;
}

int linelog_get(struct linelog *l, uint64_t seq, struct linelog_line *ret, char *buf,
		size_t size)
{
	const struct entry *e;
	uint64_t off;
	size_t len, want;
	ssize_t got;

	if (seq == 0)
		return -ERANGE;
	if (seq < l->first) /* dropped from the index: the oldest kept line instead */
		seq = l->first;
	if (seq >= l->first + l->n || size == 0)
		return -ENOENT;
	e = &l->e[seq - l->first];
	off = e->off;
	len = e->len;
	if (l->kind == LINELOG_STAMPED && e->time_ms) {
		off += STAMP_LEN + 1;
		len -= STAMP_LEN + 1;
	}
	want = len < size - 1 ? len : size - 1;
	got = pread(l->fd, buf, want, (off_t)off);
	if (got < 0)
		return -errno;
	if (got > 0 && buf[got - 1] == '\r') /* a serial line ends with CR LF */
		got--;
	buf[got] = 0;
	for (ssize_t i = 0; i < got; i++) /* a console line is shown as text */
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
			buf[i] = ' ';
	*ret = (struct linelog_line){.seq = seq, .time_ms = e->time_ms, .len = len};
	return 0;
}
