/* lab_setup.c — the files of a new lab (lab.h): the CRD files, the cluster key, the
 * topology and region 0 (through `cluster init`'s own code), every unit's secd.conf
 * (checked with secd's own parser, as `secd -n` does) and sectl.conf. */
#include "sectl/lab.h"

#include "auth/key.h"
#include "auth/password.h"
#include "crd/format.h"
#include "secd/config.h"
#include "sectl/cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lab_write_file_atomic(const char *path, const char *text, unsigned mode,
			  struct sec_err *err)
{
	char tmp[LAB_PATH_MAX + 8], dir[LAB_PATH_MAX];
	size_t len = strlen(text), done = 0;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return sec_errf(err, -ENAMETOOLONG, "path '%s' is too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return sec_errf(err, -errno, "cannot create '%s': %s", tmp, strerror(errno));
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (!r && done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			done += (size_t)n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return sec_errf(err, r, "cannot write '%s': %s", path, strerror(-r));
	}
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) { /* the rename is durable once its directory is */
		fsync(fd);
		close(fd);
	}
	return 0;
}

static int make_dir(const char *path, struct sec_err *err)
{
	if (mkdir(path, 0700) < 0)
		return sec_errf(err, -errno, "cannot create directory '%s': %s", path,
				strerror(errno));
	return 0;
}

/* ext1 + ext2 (one new disk set), then each unit's internal disk recording that set. */
static int setup_crd(const struct lab *lab, struct sec_err *err)
{
	struct crd_format_opts o = {.role = CRD_ROLE_EXTERNAL, .unsafe_fs = true, .n_paths = 2};
	char ext1[LAB_PATH_MAX], ext2[LAB_PATH_MAX], internal[LAB_PATH_MAX], rel[64];
	struct crd_sb sb;
	int r;

	if ((r = crd_uuid_random(&o.cluster_id)) < 0)
		return sec_errf(err, r, "cannot make a cluster id: %s", strerror(-r));
	if ((r = make_dir(lab_path(lab, "crd", ext1), err)) < 0)
		return r;
	o.paths[0] = lab_path(lab, "crd/ext1", ext1);
	o.paths[1] = lab_path(lab, "crd/ext2", ext2);
	if ((r = crd_format(&o, err)) < 0 ||
	    (r = crd_disk_open_check(ext1, &o.cluster_id, &sb, err)) < 0)
		return r;
	o.role = CRD_ROLE_INTERNAL;
	o.n_paths = 1;
	o.set = &sb.set;
	o.paths[0] = internal;
	o.paths[1] = NULL;
	for (int i = 0; i < lab->n_units; i++) {
		if (lab->units[i].sim)
			continue;
		snprintf(rel, sizeof(rel), "units/%s/internal", lab->units[i].name);
		lab_path(lab, rel, internal);
		if ((r = crd_format(&o, err)) < 0)
			return r;
	}
	return 0;
}

/* The topology file of `sectl cluster init` (docs/topology.md). */
static json_t *topology_json(const struct lab *lab)
{
	json_t *t = json_object(), *servers = json_array(), *units = json_array();
	char name[16];

	json_object_set_new(t, "name", json_string("lab"));
	for (int s = 1; s <= lab->n_servers; s++)
		json_array_append_new(servers, json_pack("{s:s, s:s, s:s}", "name",
							 lab_server_name(s, name), "model",
							 "SE lab", "location", "lab"));
	for (int i = 0; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "name", u->name,
				      "unit_id", (json_int_t)u->unit_id, "role",
				      u->mu ? "MU" : "SU", "server", lab_server_name(u->server, name),
				      "api", u->api, "heartbeat", u->heartbeat);
		if (j && !u->mu && !u->sim)
			json_object_set_new(j, "su_type", json_string(lab->su390 ? "390" : "x86"));
		else if (j && !u->mu)
			json_object_set_new(j, "su_type", json_string("x86"));
		json_array_append_new(units, j);
	}
	json_object_set_new(t, "servers", servers);
	json_object_set_new(t, "units", units);
	return t;
}

static int lab_password_cb(void *arg, char *buf, size_t size, struct sec_err *err)
{
	size_t n = strlen(arg);

	if (n + 1 > size)
		return sec_errf(err, -E2BIG, "the generated password is too long");
	memcpy(buf, arg, n + 1);
	return (int)n;
}

