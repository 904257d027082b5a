/* gdata.c — the global data (CRD region 0) as secd reads it at start (architecture.md §3;
 * docs/topology.md). A unit runs only on a CRD that holds global data (`sectl cluster
 * init` wrote it) and only as the unit the topology names with its unit id. */
#include "crd/region.h"
#include "secd/secd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
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

/* DATA_DIR/cluster-id binds the data directory to its cluster (newcomer finding: a data
 * directory of one cluster must not run a unit of another): written at the first start
 * (fsync'ed), compared at every later one. */
static int check_cluster_binding(const struct secd *d, struct sec_err *reterr)
{
	char path[SECD_PATH_MAX + 16], want[37], have[64] = "";
	ssize_t n;
	int fd;

	crd_uuid_to_string(&d->global->cluster_id, want);
	snprintf(path, sizeof(path), "%s/cluster-id", d->cfg.data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, have, sizeof(have) - 1);
		close(fd);
		have[n > 0 ? n : 0] = 0;
		have[strcspn(have, "\n")] = 0;
		if (strcmp(have, want))
			return sec_errf(reterr, -EXDEV, "data directory '%s' belongs to cluster %s, "
					"but this CRD holds cluster %s ('%s'): give the unit a fresh data "
					"directory", d->cfg.data_dir, have, want, d->global->name);
		return 0;
	}
	if (errno != ENOENT)
		return sec_errf(reterr, -errno, "cannot read '%s': %s", path, strerror(errno));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || dprintf(fd, "%s\n", want) < 0 || fsync(fd) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return sec_errf(reterr, -e, "cannot write '%s': %s", path, strerror(e));
	}
	close(fd);
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
	if ((r = check_unit(d, reterr)) < 0)
		return r;
	return check_cluster_binding(d, reterr);
}
