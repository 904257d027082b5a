/* gdata.c — the global data (CRD region 0) as secd reads it at start (architecture.md §3;
 * docs/topology.md). A unit runs only on a CRD that holds global data (`sectl cluster
 * init` wrote it) and only as the unit the topology names with its unit id. */
#include "crd/region.h"
#include "secd/secd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_unit(const struct secd *d, struct sec_err *reterr)
{
	const struct cluster_unit *u = secd_global_unit(d, d->cfg.unit_id);
	enum crd_unit_role role = d->cfg.role == SECD_ROLE_MU ? CRD_UNIT_MU : CRD_UNIT_SU;

	if (!u)
		return sec_errf(reterr, -ENOENT, "unit id %u is not a unit of cluster '%s' (the "
				"global data on the CRD lists no such unit; add it with 'sectl unit "
				"add' or fix key 'unit_id' in '%s')", d->cfg.unit_id, d->global->name,
				d->config_path);
	if (strcmp(u->name, d->cfg.name))
		return sec_errf(reterr, -EINVAL, "unit id %u is '%s' in the global data of cluster "
				"'%s', but key 'name' in '%s' says '%s'", d->cfg.unit_id, u->name,
				d->global->name, d->config_path, d->cfg.name);
	if (u->role != role)
		return sec_errf(reterr, -EINVAL, "unit '%s' is an %s in the global data, but key "
				"'role' in '%s' says %s", u->name, crd_unit_role_to_string(u->role),
				d->config_path, crd_unit_role_to_string(role));
	if (strcmp(u->server, d->cfg.se_server))
		return sec_errf(reterr, -EINVAL, "unit '%s' belongs to SE Server '%s' in the global "
				"data, but key 'se_server' in '%s' says '%s'", u->name, u->server,
				d->config_path, d->cfg.se_server);
	return 0;
}

const struct cluster_unit *secd_global_unit(const struct secd *d, uint32_t id)
{
	for (unsigned i = 0; d->global && i < d->global->n_units; i++)
		if (d->global->units[i].unit_id == id)
			return &d->global->units[i];
	return NULL;
}

int secd_global_load(struct secd *d, struct sec_err *reterr)
{
	struct crd_region_read rr;
	struct cluster_global *g;
	int r;

	if ((r = crd_region_read(crd_unit_region_disks(d->unit), 0, &rr, reterr)) < 0)
		return r;
	if (!rr.found) {
		crd_region_read_release(&rr);
		return sec_errf(reterr, -ENODATA, "the CRD holds no global data (region 0 is "
				"empty): run 'sectl cluster init' on the freshly formatted CRD first");
	}
	if (!(g = cluster_global_new())) {
		crd_region_read_release(&rr);
		return sec_errf(reterr, -ENOMEM, "out of memory");
	}
	r = cluster_global_from_json(rr.payload, rr.hdr.payload_len, 0, g, reterr);
	d->global_generation = rr.hdr.generation;
	crd_region_read_release(&rr);
	if (r < 0) {
		char why[sizeof(reterr->msg)];
		snprintf(why, sizeof(why), "%s", reterr ? reterr->msg : "");
		cluster_global_free(g);
		return sec_errf(reterr, r, "the global data on the CRD (region 0) is not valid: %s",
				why);
	}
	cluster_global_free(d->global);
	d->global = g;
	return check_unit(d, reterr);
}
