/* unit.c — the CRD runtime of one unit (see unit.h). */
#include "crd/unit.h"
#include "crd/unit_priv.h"

#include "crd/alive.h"
#include "crd/disk.h"
#include "crd/file.h"
#include "crd/format.h"
#include "crd/io.h"
#include "lib/clock.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

/* ---- identity and the data directory ---- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void crd_unit_machine_id(crd_uuid *ret)
{
	char buf[64] = {0};
	int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	memset(ret, 0, sizeof(*ret));
	if (fd >= 0)
		close(fd);
	if (n < 32)
		return;
	for (int i = 0; i < 16; i++) {
		int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(ret, 0, sizeof(*ret));
			return;
		}
		ret->b[i] = (uint8_t)(hi << 4 | lo);
	}
}

int crd_unit_identity_load(const char *data_dir, crd_uuid *ret, struct sec_err *reterr)
{
	char path[4096], buf[64] = {0}, s[37];
	int fd, r;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/identity", data_dir) >= sizeof(path))
		return sec_errf(reterr, -ENAMETOOLONG, "data directory '%s': path too long",
				data_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = '\0';
		if (n < 0 || crd_uuid_parse(buf, ret) < 0)
			return sec_errf(reterr, -EINVAL, "'%s' holds no unit identity (a UUID)", path);
		return 0;
	}
	if (errno != ENOENT)
		return sec_errf(reterr, -errno, "cannot open '%s': %s", path, strerror(errno));
	if ((r = crd_uuid_random(ret)) < 0)
		return sec_errf(reterr, r, "cannot make a unit identity: %s", strerror(-r));
	crd_uuid_to_string(ret, s);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot create '%s': %s", path, strerror(errno));
	n = dprintf(fd, "%s\n", s);
	r = n == 37 && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (r < 0)
		return sec_errf(reterr, r, "cannot write '%s'", path);
	return 0;
}

/* flock(LOCK_EX) on the data directory; the holder's pid goes to DATA_DIR/secd.pid. */
static int unit_lock_data_dir(const char *dir, int *ret_fd, struct sec_err *reterr)
{
	char path[4096], pid[32] = "?";
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), pfd;

	if (fd < 0)
		return sec_errf(reterr, -errno, "cannot open data directory '%s': %s", dir,
				strerror(errno));
	snprintf(path, sizeof(path), "%s/secd.pid", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		pfd = open(path, O_RDONLY | O_CLOEXEC);
		if (pfd >= 0) {
			ssize_t n = read(pfd, pid, sizeof(pid) - 1);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			close(pfd);
		}
		if (e == EWOULDBLOCK)
			return sec_errf(reterr, -EWOULDBLOCK,
					"data directory '%s' is locked by another secd (pid %s)", dir,
					pid);
		return sec_errf(reterr, -e, "cannot lock data directory '%s': %s", dir,
				strerror(e));
	}
	pfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pfd >= 0) {
		dprintf(pfd, "%d\n", (int)getpid());
		close(pfd);
	}
	*ret_fd = fd;
	return 0;
}

/* ---- disks and the disk set (crd.md §1) ---- */

static void set_describe(const struct crd_disk_set *s, char *buf, size_t size)
{
	char a[37], b[37];

	crd_uuid_to_string(&s->set_id, a);
	int n = snprintf(buf, size, "set %s generation %" PRIu64 ": disks ", a, s->generation);
	for (uint32_t i = 0; i < s->count && n > 0 && (size_t)n < size; i++) {
		crd_uuid_to_string(&s->disks[i], b);
		n += snprintf(buf + n, size - (size_t)n, "%s%s", i ? ", " : "", b);
	}
}

static bool set_has(const struct crd_disk_set *s, const crd_uuid *id)
{
	for (uint32_t i = 0; i < s->count && i < CRD_SET_DISKS_MAX; i++)
		if (crd_uuid_eq(&s->disks[i], id))
			return true;
	return false;
}

/* Checks every configured disk; the external paths must be the newest recorded set. */
static int unit_check_disks(const struct crd_unit_cfg *cfg, struct crd_sb *sb,
			    struct crd_sb *isb, struct sec_err *reterr)
{
	const struct crd_sb *newest = NULL;
	char d[37], d2[37], set[256];
	int r;

