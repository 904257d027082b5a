/* inspect.c — reading a whole CRD disk (see inspect.h). Output forms: inspect_out.c. */
#include "crd/inspect.h"

#include "crd/file.h"
#include "crd/format.h"
#include "crd/timing.h"
#include "lib/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

const char *crd_copy_state_to_string(enum crd_copy_state s)
{
	static const char *const names[CRD_COPY_STATE_MAX] = {
		"empty", "ok", "header damaged", "payload CRC mismatch"};
	return s >= 0 && s < CRD_COPY_STATE_MAX ? names[s] : "?";
}

struct crd_inspect *crd_inspect_free(struct crd_inspect *ins)
{
	if (ins) {
		free(ins->path);
		free(ins);
	}
	return NULL;
}

static int inspect_copy(int fd, const char *path, const struct crd_geometry *g, uint32_t k,
			int c, uint8_t *buf, struct crd_inspect_copy *ret, struct sec_err *reterr)
{
	uint64_t off = crd_region_off(g, k, c);
	int r;

	r = crd_file_read(fd, path, buf, CRD_BLOCK, off, reterr);
	if (r < 0)
		return r;
	ret->err = crd_region_hdr_in(buf, &ret->hdr);
	if (ret->err == 0)
		ret->err = crd_region_hdr_check(g, k, &ret->hdr);
	if (ret->err == -ENODATA) {
		ret->state = CRD_COPY_EMPTY;
		return 0;
	}
	if (ret->err < 0) {
		ret->state = CRD_COPY_HDR_DAMAGED;
		return 0;
	}
	r = crd_file_read(fd, path, buf, ret->hdr.payload_len, off + CRD_BLOCK, reterr);
	if (r < 0)
		return r;
	ret->state = crc32c(0, buf, ret->hdr.payload_len) == ret->hdr.payload_crc
			     ? CRD_COPY_OK
			     : CRD_COPY_PAYLOAD_BAD;
	return 0;
}

static bool hdr_newer(const struct crd_region_hdr *a, const struct crd_region_hdr *b)
{
	return a->term > b->term || (a->term == b->term && a->generation > b->generation);
}

static int inspect_regions(int fd, struct crd_inspect *ins, struct sec_err *reterr)
{
	const struct crd_geometry *g = &ins->sb.geo;
	struct crd_inspect_region reg;
	uint8_t *buf = malloc(g->region0_copy > g->unit_copy ? g->region0_copy : g->unit_copy);
	int r = 0;

	if (!buf)
		return sec_errf(reterr, -ENOMEM, "out of memory reading '%s'", ins->path);
	for (uint32_t k = 0; k < g->region_count; k++) {
		memset(&reg, 0, sizeof(reg));
		reg.region = k;
		reg.current = -1;
		for (int c = 0; c < 2; c++) {
			r = inspect_copy(fd, ins->path, g, k, c, buf, &reg.copy[c], reterr);
			if (r < 0)
				goto out;
			if (reg.copy[c].state == CRD_COPY_OK &&
			    (reg.current < 0 ||
			     hdr_newer(&reg.copy[c].hdr, &reg.copy[reg.current].hdr)))
				reg.current = c;
		}
		if (reg.copy[0].state != CRD_COPY_EMPTY || reg.copy[1].state != CRD_COPY_EMPTY)
			ins->regions[ins->n_regions++] = reg;
	}
out:
	free(buf);
	return r;
}

static int inspect_slots_lease(int fd, struct crd_inspect *ins, struct sec_err *reterr)
{
	const struct crd_geometry *g = &ins->sb.geo;
	size_t len = (size_t)g->slot_count * CRD_BLOCK;
	uint8_t *buf = malloc(len);
	int r;

	if (!buf)
		return sec_errf(reterr, -ENOMEM, "out of memory reading '%s'", ins->path);
	r = crd_file_read(fd, ins->path, buf, CRD_BLOCK, g->lease_off, reterr);
	if (r < 0)
		goto out;
	ins->lease_err = crd_lease_in(buf, &ins->lease);
	r = crd_file_read(fd, ins->path, buf, CRD_BLOCK, CRD_SETPATHS_OFF, reterr);
	if (r < 0)
		goto out;
	ins->paths_err = crd_setpaths_in(buf, &ins->paths);
	r = crd_file_read(fd, ins->path, buf, len, g->slots_off, reterr);
	if (r < 0)
		goto out;
	for (uint32_t u = 1; u <= g->slot_count; u++) {
		struct crd_inspect_slot *s = &ins->slots[ins->n_slots];

		memset(s, 0, sizeof(*s));
		s->unit_id = u;
		s->err = crd_slot_in(buf + (size_t)(u - 1) * CRD_BLOCK, &s->slot);
		if (s->err == 0 && s->slot.unit_id != u)
			s->err = -EINVAL; /* a slot in another unit's place */
		if (s->err == -ENODATA)
			continue;
		if (s->err == 0)
			s->dead_bound_ms = crd_dead_bound_ms(&s->slot.timing);
		ins->n_slots++;
	}
out:
	free(buf);
	return r;
}

/* regions: also every region copy (crd_inspect_read); without: crd_inspect_read_live. */
static int inspect_read(const char *path, bool regions, struct crd_inspect **ret,
			struct sec_err *reterr)
{
	_Alignas(8) uint8_t a[CRD_BLOCK], b[CRD_BLOCK];
	struct crd_inspect *ins = calloc(1, sizeof(*ins));
	int fd = -1, r;

	if (!ins || !(ins->path = strdup(path))) {
		r = sec_errf(reterr, -ENOMEM, "out of memory reading '%s'", path);
		goto fail;
	}
	r = crd_file_open(path, O_RDONLY, &fd, reterr);
	if (r == 0)
		r = crd_file_size(fd, path, &ins->file_size, reterr);
	if (r < 0)
		goto fail;
	r = crd_sb_read(fd, path, &ins->sb, ins->sb_err, NULL);
	ins->sb_valid = r == 0;
	if (r < 0 && r != -ENODATA && r != -EPROTO && r != -EBADMSG)
		goto fail;
	if (ins->sb_valid) {
		r = crd_file_read(fd, path, a, CRD_BLOCK, 0, reterr);
		if (r == 0)
			r = crd_file_read(fd, path, b, CRD_BLOCK, CRD_BLOCK, reterr);
		if (r < 0)
			goto fail;
		ins->sb_copies_differ = memcmp(a, b, CRD_BLOCK) != 0;
		r = inspect_slots_lease(fd, ins, reterr);
		if (r == 0 && regions)
			r = inspect_regions(fd, ins, reterr);
		if (r < 0)
			goto fail;
	}
	crd_file_close(fd);
	*ret = ins;
	return 0;
fail:
	crd_file_close(fd);
	crd_inspect_free(ins);
	return r;
}

int crd_inspect_read(const char *path, struct crd_inspect **ret, struct sec_err *reterr)
{
	return inspect_read(path, true, ret, reterr);
}

int crd_inspect_read_live(const char *path, struct crd_inspect **ret, struct sec_err *reterr)
{
	return inspect_read(path, false, ret, reterr);
}
