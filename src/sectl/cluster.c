/* cluster.c — `sectl cluster init|show` (issue 3 "The daemon secd" and "API and CLI";
 * crd.md §5 last bullet: init writes region 0 only on a freshly formatted CRD whose lease
 * was never held; architecture.md §3; docs/topology.md). Offline: both open the external
 * disks themselves through the disk threads (crd/io.h) and crd/region.h.
 * Exit status: 0 ok, 1 the operation failed (one line on stderr naming the thing), 2 usage. */
#include "auth/key.h"
#include "auth/password.h"
#include "cluster/global.h"
#include "crd/disk.h"
#include "crd/format.h"
#include "crd/io.h"
#include "crd/region.h"
#include "sectl/cluster.h"
#include "sectl/sectl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 5000 /* an offline tool: generous, the disks are idle */

static const char cluster_usage[] =
	"usage: sectl cluster init --crd PATH [--crd PATH2] --topology FILE.json\n"
	"                          [--password-file FILE]\n"
	"       sectl cluster show --crd PATH [--crd PATH2] [--json]\n"
	"       sectl cluster status [--json] [--config FILE] [-v]\n"
	"       sectl cluster force-master --i-understand [--unit NAME] [--json] [--config FILE]\n";

static int usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("cluster", cluster_usage, fmt, arg);
}

static int fail(const char *msg)
{
	fprintf(stderr, "sectl cluster: %s\n", msg);
	return SECTL_EXIT_FAIL;
}

/* The external disk set, open on the disk threads. */
struct crdset {
	int n;
	const char *paths[CRD_SET_DISKS_MAX];
	struct crd_sb sb[CRD_SET_DISKS_MAX];
	int lockfd[CRD_SET_DISKS_MAX];
	struct crd_io *io;
	struct crd_region_disks rd;
};

static void crdset_close(struct crdset *s)
{
	s->io = crd_io_free(s->io);
	for (int i = 0; i < s->n; i++)
		if (s->lockfd[i] >= 0)
			close(s->lockfd[i]);
}

/* crd_disk_open_check() of every path (one cluster, external role), and the paths are the
 * whole disk set recorded on the CRD (init; show reads any part of it); then the disk
 * threads. lock (init): an exclusive flock on each path for the whole call (one init at a
 * time) and the paths must be the whole set. */
static int crdset_open(struct crdset *s, bool lock, struct sec_err *err)
{
	struct crd_disk *disks[CRD_SET_DISKS_MAX] = {NULL};
	const struct crd_disk_set *set;
	char d[37];
	int r;

	for (int i = 0; i < s->n; i++)
		s->lockfd[i] = -1;
	for (int i = 0; i < s->n; i++) {
		const char *p = s->paths[i];
		if ((r = crd_disk_open_check(p, i ? &s->sb[0].cluster_id : NULL, &s->sb[i], err)) < 0)
			return r;
		if (s->sb[i].role != CRD_ROLE_EXTERNAL)
			return sec_errf(err, -ENXIO, "'%s' is an internal CRD disk; name the external "
					"disks", p);
		for (int j = 0; j < i; j++)
			if (crd_uuid_eq(&s->sb[j].disk_id, &s->sb[i].disk_id))
				return sec_errf(err, -ENXIO, "'%s' and '%s' are the same disk",
						s->paths[j], p);
		if (lock) {
			s->lockfd[i] = open(p, O_RDONLY | O_CLOEXEC);
			if (s->lockfd[i] < 0 || flock(s->lockfd[i], LOCK_EX | LOCK_NB) < 0)
				return sec_errf(err, -EBUSY, "'%s' is in use on this host: a unit "
						"(secd) runs on it, or another 'sectl cluster init'",
						p);
		}
	}
	set = &s->sb[0].set;
	for (int i = 1; i < s->n; i++)
		if (s->sb[i].set.generation > set->generation)
			set = &s->sb[i].set;
	for (int i = 0; i < s->n; i++) {
		bool in = false;
		for (uint32_t k = 0; k < set->count && k < CRD_SET_DISKS_MAX; k++)
			in |= crd_uuid_eq(&set->disks[k], &s->sb[i].disk_id);
		in &= crd_uuid_eq(&s->sb[i].set.set_id, &set->set_id);
		if (!in)
			return sec_errf(err, -ENXIO, "'%s' is not in the disk set recorded on the CRD",
					s->paths[i]);
	}
	if (lock && (int)set->count != s->n) { /* init: the whole set; show: any disk of it */
		for (uint32_t k = 0; k < set->count; k++) {
			bool found = false;
			for (int i = 0; i < s->n; i++)
				found |= crd_uuid_eq(&set->disks[k], &s->sb[i].disk_id);
			if (!found) {
				crd_uuid_to_string(&set->disks[k], d);
				return sec_errf(err, -ENXIO, "the disk set recorded on '%s' has %u "
						"disks: name disk id %s too with --crd", s->paths[0],
						set->count, d);
			}
		}
	}
	for (int i = 0; i < s->n; i++)
		if ((r = crd_disk_open(s->paths[i], &disks[i], err)) < 0) {
			for (int j = 0; j < i; j++)
				crd_disk_close(disks[j]);
			return r;
		}
	struct crd_io_cfg cfg = {.io_timeout_ms = IO_TIMEOUT_MS};
	if ((r = crd_io_new(&cfg, disks, s->n, &s->io)) < 0) /* owns the disks */
		return sec_errf(err, r, "cannot start the disk threads");
	s->rd = (struct crd_region_disks){.io = s->io, .geo = s->sb[0].geo, .next = s->n,
					  .internal = -1};
	for (int i = 0; i < s->n; i++)
		s->rd.ext[i] = i;
	return 0;
}

