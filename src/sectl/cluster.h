/* cluster.h — the core of `sectl cluster init`, shared by the CLI (cluster.c) and
 * `sectl lab up` (lab.c), so that the lab initialises its cluster exactly as a person does.
 *
 *   struct sectl_cluster_init_result res;
 *   const char *disks[] = {"/lab/crd/ext1", "/lab/crd/ext2"};
 *   if (sectl_cluster_init_run(disks, 2, "topology.json", text, len, my_password, arg,
 *                              &res, &err) < 0)
 *           -> err.msg names the disk or the topology field
 *
 * crd.md §5 last bullet; docs/topology.md "When init writes". Offline: it opens the disks
 * itself through the disk threads. It prints nothing and never logs a secret. */
#ifndef SEC_SECTL_CLUSTER_H
#define SEC_SECTL_CLUSTER_H

#include <stddef.h>

#include "cluster/global.h"
#include "lib/err.h"

struct sectl_cluster_init_result {
	char name[CLUSTER_TEXT_MAX]; /* the cluster's name */
	unsigned n_servers, n_units;
};

/* Supplies the password of the account 'admin' into buf[size] (NUL-terminated). Returns its
 * length in bytes, or -errno with reterr saying why (never quoting the password). */
typedef int sectl_password_fn(void *arg, char *buf, size_t size, struct sec_err *reterr);

/* Writes the first global data (region 0) on the external disk set paths[0..n-1] (n = 1 or
 * 2, the whole set recorded on the CRD): checks the disks (one cluster, external, exclusive
 * flock on each for the whole call) and that the set is freshly formatted (master lease
 * never held, region 0 never written); parses and validates the topology (topo_len bytes of
 * JSON; topo_name names it in messages: "topology 'NAME': units[2].unit_id: ..."); calls
 * get_password(pw_arg, ...) once, after the first freshness check, and adds the account
 * 'admin' (password policy, argon2id hash) and a new session-token key; checks freshness
 * again and writes region 0 (term 0, generation 1, owner the lowest MU id) on every disk.
 * Returns 0 and *ret, or -errno with reterr naming the disk, the field or the password
 * rule; -EBUSY when a disk is in use (lease held, region 0 written, flocked by a unit). */
int sectl_cluster_init_run(const char *const *paths, int n, const char *topo_name,
			   const char *topo, size_t topo_len, sectl_password_fn *get_password,
			   void *pw_arg, struct sectl_cluster_init_result *ret,
			   struct sec_err *reterr);

/* Reads the global data of region 0 offline from paths[0..n-1] (n = 1 or 2: any disks of
 * one external set; `sectl cluster show`, and `sectl server add --crd` reading a joining
 * server's own CRD) and parses it with flags (cluster_global_from_json). Nothing is
 * written. Returns 0 and *ret (free with cluster_global_free: it holds password hashes and
 * keys), or -errno with reterr naming the disk: -ENODATA no global data, -EINVAL not valid,
 * or a disk's refusal (crd_disk_open_check). */
int sectl_cluster_read(const char *const *paths, int n, unsigned flags,
		       struct cluster_global **ret, struct sec_err *reterr);

#endif