	if (cfg->n_external < 1 || cfg->n_external > (int)CRD_SET_DISKS_MAX)
		return sec_errf(reterr, -EINVAL, "a unit needs 1 or 2 external CRD disks, not %d",
				cfg->n_external);
	for (int i = 0; i < cfg->n_external; i++) {
		const char *p = cfg->external[i];
		if ((r = crd_file_check_shared(p, cfg->unsafe_fs, reterr)) < 0)
			return r;
		if ((r = crd_disk_open_check(p, i ? &sb[0].cluster_id : NULL, &sb[i], reterr)) < 0)
			return r;
		if (sb[i].role != CRD_ROLE_EXTERNAL)
			return sec_errf(reterr, -ENXIO, "external disk '%s' is an internal CRD disk",
					p);
		if (!newest || sb[i].set.generation > newest->set.generation)
			newest = &sb[i];
	}
	set_describe(&newest->set, set, sizeof(set));
	for (int i = 0; i < cfg->n_external; i++) {
		crd_uuid_to_string(&sb[i].disk_id, d);
		if (!crd_uuid_eq(&sb[i].set.set_id, &newest->set.set_id) ||
		    !set_has(&newest->set, &sb[i].disk_id))
			return sec_errf(reterr, -ENXIO,
					"external disk '%s' (disk id %s) is not in the disk set "
					"recorded on the CRD (%s)", cfg->external[i], d, set);
		for (int j = 0; j < i; j++)
			if (crd_uuid_eq(&sb[j].disk_id, &sb[i].disk_id))
				return sec_errf(reterr, -ENXIO,
						"external disks '%s' and '%s' are the same disk "
						"(disk id %s)", cfg->external[j], cfg->external[i], d);
	}
	for (uint32_t k = 0; k < newest->set.count; k++) {
		bool found = false;
		for (int i = 0; i < cfg->n_external; i++)
			found |= crd_uuid_eq(&sb[i].disk_id, &newest->set.disks[k]);
		if (!found) {
			crd_uuid_to_string(&newest->set.disks[k], d2);
			return sec_errf(reterr, -ENXIO,
					"disk id %s of the disk set recorded on the CRD (%s) is not "
					"among the configured external disks", d2, set);
		}
	}
	if (cfg->internal) {
		if ((r = crd_disk_open_check(cfg->internal, &sb[0].cluster_id, isb, reterr)) < 0)
			return r;
		if (isb->role != CRD_ROLE_INTERNAL)
			return sec_errf(reterr, -ENXIO, "internal disk '%s' is an external CRD disk",
					cfg->internal);
	}
	return 0;
}

/* ---- alive messages ---- */

