/* global_suc.c — the SU Clusters of the global data (global.h "SU Clusters"; seed 3.1;
 * docs/topology.md "SU Clusters"): their rules, their JSON and the lookups. */
#include "cluster/global.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const fencing_names[CLUSTER_FENCING_MAX] = {"self", "none"};

const char *cluster_fencing_to_string(enum cluster_fencing f)
{
	return (unsigned)f < CLUSTER_FENCING_MAX ? fencing_names[f] : "?";
}

int cluster_fencing_parse(const char *s, enum cluster_fencing *ret)
{
	for (unsigned i = 0; i < CLUSTER_FENCING_MAX; i++)
		if (!strcmp(s, fencing_names[i])) {
			*ret = (enum cluster_fencing)i;
			return 0;
		}
	return -EINVAL;
}

int cluster_global_find_su_cluster(const struct cluster_global *g, const char *name)
{
	for (unsigned i = 0; i < g->n_su_clusters; i++)
		if (!strcmp(g->su_clusters[i].name, name))
			return (int)i;
	return -1;
}

const struct cluster_su_cluster *cluster_su_cluster_of(const struct cluster_global *g,
						       const char *unit_name,
						       const char **partner)
{
	for (unsigned i = 0; i < g->n_su_clusters; i++)
		for (int k = 0; k < 2; k++)
			if (!strcmp(g->su_clusters[i].units[k], unit_name)) {
				if (partner)
					*partner = g->su_clusters[i].units[1 - k];
				return &g->su_clusters[i];
			}
	if (partner)
		*partner = NULL;
	return NULL;
}

/* 1..32 of [A-Za-z0-9_-]. */
static const char *suc_name_problem(const char *s)
{
	if (!s[0])
		return "is empty";
	if (strlen(s) >= CLUSTER_SUC_NAME_MAX)
		return "is longer than 32 characters";
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return "may hold only letters, digits, '_' and '-'";
	return NULL;
}

static bool in_mc(const struct cluster_global *g, const char *server)
{
	for (unsigned i = 0; i < g->n_mc_servers; i++)
		if (!strcmp(g->mc_servers[i], server))
			return true;
	return false;
}

int cluster_su_cluster_check(const struct cluster_global *g, const struct cluster_su_cluster *c,
			     int self, const char *path, struct sec_err *reterr)
{
	const struct cluster_unit *u[2];
	const char *why;

	if ((why = suc_name_problem(c->name)))
		return sec_errf(reterr, -EINVAL, "%s.name: '%.32s' %s", path, c->name, why);
	if ((unsigned)c->fencing >= CLUSTER_FENCING_MAX)
		return sec_errf(reterr, -EINVAL, "%s.fencing: must be 'self' or 'none'", path);
	for (int k = 0; k < 2; k++) {
		int i = cluster_global_find_unit(g, c->units[k]);
		if (i < 0)
			return sec_errf(reterr, -EINVAL, "%s.units[%d]: '%.63s' is not a unit of the cluster", path,
				   k, c->units[k]);
		u[k] = &g->units[i];
		if (u[k]->role != CRD_UNIT_SU)
			return sec_errf(reterr, -EINVAL, "%s.units[%d]: '%s' is an MU, not an SU", path, k,
				   u[k]->name);
	}
	if (!strcmp(u[0]->name, u[1]->name))
		return sec_errf(reterr, -EINVAL, "%s.units[1]: '%s' is named twice (an SU Cluster needs two "
			   "SUs)", path, u[1]->name);
	if (u[0]->su_type != u[1]->su_type)
		return sec_errf(reterr, -EINVAL, "%s.units: '%s' is an SU %s and '%s' an SU %s (both SUs need "
			   "the same SU type)", path, u[0]->name,
			   cluster_su_type_to_string(u[0]->su_type), u[1]->name,
			   cluster_su_type_to_string(u[1]->su_type));
	for (int k = 0; k < 2 && u[k]->su_type == CLUSTER_SU_390; k++)
		if (!in_mc(g, u[k]->server))
			return sec_errf(reterr, -EINVAL, "%s.units[%d]: SE Server '%s' of SU /390 '%s' is not in "
				   "the Management Cluster (an SU /390 Cluster needs MUs in both "
				   "SE Servers)", path, k, u[k]->server, u[k]->name);
	for (unsigned j = 0; j < (self < 0 ? g->n_su_clusters : (unsigned)self); j++) {
		const struct cluster_su_cluster *o = &g->su_clusters[j];
		if (!strcmp(o->name, c->name))
			return sec_errf(reterr, -EINVAL, "%s.name: '%s' is the name of su_clusters[%u]", path,
				   c->name, j);
		for (int k = 0; k < 2; k++)
			if (!strcmp(o->units[0], c->units[k]) || !strcmp(o->units[1], c->units[k]))
				return sec_errf(reterr, -EINVAL, "%s.units[%d]: SU '%s' is already in SU Cluster "
					   "'%s'", path, k, c->units[k], o->name);
	}
	return 0;
}

