/* global.c — the global data of region 0 and the topology file (global.h). */
#include "cluster/global.h"
#include "lib/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED "(set)"
#define MC_DEFAULT_NAME "Management Cluster"

static const char *const role_names[] = {"administrator", "operator", "reader"};
#define N_ROLES (sizeof(role_names) / sizeof(role_names[0]))

struct cluster_global *cluster_global_new(void)
{
	struct cluster_global *g = calloc(1, sizeof(*g));

	if (g)
		g->format = CLUSTER_GLOBAL_FORMAT;
	return g;
}

static void global_wipe(struct cluster_global *g)
{
	for (unsigned i = 0; i < CLUSTER_ACCOUNTS_MAX; i++)
		auth_password_wipe(g->accounts[i].password_hash,
				   sizeof(g->accounts[i].password_hash));
	auth_key_wipe(&g->token_key);
	auth_key_wipe(&g->token_key_previous);
}

struct cluster_global *cluster_global_free(struct cluster_global *g)
{
	if (g) {
		global_wipe(g);
		free(g);
	}
	return NULL;
}

const char *cluster_su_type_to_string(enum cluster_su_type t)
{
	return t == CLUSTER_SU_X86 ? "x86" : t == CLUSTER_SU_390 ? "390" : "";
}

const char *cluster_roles_to_string(uint32_t roles, char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned i = 0; i < N_ROLES && size; i++)
		if (roles & (1u << i)) {
			int w = snprintf(buf + n, size - n, "%s%s", n ? "," : "", role_names[i]);
			if (w < 0 || (size_t)w >= size - n)
				break;
			n += (size_t)w;
		}
	return buf;
}

int cluster_global_find_server(const struct cluster_global *g, const char *name)
{
	for (unsigned i = 0; i < g->n_servers; i++)
		if (!strcmp(g->servers[i].name, name))
			return (int)i;
	return -1;
}

int cluster_global_find_unit(const struct cluster_global *g, const char *name)
{
	for (unsigned i = 0; i < g->n_units; i++)
		if (!strcmp(g->units[i].name, name))
			return (int)i;
	return -1;
}

int cluster_global_find_account(const struct cluster_global *g, const char *name)
{
	for (unsigned i = 0; i < g->n_accounts; i++)
		if (!strcmp(g->accounts[i].name, name))
			return (int)i;
	return -1;
}

/* ---- validation ---- */

/* A name: 1..63 of [A-Za-z0-9._-], starting with a letter or digit. */
static const char *name_problem(const char *s)
{
	if (!s[0])
		return "is empty";
	if (strlen(s) >= CLUSTER_NAME_MAX)
		return "is longer than 63 characters";
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return "must start with a letter or digit";
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return "may hold only letters, digits, '.', '_' and '-'";
	return NULL;
}

/* Free text (model, location, cluster name): no control characters, < CLUSTER_TEXT_MAX. */
static const char *text_problem(const char *s, bool may_be_empty)
{
	if (!s[0] && !may_be_empty)
		return "is empty";
	if (strlen(s) >= CLUSTER_TEXT_MAX)
		return "is longer than 127 bytes";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "contains a control character";
	return NULL;
}

/* "IPv4:port" or "[IPv6]:port", port 1..65535. */
static bool addr_ok(const char *s)
{
	struct sockaddr_storage ss;

	return sec_addr_parse(s, false, &ss) == 0;
}

static int bad(struct sec_err *reterr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct sec_err *reterr, const char *fmt, ...)
{
	va_list ap;

	if (reterr) {
		va_start(ap, fmt);
		vsnprintf(reterr->msg, sizeof(reterr->msg), fmt, ap);
		va_end(ap);
		reterr->code = -EINVAL;
	}
	return -EINVAL;
}

int cluster_server_check(const struct cluster_server *s, const char *path,
			 struct sec_err *reterr)
{
	const char *why;

	if ((why = name_problem(s->name)))
		return bad(reterr, "%s.name: '%.63s' %s", path, s->name, why);
	if ((why = text_problem(s->model, true)))
		return bad(reterr, "%s.model: %s", path, why);
	if ((why = text_problem(s->location, true)))
		return bad(reterr, "%s.location: %s", path, why);
	return 0;
}