void unit_queue_done(struct crd_unit *u, const struct unit_done *d)
{
	uint64_t one = 1;
	bool queued = false;

	pthread_mutex_lock(&u->lock);
	if (u->qn < UNIT_Q_MAX) {
		u->q[u->qn++] = *d;
		queued = true;
	}
	pthread_mutex_unlock(&u->lock);
	if (!queued) /* cannot happen: at most N writes and N reads are outstanding */
		crd_io_req_unref(d->req);
	if (write(u->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow here; nothing to do */
	}
}

static void slot_io_done(struct crd_io_req *req, void *arg)
{
	unit_queue_done(arg, &(struct unit_done){.kind = UNIT_DONE_SLOT_WRITE,
						 .io_disk = req->disk,
						 .result = req->result,
						 .issue_ns = req->issue_ns,
						 .complete_ns = req->complete_ns});
}

/* Writes the next alive message on every external disk (crd.md §4). */
static void slot_write(struct crd_unit *u, enum crd_slot_state state)
{
	struct crd_slot s;
	uint64_t not_after = 0;

	if (u->role == CRD_UNIT_SU) { /* fencing layer 3: never revive an expired slot */
		not_after = crd_alive_not_after_ns(&u->renewals, u->timing.fence_ms);
		if (not_after == UINT64_MAX)
			not_after = 0;
	}
	u->inflight_advertises = u->timing_pending;
	crd_alive_next_slot(&u->me, &u->counter, state, clock_wall_ns(), &s);
	u->last_slot = s;
	for (int i = 0; i < u->rd.next; i++) {
		if (!u->set.in_use[i]) /* stopped using it (online replace): renews on the rest */
			continue;
		struct crd_io_req *req =
			crd_io_req_new(CRD_IO_WRITE, crd_slot_off(&u->rd.geo, u->unit_id), CRD_BLOCK);
		if (!req)
			return;
		crd_slot_out(&s, req->buf);
		u->last_slot_ident = crd_block_ident(req->buf);
		req->not_after_ns = not_after;
		req->cb = slot_io_done;
		req->cb_arg = u;
		int r = crd_io_submit(u->io, u->rd.ext[i], req);
		if (r == 0) {
			u->slot_pending++;
			continue;
		}
		log_debug("unit %u: slot write not submitted on disk %d: %s", u->unit_id, i,
			  strerror(-r));
		unit_disks_io_result(u, i, r, true);
	}
}

static void slot_write_done(struct crd_unit *u, const struct unit_done *d)
{
	u->slot_pending--;
	unit_obs_own_write(u, d);
	unit_disks_io_result(u, d->disk, d->result, true);
	if (d->result < 0) {
		log_debug("unit %u: slot write on disk %d: %s", u->unit_id, d->disk,
			  strerror(-d->result));
		return;
	}
	u->renewals_ok++;
	crd_renewals_note(&u->renewals, (uint32_t)d->disk, d->issue_ns);
	if (u->inflight_advertises) { /* the new timings are advertised: now they apply */
		u->timing = u->me.timing;
		u->timing_pending = u->inflight_advertises = false;
	}
	uint64_t last;
	if (u->renew_cb && crd_renewals_last(&u->renewals, &last))
		u->renew_cb(u->renew_arg, last, u->last_slot.timing.fence_ms,
			    u->last_slot.timing.watchdog_ms);
}

/* Takes the completions queued by the disk threads. */
static void unit_completions(struct crd_unit *u)
{
	struct unit_done q[UNIT_Q_MAX];
	uint64_t cnt;
	int n;

	if (read(u->efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: nothing new */
	}
	pthread_mutex_lock(&u->lock);
	n = u->qn;
	memcpy(q, u->q, sizeof(q[0]) * (size_t)n);
	u->qn = 0;
	pthread_mutex_unlock(&u->lock);
	for (int i = 0; i < n; i++) {
		q[i].disk = unit_set_pos(u, q[i].io_disk);
		if (q[i].disk < 0) { /* from a disk the unit stopped using (cancelled) */
			if (q[i].kind == UNIT_DONE_SLOT_WRITE)
				u->slot_pending--;
			crd_io_req_unref(q[i].req);
			continue;
		}
		if (q[i].kind == UNIT_DONE_SLOT_WRITE)
			slot_write_done(u, &q[i]);
		else if (q[i].kind == UNIT_DONE_OBS_READ)
			unit_obs_read_done(u, &q[i]);
		else
			unit_set_read_done(u, &q[i]);
	}
}

/* ---- life cycle ---- */

int crd_unit_start(const struct crd_unit_cfg *cfg, struct crd_unit **ret,
		   struct sec_err *reterr)
{
	struct crd_sb sb[CRD_SET_DISKS_MAX], isb;
	struct crd_disk *disks[CRD_IO_DISKS_MAX] = {NULL};
	struct crd_unit *u = calloc(1, sizeof(*u));
	int r, nd = 0, readable = 0;

	if (!u)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	u->lock_fd = u->efd = -1;
	pthread_mutex_init(&u->lock, NULL);
	u->unit_id = cfg->unit_id;
	u->role = cfg->role;
	if (cfg->name)
		snprintf(u->name, sizeof(u->name), "%s", cfg->name);
	else
		snprintf(u->name, sizeof(u->name), "unit %u", cfg->unit_id);
	u->timing = cfg->timing;
	if (!cfg->unit_id || cfg->unit_id > CRD_UNITS_MAX) {
		r = sec_errf(reterr, -EINVAL, "unit id %u is not in 1..%u", cfg->unit_id,
			     CRD_UNITS_MAX);
		goto fail;
	}
	u->me = (struct crd_alive_self){.unit_id = cfg->unit_id, .role = cfg->role,
					.identity = cfg->identity,
					.fencing = cfg->fencing ? cfg->fencing : CRD_FENCING_SELF,
					.timing = cfg->timing};
	if (cfg->data_dir && ((r = unit_lock_data_dir(cfg->data_dir, &u->lock_fd, reterr)) < 0 ||
			      (r = crd_unit_identity_load(cfg->data_dir, &u->me.identity, reterr)) < 0))
		goto fail;
	crd_unit_machine_id(&u->me.machine_id);
	if (getrandom(&u->me.incarnation, sizeof(u->me.incarnation), 0) !=
	    sizeof(u->me.incarnation)) {
		r = sec_errf(reterr, -errno, "getrandom: %s", strerror(errno));
		goto fail;
	}
	if ((r = unit_check_disks(cfg, sb, &isb, reterr)) < 0)
		goto fail;
	for (int i = 0; i < cfg->n_external; i++) {
		if ((r = crd_disk_open(cfg->external[i], &disks[nd++], reterr)) < 0)
			goto fail_disks;
		/* a shared flock for the unit's life: `sectl cluster init` (which takes it
		 * exclusively) cannot write region 0 under a running unit of this host, nor a
		 * unit start while init runs (crd.md §5 last bullet) */
		if (flock(disks[nd - 1]->fd, LOCK_SH | LOCK_NB) < 0) {
			r = sec_errf(reterr, -EBUSY, "'%s' is locked by 'sectl cluster init' (or "
				     "another tool) on this host; try again when it has finished",
				     cfg->external[i]);
			goto fail_disks;
		}
	}
	if (cfg->internal && (r = crd_disk_open(cfg->internal, &disks[nd++], reterr)) < 0)
		goto fail_disks;
	struct crd_io_cfg iocfg = {.io_timeout_ms = cfg->timing.io_ms, .realtime = cfg->realtime};
	/* every index, the free ones NOT_CONFIGURED: an online replace attaches its new disk */
	if ((r = crd_io_new(&iocfg, disks, CRD_IO_DISKS_MAX, &u->io)) < 0) { /* owns the disks */
		sec_errf(reterr, r, "cannot start the disk threads: %s", strerror(-r));
		goto fail;
	}
	u->rd = (struct crd_region_disks){.io = u->io, .geo = sb[0].geo, .next = cfg->n_external,
					  .internal = cfg->internal ? cfg->n_external : -1};
	for (int i = 0; i < cfg->n_external; i++)
		u->rd.ext[i] = i;
	/* own-slot check (crd.md §4): another identity in our slot stops us */
	for (int i = 0; i < cfg->n_external; i++) {
		struct crd_io_req *req =
			crd_io_req_new(CRD_IO_READ, crd_slot_off(&u->rd.geo, u->unit_id), CRD_BLOCK);
		struct crd_slot slot;
		uint64_t counter = 0;
		if (!req) {
			r = sec_errf(reterr, -ENOMEM, "out of memory");
			goto fail;
		}
		r = crd_io_run(u->io, i, req);
		if (r == 0) {
			int decode = crd_slot_in(req->buf, &slot);
			r = crd_alive_own_slot_check(&u->me, decode, &slot, &counter, reterr);
			readable++;
			if (counter > u->counter)
				u->counter = counter;
		} else {
			log_debug("unit %u: own slot on '%s' not readable: %s", u->unit_id,
				  cfg->external[i], strerror(-r));
			r = 0;
		}
		crd_io_req_unref(req);
		if (r < 0)
			goto fail;
	}
	if (!readable) {
		r = sec_errf(reterr, -EIO, "unit %u: its slot could not be read on any external "
				"CRD disk", u->unit_id);
		goto fail;
	}
	crd_renewals_init(&u->renewals, (uint32_t)cfg->n_external);
	u->renew_cb = cfg->renew_cb;
	u->renew_arg = cfg->renew_arg;
	u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->efd < 0) {
		r = sec_errf(reterr, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (cfg->role == CRD_UNIT_MU) {
		struct crd_leasedrv_cfg lc = {
			.lease = {.unit_id = u->unit_id, .incarnation = u->me.incarnation,
				  .timing = cfg->timing, .ndisks = cfg->n_external,
				  .max_lease_ms = cfg->timing.lease_ms, .seed = u->me.incarnation},
			.geo = u->rd.geo,
			.belief_cb = cfg->belief_cb,
			.belief_arg = cfg->belief_arg,
		};
		for (int i = 0; i < cfg->n_external; i++)
			lc.disks[i] = i;
		if ((r = crd_leasedrv_new(u->io, &lc, &u->dr)) < 0) {
			sec_errf(reterr, r, "cannot start the lease driver: %s", strerror(-r));
			goto fail;
		}
	}
	u->observe = cfg->observe;
	if ((r = unit_obs_init(u)) < 0) {
		sec_errf(reterr, r, "out of memory");
		goto fail;
	}
	if ((r = unit_disks_init(u, cfg, reterr)) < 0)
		goto fail;
	if ((r = unit_set_init(u, cfg, sb)) < 0) {
		sec_errf(reterr, r, "out of memory");
		goto fail;
	}
	u->next_slot_ns = clock_boottime_ns(); /* the first renewal at once */
	u->next_obs_ns = u->next_slot_ns;
	*ret = u;
	return 0;

fail_disks:
	for (int i = 0; i < nd; i++)
		crd_disk_close(disks[i]);
fail:
	crd_unit_free(u);
	return r;
}

struct crd_unit *crd_unit_free(struct crd_unit *u)
{
	if (!u)
		return NULL;
	u->freeing = true;
	u->rt = crd_rthread_stop(u->rt); /* the running job finishes, the queued are cancelled */
	u->dr = crd_leasedrv_free(u->dr);
	u->io = crd_io_free(u->io); /* no completion callback runs after this */
	for (int i = 0; i < u->qn; i++)
		crd_io_req_unref(u->q[i].req);
	u->qn = 0;
	unit_obs_free(u);
	if (u->efd >= 0)
		close(u->efd);
	if (u->lock_fd >= 0) {
		unlinkat(u->lock_fd, "secd.pid", 0); /* while still holding the lock */
		close(u->lock_fd);                   /* releases the flock */
	}
	pthread_mutex_destroy(&u->lock);
	free(u);
	return NULL;
}

int crd_unit_fds(const struct crd_unit *u, int fds[CRD_UNIT_FDS_MAX])
{
	int n = 0;

	fds[n++] = u->efd;
	fds[n++] = crd_rthread_fd(u->rt);
	if (u->dr)
		fds[n++] = crd_leasedrv_fd(u->dr);
	return n;
}

uint64_t crd_unit_next_ns(const struct crd_unit *u)
{
	uint64_t next = u->stopping ? u->stop_deadline_ns : u->next_slot_ns;

	if (u->observe && !u->stopping && u->next_obs_ns < next)
		next = u->next_obs_ns;
	if (!u->stopping && u->set.next_ns < next)
		next = u->set.next_ns;
	if (u->dr && !crd_leasedrv_stopped(u->dr)) {
		uint64_t l = crd_leasedrv_next_ns(u->dr);
		if (l < next)
			next = l;
	}
	return next;
}

void crd_unit_run(struct crd_unit *u)
{
	uint64_t now;

	unit_completions(u);
	crd_rthread_dispatch(u->rt);
	if (u->dr)
		crd_leasedrv_run(u->dr);
	unit_disks_poll(u);
	if (!u->stopping)
		unit_set_poll(u);
	now = clock_boottime_ns();
	if (u->stopping) {
		/* the last message once the renewal in flight (if any) is done */
		if (!u->final_sent && !u->slot_pending) {
			slot_write(u, u->restarting ? CRD_SLOT_RESTARTING : CRD_SLOT_LEFT);
			u->final_sent = true;
		}
		return;
	}
	if (now >= u->next_slot_ns) {
		if (!u->slot_pending) /* the previous renewal still out: skip this round */
			slot_write(u, CRD_SLOT_RUNNING);
		u->next_slot_ns = now + (uint64_t)u->timing.renew_ms * NSEC_PER_MSEC;
	}
	if (u->observe && now >= u->next_obs_ns) { /* after the renewal: it is queued first */
		unit_obs_round(u);
		u->next_obs_ns = now + (uint64_t)u->timing.renew_ms * NSEC_PER_MSEC;
	}
}

struct crd_unit_master crd_unit_master(const struct crd_unit *u)
{
	struct crd_unit_master m = {0};

	if (u->dr) {
		const struct crd_lease *l = crd_leasedrv_lease(u->dr);
		m.held = crd_lease_held(l, clock_boottime_ns());
		m.term = crd_lease_term(l);
		m.valid_until = crd_lease_valid_until(l);
	}
	return m;
}

int crd_unit_set_timing(struct crd_unit *u, const struct crd_timing *t, struct sec_err *reterr)
{
	static const struct {
		const char *name;
		size_t off;
	} fixed[] = {
		{"io_timeout", offsetof(struct crd_timing, io_ms)},
		{"margin", offsetof(struct crd_timing, margin_ms)},
		{"lease_timeout", offsetof(struct crd_timing, lease_ms)},
		{"claim_delay", offsetof(struct crd_timing, claim_ms)},
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		uint32_t a = *(const uint32_t *)(const void *)((const char *)&u->timing + fixed[i].off);
		uint32_t b = *(const uint32_t *)(const void *)((const char *)t + fixed[i].off);
		if (a != b)
			return sec_errf(reterr, -EINVAL, "%s (%u ms, configured %u ms) needs a restart",
					fixed[i].name, a, b);
	}
	if (!memcmp(t, &u->me.timing, sizeof(*t)))
		return 0;
	u->me.timing = *t; /* advertised by the next renewal, applied when it lands */
	u->timing_pending = !!memcmp(t, &u->timing, sizeof(*t));
	return 0;
}

void crd_unit_set_fencing(struct crd_unit *u, enum crd_fencing f)
{
	if (f == CRD_FENCING_SELF || f == CRD_FENCING_NONE)
		u->me.fencing = f;
}

struct crd_timing crd_unit_timing(const struct crd_unit *u)
{
	return u->timing;
}

void crd_unit_stop(struct crd_unit *u, bool restarting)
{
	if (u->stopping)
		return;
	u->stopping = true;
	u->restarting = restarting;
	u->stop_deadline_ns = clock_boottime_ns() + 2ull * u->timing.io_ms * NSEC_PER_MSEC;
	if (u->dr)
		crd_leasedrv_release(u->dr); /* R4 */
	crd_unit_run(u);
}

static bool unit_stop_done(const struct crd_unit *u)
{
	return u->final_sent && !u->slot_pending && (!u->dr || crd_leasedrv_stopped(u->dr));
}

bool crd_unit_stopped(const struct crd_unit *u)
{
	if (!u->stopping)
		return false;
	return unit_stop_done(u) || clock_boottime_ns() >= u->stop_deadline_ns;
}

int crd_unit_stop_result(const struct crd_unit *u)
{
	return unit_stop_done(u) ? 0 : -ETIMEDOUT;
}

const struct crd_region_disks *crd_unit_region_disks(const struct crd_unit *u)
{
	return &u->rd;
}

uint64_t crd_unit_incarnation(const struct crd_unit *u)
{
	return u->me.incarnation;
}

const crd_uuid *crd_unit_identity(const struct crd_unit *u)
{
	return &u->me.identity;
}

uint64_t crd_unit_renewals(const struct crd_unit *u)
{
	return u->renewals_ok;
}

void crd_unit_stats(const struct crd_unit *u, struct crd_unit_stats *ret)
{
	*ret = u->stats;
}

int crd_unit_region_submit(struct crd_unit *u, struct crd_rjob *job)
{
	return crd_rthread_submit(u->rt, job);
}

struct crd_region_writer *crd_unit_region_writer(struct crd_unit *u, uint32_t region)
{
	if (region == u->unit_id)
		return &u->own_w;
	return region == 0 && u->role == CRD_UNIT_MU ? &u->r0_w : NULL;
}

/* ---- force-master (crd.md §5) ---- */

int crd_unit_force_master(struct crd_unit *u)
{
	if (!u->dr)
		return -ENOTSUP;
	if (u->stopping)
		return -ESHUTDOWN;
	return crd_leasedrv_force(u->dr);
}

struct crd_lease_force crd_unit_force_get(const struct crd_unit *u)
{
	struct crd_lease_force none = {.state = CRD_FORCE_NONE, .disk = -1};

	return u->dr ? crd_leasedrv_force_get(u->dr) : none;
}

void crd_unit_force_cancel(struct crd_unit *u)
{
	if (u->dr)
		crd_leasedrv_force_cancel(u->dr);
}

const char *crd_unit_disk_name(const struct crd_unit *u, int disk)
{
	return disk >= 0 && (uint32_t)disk < u->st.n ? u->st.disk_name[disk] : "?";
}