static int read_block(struct crdset *s, int disk, uint64_t off, uint8_t *out,
		      struct sec_err *err)
{
	struct crd_io_req *req = crd_io_req_new(CRD_IO_READ, off, CRD_BLOCK);
	int r;

	if (!req)
		return sec_errf(err, -ENOMEM, "out of memory");
	r = crd_io_run(s->io, disk, req);
	if (r == 0)
		memcpy(out, req->buf, CRD_BLOCK);
	crd_io_req_unref(req);
	if (r < 0)
		return sec_errf(err, r, "cannot read '%s' at offset %llu: %s", s->paths[disk],
				(unsigned long long)off, strerror(-r));
	return 0;
}

/* crd.md §5: fresh = the lease block empty and no region-0 copy header written, on every
 * disk of the set. */
static int crdset_check_fresh(struct crdset *s, struct sec_err *err)
{
	static uint8_t blk[CRD_BLOCK];
	struct crd_lease_rec l;
	struct crd_region_hdr h;
	int r;

	for (int i = 0; i < s->n; i++) {
		const char *p = s->paths[i];
		if ((r = read_block(s, i, s->rd.geo.lease_off, blk, err)) < 0)
			return r;
		if (!crd_block_is_zero(blk)) {
			if (crd_lease_in(blk, &l) == 0)
				return sec_errf(err, -EBUSY, "'%s' is in use: the master lease was "
						"held (term %llu)", p, (unsigned long long)l.term);
			return sec_errf(err, -EBUSY, "'%s' is in use: its master lease block is not "
					"empty", p);
		}
		for (int c = 0; c < 2; c++) {
			if ((r = read_block(s, i, crd_region_off(&s->rd.geo, 0, c), blk, err)) < 0)
				return r;
			if (crd_block_is_zero(blk))
				continue;
			if (crd_region_hdr_in(blk, &h) == 0)
				return sec_errf(err, -EBUSY, "'%s' is in use: region 0 was written "
						"(copy %c, term %llu, generation %llu)", p, 'A' + c,
						(unsigned long long)h.term,
						(unsigned long long)h.generation);
			return sec_errf(err, -EBUSY, "'%s' is in use: region 0 copy %c is not "
					"empty", p, 'A' + c);
		}
	}
	return 0;
}