/* cluster.key, topology.json, region 0 (cluster init), admin.password. */
static int setup_cluster(const struct lab *lab, const char *password, struct sec_err *err)
{
	char path[LAB_PATH_MAX], ext1[LAB_PATH_MAX], ext2[LAB_PATH_MAX], pwline[64];
	const char *disks[2] = {lab_path(lab, "crd/ext1", ext1), lab_path(lab, "crd/ext2", ext2)};
	struct sectl_cluster_init_result res;
	struct auth_key key;
	json_t *topo;
	char *text;
	int r;

	if ((r = auth_key_generate(&key)) < 0)
		return sec_errf(err, r, "cannot generate the cluster key");
	r = auth_key_write_file(lab_path(lab, "cluster.key", path), &key, err);
	auth_key_wipe(&key);
	if (r < 0)
		return r;
	topo = topology_json(lab);
	text = topo ? json_dumps(topo, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(topo);
	if (!text)
		return sec_errf(err, -ENOMEM, "out of memory");
	r = lab_write_file_atomic(lab_path(lab, "topology.json", path), text, 0644, err);
	if (r == 0)
		r = sectl_cluster_init_run(disks, 2, path, text, strlen(text), lab_password_cb,
					   (void *)password, &res, err);
	free(text);
	if (r < 0)
		return r;
	snprintf(pwline, sizeof(pwline), "%s\n", password);
	r = lab_write_file_atomic(lab_path(lab, "admin.password", path), pwline, 0600, err);
	auth_password_wipe(pwline, sizeof(pwline));
	return r;
}

int lab_unit_config(const struct lab *lab, const struct lab_unit *u, char *buf, size_t size)
{
	char server[16];
	int n = snprintf(buf, size,
			 "# secd configuration of unit '%s' of the lab in %s\n"
			 "# (written by 'sectl lab up'; reference: secd --config-doc)\n"
			 "[unit]\n"
			 "name = %s\n"
			 "se_server = %s\n"
			 "role = %s\n"
			 "%s"
			 "unit_id = %u\n"
			 "data_dir = %s/units/%s/data\n"
			 "\n[crd]\n"
			 "internal = %s/units/%s/internal\n"
			 "external = %s/crd/ext1, %s/crd/ext2\n"
			 "# local files: safe only because every unit runs on this host\n"
			 "unsafe_crd_fs = true\n"
			 "\n[net]\n"
			 "api_listen = %s\n"
			 "heartbeat_listen = %s\n"
			 "\n[cluster]\n"
			 "key_file = %s/cluster.key\n"
			 "\n[timing]\n"
			 "profile = %s\n",
			 u->name, lab->dir, u->name, lab_server_name(u->server, server),
			 u->mu ? "mu" : "su", u->mu ? "" : lab->su390 ? "su_type = 390\n" : "su_type = x86\n", u->unit_id, lab->dir,
			 u->name, lab->dir, u->name, lab->dir, lab->dir, u->api, u->heartbeat,
			 lab->dir, crd_profile_to_string(lab->profile));
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return u->mu ? 0 : lab_su_config(lab, u, buf + n, size - (size_t)n);
}

/* units/NAME/{data/, secd.conf}; the config passes secd's parser (`secd -n`). */
static int setup_unit(const struct lab *lab, const struct lab_unit *u, struct sec_err *err)
{
	char path[LAB_PATH_MAX], rel[64], *text = malloc(8 * LAB_PATH_MAX);
	struct secd_config *c = malloc(sizeof(*c));
	int r;

	if (!text || !c) {
		r = sec_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(rel, sizeof(rel), "units/%s/data", u->name);
	if ((r = make_dir(lab_path(lab, rel, path), err)) < 0)
		goto out;
	if (!u->mu && ((r = lab_su_shared_files(lab, err)) < 0 ||
		       (r = lab_su_unit_files(lab, u, err)) < 0))
		goto out;
	if (lab_unit_config(lab, u, text, 8 * LAB_PATH_MAX) < 0) {
		r = sec_errf(err, -ENOSPC, "the configuration of unit '%s' is too long", u->name);
		goto out;
	}
	if ((r = lab_write_file_atomic(u->config, text, 0644, err)) < 0 ||
	    (r = secd_config_load(u->config, c, err)) < 0)
		goto out;
	if ((c->role == SECD_ROLE_MU) != u->mu || c->unit_id != u->unit_id)
		r = sec_errf(err, -EINVAL, "'%s' does not read back as unit '%s'", u->config,
			     u->name);
out:
	free(text);
	free(c);
	return r;
}

int lab_setup_unit_files(const struct lab *lab, const struct lab_unit *u, struct sec_err *err)
{
	struct crd_format_opts o = {.role = CRD_ROLE_INTERNAL, .unsafe_fs = true, .n_paths = 1};
	char path[LAB_PATH_MAX], internal[LAB_PATH_MAX], rel[64];
	struct crd_sb sb;
	int r;

	snprintf(rel, sizeof(rel), "units/%s", u->name);
	if ((r = make_dir(lab_path(lab, rel, path), err)) < 0 ||
	    (r = crd_disk_open_check(lab_path(lab, "crd/ext1", path), NULL, &sb, err)) < 0)
		return r;
	o.cluster_id = sb.cluster_id;
	o.set = &sb.set;
	snprintf(rel, sizeof(rel), "units/%s/internal", u->name);
	o.paths[0] = lab_path(lab, rel, internal);
	if ((r = crd_format(&o, err)) < 0)
		return r;
	return setup_unit(lab, u, err);
}

int lab_setup_files(const struct lab *lab, const char *password, struct sec_err *err)
{
	char path[LAB_PATH_MAX], rel[64];
	int r;

	if ((r = make_dir(lab_path(lab, "units", path), err)) < 0)
		return r;
	for (int i = 0; i < lab->n_units; i++) {
		if (lab->units[i].sim)
			continue;
		snprintf(rel, sizeof(rel), "units/%s", lab->units[i].name);
		if ((r = make_dir(lab_path(lab, rel, path), err)) < 0)
			return r;
	}
	if ((r = setup_crd(lab, err)) < 0 || (r = setup_cluster(lab, password, err)) < 0)
		return r;
	for (int i = 0; i < lab->n_units; i++)
		if (!lab->units[i].sim && (r = setup_unit(lab, &lab->units[i], err)) < 0)
			return r;
	return 0;
}

int lab_write_sectl_conf(const struct lab *lab, struct sec_err *err)
{
	char path[LAB_PATH_MAX], text[LAB_UNITS_MAX * LAB_ADDR_MAX + 128];
	int n = snprintf(text, sizeof(text), "[sectl]\napi = ");

	for (int i = 0, k = 0; i < lab->n_units; i++)
		if (lab->units[i].mu)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s", k++ ? "," : "",
				      lab->units[i].api);
	snprintf(text + n, sizeof(text) - (size_t)n, "\ntoken_file = sectl.token\n");
	return lab_write_file_atomic(lab_path(lab, "sectl.conf", path), text, 0600, err);
}