static int validate_servers(const struct cluster_global *g, struct sec_err *reterr)
{
	char path[32];
	int r;

	if (!g->n_servers)
		return bad(reterr, "servers: the cluster has no SE Server");
	for (unsigned i = 0; i < g->n_servers; i++) {
		const struct cluster_server *s = &g->servers[i];
		snprintf(path, sizeof(path), "servers[%u]", i);
		if ((r = cluster_server_check(s, path, reterr)) < 0)
			return r;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(g->servers[j].name, s->name))
				return bad(reterr, "servers[%u].name: '%s' is a duplicate of "
					   "servers[%u]", i, s->name, j);
	}
	return 0;
}

int cluster_unit_check(const struct cluster_unit *u, const char *path, struct sec_err *reterr)
{
	const char *why;

	if ((why = name_problem(u->name)))
		return bad(reterr, "%s.name: '%.63s' %s", path, u->name, why);
	if (u->unit_id < 1 || u->unit_id > CRD_UNITS_MAX)
		return bad(reterr, "%s.unit_id: %" PRIu32 " is out of range 1..%u", path,
			   u->unit_id, CRD_UNITS_MAX);
	if (u->role == CRD_UNIT_MU) {
		if (u->su_type != CLUSTER_SU_NONE)
			return bad(reterr, "%s.su_type: an MU has no SU type", path);
	} else if (u->role == CRD_UNIT_SU) {
		if (u->su_type != CLUSTER_SU_X86 && u->su_type != CLUSTER_SU_390)
			return bad(reterr, "%s.su_type: an SU needs an SU type ('x86' or '390')",
				   path);
	} else {
		return bad(reterr, "%s.role: must be 'MU' or 'SU'", path);
	}
	if ((why = name_problem(u->server)))
		return bad(reterr, "%s.server: '%.63s' %s", path, u->server, why);
	if (!addr_ok(u->api))
		return bad(reterr, "%s.api: '%.63s' is not an address (IPv4:port or [IPv6]:port)",
			   path, u->api);
	if (!addr_ok(u->heartbeat))
		return bad(reterr, "%s.heartbeat: '%.63s' is not an address (IPv4:port or "
			   "[IPv6]:port)", path, u->heartbeat);
	return 0;
}

static int validate_units(const struct cluster_global *g, struct sec_err *reterr)
{
	unsigned mus = 0;
	char path[32];
	int r;

	if (!g->n_units)
		return bad(reterr, "units: the cluster has no unit");
	for (unsigned i = 0; i < g->n_units; i++) {
		const struct cluster_unit *u = &g->units[i];
		snprintf(path, sizeof(path), "units[%u]", i);
		if ((r = cluster_unit_check(u, path, reterr)) < 0)
			return r;
		mus += u->role == CRD_UNIT_MU;
		if (cluster_global_find_server(g, u->server) < 0)
			return bad(reterr, "units[%u].server: '%.63s' is not an SE Server of the "
				   "cluster", i, u->server);
		for (unsigned j = 0; j < i; j++) {
			const struct cluster_unit *o = &g->units[j];
			if (!strcmp(o->name, u->name))
				return bad(reterr, "units[%u].name: '%s' is a duplicate of units[%u]",
					   i, u->name, j);
			if (o->unit_id == u->unit_id)
				return bad(reterr, "units[%u].unit_id: %" PRIu32 " is also the unit "
					   "id of units[%u] ('%s')", i, u->unit_id, j, o->name);
			if (!strcmp(o->api, u->api))
				return bad(reterr, "units[%u].api: '%s' is also the API address of "
					   "units[%u] ('%s')", i, u->api, j, o->name);
			if (!strcmp(o->heartbeat, u->heartbeat))
				return bad(reterr, "units[%u].heartbeat: '%s' is also the heartbeat "
					   "address of units[%u] ('%s')", i, u->heartbeat, j, o->name);
		}
	}
	if (!mus)
		return bad(reterr, "units: the cluster has no MU (a Management Unit is needed "
			   "for the Management Cluster)");
	return 0;
}

static bool server_has_mu(const struct cluster_global *g, const char *server)
{
	for (unsigned i = 0; i < g->n_units; i++)
		if (g->units[i].role == CRD_UNIT_MU && !strcmp(g->units[i].server, server))
			return true;
	return false;
}

