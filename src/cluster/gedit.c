/* gedit.c — changes of the global data on a running cluster, and the conflicts of a
 * joining server's own global data (gedit.h). */
#include "cluster/gedit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cluster_conflicts_init(struct cluster_conflicts *c)
{
	c->n = 0;
	c->more = 0;
}

void cluster_conflicts_add(struct cluster_conflicts *c, const char *object, const char *name,
			   const char *fmt, ...)
{
	struct cluster_conflict *e;
	va_list ap;

	if (c->n >= CLUSTER_CONFLICTS_MAX) {
		c->more++;
		return;
	}
	e = &c->c[c->n++];
	snprintf(e->object, sizeof(e->object), "%s", object);
	snprintf(e->name, sizeof(e->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(e->conflict, sizeof(e->conflict), fmt, ap);
	va_end(ap);
}

json_t *cluster_conflicts_to_json(const struct cluster_conflicts *c)
{
	json_t *a = json_array();
	char more[48];

	for (unsigned i = 0; a && i < c->n; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "object", c->c[i].object,
						       "name", c->c[i].name, "conflict",
						       c->c[i].conflict)) < 0) {
			json_decref(a);
			return NULL;
		}
	if (a && c->more) {
		snprintf(more, sizeof(more), "... and %u more", c->more);
		json_array_append_new(a, json_string(more));
	}
	return a;
}

/* ---- helpers ---- */

static unsigned conflicts_total(const struct cluster_conflicts *c)
{
	return c->n + c->more;
}

/* A copy of g to edit (freed with cluster_global_free: it wipes the hashes). */
static struct cluster_global *dup_global(const struct cluster_global *g)
{
	struct cluster_global *w = cluster_global_new();

	if (w)
		memcpy(w, g, sizeof(*w));
	return w;
}

/* w is valid: copy it into g and free it. Else -EINVAL naming the field. */
static int commit(struct cluster_global *g, struct cluster_global *w, struct sec_err *reterr)
{
	struct sec_err e = {0};

	if (cluster_global_validate(w, 0, &e) < 0) {
		cluster_global_free(w);
		return sec_errf(reterr, -EINVAL, "the global data would not be valid: %s", e.msg);
	}
	memcpy(g, w, sizeof(*g));
	cluster_global_free(w);
	return 0;
}

static bool unit_same(const struct cluster_unit *a, const struct cluster_unit *b)
{
	return !strcmp(a->name, b->name) && a->unit_id == b->unit_id && a->role == b->role &&
	       a->su_type == b->su_type && !strcmp(a->server, b->server) &&
	       !strcmp(a->api, b->api) && !strcmp(a->heartbeat, b->heartbeat);
}

/* The conflicts of unit u with every unit of g: name, unit id, both addresses. Returns
 * how many it added to conf. */
static unsigned unit_conflicts(const struct cluster_global *g, const struct cluster_unit *u,
			       struct cluster_conflicts *conf)
{
	unsigned before = conflicts_total(conf);

	for (unsigned i = 0; i < g->n_units; i++) {
		const struct cluster_unit *o = &g->units[i];
		if (!strcmp(o->name, u->name))
			cluster_conflicts_add(conf, "unit", u->name,
					      "name in use by a unit of the cluster");
		if (o->unit_id == u->unit_id)
			cluster_conflicts_add(conf, "unit", u->name, "unit id %" PRIu32 " in use "
					      "by unit '%s'", u->unit_id, o->name);
		if (!strcmp(o->api, u->api))
			cluster_conflicts_add(conf, "unit", u->name, "API address %s in use by "
					      "unit '%s'", u->api, o->name);
		if (!strcmp(o->heartbeat, u->heartbeat))
			cluster_conflicts_add(conf, "unit", u->name, "heartbeat address %s in use "
					      "by unit '%s'", u->heartbeat, o->name);
	}
	return conflicts_total(conf) - before;
}

