/* gedit_suc.c — SU Clusters created, deleted, activated and deactivated on a running
 * cluster (gedit.h "SU Clusters"; seed 3.1). Pure: no I/O, nothing logs. */
#include "cluster/gedit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* w (an edited copy) valid: copied into g; w freed either way. */
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

static struct cluster_global *dup_global(const struct cluster_global *g)
{
	struct cluster_global *w = cluster_global_new();

	if (w)
		memcpy(w, g, sizeof(*w));
	return w;
}

/* The conflicts of c with g's SU Clusters (its name, an SU in another). -EEXIST or 0. */
static int suc_conflicts(const struct cluster_global *g, const struct cluster_su_cluster *c,
			 struct cluster_conflicts *conf, struct sec_err *reterr)
{
	unsigned n = 0;

	if (cluster_global_find_su_cluster(g, c->name) >= 0) {
		cluster_conflicts_add(conf, "su_cluster", c->name, "name in use by an SU Cluster");
		n++;
	}
	for (int k = 0; k < 2; k++) {
		const struct cluster_su_cluster *o = cluster_su_cluster_of(g, c->units[k], NULL);
		if (o) {
			cluster_conflicts_add(conf, "unit", c->units[k], "already in SU Cluster '%s'",
					      o->name);
			n++;
		}
	}
	if (n)
		return sec_errf(reterr, -EEXIST, "SU Cluster '%s' cannot be created: %s '%s' %s%s",
				c->name, conf->c[0].object[0] == 's' ? "SU Cluster" : "SU",
				conf->c[0].name, conf->c[0].conflict,
				conf->c[0].object[0] == 's' ? ""
							    : " (an SU belongs to at most one SU "
							      "Cluster)");
	return 0;
}

int cluster_global_add_su_cluster(struct cluster_global *g, const struct cluster_su_cluster *c,
				  struct cluster_conflicts *conf, struct sec_err *reterr)
{
	struct cluster_global *w;
	int r;

	cluster_conflicts_init(conf);
	/* the rules of c alone (units known, SUs, two, one type, Management Cluster): the
	 * SU Clusters before index 0 are none; then the conflicts with the others */
	if ((r = cluster_su_cluster_check(g, c, 0, "su_cluster", reterr)) < 0)
		return r;
	if ((r = suc_conflicts(g, c, conf, reterr)) < 0)
		return r;
	if (g->n_su_clusters >= CLUSTER_SU_CLUSTERS_MAX)
		return sec_errf(reterr, -E2BIG, "the cluster would have more than %d SU Clusters",
				CLUSTER_SU_CLUSTERS_MAX);
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	w->su_clusters[w->n_su_clusters++] = *c;
	return commit(g, w, reterr);
}

int cluster_global_remove_su_cluster(struct cluster_global *g, const char *name,
				     struct cluster_conflicts *conf, struct sec_err *reterr)
{
	struct cluster_global *w;
	int k;

	cluster_conflicts_init(conf);
	if ((k = cluster_global_find_su_cluster(g, name)) < 0)
		return sec_errf(reterr, -ENOENT, "SU Cluster '%.32s' does not exist", name);
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	memmove(&w->su_clusters[k], &w->su_clusters[k + 1],
		(size_t)(w->n_su_clusters - (unsigned)k - 1) * sizeof(w->su_clusters[0]));
	w->n_su_clusters--;
	return commit(g, w, reterr);
}

int cluster_global_set_su_cluster_active(struct cluster_global *g, const char *name,
					 bool active, struct cluster_conflicts *conf,
					 struct sec_err *reterr)
{
	struct cluster_global *w;
	int k;

	cluster_conflicts_init(conf);
	if ((k = cluster_global_find_su_cluster(g, name)) < 0)
		return sec_errf(reterr, -ENOENT, "SU Cluster '%.32s' does not exist", name);
	if (!(w = dup_global(g)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	w->su_clusters[k].active = active;
	return commit(g, w, reterr);
}