static int validate_mc(const struct cluster_global *g, struct sec_err *reterr)
{
	const char *why;

	if ((why = text_problem(g->mc_name, false)))
		return bad(reterr, "management_cluster.name: %s", why);
	for (unsigned i = 0; i < g->n_mc_servers; i++) {
		const char *s = g->mc_servers[i];
		if (cluster_global_find_server(g, s) < 0)
			return bad(reterr, "management_cluster.servers[%u]: '%.63s' is not an SE "
				   "Server of the cluster", i, s);
		if (!server_has_mu(g, s))
			return bad(reterr, "management_cluster.servers[%u]: SE Server '%s' has no "
				   "MU", i, s);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(g->mc_servers[j], s))
				return bad(reterr, "management_cluster.servers[%u]: '%s' is a "
					   "duplicate of management_cluster.servers[%u]", i, s, j);
	}
	for (unsigned i = 0; i < g->n_units; i++) {
		const struct cluster_unit *u = &g->units[i];
		bool in = false;
		for (unsigned j = 0; j < g->n_mc_servers; j++)
			in |= !strcmp(g->mc_servers[j], u->server);
		if (u->role == CRD_UNIT_MU && !in)
			return bad(reterr, "management_cluster.servers: SE Server '%s' of MU "
				   "units[%u] ('%s') is missing", u->server, i, u->name);
	}
	return 0;
}

static int validate_accounts(const struct cluster_global *g, struct sec_err *reterr)
{
	const char *why;
	bool admin = false;

	for (unsigned i = 0; i < g->n_accounts; i++) {
		const struct cluster_account *a = &g->accounts[i];
		if ((why = name_problem(a->name)))
			return bad(reterr, "accounts[%u].name: '%.63s' %s", i, a->name, why);
		if (strncmp(a->password_hash, "$argon2id$", 10) != 0 ||
		    strnlen(a->password_hash, AUTH_PASSWORD_HASH_MAX) >= AUTH_PASSWORD_HASH_MAX)
			return bad(reterr, "accounts[%u].password_hash: not an argon2id hash", i);
		if (!a->roles || a->roles >= (1u << N_ROLES))
			return bad(reterr, "accounts[%u].roles: needs at least one known role", i);
		admin |= (a->roles & CLUSTER_ROLE_ADMINISTRATOR) != 0;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(g->accounts[j].name, a->name))
				return bad(reterr, "accounts[%u].name: '%s' is a duplicate of "
					   "accounts[%u]", i, a->name, j);
	}
	if (!admin)
		return bad(reterr, "accounts: no account has the role 'administrator'");
	return 0;
}

int cluster_global_validate(const struct cluster_global *g, unsigned flags,
			    struct sec_err *reterr)
{
	const char *why;
	int r;

	if (!(flags & CLUSTER_GLOBAL_TOPOLOGY)) {
		if (g->format != CLUSTER_GLOBAL_FORMAT)
			return bad(reterr, "format: %" PRIu32 " is not supported (this version "
				   "reads %d)", g->format, CLUSTER_GLOBAL_FORMAT);
		if (crd_uuid_is_null(&g->cluster_id))
			return bad(reterr, "cluster_id: is the null uuid");
	}
	if ((why = text_problem(g->name, false)))
		return bad(reterr, "name: %s", why);
	if ((r = validate_servers(g, reterr)) < 0 || (r = validate_units(g, reterr)) < 0 ||
	    (r = validate_mc(g, reterr)) < 0 ||
	    (r = cluster_global_validate_su_clusters(g, reterr)) < 0)
		return r;
	if (flags & CLUSTER_GLOBAL_TOPOLOGY)
		return 0;
	if ((r = validate_accounts(g, reterr)) < 0)
		return r;
	if (!g->has_token_key && !(flags & CLUSTER_GLOBAL_FOREIGN))
		return bad(reterr, "token_key: missing (the session-token signing key)");
	return 0;
}

/* ---- JSON out ---- */