static bool server_has_mu(const struct cluster_global *g, const char *server)
{
	for (unsigned i = 0; i < g->n_units; i++)
		if (g->units[i].role == CRD_UNIT_MU && !strcmp(g->units[i].server, server))
			return true;
	return false;
}

static int mc_find(const struct cluster_global *g, const char *server)
{
	for (unsigned i = 0; i < g->n_mc_servers; i++)
		if (!strcmp(g->mc_servers[i], server))
			return (int)i;
	return -1;
}

/* Every server with an MU joins the Management Cluster; one without leaves it. */
static void mc_update(struct cluster_global *g)
{
	for (unsigned i = 0; i < g->n_mc_servers;) {
		if (server_has_mu(g, g->mc_servers[i])) {
			i++;
			continue;
		}
		memmove(g->mc_servers[i], g->mc_servers[i + 1],
			(size_t)(g->n_mc_servers - i - 1) * CLUSTER_NAME_MAX);
		g->n_mc_servers--;
	}
	for (unsigned i = 0; i < g->n_servers && g->n_mc_servers < CLUSTER_SERVERS_MAX; i++)
		if (server_has_mu(g, g->servers[i].name) && mc_find(g, g->servers[i].name) < 0)
			memcpy(g->mc_servers[g->n_mc_servers++], g->servers[i].name,
			       CLUSTER_NAME_MAX);
}

static int append_server(struct cluster_global *w, const struct cluster_server *s,
			 struct sec_err *reterr)
{
	if (w->n_servers >= CLUSTER_SERVERS_MAX)
		return sec_errf(reterr, -E2BIG, "the cluster would have more than %d SE Servers",
				CLUSTER_SERVERS_MAX);
	w->servers[w->n_servers++] = *s;
	return 0;
}

static int append_unit(struct cluster_global *w, const struct cluster_unit *u,
		       struct sec_err *reterr)
{
	if (w->n_units >= CRD_UNITS_MAX)
		return sec_errf(reterr, -E2BIG, "the cluster would have more than %d units",
				CRD_UNITS_MAX);
	w->units[w->n_units++] = *u;
	return 0;
}

/* ---- conflicts of a joining server's global data (seed 2.1) ---- */

static void account_conflicts(const struct cluster_global *g, const struct cluster_global *j,
			      struct cluster_conflicts *conf)
{
	for (unsigned i = 0; i < j->n_accounts; i++) {
		const struct cluster_account *a = &j->accounts[i];
		int k = cluster_global_find_account(g, a->name);
		if (k < 0)
			continue; /* unique existence: joins */
		if (strcmp(g->accounts[k].password_hash, a->password_hash))
			cluster_conflicts_add(conf, "account", a->name, "different password");
		if (g->accounts[k].roles != a->roles)
			cluster_conflicts_add(conf, "account", a->name, "different roles");
	}
}

unsigned cluster_global_conflicts(const struct cluster_global *g,
				  const struct cluster_global *joining,
				  struct cluster_conflicts *ret)
{
	unsigned before = conflicts_total(ret);

	account_conflicts(g, joining, ret);
	for (unsigned i = 0; i < joining->n_servers; i++)
		if (cluster_global_find_server(g, joining->servers[i].name) >= 0)
			cluster_conflicts_add(ret, "server", joining->servers[i].name,
					      "name in use by an SE Server of the cluster");
	for (unsigned i = 0; i < joining->n_units; i++)
		unit_conflicts(g, &joining->units[i], ret);
	return conflicts_total(ret) - before;
}

/* ---- add a server ---- */

/* The request's own units: valid, each on the server being added. */
static int check_request_units(const struct cluster_server_add *a, struct sec_err *reterr)
{
	char path[32];
	int r;

	if (a->n_units > CLUSTER_ADD_UNITS_MAX)
		return sec_errf(reterr, -E2BIG, "units: more than %d units with one SE Server",
				CLUSTER_ADD_UNITS_MAX);
	for (unsigned i = 0; i < a->n_units; i++) {
		snprintf(path, sizeof(path), "units[%u]", i);
		if ((r = cluster_unit_check(&a->units[i], path, reterr)) < 0)
			return r;
		if (strcmp(a->units[i].server, a->server.name))
			return sec_errf(reterr, -EINVAL, "units[%u].server: '%s' is not the SE "
					"Server being added ('%s')", i, a->units[i].server,
					a->server.name);
	}
	return cluster_server_check(&a->server, "server", reterr);
}

