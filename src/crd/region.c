/* region.c — see region.h. */
#include "crd/region.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crc32c.h"
#include "lib/log.h"

static size_t round_block(uint64_t n)
{
	return (size_t)((n + CRD_BLOCK - 1) / CRD_BLOCK * CRD_BLOCK);
}

static const char *disk_path(const struct crd_region_disks *rd, int disk)
{
	struct crd_disk *d = crd_io_disk(rd->io, disk);

	return d ? d->path : "(not configured)";
}

/* A disk this unit reaches: its I/O thread accepts requests. */
static int disk_reach(const struct crd_region_disks *rd, int disk)
{
	switch (crd_io_disk_state(rd->io, disk)) {
	case CRD_DISK_NORMAL:
	case CRD_DISK_STALE:
		return 0;
	case CRD_DISK_NOT_ACCESSIBLE:
		return -EAGAIN;
	default:
		return -ENODEV;
	}
}

/* ---- a batch of parallel requests, one per disk ---- */

struct batch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int outstanding;
};

static void batch_init(struct batch *b)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->outstanding = 0;
}

static void batch_cb(struct crd_io_req *req, void *arg)
{
	struct batch *b = arg;

	pthread_mutex_lock(&b->lock);
	b->outstanding--;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* Submits req on disk keeping the caller's reference; req->result holds a refusal. */
static void batch_submit(struct batch *b, struct crd_io *io, int disk, struct crd_io_req *req)
{
	req->cb = batch_cb;
	req->cb_arg = b;
	pthread_mutex_lock(&b->lock);
	b->outstanding++;
	pthread_mutex_unlock(&b->lock);
	if (crd_io_submit(io, disk, crd_io_req_ref(req)) < 0) {
		pthread_mutex_lock(&b->lock);
		b->outstanding--;
		pthread_mutex_unlock(&b->lock);
	}
}

static void batch_wait(struct batch *b)
{
	pthread_mutex_lock(&b->lock);
	while (b->outstanding > 0)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

/* Writes copy copy_of[d] (header h + payload) on each disk d of disks[] whose res[d] is 0,
 * in parallel; res[d] receives the result. copy_of is indexed by io disk. */
static void region_put(const struct crd_region_disks *rd, const int *disks, int nd,
		       const int *copy_of, const struct crd_region_hdr *h, const void *payload,
		       uint64_t not_after, int *res)
{
	struct crd_io_req *reqs[CRD_IO_DISKS_MAX] = {0};
	size_t len = CRD_BLOCK + round_block(h->payload_len);
	struct batch b;

	batch_init(&b);
	for (int i = 0; i < nd; i++) {
		int d = disks[i];
		struct crd_io_req *req;
		if (res[d] != 0)
			continue;
		req = crd_io_req_new(CRD_IO_WRITE, crd_region_off(&rd->geo, h->region, copy_of[d]),
				     len);
		if (!req) {
			res[d] = -ENOMEM;
			continue;
		}
		req->prio = CRD_IO_PRIO_REGION;
		req->not_after_ns = not_after;
		crd_region_hdr_out(h, req->buf);
		if (h->payload_len)
			memcpy((uint8_t *)req->buf + CRD_BLOCK, payload, h->payload_len);
		reqs[i] = req;
		batch_submit(&b, rd->io, d, req);
	}
	batch_wait(&b);
	for (int i = 0; i < nd; i++)
		if (reqs[i]) {
			res[disks[i]] = reqs[i]->result;
			crd_io_req_unref(reqs[i]);
		}
}

/* ---- writer ---- */

/* (term, generation) order of crd.md §2 */
static bool hdr_newer(const struct crd_region_hdr *a, const struct crd_region_hdr *b)
{
	return a->term > b->term || (a->term == b->term && a->generation > b->generation);
}


void crd_region_writer_init(struct crd_region_writer *w, uint32_t region, uint32_t owner,
			    uint64_t incarnation, uint64_t generation_seen)
{
	memset(w, 0, sizeof(*w));
	w->region = region;
	w->owner = owner;
	w->incarnation = incarnation;
	w->committed = generation_seen;
	w->last = generation_seen;
}

void crd_region_writer_order_from(struct crd_region_writer *w, const struct crd_region_read *r)
{
	for (int d = 0; d < CRD_IO_DISKS_MAX; d++) {
		const struct crd_region_copy_info *a = &r->copy[d][0], *b = &r->copy[d][1];
		/* A holds the newest valid data on d: write B first */
		w->r0_first[d] = a->decode == 0 && (b->decode != 0 || hdr_newer(&a->hdr, &b->hdr));
	}
}

uint64_t crd_region_writer_next(const struct crd_region_writer *w)
{
	return w->last + (w->last_failed ? 2 : 1);
}

int crd_region_write(const struct crd_region_disks *rd, struct crd_region_writer *w,
		     uint64_t term, const void *payload, size_t len, uint64_t not_after_ns,
		     struct crd_region_wres *ret, struct sec_err *reterr)
{
	struct crd_region_wres res = {0};
	int targets[CRD_SET_DISKS_MAX], nt = 0, ncopies, first_err = 0, first_disk = -1;
	int copies[2][CRD_IO_DISKS_MAX];
	bool first_ok[CRD_IO_DISKS_MAX] = {false};
	uint64_t cap = crd_region_copy_size(&rd->geo, w->region) - CRD_BLOCK;
	struct crd_region_hdr h = {0};
	int r;

	for (int i = 0; i < CRD_IO_DISKS_MAX; i++)
		res.disk_result[i] = 1;
	if (len > cap) {
		r = sec_errf(reterr, -ENOSPC,
			     "region %u: payload of %zu bytes does not fit in the region copy "
			     "(%" PRIu64 " bytes at most); nothing written",
			     w->region, len, cap);
		goto out;
	}
	for (int i = 0; i < rd->next; i++) {
		int d = rd->ext[i];
		if (d < 0) /* a disk the unit stopped using (online replace, unit.h) */
			continue;
		res.disk_result[d] = disk_reach(rd, d);
		if (res.disk_result[d] == 0)
			targets[nt++] = d;
	}
	if (nt == 0) {
		r = sec_errf(reterr, -ENODEV, "region %u: no external crd disk reachable; nothing "
			     "written", w->region);
		goto out;
	}
	h.region = w->region;
	h.owner = w->owner;
	h.owner_incarnation = w->incarnation;
	h.term = term;
	h.generation = crd_region_writer_next(w);
	h.payload_len = len;
	h.payload_crc = crc32c(0, payload, len);
	res.generation = h.generation;
	w->last = h.generation;
	w->last_failed = true; /* until committed */
	/* region 0: both copies in turn, first the one that does not hold the newest data, so
	 * that a tear of each of two writes in a row cannot leave no valid copy (decisions.md);
	 * a unit region: copy generation mod 2 */
	ncopies = w->region == 0 ? 2 : 1;
	for (int c = 0; c < ncopies; c++) {
		for (int d = 0; d < CRD_IO_DISKS_MAX; d++)
			copies[c][d] = w->region == 0 ? (w->r0_first[d] + c) % 2
						      : (int)(h.generation % 2);
		if (c == 1)
			for (int i = 0; i < nt; i++)
				first_ok[targets[i]] = res.disk_result[targets[i]] == 0;
		region_put(rd, targets, nt, copies[c], &h, payload, not_after_ns, res.disk_result);
	}
	for (int i = 0; w->region == 0 && i < nt; i++) { /* the torn copy goes first next time */
		int d = targets[i];
		if (first_ok[d] && res.disk_result[d] != 0)
			w->r0_first[d] = (uint8_t)((w->r0_first[d] + 1) % 2);
	}
	for (int i = 0; i < nt; i++) {
		int d = targets[i];
		if (res.disk_result[d] == 0)
			res.ext_ok++;
		else if (!first_err) {
			first_err = res.disk_result[d];
			first_disk = d;
		}
	}
	if (res.ext_ok == 0) {
		r = sec_errf(reterr, first_err,
			     "region %u generation %" PRIu64 " not committed: write to '%s' failed: %s",
			     w->region, h.generation, disk_path(rd, first_disk), strerror(-first_err));
		goto out;
	}
	res.committed = true;
	w->committed = h.generation;
	w->last_failed = false;
	for (int i = 0; i < nt; i++) /* not reached: it missed a committed write */
		if (res.disk_result[targets[i]] < 0 &&
		    crd_io_disk_set_state(rd->io, targets[i], CRD_DISK_NORMAL, CRD_DISK_STALE) == 0)
			log_debug("region %u generation %" PRIu64 ": '%s' missed it (%s), now STALE",
				  w->region, h.generation, disk_path(rd, targets[i]),
				  strerror(-res.disk_result[targets[i]]));
	if (rd->internal >= 0) { /* internal disk last, and only for a committed write */
		int d = rd->internal;
		res.disk_result[d] = disk_reach(rd, d);
		for (int c = 0; c < ncopies; c++)
			region_put(rd, &d, 1, copies[c], &h, payload, not_after_ns, res.disk_result);
	}
	r = 0;
out:
	if (ret)
		*ret = res;
	return r;
}

/* ---- reads ---- */

/* Reads and checks the payload of a copy whose header h is valid. Returns 0 and *ret (malloc,
 * payload_len + 1 bytes, NUL-terminated), -EILSEQ (payload CRC mismatch) or -errno. */
static int region_get_payload(const struct crd_region_disks *rd, int disk, int copy,
			      const struct crd_region_hdr *h, void **ret)
{
	struct crd_io_req *req = NULL;
	char *p = malloc(h->payload_len + 1);
	int r = 0;

	if (!p)
		return -ENOMEM;
	if (h->payload_len) {
		req = crd_io_req_new(CRD_IO_READ, crd_region_off(&rd->geo, h->region, copy) + CRD_BLOCK,
				     round_block(h->payload_len));
		if (!req) {
			r = -ENOMEM;
			goto out;
		}
		req->prio = CRD_IO_PRIO_REGION;
		r = crd_io_run(rd->io, disk, req);
		if (r < 0)
			goto out;
		memcpy(p, req->buf, h->payload_len);
	}
	p[h->payload_len] = 0;
	if (crc32c(0, p, h->payload_len) != h->payload_crc)
		r = -EILSEQ;
out:
	crd_io_req_unref(req);
	if (r < 0)
		free(p);
	else
		*ret = p;
	return r;
}

/* Reads both copy headers of region on disks[], in parallel, into ret. Returns the number
 * of disks whose two header reads succeeded. */
static int region_get_headers(const struct crd_region_disks *rd, uint32_t region,
			      const int *disks, int nd, struct crd_region_read *ret)
{
	struct crd_io_req *reqs[CRD_IO_DISKS_MAX][2] = {{0}};
	struct batch b;
	int readable = 0;

	batch_init(&b);
	for (int i = 0; i < nd; i++) {
		int d = disks[i];
		ret->disk_result[d] = disk_reach(rd, d);
		for (int c = 0; c < 2 && ret->disk_result[d] == 0; c++) {
			reqs[i][c] = crd_io_req_new(CRD_IO_READ, crd_region_off(&rd->geo, region, c),
						    CRD_BLOCK);
			if (!reqs[i][c]) {
				ret->disk_result[d] = -ENOMEM;
				break;
			}
			reqs[i][c]->prio = CRD_IO_PRIO_REGION;
			batch_submit(&b, rd->io, d, reqs[i][c]);
		}
	}
	batch_wait(&b);
	for (int i = 0; i < nd; i++) {
		int d = disks[i];
		for (int c = 0; c < 2; c++) {
			struct crd_io_req *req = reqs[i][c];
			struct crd_region_copy_info *ci = &ret->copy[d][c];
			if (!req)
				continue;
			if (req->result < 0) {
				if (ret->disk_result[d] == 0)
					ret->disk_result[d] = req->result;
			} else {
				ci->decode = crd_region_hdr_in(req->buf, &ci->hdr);
				if (ci->decode == 0)
					ci->decode = crd_region_hdr_check(&rd->geo, region, &ci->hdr);
			}
			crd_io_req_unref(req);
		}
		if (ret->disk_result[d] == 0)
			readable++;
	}
	return readable;
}

int crd_region_read(const struct crd_region_disks *rd, uint32_t region,
		    struct crd_region_read *ret, struct sec_err *reterr)
{
	bool tried[CRD_IO_DISKS_MAX][2] = {{false}};
	int disks[CRD_IO_DISKS_MAX], nd = 0;

	memset(ret, 0, sizeof(*ret));
	ret->source = -1;
	for (int i = 0; i < CRD_IO_DISKS_MAX; i++) {
		ret->disk_result[i] = 1;
		ret->copy[i][0].decode = ret->copy[i][1].decode = 1;
	}
	for (int i = 0; i < rd->next; i++)
		if (rd->ext[i] >= 0) /* < 0: a disk the unit stopped using (unit.h) */
			disks[nd++] = rd->ext[i];
	if (region_get_headers(rd, region, disks, nd, ret) == 0) {
		if (rd->internal < 0 || region_get_headers(rd, region, &rd->internal, 1, ret) == 0)
		{
			if (nd == 0)
				return sec_errf(reterr, -EIO, "region %u: no external crd disk in use",
						region);
			int e = ret->disk_result[disks[0]];
			return sec_errf(reterr, -EIO, "region %u: no crd disk readable ('%s': %s)",
					region, disk_path(rd, disks[0]), strerror(e < 0 ? -e : EIO));
		}
		ret->internal_only = true;
		disks[0] = rd->internal;
		nd = 1;
	}
	/* candidates in (term, generation) order, highest first, until one payload checks */
	for (;;) {
		int bd = -1, bc = -1, r;
		void *p = NULL;
		for (int i = 0; i < nd; i++) {
			int d = disks[i];
			if (ret->disk_result[d] != 0)
				continue;
			for (int c = 0; c < 2; c++)
				if (ret->copy[d][c].decode == 0 && !tried[d][c] &&
				    (bd < 0 || hdr_newer(&ret->copy[d][c].hdr, &ret->copy[bd][bc].hdr))) {
					bd = d;
					bc = c;
				}
		}
		if (bd < 0)
			return 0; /* nothing valid: found = false */
		tried[bd][bc] = true;
		r = region_get_payload(rd, bd, bc, &ret->copy[bd][bc].hdr, &p);
		if (r == 0) {
			ret->found = true;
			ret->hdr = ret->copy[bd][bc].hdr;
			ret->payload = p;
			ret->source = bd;
			ret->source_copy = bc;
			return 0;
		}
		log_debug("region %u: copy %c on '%s' rejected: %s", region, 'A' + bc,
			  disk_path(rd, bd), strerror(-r));
		ret->copy[bd][bc].decode = r;
	}
}

void crd_region_read_release(struct crd_region_read *r)
{
	if (r) {
		free(r->payload);
		r->payload = NULL;
	}
}

/* ---- repair and resync ---- */

static bool hdr_equal(const struct crd_region_hdr *a, const struct crd_region_hdr *b)
{
	return a->region == b->region && a->owner == b->owner &&
	       a->owner_incarnation == b->owner_incarnation && a->term == b->term &&
	       a->generation == b->generation && a->payload_len == b->payload_len &&
	       a->payload_crc == b->payload_crc;
}

/* Reads copy `copy` of h->region on disk back and compares it with h. 0 or -EIO/-errno. */
static int region_verify(const struct crd_region_disks *rd, int disk, int copy,
			 const struct crd_region_hdr *h)
{
	struct crd_io_req *req = crd_io_req_new(CRD_IO_READ, crd_region_off(&rd->geo, h->region, copy),
						CRD_BLOCK);
	struct crd_region_hdr got;
	void *p = NULL;
	int r;

	if (!req)
		return -ENOMEM;
	req->prio = CRD_IO_PRIO_REGION;
	r = crd_io_run(rd->io, disk, req);
	if (r == 0 && (crd_region_hdr_in(req->buf, &got) != 0 || !hdr_equal(&got, h)))
		r = -EIO;
	crd_io_req_unref(req);
	if (r == 0)
		r = region_get_payload(rd, disk, copy, h, &p) == 0 ? 0 : -EIO;
	free(p);
	return r;
}

int crd_region_repair(const struct crd_region_disks *rd, const struct crd_region_read *src,
		      const int *targets, int ntargets, bool (*owner_dead)(void *arg), void *arg,
		      struct sec_err *reterr)
{
	int copy, n = 0;

	if (!src->found)
		return sec_errf(reterr, -EINVAL, "region repair: no valid source copy");
	copy = (int)(src->hdr.generation % 2);
	for (int i = 0; i < ntargets; i++) {
		int d = targets[i], res[CRD_IO_DISKS_MAX] = {0}, r;
		if (!owner_dead(arg))
			return sec_errf(reterr, -ECANCELED, "region %u: repair stopped, unit %u is "
					"alive again", src->hdr.region, src->hdr.owner);
		int copy_of[CRD_IO_DISKS_MAX];
		for (int k = 0; k < CRD_IO_DISKS_MAX; k++)
			copy_of[k] = copy;
		region_put(rd, &d, 1, copy_of, &src->hdr, src->payload, 0, res);
		r = res[d];
		if (r == 0)
			r = region_verify(rd, d, copy, &src->hdr);
		if (r < 0)
			return sec_errf(reterr, r, "region %u: repair of copy %c on '%s' failed: %s",
					src->hdr.region, 'A' + copy, disk_path(rd, d),
					strerror(-r));
		n++;
	}
	return n;
}

/* need_all: only from a read that covered every external disk (crd_region_disk_resync). */
static int region_resync(const struct crd_region_disks *rd, struct crd_region_writer *w,
			 uint64_t term, uint64_t not_after_ns, bool need_all,
			 struct sec_err *reterr)
{
	struct crd_region_read rr;
	struct crd_region_wres wr[2];
	int r, passes = w->region == 0 ? 1 : 2;
	uint64_t seen;

	r = crd_region_read(rd, w->region, &rr, reterr);
	if (r < 0)
		return r;
	for (int i = 0; need_all && i < rd->next; i++) {
		int d = rd->ext[i];
		if (d < 0) {
			r = sec_errf(reterr, -EAGAIN, "region %u: external disk %d is not in use; not "
				     "resynced from the other disk alone", w->region, i + 1);
			goto out;
		}
		if (rr.disk_result[d] != 0) {
			r = sec_errf(reterr, -EAGAIN, "region %u: '%s' not read (%s); not resynced "
				     "from the other disk alone", w->region, disk_path(rd, d),
				     rr.disk_result[d] < 0 ? strerror(-rr.disk_result[d])
							    : "not reachable");
			goto out;
		}
	}
	if (!rr.found)
		goto out;
	if (rr.internal_only) {
		r = sec_errf(reterr, -EIO, "region %u: no external crd disk readable; not resynced",
			     w->region);
		goto out;
	}
	seen = rr.hdr.generation > w->last ? rr.hdr.generation : w->last;
	crd_region_writer_init(w, w->region, w->owner, w->incarnation, seen);
	crd_region_writer_order_from(w, &rr);
	for (int p = 0; p < passes; p++) {
		r = crd_region_write(rd, w, term, rr.payload, rr.hdr.payload_len, not_after_ns,
				     &wr[p], reterr);
		if (r < 0)
			goto out;
	}
	for (int i = 0; i < rd->next; i++) { /* read back what every pass put there */
		int d = rd->ext[i];
		if (d < 0)
			continue;
		struct crd_region_hdr h = {
			.region = w->region, .owner = w->owner, .owner_incarnation = w->incarnation,
			.term = term, .payload_len = rr.hdr.payload_len,
			.payload_crc = rr.hdr.payload_crc,
		};
		bool all = true;
		for (int p = 0; p < passes; p++)
			all = all && wr[p].disk_result[d] == 0;
		for (int p = 0; all && p < passes; p++) {
			for (int c = 0; c < 2; c++) {
				if (w->region != 0 && c != (int)(wr[p].generation % 2))
					continue;
				h.generation = wr[p].generation;
				r = region_verify(rd, d, c, &h);
				if (r < 0) {
					r = sec_errf(reterr, r, "region %u: read-back of copy %c on "
						     "'%s' failed: %s", w->region, 'A' + c,
						     disk_path(rd, d), strerror(-r));
					goto out;
				}
			}
		}
	}
	r = 0;
out:
	crd_region_read_release(&rr);
	return r;
}

int crd_region_owner_resync(const struct crd_region_disks *rd, struct crd_region_writer *w,
			    uint64_t term, uint64_t not_after_ns, struct sec_err *reterr)
{
	return region_resync(rd, w, term, not_after_ns, false, reterr);
}

int crd_region_disk_resync(const struct crd_region_disks *rd, struct crd_region_writer *w,
			   uint64_t term, uint64_t not_after_ns, struct sec_err *reterr)
{
	return region_resync(rd, w, term, not_after_ns, true, reterr);
}
