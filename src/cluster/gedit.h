/* gedit.h — changes of the global data on a running cluster: SE Servers and units added and
 * removed through the Master MU (issue 3 "The daemon secd", topology bullet: `sectl server
 * add|remove`, `sectl unit add|remove` "on a running cluster, without downtime"; seed 2.1
 * "Configuring a Management Cluster does not require any own maintenance windows" and
 * "Preparing measures in regard to global data"; docs/topology.md "Changes on a running
 * cluster"). Pure: no I/O, no clock, nothing logs.
 *
 * The Master MU applies one edit to the global data it read from region 0 (a copy), then
 * writes the result (secd/gwrite.c):
 *
 *     struct cluster_conflicts conf;
 *     struct sec_err err;
 *     int r = cluster_global_add_unit(g, &unit, &conf, &err);
 *     -> 0: g changed and valid (cluster_global_validate);
 *        < 0: g unchanged; err.msg says why for people, conf lists each conflict
 *             (the "details" of a 409 answer, cluster_conflicts_to_json())
 *
 * Return codes of every edit (the API maps them, docs/api.md):
 *   -EINVAL  the input breaks a rule of docs/topology.md (err names the field)     400
 *   -ENOENT  the server or unit to remove does not exist                            404
 *   -EEXIST  a name, unit id or address is taken, or a joining server's global
 *            data conflicts with the cluster's (conf lists every one)              409
 *   -EBUSY   the cluster's state refuses it: a server that still has units, the
 *            last MU, a unit on an unknown server (conf lists the objects)         409
 *   -E2BIG   more servers, units or accounts than the arrays hold                   409
 *   -ENOMEM
 *
 * Conflicts of a joining server's own global data (cluster_global_conflicts()), seed 2.1
 * "All global objects must be made unambiguous before a Management Cluster is set up":
 *   account  same name, another password hash        "different password"
 *            same name, other roles                   "different roles"
 *            (the same name, hash and roles is "sameness": no conflict, joins once)
 *   server   a name the cluster has                   "name in use by an SE Server of the cluster"
 *   unit     a name, unit id, API or heartbeat address the cluster has
 *            "name in use by a unit of the cluster", "unit id 3 in use by unit 'mu3'",
 *            "API address 127.0.0.1:7301 in use by unit 'mu1'", "heartbeat address ..."
 * The cluster's name and id are no conflict (the joining server takes this cluster's).
 * No conflict text quotes a password hash. */
#ifndef SEC_CLUSTER_GEDIT_H
#define SEC_CLUSTER_GEDIT_H

#include <jansson.h>

#include "cluster/global.h"

#define CLUSTER_CONFLICTS_MAX 64  /* listed conflicts; more are counted */
#define CLUSTER_ADD_UNITS_MAX 16  /* units added with one server */
#define CLUSTER_CONFLICT_TEXT 160 /* bytes of a conflict text with its NUL */

struct cluster_conflict {
	char object[16];                       /* "account", "server", "unit" */
	char name[CLUSTER_NAME_MAX];           /* the object's name */
	char conflict[CLUSTER_CONFLICT_TEXT];  /* what conflicts, for people */
};

struct cluster_conflicts {
	unsigned n;     /* entries in c */
	unsigned more;  /* conflicts beyond CLUSTER_CONFLICTS_MAX (counted, not listed) */
	struct cluster_conflict c[CLUSTER_CONFLICTS_MAX];
};

/* What POST /api/v1/servers adds: the server, the units of that server given with it
 * (each on server.name) and, optionally, the server's own existing global data. */
struct cluster_server_add {
	struct cluster_server server;
	bool model_given, location_given; /* else taken from joining's server of that name */
	unsigned n_units;
	struct cluster_unit units[CLUSTER_ADD_UNITS_MAX];
	const struct cluster_global *joining; /* NULL, or parsed with CLUSTER_GLOBAL_FOREIGN */
};

/* Empties c. */
void cluster_conflicts_init(struct cluster_conflicts *c);
/* Appends one conflict (counted in c->more when the list is full). */
void cluster_conflicts_add(struct cluster_conflicts *c, const char *object, const char *name,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* [{"object": "account", "name": "ops", "conflict": "different roles"}, ...] plus, when
 * some were not listed, one string "... and N more". New reference, NULL on ENOMEM. */
json_t *cluster_conflicts_to_json(const struct cluster_conflicts *c);

/* Every conflict of joining (another cluster's global data) with g, as listed at the top;
 * appended to ret. Returns how many (listed and counted). */
unsigned cluster_global_conflicts(const struct cluster_global *g,
				  const struct cluster_global *joining,
				  struct cluster_conflicts *ret);

/* Adds a->server (a new name) with a->units, and with a->joining: first its conflicts
 * (refused with -EEXIST while any is left), then its servers, units and accounts (an
 * account the cluster has identically joins once). The server of the same name in joining
 * gives model and location unless the request gave them; a unit given in a->units that
 * joining has identically is added once. Every server with an MU joins the Management
 * Cluster. The result must pass cluster_global_validate(g, 0). conf and err: see top. */
int cluster_global_add_server(struct cluster_global *g, const struct cluster_server_add *a,
			      struct cluster_conflicts *conf, struct sec_err *reterr);
/* Removes the SE Server name: -ENOENT when unknown; -EBUSY while it has units (conf lists
 * each) or when it is the last server. It leaves the Management Cluster. */
int cluster_global_remove_server(struct cluster_global *g, const char *name,
				 struct cluster_conflicts *conf, struct sec_err *reterr);
/* Adds unit u on an existing server (-EBUSY when u->server is unknown); a name, unit id or
 * address in use is -EEXIST with each listed. An MU's server joins the Management
 * Cluster. */
int cluster_global_add_unit(struct cluster_global *g, const struct cluster_unit *u,
			    struct cluster_conflicts *conf, struct sec_err *reterr);
/* Removes the unit name: -ENOENT when unknown; -EBUSY when it is the last MU, or an SU in
 * an SU Cluster (conf names the SU Cluster: delete it first). A server
 * left without an MU leaves the Management Cluster. Whether the unit still runs is the
 * caller's check (secd: its alive message, crd_unit_peer). */
int cluster_global_remove_unit(struct cluster_global *g, const char *name,
			       struct cluster_conflicts *conf, struct sec_err *reterr);

/* ---- SU Clusters (gedit_suc.c; seed 3.1; docs/topology.md "SU Clusters") ----
 *
 * Adds the SU Cluster c: -EINVAL when it breaks a rule of struct cluster_su_cluster
 * (err names the field: an unknown unit, an MU, the same SU twice, different SU types, an
 * SU /390 whose SE Server is not in the Management Cluster); -EEXIST when the name is
 * taken or an SU is already in another SU Cluster (conf lists each). */
int cluster_global_add_su_cluster(struct cluster_global *g, const struct cluster_su_cluster *c,
				  struct cluster_conflicts *conf, struct sec_err *reterr);
/* Deletes the SU Cluster name: -ENOENT when unknown. Whether an LM runs is the caller's
 * check. */
int cluster_global_remove_su_cluster(struct cluster_global *g, const char *name,
				     struct cluster_conflicts *conf, struct sec_err *reterr);
/* Activates (active true) or deactivates the SU Cluster name: -ENOENT when unknown; setting
 * the state it has is no error (g unchanged). */
int cluster_global_set_su_cluster_active(struct cluster_global *g, const char *name,
					 bool active, struct cluster_conflicts *conf,
					 struct sec_err *reterr);

#endif