/* The new server itself: the request's, completed from the joining data's server of the
 * same name. */
static struct cluster_server new_server(const struct cluster_server_add *a)
{
	struct cluster_server s = a->server;
	int k = a->joining ? cluster_global_find_server(a->joining, s.name) : -1;

	if (k >= 0 && !a->model_given)
		memcpy(s.model, a->joining->servers[k].model, sizeof(s.model));
	if (k >= 0 && !a->location_given)
		memcpy(s.location, a->joining->servers[k].location, sizeof(s.location));
	return s;
}

/* The joining data's servers (but the new one), units and accounts into w. */
static int add_joining(struct cluster_global *w, const struct cluster_global *j,
		       const char *name, struct sec_err *reterr)
{
	int r;

	for (unsigned i = 0; i < j->n_servers; i++)
		if (strcmp(j->servers[i].name, name) &&
		    (r = append_server(w, &j->servers[i], reterr)) < 0)
			return r;
	for (unsigned i = 0; i < j->n_units; i++)
		if ((r = append_unit(w, &j->units[i], reterr)) < 0)
			return r;
	for (unsigned i = 0; i < j->n_accounts; i++) {
		if (cluster_global_find_account(w, j->accounts[i].name) >= 0)
			continue; /* the same account (checked by the conflicts) */
		if (w->n_accounts >= CLUSTER_ACCOUNTS_MAX)
			return sec_errf(reterr, -E2BIG, "the cluster would have more than %d "
					"accounts", CLUSTER_ACCOUNTS_MAX);
		w->accounts[w->n_accounts++] = j->accounts[i];
	}
	return 0;
}

/* The request's units into w: one the joining data has identically is there already. */
static int add_request_units(struct cluster_global *w, const struct cluster_server_add *a,
			     struct cluster_conflicts *conf, struct sec_err *reterr)
{
	unsigned n = 0;
	int r;

	for (unsigned i = 0; i < a->n_units; i++) {
		const struct cluster_unit *u = &a->units[i];
		int k = cluster_global_find_unit(w, u->name);
		if (k >= 0 && unit_same(&w->units[k], u))
			continue;
		if (unit_conflicts(w, u, conf)) {
			n++;
			continue;
		}
		if ((r = append_unit(w, u, reterr)) < 0)
			return r;
	}
	if (n)
		return sec_errf(reterr, -EEXIST, "SE Server '%s': %u of its units conflict with "
				"the units of the cluster", a->server.name, n);
	return 0;
}

int cluster_global_add_server(struct cluster_global *g, const struct cluster_server_add *a,
			      struct cluster_conflicts *conf, struct sec_err *reterr)
{
	struct cluster_global *w;
	struct cluster_server s;
	unsigned n;
	int r;

	cluster_conflicts_init(conf);
	if ((r = check_request_units(a, reterr)) < 0)
		return r;
	if (cluster_global_find_server(g, a->server.name) >= 0) {
		cluster_conflicts_add(conf, "server", a->server.name,
				      "name in use by an SE Server of the cluster");
		return sec_errf(reterr, -EEXIST, "SE Server '%s' is already in the cluster",
				a->server.name);
	}
	if (a->joining && (n = cluster_global_conflicts(g, a->joining, conf)))
		return sec_errf(reterr, -EEXIST, "SE Server '%s': its global data has %u "
				"conflict%s with the cluster's; make every global object unambiguous "
				"first (the same on both, or deleted on one; seed 2.1)",
				a->server.name, n, n == 1 ? "" : "s");
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	s = new_server(a);
	if ((r = append_server(w, &s, reterr)) < 0 ||
	    (a->joining && (r = add_joining(w, a->joining, s.name, reterr)) < 0) ||
	    (r = add_request_units(w, a, conf, reterr)) < 0) {
		cluster_global_free(w);
		return r;
	}
	mc_update(w);
	return commit(g, w, reterr);
}