static char *read_text_file(const char *path, size_t *ret_len, struct sec_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f) {
		sec_errf(err, -errno, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CLUSTER_GLOBAL_JSON_MAX + 1);
	n = buf ? fread(buf, 1, CLUSTER_GLOBAL_JSON_MAX + 1, f) : 0;
	if (!buf || ferror(f) || n > CLUSTER_GLOBAL_JSON_MAX) {
		sec_errf(err, -EIO, "cannot read '%s'%s", path,
			 n > CLUSTER_GLOBAL_JSON_MAX ? ": larger than 4 MiB" : "");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*ret_len = n;
	return buf;
}

/* Asks on /dev/tty without echo, twice. Returns the length or -errno. */
static int ask_password(char *buf, size_t size, struct sec_err *err)
{
	char again[AUTH_PASSWORD_MAX + 2];
	struct termios old, noecho;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), r = -ENOTTY;

	if (fd < 0 || tcgetattr(fd, &old) < 0) {
		if (fd >= 0)
			close(fd);
		return sec_errf(err, -ENOTTY, "no terminal to ask for the password of 'admin' on; "
				"use --password-file FILE");
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0) {
		dprintf(fd, "password for account 'admin': ");
		r = auth_password_read_fd(fd, "the terminal", buf, size, err);
		if (r >= 0) {
			dprintf(fd, "again: ");
			int r2 = auth_password_read_fd(fd, "the terminal", again, sizeof(again), err);
			if (r2 < 0)
				r = r2;
			else if (strcmp(buf, again))
				r = sec_errf(err, -EINVAL, "the two passwords differ");
		}
		tcsetattr(fd, TCSAFLUSH, &old);
	}
	auth_password_wipe(again, sizeof(again));
	close(fd);
	return r;
}

/* The account 'admin' with the password of get_password (policy-checked, argon2id). */
static int add_admin(struct cluster_global *g, sectl_password_fn *get_password, void *pw_arg,
		     struct sec_err *err)
{
	char pw[AUTH_PASSWORD_MAX + 2], msg[sizeof(err->msg)];
	int r = get_password(pw_arg, pw, sizeof(pw), err);

	if (r >= 0 && (r = auth_password_check_policy("admin", pw, err)) < 0) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		sec_errf(err, r, "the password of 'admin' is refused: %s", msg);
	}
	if (r >= 0) {
		struct cluster_account *a = &g->accounts[g->n_accounts++];
		snprintf(a->name, sizeof(a->name), "admin");
		a->roles = CLUSTER_ROLE_ADMINISTRATOR;
		if ((r = auth_password_hash(pw, a->password_hash)) < 0)
			sec_errf(err, r, "cannot hash the password (%s)", strerror(-r));
	}
	auth_password_wipe(pw, sizeof(pw));
	return r < 0 ? r : 0;
}

/* Builds the region-0 document: topology + cluster id + admin account + token key. */
static int build_global(struct cluster_global *g, const char *topo_name, const char *topo,
			size_t topo_len, sectl_password_fn *get_password, void *pw_arg,
			const crd_uuid *cluster_id, struct sec_err *err)
{
	char msg[sizeof(err->msg)];
	int r = cluster_global_from_json(topo, topo_len, CLUSTER_GLOBAL_TOPOLOGY, g, err);

	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return sec_errf(err, r, "topology '%s': %s", topo_name, msg);
	}
	g->format = CLUSTER_GLOBAL_FORMAT;
	g->cluster_id = *cluster_id;
	if ((r = add_admin(g, get_password, pw_arg, err)) < 0)
		return r;
	if ((r = auth_key_generate(&g->token_key)) < 0)
		return sec_errf(err, r, "cannot generate the token key");
	g->has_token_key = true;
	return cluster_global_validate(g, 0, err);
}