static json_t *key_json(const struct auth_key *k, unsigned flags)
{
	char hex[AUTH_KEY_HEX + 1];
	json_t *j;

	if (flags & CLUSTER_GLOBAL_REDACT)
		return json_string(REDACTED);
	auth_key_to_hex(k, hex);
	j = json_string(hex);
	auth_password_wipe(hex, sizeof(hex));
	return j;
}

static json_t *roles_json(uint32_t roles)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < N_ROLES; i++)
		if (roles & (1u << i))
			json_array_append_new(a, json_string(role_names[i]));
	return a;
}

json_t *cluster_global_to_json(const struct cluster_global *g, unsigned flags)
{
	json_t *root = json_object(), *servers = json_array(), *units = json_array(),
	       *mcs = json_array();
	char id[37];
	int e = 0;

	if (!root || !servers || !units || !mcs) {
		json_decref(servers);
		json_decref(units);
		json_decref(mcs);
		json_decref(root);
		return NULL;
	}
	if (!(flags & CLUSTER_GLOBAL_TOPOLOGY)) {
		crd_uuid_to_string(&g->cluster_id, id);
		e |= json_object_set_new(root, "format", json_integer(g->format));
		e |= json_object_set_new(root, "cluster_id", json_string(id));
	}
	e |= json_object_set_new(root, "name", json_string(g->name));
	for (unsigned i = 0; i < g->n_servers; i++) {
		const struct cluster_server *s = &g->servers[i];
		e |= json_array_append_new(servers, json_pack("{s:s, s:s, s:s}", "name", s->name,
							      "model", s->model, "location",
							      s->location));
	}
	e |= json_object_set_new(root, "servers", servers);
	for (unsigned i = 0; i < g->n_units; i++) {
		const struct cluster_unit *u = &g->units[i];
		json_t *ju = json_pack("{s:s, s:I, s:s}", "name", u->name, "unit_id",
				       (json_int_t)u->unit_id, "role",
				       u->role == CRD_UNIT_MU ? "MU" : "SU");
		if (ju && u->role == CRD_UNIT_SU)
			e |= json_object_set_new(ju, "su_type",
						 json_string(cluster_su_type_to_string(u->su_type)));
		if (ju) {
			e |= json_object_set_new(ju, "server", json_string(u->server));
			e |= json_object_set_new(ju, "api", json_string(u->api));
			e |= json_object_set_new(ju, "heartbeat", json_string(u->heartbeat));
		}
		e |= json_array_append_new(units, ju);
	}
	e |= json_object_set_new(root, "units", units);
	for (unsigned i = 0; i < g->n_mc_servers; i++)
		e |= json_array_append_new(mcs, json_string(g->mc_servers[i]));
	e |= json_object_set_new(root, "management_cluster",
				 json_pack("{s:s, s:o}", "name", g->mc_name, "servers", mcs));
	if (g->n_su_clusters) { /* left out when there is none (older documents compare equal) */
		json_t *sucs = json_array();
		for (unsigned i = 0; sucs && i < g->n_su_clusters; i++)
			e |= json_array_append_new(sucs, cluster_su_cluster_to_json(&g->su_clusters[i]));
		e |= json_object_set_new(root, "su_clusters", sucs);
	}
	if (!(flags & CLUSTER_GLOBAL_TOPOLOGY)) {
		json_t *acc = json_array();
		for (unsigned i = 0; acc && i < g->n_accounts; i++) {
			const struct cluster_account *a = &g->accounts[i];
			e |= json_array_append_new(
				acc, json_pack("{s:s, s:s, s:o}", "name", a->name, "password_hash",
					       flags & CLUSTER_GLOBAL_REDACT ? REDACTED
									     : a->password_hash,
					       "roles", roles_json(a->roles)));
		}
		e |= json_object_set_new(root, "accounts", acc);
		if (g->has_token_key)
			e |= json_object_set_new(root, "token_key", key_json(&g->token_key, flags));
		if (g->has_token_key_previous)
			e |= json_object_set_new(root, "token_key_previous",
						 key_json(&g->token_key_previous, flags));
	}
	if (e) {
		json_decref(root);
		return NULL;
	}
	return root;
}

char *cluster_global_to_string(const struct cluster_global *g, unsigned flags)
{
	json_t *j = cluster_global_to_json(g, flags);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j); /* note: jansson does not wipe the key strings it held */
	return s;
}
