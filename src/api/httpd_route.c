/* httpd_route.c — the route table: its checks at start and the match of one request
 * (docs/api.md "Routes"; httpd.h struct api_route). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/httpd_priv.h"

#define INTERNAL_PREFIX "/api/v1/internal/"

/* One {name} segment found while matching: pointers into the pattern and the path. */
struct seg_param {
	const char *name, *value;
	size_t nlen, vlen;
};

static size_t seg_len(const char *s)
{
	const char *e = strchr(s, '/');
	return e ? (size_t)(e - s) : strlen(s);
}

static int seg_is_param(const char *s, size_t n)
{
	return n >= 3 && s[0] == '{' && s[n - 1] == '}';
}

/* Matches path against the route pattern pat (both start with '/'). Returns the number of
 * literal segments (the specificity) and fills out[] with the {name} values, or -1. */
static int pattern_match(const char *pat, const char *path, struct seg_param *out, size_t *nout)
{
	int literal = 0;
	size_t np = 0;

	if (pat[0] != '/' || path[0] != '/')
		return -1;
	pat++;
	path++;
	for (;;) {
		size_t pl = seg_len(pat), ql = seg_len(path);
		if (seg_is_param(pat, pl)) {
			if (ql == 0 || np == API_PARAMS_MAX)
				return -1;
			out[np++] = (struct seg_param){pat + 1, path, pl - 2, ql};
		} else {
			if (pl != ql || memcmp(pat, path, pl) != 0)
				return -1;
			literal++;
		}
		pat += pl;
		path += ql;
		if (!*pat || !*path)
			break;
		pat++; /* both at '/' */
		path++;
	}
	if (*pat || *path)
		return -1;
	*nout = np;
	return literal;
}

/* Checks one pattern's shape: "/api/..." with whole {name} segments of [a-z0-9_]. */
static int pattern_check(const char *pat, size_t *ret_nparams)
{
	size_t np = 0;

	if (strncmp(pat, "/api/", 5) != 0)
		return -1;
	for (const char *p = pat + 1;;) {
		size_t l = seg_len(p);
		if (l == 0)
			return -1; /* "//" or a trailing '/' */
		if (memchr(p, '{', l) || memchr(p, '}', l)) {
			if (!seg_is_param(p, l) || l - 2 > API_PARAM_NAME_MAX ||
			    ++np > API_PARAMS_MAX)
				return -1;
			for (size_t i = 1; i < l - 1; i++)
				if (!islower((unsigned char)p[i]) &&
				    !isdigit((unsigned char)p[i]) && p[i] != '_')
					return -1;
		}
		p += l;
		if (!*p)
			break;
		p++;
	}
	*ret_nparams = np;
	return 0;
}

static int method_check(const char *m)
{
	size_t n = m ? strlen(m) : 0;

	if (n == 0 || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)m[i]))
			return -1;
	return 0;
}

static int route_check(const struct api_route *rt, size_t i, const struct api_auth_ops *ops,
		       struct sec_err *reterr)
{
	const char *m = rt->method ? rt->method : "(null)", *p = rt->path ? rt->path : "(null)";
	size_t np;
	int internal;

	if (method_check(rt->method) < 0)
		return sec_errf(reterr, -EINVAL,
				"route %zu '%s %s': method must be 1..16 upper-case letters", i, m,
				p);
	if (!rt->path || pattern_check(rt->path, &np) < 0)
		return sec_errf(reterr, -EINVAL,
				"route %zu '%s %s': path must start with /api/, have no empty "
				"segment and at most %d whole {name} segments of [a-z0-9_]",
				i, m, p, API_PARAMS_MAX);
	if (!rt->fn)
		return sec_errf(reterr, -EINVAL, "route %zu '%s %s': no handler", i, m, p);
	if ((unsigned)rt->auth >= API_AUTH_MAX)
		return sec_errf(reterr, -EINVAL, "route %zu '%s %s': unknown auth kind %d", i, m, p,
				(int)rt->auth);
	internal = strncmp(p, INTERNAL_PREFIX, strlen(INTERNAL_PREFIX)) == 0;
	if (internal != (rt->auth == API_AUTH_UNIT))
		return sec_errf(reterr, -EINVAL,
				"route %zu '%s %s': routes under " INTERNAL_PREFIX
				" are API_AUTH_UNIT, and only those",
				i, m, p);
	if (rt->auth == API_AUTH_PERSON && (!ops || !ops->person))
		return sec_errf(reterr, -EINVAL,
				"route %zu '%s %s': a person route needs ops->person", i, m, p);
	if (rt->auth == API_AUTH_UNIT && (!ops || !ops->unit))
		return sec_errf(reterr, -EINVAL, "route %zu '%s %s': a unit route needs ops->unit",
				i, m, p);
	if (rt->auth != API_AUTH_PERSON && rt->roles)
		return sec_errf(reterr, -EINVAL,
				"route %zu '%s %s': roles apply to person routes only", i, m, p);
	return 0;
}

int api_routes_check(const struct api_route *routes, size_t n, const struct api_auth_ops *ops,
		     struct sec_err *reterr)
{
	if (n && !routes)
		return sec_errf(reterr, -EINVAL, "route table is NULL");
	for (size_t i = 0; i < n; i++) {
		int r = route_check(&routes[i], i, ops, reterr);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(routes[j].method, routes[i].method) &&
			    !strcmp(routes[j].path, routes[i].path))
				return sec_errf(reterr, -EINVAL,
						"route %zu '%s %s': the same as route %zu", i,
						routes[i].method, routes[i].path, j);
	}
	return 0;
}

static void allow_add(char *allow, size_t size, const char *method)
{
	size_t l = strlen(allow), ml = strlen(method);

	/* the same method twice (two patterns) is listed once */
	for (const char *p = allow; (p = strstr(p, method)); p += ml)
		if ((p == allow || p[-1] == ' ') && (p[ml] == ',' || p[ml] == '\0'))
			return;
	if (l + ml + 3 > size)
		return;
	snprintf(allow + l, size - l, "%s%s", l ? ", " : "", method);
}

static void params_copy(struct api_req *r, const struct seg_param *sp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memcpy(r->params[i].name, sp[i].name, sp[i].nlen);
		r->params[i].name[sp[i].nlen] = '\0';
		r->params[i].value = strndup(sp[i].value, sp[i].vlen);
		if (r->params[i].value)
			r->nparams = i + 1;
		else
			break; /* out of memory: api_req_param() says NULL */
	}
}

const struct api_route *api_route_match(const struct api_server *s, struct api_req *r,
					const char *method, const char *path, char *allow,
					size_t allow_size)
{
	const struct api_route *best = NULL;
	struct seg_param sp[API_PARAMS_MAX], best_sp[API_PARAMS_MAX];
	size_t np, best_np = 0;
	int best_lit = -1;

	allow[0] = '\0';
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct api_route *rt = &s->routes[i];
		int lit = pattern_match(rt->path, path, sp, &np);
		if (lit < 0)
			continue;
		if (strcmp(rt->method, method) != 0) {
			allow_add(allow, allow_size, rt->method);
			continue;
		}
		if (lit > best_lit) {
			best = rt;
			best_lit = lit;
			best_np = np;
			memcpy(best_sp, sp, np * sizeof(sp[0]));
		}
	}
	if (best) {
		allow[0] = '\0';
		params_copy(r, best_sp, best_np);
	}
	return best;
}
