/* global_in.c — cluster_global_from_json() (global.h): the topology file and the region-0
 * document into struct cluster_global, with errors that name the field path. */
#include "cluster/global.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const role_names[] = {"administrator", "operator", "reader"};
#define N_ROLES (sizeof(role_names) / sizeof(role_names[0]))

struct in {
	unsigned flags;
	struct sec_err *err;
};

static int fail(struct in *in, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct in *in, int code, const char *fmt, ...)
{
	va_list ap;

	if (in->err) {
		va_start(ap, fmt);
		vsnprintf(in->err->msg, sizeof(in->err->msg), fmt, ap);
		va_end(ap);
		in->err->code = code;
	}
	return code;
}

/* "PATH.key" (or "key" at the root) into buf. */
static const char *field(char *buf, size_t size, const char *path, const char *key)
{
	snprintf(buf, size, "%s%s%s", path, path[0] ? "." : "", key);
	return buf;
}

static int only_keys(struct in *in, json_t *obj, const char *path, const char *const *keys)
{
	const char *k;
	json_t *v;
	char f[160];

	json_object_foreach(obj, k, v) {
		bool known = false;
		for (const char *const *p = keys; *p && !known; p++)
			known = !strcmp(*p, k);
		if (!known)
			return fail(in, -EINVAL, "%s: unknown key", field(f, sizeof(f), path, k));
	}
	return 0;
}

