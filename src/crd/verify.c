/* verify.c — `sectl crd verify` (see inspect.h): every block of each disk, then the disks
 * together (one cluster, one disk set, the newest set generation; crd.md §1). */
#include "crd/inspect.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

__attribute__((format(printf, 4, 5))) static void problem(FILE *out, const char *path,
							   uint64_t off, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s: block %" PRIu64 " (offset %" PRIu64 "): ", path, off / CRD_BLOCK, off);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static int verify_sb(const struct crd_inspect *ins, FILE *out)
{
	static const char names[2] = {'A', 'B'};
	int n = 0;

	if (ins->sb_err[0] == -ENODATA && ins->sb_err[1] == -ENODATA) {
		problem(out, ins->path, 0, "no superblock (not a CRD disk)");
		return 1;
	}
	for (int c = 0; c < 2; c++)
		if (ins->sb_err[c] < 0) {
			problem(out, ins->path, (uint64_t)c * CRD_BLOCK, "superblock copy %c: %s",
				names[c], crd_decode_strerror(ins->sb_err[c]));
			n++;
		}
	if (!ins->sb_valid)
		return n;
	if (ins->sb_err[0] == 0 && ins->sb_err[1] == 0 && ins->sb_copies_differ) {
		problem(out, ins->path, CRD_BLOCK, "superblock copy B differs from copy A");
		n++;
	}
	if (ins->sb.flags & CRD_SB_RETIRED) {
		problem(out, ins->path, 0, "disk is RETIRED (replaced); it must not be used");
		n++;
	}
	if (ins->file_size < ins->sb.geo.disk_size) {
		problem(out, ins->path, ins->file_size, "disk is smaller (%" PRIu64 " bytes) than "
			"its recorded size (%" PRIu64 " bytes)", ins->file_size,
			ins->sb.geo.disk_size);
		n++;
	}
	return n;
}

static int verify_blocks(const struct crd_inspect *ins, FILE *out)
{
	const struct crd_geometry *g = &ins->sb.geo;
	int n = 0;

	if (ins->lease_err < 0 && ins->lease_err != -ENODATA) {
		problem(out, ins->path, g->lease_off, "master lease block: %s",
			crd_decode_strerror(ins->lease_err));
		n++;
	}
	for (unsigned i = 0; i < ins->n_slots; i++)
		if (ins->slots[i].err < 0) {
			problem(out, ins->path, crd_slot_off(g, ins->slots[i].unit_id),
				"slot of unit %u: %s", ins->slots[i].unit_id,
				crd_decode_strerror(ins->slots[i].err));
			n++;
		}
	for (unsigned i = 0; i < ins->n_regions; i++) {
		const struct crd_inspect_region *r = &ins->regions[i];

		for (int c = 0; c < 2; c++) {
			const struct crd_inspect_copy *cp = &r->copy[c];
			uint64_t off = crd_region_off(g, r->region, c);

			if (cp->state == CRD_COPY_HDR_DAMAGED)
				problem(out, ins->path, off, "region %u copy %c: header %s",
					r->region, "AB"[c], crd_decode_strerror(cp->err));
			else if (cp->state == CRD_COPY_PAYLOAD_BAD)
				problem(out, ins->path, off + CRD_BLOCK,
					"region %u copy %c: payload CRC mismatch (%" PRIu64
					" bytes)", r->region, "AB"[c], cp->hdr.payload_len);
			else
				continue;
			n++;
		}
	}
	return n;
}

static bool set_has(const struct crd_disk_set *s, const crd_uuid *id)
{
	for (unsigned i = 0; i < s->count; i++)
		if (crd_uuid_eq(&s->disks[i], id))
			return true;
	return false;
}

/* The disks together: ins[] holds only disks with a valid superblock. */
static int verify_together(struct crd_inspect **ins, unsigned n, FILE *out)
{
	const struct crd_inspect *newest = NULL;
	char a[37], b[37];
	int bad = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct crd_sb *sb = &ins[i]->sb;

		if (!crd_uuid_eq(&sb->cluster_id, &ins[0]->sb.cluster_id)) {
			crd_uuid_to_string(&sb->cluster_id, a);
			crd_uuid_to_string(&ins[0]->sb.cluster_id, b);
			problem(out, ins[i]->path, 0, "belongs to cluster %s, '%s' to cluster %s",
				a, ins[0]->path, b);
			bad++;
		}
		for (unsigned j = 0; j < i; j++)
			if (crd_uuid_eq(&sb->disk_id, &ins[j]->sb.disk_id)) {
				problem(out, ins[i]->path, 0, "has the same disk id as '%s' (a "
					"copy of it?)", ins[j]->path);
				bad++;
			}
		if (sb->set.count && (!newest || sb->set.generation > newest->sb.set.generation))
			newest = ins[i];
	}
	if (!newest)
		return bad;
	for (unsigned i = 0; i < n; i++) {
		const struct crd_sb *sb = &ins[i]->sb;

		if (!sb->set.count)
			continue;
		if (!crd_uuid_eq(&sb->set.set_id, &newest->sb.set.set_id)) {
			crd_uuid_to_string(&sb->set.set_id, a);
			crd_uuid_to_string(&newest->sb.set.set_id, b);
			problem(out, ins[i]->path, 0, "disk set %s differs from set %s of '%s'", a,
				b, newest->path);
			bad++;
		} else if (sb->set.generation < newest->sb.set.generation) {
			problem(out, ins[i]->path, 0, "disk set generation %" PRIu64 " is older "
				"than generation %" PRIu64 " on '%s'", sb->set.generation,
				newest->sb.set.generation, newest->path);
			bad++;
		}
		if (sb->role == CRD_ROLE_EXTERNAL && !(sb->flags & CRD_SB_RETIRED) &&
		    !set_has(&newest->sb.set, &sb->disk_id)) {
			problem(out, ins[i]->path, 0, "disk is not in the newest disk set "
				"(generation %" PRIu64 " on '%s')", newest->sb.set.generation,
				newest->path);
			bad++;
		}
	}
	return bad;
}

int crd_verify(const char *const *paths, unsigned n_paths, FILE *out)
{
	struct crd_inspect **ins = calloc(n_paths ? n_paths : 1, sizeof(*ins));
	struct sec_err err;
	unsigned n_valid = 0;
	int bad = 0;

	if (!ins) {
		fprintf(out, "out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < n_paths; i++) {
		struct crd_inspect *one;

		if (crd_inspect_read(paths[i], &one, &err) < 0) {
			fprintf(out, "%s\n", err.msg);
			bad++;
			continue;
		}
		bad += verify_sb(one, out);
		if (!one->sb_valid) {
			crd_inspect_free(one);
			continue;
		}
		bad += verify_blocks(one, out);
		ins[n_valid++] = one;
	}
	bad += verify_together(ins, n_valid, out);
	for (unsigned i = 0; i < n_valid; i++)
		crd_inspect_free(ins[i]);
	free(ins);
	return bad;
}