int sectl_cluster_init_run(const char *const *paths, int n, const char *topo_name,
			   const char *topo, size_t topo_len, sectl_password_fn *get_password,
			   void *pw_arg, struct sectl_cluster_init_result *ret, struct sec_err *err)
{
	struct crdset s = {0};
	struct cluster_global *g = NULL;
	struct crd_region_writer w;
	struct crd_region_wres wres;
	char *payload = NULL;
	uint32_t owner = 0;
	int r;

	if (n < 1 || n > (int)CRD_SET_DISKS_MAX)
		return sec_errf(err, -EINVAL, "an external disk set has 1 or 2 disks, not %d", n);
	s.n = n;
	for (int i = 0; i < n; i++)
		s.paths[i] = paths[i];
	if ((r = crdset_open(&s, true, err)) < 0 || (r = crdset_check_fresh(&s, err)) < 0)
		goto out;
	if (!(g = cluster_global_new())) {
		r = sec_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = build_global(g, topo_name, topo, topo_len, get_password, pw_arg, &s.sb[0].cluster_id,
			 err);
	if (r < 0)
		goto out;
	for (unsigned i = 0; i < g->n_units; i++) /* the lowest MU id signs the first copy */
		if (g->units[i].role == CRD_UNIT_MU && (!owner || g->units[i].unit_id < owner))
			owner = g->units[i].unit_id;
	if (!(payload = cluster_global_to_string(g, 0))) {
		r = sec_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* again right before the write: the password prompt may have taken minutes, and a unit
	 * on another host does not see our flock */
	if ((r = crdset_check_fresh(&s, err)) < 0)
		goto out;
	/* term 0: the first Master MU claims term 1 and its writes outrank this one */
	crd_region_writer_init(&w, 0, owner, 0, 0);
	if ((r = crd_region_write(&s.rd, &w, 0, payload, strlen(payload), 0, &wres, err)) < 0)
		goto out;
	for (int i = 0; i < s.n; i++)
		if (wres.disk_result[i] != 0) {
			r = sec_errf(err, -EIO, "region 0 was written, but not to '%s' (%s); a Master "
				     "MU resyncs it", s.paths[i], strerror(-wres.disk_result[i]));
			goto out;
		}
	snprintf(ret->name, sizeof(ret->name), "%s", g->name);
	ret->n_servers = g->n_servers;
	ret->n_units = g->n_units;
	r = 0;
out:
	if (payload) {
		auth_password_wipe(payload, strlen(payload));
		free(payload);
	}
	cluster_global_free(g);
	crdset_close(&s);
	return r;
}

/* The password source of `sectl cluster init`: --password-file FILE, or the terminal. */
static int cli_password(void *arg, char *buf, size_t size, struct sec_err *err)
{
	const char *pw_file = arg;

	return pw_file ? auth_password_read_file(pw_file, buf, size, err)
		       : ask_password(buf, size, err);
}

static int crd_opt(struct crdset *s, const char *arg)
{
	if (s->n >= (int)CRD_SET_DISKS_MAX)
		return usage_error("a disk set holds at most 2 external disks ('%s' is a third)",
				   arg);
	s->paths[s->n++] = arg;
	return 0;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {{"crd", required_argument, NULL, 'c'},
					     {"topology", required_argument, NULL, 't'},
					     {"password-file", required_argument, NULL, 'p'},
					     {0}};
	struct crdset s = {0};
	const char *topo = NULL, *pwf = NULL;
	struct sectl_cluster_init_result res;
	struct sec_err err = {0};
	char *text;
	size_t len;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c') {
			if (crd_opt(&s, optarg))
				return SECTL_EXIT_USAGE;
		} else if (ch == 't') {
			topo = optarg;
		} else if (ch == 'p') {
			pwf = optarg;
		} else {
			return usage_error("%s", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!s.n || !topo)
		return usage_error("%s", "init needs --crd PATH and --topology FILE");
	if (!(text = read_text_file(topo, &len, &err)))
		return fail(err.msg);
	r = sectl_cluster_init_run(s.paths, s.n, topo, text, len, cli_password, (void *)pwf,
				   &res, &err);
	free(text);
	if (r < 0)
		return fail(err.msg);
	printf("cluster '%s': region 0 written on %d external CRD disk%s (%u SE Server%s, %u "
	       "unit%s, account 'admin')\n", res.name, s.n, s.n == 1 ? "" : "s", res.n_servers,
	       res.n_servers == 1 ? "" : "s", res.n_units, res.n_units == 1 ? "" : "s");
	return SECTL_EXIT_OK;
}

static void print_global(const struct cluster_global *g)
{
	char id[37], roles[64];

	crd_uuid_to_string(&g->cluster_id, id);
	printf("cluster              %s\n", g->name);
	printf("cluster id           %s\n", id);
	printf("format               %u\n", g->format);
	printf("management cluster   %s:", g->mc_name);
	for (unsigned i = 0; i < g->n_mc_servers; i++)
		printf("%s %s", i ? "," : "", g->mc_servers[i]);
	printf("\nSE Servers (%u)\n  %-16s %-16s %s\n", g->n_servers, "name", "model", "location");
	for (unsigned i = 0; i < g->n_servers; i++)
		printf("  %-16s %-16s %s\n", g->servers[i].name, g->servers[i].model,
		       g->servers[i].location);
	printf("units (%u)\n  %-16s %-5s %-4s %-7s %-16s %-22s %s\n", g->n_units, "name", "id",
	       "role", "su type", "server", "api", "heartbeat");
	for (unsigned i = 0; i < g->n_units; i++) {
		const struct cluster_unit *u = &g->units[i];
		printf("  %-16s %-5u %-4s %-7s %-16s %-22s %s\n", u->name, u->unit_id,
		       u->role == CRD_UNIT_MU ? "MU" : "SU",
		       u->role == CRD_UNIT_SU ? cluster_su_type_to_string(u->su_type) : "-",
		       u->server, u->api, u->heartbeat);
	}
	printf("accounts (%u)\n  %-16s %-10s %s\n", g->n_accounts, "name", "password", "roles");
	for (unsigned i = 0; i < g->n_accounts; i++)
		printf("  %-16s %-10s %s\n", g->accounts[i].name, "(set)",
		       cluster_roles_to_string(g->accounts[i].roles, roles, sizeof(roles)));
	printf("token key            %s\n", g->has_token_key ? "(set)" : "(none)");
	if (g->has_token_key_previous)
		printf("previous token key   (set)\n");
}

int sectl_cluster_read(const char *const *paths, int n, unsigned flags,
		       struct cluster_global **ret, struct sec_err *err)
{
	struct crdset s = {0};
	struct crd_region_read rr = {0};
	struct cluster_global *g = NULL;
	char msg[sizeof(err->msg)];
	bool have_read = false;
	int r;

	*ret = NULL;
	if (n < 1 || n > (int)CRD_SET_DISKS_MAX)
		return sec_errf(err, -EINVAL, "a disk set holds 1 or 2 external disks");
	for (int i = 0; i < n; i++)
		s.paths[s.n++] = paths[i];
	if ((r = crdset_open(&s, false, err)) < 0 || (r = crd_region_read(&s.rd, 0, &rr, err)) < 0)
		goto out;
	have_read = true;
	if (!rr.found) {
		r = sec_errf(err, -ENODATA, "region 0 of '%s' holds no global data (run 'sectl "
			     "cluster init')", s.paths[0]);
		goto out;
	}
	if (!(g = cluster_global_new())) {
		r = sec_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = cluster_global_from_json(rr.payload, rr.hdr.payload_len, flags, g, err)) < 0) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		r = sec_errf(err, -EINVAL, "region 0 of '%s' (term %llu, generation %llu) is not "
			     "global data: %s", s.paths[rr.source], (unsigned long long)rr.hdr.term,
			     (unsigned long long)rr.hdr.generation, msg);
		goto out;
	}
	*ret = g;
	g = NULL;
out:
	if (have_read) {
		if (rr.payload)
			auth_password_wipe(rr.payload, rr.hdr.payload_len);
		crd_region_read_release(&rr);
	}
	cluster_global_free(g);
	crdset_close(&s);
	return r;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {{"crd", required_argument, NULL, 'c'},
					     {"json", no_argument, NULL, 'j'},
					     {0}};
	struct crdset s = {0};
	struct cluster_global *g = NULL;
	struct sec_err err = {0};
	bool json = false;
	int ch, rc = SECTL_EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c') {
			if (crd_opt(&s, optarg))
				return SECTL_EXIT_USAGE;
		} else if (ch == 'j') {
			json = true;
		} else {
			return usage_error("%s", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!s.n)
		return usage_error("%s", "show needs --crd PATH");
	if (sectl_cluster_read(s.paths, s.n, 0, &g, &err) < 0)
		goto out;
	if (json) {
		json_t *j = cluster_global_to_json(g, CLUSTER_GLOBAL_REDACT);
		if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			json_decref(j);
			sec_errf(&err, -ENOMEM, "cannot write JSON");
			goto out;
		}
		putchar('\n');
		json_decref(j);
	} else {
		print_global(g);
	}
	rc = SECTL_EXIT_OK;
out:
	if (rc != SECTL_EXIT_OK)
		fail(err.msg);
	cluster_global_free(g);
	return rc;
}

int sectl_cluster_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {
		{"init", cmd_init, true},
		{"show", cmd_show, true},
		{"status", sectl_cluster_status, false},
		{"force-master", sectl_cluster_force_master, false},
	};

	return sectl_dispatch("cluster", cluster_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