static int get_str(struct in *in, json_t *obj, const char *path, const char *key,
		   bool required, char *dst, size_t size)
{
	json_t *v = json_object_get(obj, key);
	char f[160];

	field(f, sizeof(f), path, key);
	if (!v) {
		if (required)
			return fail(in, -EINVAL, "%s: missing", f);
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return fail(in, -EINVAL, "%s: expected a string", f);
	if (json_string_length(v) >= size)
		return fail(in, -EINVAL, "%s: is longer than %zu bytes", f, size - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(in, -EINVAL, "%s: contains a NUL character", f);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_array(struct in *in, json_t *obj, const char *path, const char *key,
		     bool required, size_t max, json_t **ret)
{
	json_t *v = json_object_get(obj, key);
	char f[160];

	field(f, sizeof(f), path, key);
	*ret = v;
	if (!v)
		return required ? fail(in, -EINVAL, "%s: missing", f) : 0;
	if (!json_is_array(v))
		return fail(in, -EINVAL, "%s: expected an array", f);
	if (json_array_size(v) > max)
		return fail(in, -E2BIG, "%s: more than %zu entries", f, max);
	return 0;
}

static int want_object(struct in *in, json_t *v, const char *path)
{
	return json_is_object(v) ? 0 : fail(in, -EINVAL, "%s: expected an object", path);
}

static int server_in(struct in *in, json_t *j, const char *path, struct cluster_server *s)
{
	static const char *const keys[] = {"name", "model", "location", NULL};
	int r;

	if ((r = want_object(in, j, path)) < 0 || (r = only_keys(in, j, path, keys)) < 0 ||
	    (r = get_str(in, j, path, "name", true, s->name, sizeof(s->name))) < 0 ||
	    (r = get_str(in, j, path, "model", false, s->model, sizeof(s->model))) < 0 ||
	    (r = get_str(in, j, path, "location", false, s->location, sizeof(s->location))) < 0)
		return r;
	return 0;
}

static int unit_in(struct in *in, json_t *j, const char *path, struct cluster_unit *u)
{
	static const char *const keys[] = {"name", "unit_id", "role", "su_type", "server", "api",
					   "heartbeat", NULL};
	const char *su;
	json_t *id, *v;
	int r;

	if ((r = want_object(in, j, path)) < 0 || (r = only_keys(in, j, path, keys)) < 0 ||
	    (r = get_str(in, j, path, "name", true, u->name, sizeof(u->name))) < 0)
		return r;
	id = json_object_get(j, "unit_id");
	if (!id)
		return fail(in, -EINVAL, "%s.unit_id: missing", path);
	if (!json_is_integer(id))
		return fail(in, -EINVAL, "%s.unit_id: expected an integer", path);
	if (json_integer_value(id) < 1 || json_integer_value(id) > CRD_UNITS_MAX)
		return fail(in, -EINVAL, "%s.unit_id: %" JSON_INTEGER_FORMAT " is out of range "
			    "1..%u", path, json_integer_value(id), CRD_UNITS_MAX);
	u->unit_id = (uint32_t)json_integer_value(id);
	v = json_object_get(j, "role");
	if (!v)
		return fail(in, -EINVAL, "%s.role: missing", path);
	if (!json_is_string(v) || (strcmp(json_string_value(v), "MU") &&
				   strcmp(json_string_value(v), "SU")))
		return fail(in, -EINVAL, "%s.role: must be 'MU' or 'SU'", path);
	u->role = json_string_value(v)[0] == 'M' ? CRD_UNIT_MU : CRD_UNIT_SU;
	v = json_object_get(j, "su_type");
	su = v && json_is_string(v) ? json_string_value(v) : "";
	if (v && (!json_is_string(v) || (strcmp(su, "x86") && strcmp(su, "390"))))
		return fail(in, -EINVAL, "%s.su_type: must be 'x86' or '390'", path);
	u->su_type = !su[0] ? CLUSTER_SU_NONE : su[0] == 'x' ? CLUSTER_SU_X86 : CLUSTER_SU_390;
	if ((r = get_str(in, j, path, "server", true, u->server, sizeof(u->server))) < 0 ||
	    (r = get_str(in, j, path, "api", true, u->api, sizeof(u->api))) < 0 ||
	    (r = get_str(in, j, path, "heartbeat", true, u->heartbeat, sizeof(u->heartbeat))) < 0)
		return r;
	return 0;
}

static int mc_in(struct in *in, json_t *root, struct cluster_global *g)
{
	static const char *const keys[] = {"name", "servers", NULL};
	json_t *mc = json_object_get(root, "management_cluster"), *a, *v;
	char path[64];
	size_t i;
	int r;

	if (!mc) { /* default: every server with an MU, in server order */
		snprintf(g->mc_name, sizeof(g->mc_name), "Management Cluster");
		for (unsigned s = 0; s < g->n_servers; s++)
			for (unsigned u = 0; u < g->n_units; u++)
				if (g->units[u].role == CRD_UNIT_MU &&
				    !strcmp(g->units[u].server, g->servers[s].name)) {
					memcpy(g->mc_servers[g->n_mc_servers++], g->servers[s].name,
					       CLUSTER_NAME_MAX);
					break;
				}
		return 0;
	}
	if ((r = want_object(in, mc, "management_cluster")) < 0 ||
	    (r = only_keys(in, mc, "management_cluster", keys)) < 0 ||
	    (r = get_str(in, mc, "management_cluster", "name", true, g->mc_name,
			 sizeof(g->mc_name))) < 0 ||
	    (r = get_array(in, mc, "management_cluster", "servers", true, CLUSTER_SERVERS_MAX,
			   &a)) < 0)
		return r;
	json_array_foreach(a, i, v) {
		snprintf(path, sizeof(path), "management_cluster.servers[%zu]", i);
		if (!json_is_string(v))
			return fail(in, -EINVAL, "%s: expected a string", path);
		if (json_string_length(v) >= CLUSTER_NAME_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return fail(in, -EINVAL, "%s: is not a server name", path);
		memcpy(g->mc_servers[g->n_mc_servers++], json_string_value(v),
		       json_string_length(v) + 1);
	}
	return 0;
}

static int account_in(struct in *in, json_t *j, const char *path, struct cluster_account *a)
{
	static const char *const keys[] = {"name", "password_hash", "roles", NULL};
	char f[96];
	json_t *roles, *v;
	size_t i;
	int r;

	if ((r = want_object(in, j, path)) < 0 || (r = only_keys(in, j, path, keys)) < 0 ||
	    (r = get_str(in, j, path, "name", true, a->name, sizeof(a->name))) < 0)
		return r;
	v = json_object_get(j, "password_hash");
	if (!v)
		return fail(in, -EINVAL, "%s.password_hash: missing", path);
	if (!json_is_string(v) || json_string_length(v) >= sizeof(a->password_hash) ||
	    strncmp(json_string_value(v), "$argon2id$", 10) != 0)
		return fail(in, -EINVAL, "%s.password_hash: not an argon2id hash", path);
	memcpy(a->password_hash, json_string_value(v), json_string_length(v) + 1);
	if ((r = get_array(in, j, path, "roles", true, 32, &roles)) < 0)
		return r;
	a->roles = 0;
	json_array_foreach(roles, i, v) {
		unsigned k = 0;
		snprintf(f, sizeof(f), "%s.roles[%zu]", path, i);
		if (!json_is_string(v))
			return fail(in, -EINVAL, "%s: expected a string", f);
		while (k < N_ROLES && strcmp(role_names[k], json_string_value(v)))
			k++;
		if (k == N_ROLES)
			return fail(in, -EINVAL, "%s: unknown role (administrator, operator or "
				    "reader)", f);
		if (a->roles & (1u << k))
			return fail(in, -EINVAL, "%s: '%s' is listed twice", f, role_names[k]);
		a->roles |= 1u << k;
	}
	if (!a->roles)
		return fail(in, -EINVAL, "%s.roles: needs at least one role", path);
	return 0;
}

static int key_in(struct in *in, json_t *root, const char *key, bool *has, struct auth_key *k)
{
	json_t *v = json_object_get(root, key);

	*has = false;
	if (!v)
		return 0;
	if (!json_is_string(v) || auth_key_from_hex(json_string_value(v), k) < 0)
		return fail(in, -EINVAL, "%s: not 64 hex digits", key);
	*has = true;
	return 0;
}

static int region_fields_in(struct in *in, json_t *root, struct cluster_global *g)
{
	char id[40];
	json_t *v, *a;
	size_t i;
	int r;

	v = json_object_get(root, "format");
	if (!v)
		return fail(in, -EINVAL, "format: missing");
	if (!json_is_integer(v))
		return fail(in, -EINVAL, "format: expected an integer");
	if (json_integer_value(v) != CLUSTER_GLOBAL_FORMAT)
		return fail(in, -EINVAL, "format: %" JSON_INTEGER_FORMAT " is not supported "
			    "(this version reads %d)", json_integer_value(v), CLUSTER_GLOBAL_FORMAT);
	g->format = CLUSTER_GLOBAL_FORMAT;
	if ((r = get_str(in, root, "", "cluster_id", true, id, sizeof(id))) < 0)
		return r;
	if (crd_uuid_parse(id, &g->cluster_id) < 0)
		return fail(in, -EINVAL, "cluster_id: '%s' is not a uuid", id);
	if ((r = get_array(in, root, "", "accounts", true, CLUSTER_ACCOUNTS_MAX, &a)) < 0)
		return r;
	json_array_foreach(a, i, v) {
		char path[32];
		snprintf(path, sizeof(path), "accounts[%zu]", i);
		if ((r = account_in(in, v, path, &g->accounts[i])) < 0)
			return r;
		g->n_accounts++;
	}
	if (in->flags & CLUSTER_GLOBAL_FOREIGN) {
		if (json_object_get(root, "token_key") || json_object_get(root, "token_key_previous"))
			return fail(in, -EINVAL, "token_key: not accepted in another cluster's "
				    "global data (its session-token keys are not sent)");
		return 0;
	}
	if ((r = key_in(in, root, "token_key", &g->has_token_key, &g->token_key)) < 0 ||
	    (r = key_in(in, root, "token_key_previous", &g->has_token_key_previous,
			&g->token_key_previous)) < 0)
		return r;
	return 0;
}

static int doc_in(struct in *in, json_t *root, struct cluster_global *g)
{
	static const char *const topo_keys[] = {"name", "servers", "units", "management_cluster",
						"su_clusters", NULL};
	static const char *const region_keys[] = {
		"format", "cluster_id", "name", "servers", "units", "management_cluster",
		"su_clusters", "accounts", "token_key", "token_key_previous", NULL};
	static const char *const region_only[] = {"format", "cluster_id", "accounts",
						  "token_key", "token_key_previous", NULL};
	bool topo = in->flags & CLUSTER_GLOBAL_TOPOLOGY;
	json_t *a, *v;
	size_t i;
	int r;

	if (!json_is_object(root))
		return fail(in, -EINVAL, "the document is not a JSON object");
	for (const char *const *k = region_only; topo && *k; k++)
		if (json_object_get(root, *k))
			return fail(in, -EINVAL, "%s: not part of a topology file (sectl cluster "
				    "init makes it)", *k);
	if ((r = only_keys(in, root, "", topo ? topo_keys : region_keys)) < 0)
		return r;
	if (!topo && (r = region_fields_in(in, root, g)) < 0)
		return r;
	if ((r = get_str(in, root, "", "name", true, g->name, sizeof(g->name))) < 0 ||
	    (r = get_array(in, root, "", "servers", true, CLUSTER_SERVERS_MAX, &a)) < 0)
		return r;
	json_array_foreach(a, i, v) {
		char path[32];
		snprintf(path, sizeof(path), "servers[%zu]", i);
		if ((r = server_in(in, v, path, &g->servers[i])) < 0)
			return r;
		g->n_servers++;
	}
	if ((r = get_array(in, root, "", "units", true, CRD_UNITS_MAX, &a)) < 0)
		return r;
	json_array_foreach(a, i, v) {
		char path[32];
		snprintf(path, sizeof(path), "units[%zu]", i);
		if ((r = unit_in(in, v, path, &g->units[i])) < 0)
			return r;
		g->n_units++;
	}
	if ((r = mc_in(in, root, g)) < 0 ||
	    (r = get_array(in, root, "", "su_clusters", false, CLUSTER_SU_CLUSTERS_MAX, &a)) < 0)
		return r;
	json_array_foreach(a, i, v) {
		char path[48];
		snprintf(path, sizeof(path), "su_clusters[%zu]", i);
		if ((r = cluster_su_cluster_from_json(v, path, &g->su_clusters[i], in->err)) < 0)
			return r;
		g->n_su_clusters++;
	}
	return 0;
}

int cluster_server_from_json(json_t *j, const char *path, struct cluster_server *ret,
			     struct sec_err *reterr)
{
	struct in in = {.flags = 0, .err = reterr};
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = server_in(&in, j, path, ret)) < 0)
		return r;
	return cluster_server_check(ret, path, reterr);
}

int cluster_unit_from_json(json_t *j, const char *path, struct cluster_unit *ret,
			   struct sec_err *reterr)
{
	struct in in = {.flags = 0, .err = reterr};
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = unit_in(&in, j, path, ret)) < 0)
		return r;
	return cluster_unit_check(ret, path, reterr);
}

