/* global_diff.c — see global_diff.h. */
#include "cluster/global_diff.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends s (and the separator) to out; "..." once it does not fit. */
static void add(char *out, size_t size, size_t *n, const char *s, bool *cut)
{
	int k;

	if (*cut)
		return;
	k = snprintf(out + *n, size - *n, "%s%s", *n ? ", " : "", s);
	if (k < 0 || (size_t)k >= size - *n) {
		*cut = true;
		if (size >= 4)
			memcpy(out + size - 4, "...", 4);
		return;
	}
	*n += (size_t)k;
}

int cluster_global_diff(const char *a, size_t alen, const char *b, size_t blen, char *out,
			size_t size)
{
	json_t *ja = json_loadb(a, alen, 0, NULL), *jb = json_loadb(b, blen, 0, NULL);
	const char **keys = NULL;
	size_t nk = 0, n = 0;
	bool cut = false;
	const char *k;
	json_t *v;
	int r = 0;

	if (size)
		out[0] = '\0';
	if (!json_is_object(ja) || !json_is_object(jb)) {
		snprintf(out, size, "%s is not a JSON object", json_is_object(ja) ? "the second"
										 : "the first");
		r = -EINVAL;
		goto done;
	}
	keys = calloc(json_object_size(ja) + json_object_size(jb) + 1, sizeof(*keys));
	if (!keys) {
		r = -ENOMEM;
		goto done;
	}
	json_object_foreach(ja, k, v)
		if (!json_equal(v, json_object_get(jb, k)))
			keys[nk++] = k;
	json_object_foreach(jb, k, v)
		if (!json_object_get(ja, k))
			keys[nk++] = k;
	qsort(keys, nk, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < nk && size; i++)
		add(out, size, &n, keys[i], &cut);
	r = (int)nk;
done:
	free(keys);
	json_decref(ja);
	json_decref(jb);
	return r;
}