int cluster_global_validate_su_clusters(const struct cluster_global *g, struct sec_err *reterr)
{
	char path[32];
	int r;

	if (g->n_su_clusters > CLUSTER_SU_CLUSTERS_MAX)
		return sec_errf(reterr, -EINVAL, "su_clusters: more than %d entries", CLUSTER_SU_CLUSTERS_MAX);
	for (unsigned i = 0; i < g->n_su_clusters; i++) {
		snprintf(path, sizeof(path), "su_clusters[%u]", i);
		/* each against those before it: the second of a pair is the one named */
		if ((r = cluster_su_cluster_check(g, &g->su_clusters[i], (int)i, path, reterr)) < 0)
			return r;
	}
	return 0;
}

static int get_name(json_t *j, const char *key, const char *path, char *dst, size_t size,
		    struct sec_err *reterr)
{
	json_t *v = json_object_get(j, key);

	if (!v)
		return sec_errf(reterr, -EINVAL, "%s.%s: missing", path, key);
	if (!json_is_string(v))
		return sec_errf(reterr, -EINVAL, "%s.%s: expected a string", path, key);
	if (json_string_length(v) >= size || strlen(json_string_value(v)) != json_string_length(v))
		return sec_errf(reterr, -EINVAL, "%s.%s: is longer than %zu bytes", path, key, size - 1);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int cluster_su_cluster_from_json(json_t *j, const char *path, struct cluster_su_cluster *ret,
				 struct sec_err *reterr)
{
	static const char *const keys[] = {"name", "units", "active", "fencing", NULL};
	const char *k, *why;
	json_t *v, *units;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->active = true;
	ret->fencing = CLUSTER_FENCING_SELF;
	if (!json_is_object(j))
		return sec_errf(reterr, -EINVAL, "%s: expected an object", path);
	json_object_foreach(j, k, v) {
		const char *const *p = keys;
		while (*p && strcmp(*p, k))
			p++;
		if (!*p)
			return sec_errf(reterr, -EINVAL, "%s.%.64s: unknown key", path, k);
	}
	if ((r = get_name(j, "name", path, ret->name, sizeof(ret->name), reterr)) < 0)
		return r;
	if ((why = suc_name_problem(ret->name)))
		return sec_errf(reterr, -EINVAL, "%s.name: '%s' %s", path, ret->name, why);
	units = json_object_get(j, "units");
	if (!units)
		return sec_errf(reterr, -EINVAL, "%s.units: missing", path);
	if (!json_is_array(units) || json_array_size(units) != 2)
		return sec_errf(reterr, -EINVAL, "%s.units: expected an array of exactly two SU names", path);
	for (size_t i = 0; i < 2; i++) {
		v = json_array_get(units, i);
		if (!json_is_string(v) || json_string_length(v) >= CLUSTER_NAME_MAX ||
		    !json_string_length(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return sec_errf(reterr, -EINVAL, "%s.units[%zu]: expected a unit name", path, i);
		memcpy(ret->units[i], json_string_value(v), json_string_length(v) + 1);
	}
	if ((v = json_object_get(j, "active"))) {
		if (!json_is_boolean(v))
			return sec_errf(reterr, -EINVAL, "%s.active: expected true or false", path);
		ret->active = json_is_true(v);
	}
	if ((v = json_object_get(j, "fencing")) &&
	    (!json_is_string(v) || cluster_fencing_parse(json_string_value(v), &ret->fencing) < 0))
		return sec_errf(reterr, -EINVAL, "%s.fencing: must be 'self' or 'none'", path);
	return 0;
}

json_t *cluster_su_cluster_to_json(const struct cluster_su_cluster *c)
{
	return json_pack("{s:s, s:[s, s], s:b, s:s}", "name", c->name, "units", c->units[0],
			 c->units[1], "active", c->active, "fencing",
			 cluster_fencing_to_string(c->fencing));
}