int cluster_global_from_json(const char *text, size_t len, unsigned flags,
			     struct cluster_global *ret, struct sec_err *reterr)
{
	struct in in = {.flags = flags, .err = reterr};
	json_error_t je;
	json_t *root;
	int r;

	for (unsigned i = 0; i < CLUSTER_ACCOUNTS_MAX; i++)
		auth_password_wipe(ret->accounts[i].password_hash,
				   sizeof(ret->accounts[i].password_hash));
	auth_key_wipe(&ret->token_key);
	auth_key_wipe(&ret->token_key_previous);
	memset(ret, 0, sizeof(*ret));
	ret->format = CLUSTER_GLOBAL_FORMAT;
	if (len > CLUSTER_GLOBAL_JSON_MAX)
		return fail(&in, -E2BIG, "the document is larger than %u bytes",
			    CLUSTER_GLOBAL_JSON_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		char *near = strstr(je.text, " near '"); /* never quote the content (secrets) */
		if (near)
			*near = '\0';
		return fail(&in, -EINVAL, "line %d column %d: %s", je.line, je.column, je.text);
	}
	r = doc_in(&in, root, ret);
	json_decref(root);
	if (r == 0)
		r = cluster_global_validate(ret, flags & (CLUSTER_GLOBAL_TOPOLOGY |
							  CLUSTER_GLOBAL_FOREIGN), reterr);
	return r;
}
