/* table.c — the table printer of sectl (table.h). */
#include "sectl/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_COLS_MAX 32

struct table {
	size_t ncols, nrows, cap;
	char **header; /* ncols cells or NULL */
	char ***rows;  /* nrows rows of ncols cells */
	size_t minw[TABLE_COLS_MAX];
};

/* A copy of s (NULL: "-") with every control character replaced by '?'. */
static char *cell_dup(const char *s)
{
	char *c = strdup(s ? s : "-");

	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

/* UTF-8 characters of s: every byte that does not continue a sequence. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void row_free(char **row, size_t ncols)
{
	if (!row)
		return;
	for (size_t i = 0; i < ncols; i++)
		free(row[i]);
	free(row);
}

static char **row_dup(const char *const *cells, size_t ncols)
{
	char **row = calloc(ncols, sizeof(*row));

	for (size_t i = 0; row && i < ncols; i++)
		if (!(row[i] = cell_dup(cells[i]))) {
			row_free(row, ncols);
			return NULL;
		}
	return row;
}

struct table *table_new(size_t ncols, const char *const *headers)
{
	struct table *t;

	if (ncols < 1 || ncols > TABLE_COLS_MAX || !(t = calloc(1, sizeof(*t))))
		return NULL;
	t->ncols = ncols;
	if (headers && !(t->header = row_dup(headers, ncols))) {
		free(t);
		return NULL;
	}
	return t;
}

struct table *table_free(struct table *t)
{
	if (!t)
		return NULL;
	row_free(t->header, t->ncols);
	for (size_t r = 0; r < t->nrows; r++)
		row_free(t->rows[r], t->ncols);
	free(t->rows);
	free(t);
	return NULL;
}

int table_add(struct table *t, const char *const *cells)
{
	char **row;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char ***rows = realloc(t->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap = cap;
	}
	if (!(row = row_dup(cells, t->ncols)))
		return -ENOMEM;
	t->rows[t->nrows++] = row;
	return 0;
}

size_t table_rows(const struct table *t)
{
	return t->nrows;
}

void table_min_width(struct table *t, size_t col, size_t width)
{
	if (col < t->ncols)
		t->minw[col] = width;
}

size_t table_width(const struct table *t, size_t col)
{
	size_t w;

	if (col >= t->ncols)
		return 0;
	w = t->minw[col];
	if (t->header && text_width(t->header[col]) > w)
		w = text_width(t->header[col]);
	for (size_t r = 0; r < t->nrows; r++)
		if (text_width(t->rows[r][col]) > w)
			w = text_width(t->rows[r][col]);
	return w;
}

static void print_row(const struct table *t, char *const *row, const size_t *w, FILE *out)
{
	size_t last = t->ncols - 1;

	while (last > 0 && !*row[last]) /* empty trailing cells: no padding before them */
		last--;
	for (size_t c = 0; c <= last; c++) {
		fputs(row[c], out);
		if (c < last)
			fprintf(out, "%*s", (int)(w[c] - text_width(row[c]) + 2), "");
	}
	fputc('\n', out);
}

static void print(const struct table *t, FILE *out, int header)
{
	size_t w[TABLE_COLS_MAX];

	for (size_t c = 0; c < t->ncols; c++)
		w[c] = table_width(t, c);
	if (header && t->header)
		print_row(t, t->header, w, out);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, t->rows[r], w, out);
}

void table_print(const struct table *t, FILE *out)
{
	print(t, out, 1);
}

void table_print_rows(const struct table *t, FILE *out)
{
	print(t, out, 0);
}