/* ---- remove a server ---- */

int cluster_global_remove_server(struct cluster_global *g, const char *name,
				 struct cluster_conflicts *conf, struct sec_err *reterr)
{
	struct cluster_global *w;
	unsigned n = 0;
	int k;

	cluster_conflicts_init(conf);
	if ((k = cluster_global_find_server(g, name)) < 0)
		return sec_errf(reterr, -ENOENT, "SE Server '%.63s' is not in the cluster", name);
	for (unsigned i = 0; i < g->n_units; i++)
		if (!strcmp(g->units[i].server, name)) {
			cluster_conflicts_add(conf, "unit", g->units[i].name,
					      "belongs to SE Server '%s'", name);
			n++;
		}
	if (n)
		return sec_errf(reterr, -EBUSY, "SE Server '%s' still has %u unit%s: remove %s "
				"first", name, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	if (g->n_servers == 1)
		return sec_errf(reterr, -EBUSY, "SE Server '%s' is the last SE Server of the "
				"cluster", name);
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	memmove(&w->servers[k], &w->servers[k + 1],
		(size_t)(w->n_servers - (unsigned)k - 1) * sizeof(w->servers[0]));
	w->n_servers--;
	mc_update(w);
	return commit(g, w, reterr);
}

/* ---- add and remove a unit ---- */

int cluster_global_add_unit(struct cluster_global *g, const struct cluster_unit *u,
			    struct cluster_conflicts *conf, struct sec_err *reterr)
{
	struct cluster_global *w;
	unsigned n;
	int r;

	cluster_conflicts_init(conf);
	if ((r = cluster_unit_check(u, "unit", reterr)) < 0)
		return r;
	if (cluster_global_find_server(g, u->server) < 0) {
		cluster_conflicts_add(conf, "server", u->server,
				      "is not an SE Server of the cluster");
		return sec_errf(reterr, -EBUSY, "unit '%s': SE Server '%s' is not in the cluster "
				"(add it first)", u->name, u->server);
	}
	if ((n = unit_conflicts(g, u, conf)))
		return sec_errf(reterr, -EEXIST, "unit '%s' cannot be added: %u conflict%s with "
				"the units of the cluster", u->name, n, n == 1 ? "" : "s");
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	if ((r = append_unit(w, u, reterr)) < 0) {
		cluster_global_free(w);
		return r;
	}
	mc_update(w);
	return commit(g, w, reterr);
}

int cluster_global_remove_unit(struct cluster_global *g, const char *name,
			       struct cluster_conflicts *conf, struct sec_err *reterr)
{
	const struct cluster_su_cluster *suc;
	struct cluster_global *w;
	unsigned mus = 0;
	int k;

	cluster_conflicts_init(conf);
	if ((k = cluster_global_find_unit(g, name)) < 0)
		return sec_errf(reterr, -ENOENT, "unit '%.63s' is not in the cluster", name);
	for (unsigned i = 0; i < g->n_units; i++)
		mus += g->units[i].role == CRD_UNIT_MU;
	if (g->units[k].role == CRD_UNIT_MU && mus == 1)
		return sec_errf(reterr, -EBUSY, "unit '%s' is the last MU of the cluster", name);
	if ((suc = cluster_su_cluster_of(g, name, NULL))) {
		cluster_conflicts_add(conf, "su_cluster", suc->name, "has SU '%s'", name);
		return sec_errf(reterr, -EBUSY, "SU '%s' is in SU Cluster '%s': delete the SU "
				"Cluster first", name, suc->name);
	}
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	memmove(&w->units[k], &w->units[k + 1],
		(size_t)(w->n_units - (unsigned)k - 1) * sizeof(w->units[0]));
	w->n_units--;
	mc_update(w);
	return commit(g, w, reterr);
}
