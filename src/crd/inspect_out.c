/* inspect_out.c — the JSON and the human forms of a struct crd_inspect (docs/crd-inspect.md). */
#include "crd/inspect.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

static const char *const copy_names[2] = {"A", "B"};

static void wall_to_string(uint64_t ns, char out[32])
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(out, "-");
}

static json_t *uuid_json(const crd_uuid *u)
{
	char s[37];

	crd_uuid_to_string(u, s);
	return json_string(s);
}

/* Counters, terms, generations and sizes stay far below 2^63. */
static json_t *u64_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* Incarnations are random 64-bit values: 16 hex digits, as in the human table. */
static json_t *hex64_json(uint64_t v)
{
	char s[17];

	snprintf(s, sizeof(s), "%016" PRIx64, v);
	return json_string(s);
}

static json_t *sb_json(const struct crd_inspect *ins)
{
	const struct crd_sb *sb = &ins->sb;
	const struct crd_geometry *g = &sb->geo;
	json_t *copies = json_array(), *o, *disks;
	char wall[32];

	for (int c = 0; c < 2; c++)
		json_array_append_new(copies, json_pack("{s:s, s:i, s:s}", "copy", copy_names[c],
							"offset", c * CRD_BLOCK, "state",
							crd_decode_strerror(ins->sb_err[c])));
	o = json_pack("{s:o, s:b}", "copies", copies, "valid", ins->sb_valid);
	if (!ins->sb_valid)
		return o;
	wall_to_string(sb->created_wall_ns, wall);
	json_object_set_new(o, "copies_identical", json_boolean(!ins->sb_copies_differ));
	json_object_set_new(o, "version", json_integer(sb->version));
	json_object_set_new(o, "retired", json_boolean(sb->flags & CRD_SB_RETIRED));
	json_object_set_new(o, "cluster_id", uuid_json(&sb->cluster_id));
	json_object_set_new(o, "disk_id", uuid_json(&sb->disk_id));
	json_object_set_new(o, "role", json_string(crd_role_to_string(sb->role)));
	json_object_set_new(o, "created_wall_ns", u64_json(sb->created_wall_ns));
	json_object_set_new(o, "created", json_string(wall));
	json_object_set_new(o, "geometry",
			    json_pack("{s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "disk_size",
				      u64_json(g->disk_size), "slot_count", g->slot_count,
				      "region_count", g->region_count, "lease_off",
				      u64_json(g->lease_off), "slots_off", u64_json(g->slots_off),
				      "regions_off", u64_json(g->regions_off), "region0_copy",
				      u64_json(g->region0_copy), "unit_copy",
				      u64_json(g->unit_copy)));
	disks = json_array();
	for (unsigned i = 0; i < sb->set.count; i++)
		json_array_append_new(disks, uuid_json(&sb->set.disks[i]));
	json_object_set_new(o, "disk_set",
			    json_pack("{s:o, s:o, s:i, s:o}", "set_id", uuid_json(&sb->set.set_id),
				      "generation", u64_json(sb->set.generation), "count",
				      sb->set.count, "disks", disks));
	return o;
}

static json_t *lease_json(const struct crd_inspect *ins)
{
	const struct crd_lease_rec *l = &ins->lease;

	if (ins->lease_err == -ENODATA)
		return json_pack("{s:s}", "state", "empty");
	if (ins->lease_err < 0)
		return json_pack("{s:s, s:s}", "state", "damaged", "reason",
				 crd_decode_strerror(ins->lease_err));
	return json_pack("{s:s, s:i, s:o, s:o, s:o, s:i, s:b}", "state", "ok", "holder",
			 l->holder, "incarnation", hex64_json(l->incarnation), "counter",
			 u64_json(l->counter), "term", u64_json(l->term), "lease_ms", l->lease_ms,
			 "released", (l->flags & CRD_LEASE_RELEASED) != 0);
}

static json_t *slot_json(const struct crd_inspect_slot *is)
{
	const struct crd_slot *s = &is->slot;
	const struct crd_timing *t = &s->timing;
	char wall[32];

	if (is->err < 0)
		return json_pack("{s:i, s:s, s:s}", "unit", is->unit_id, "state", "damaged",
				 "reason", crd_decode_strerror(is->err));
	wall_to_string(s->wall_ns, wall);
	return json_pack(
		"{s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i,"
		" s:i, s:i}, s:o, s:o, s:s}",
		"unit", is->unit_id, "state", "ok", "role", crd_unit_role_to_string(s->role),
		"identity", uuid_json(&s->identity), "machine_id", uuid_json(&s->machine_id),
		"incarnation", hex64_json(s->incarnation), "counter", u64_json(s->counter),
		"unit_state", crd_slot_state_to_string(s->state), "fencing",
		crd_fencing_to_string(s->fencing), "timing", "renew_ms", t->renew_ms, "io_ms",
		t->io_ms, "margin_ms", t->margin_ms, "lease_ms", t->lease_ms, "claim_ms",
		t->claim_ms, "fence_ms", t->fence_ms, "watchdog_ms", t->watchdog_ms, "stall_ms",
		t->stall_ms, "dead_bound_ms", u64_json(is->dead_bound_ms), "wall_ns",
		u64_json(s->wall_ns), "wall", wall);
}

static json_t *region_json(const struct crd_inspect *ins, const struct crd_inspect_region *r)
{
	json_t *copies = json_array();

	for (int c = 0; c < 2; c++) {
		const struct crd_inspect_copy *cp = &r->copy[c];
		const struct crd_region_hdr *h = &cp->hdr;
		json_t *o = json_pack("{s:s, s:o, s:s}", "copy", copy_names[c], "offset",
				      u64_json(crd_region_off(&ins->sb.geo, r->region, c)),
				      "state", crd_copy_state_to_string(cp->state));

		if (cp->state == CRD_COPY_HDR_DAMAGED)
			json_object_set_new(o, "reason", json_string(crd_decode_strerror(cp->err)));
		if (cp->state == CRD_COPY_OK || cp->state == CRD_COPY_PAYLOAD_BAD)
			json_object_update_new(
				o, json_pack("{s:i, s:o, s:o, s:o, s:o, s:i}", "owner", h->owner,
					     "owner_incarnation", hex64_json(h->owner_incarnation),
					     "term", u64_json(h->term), "generation",
					     u64_json(h->generation), "payload_len",
					     u64_json(h->payload_len), "payload_crc",
					     h->payload_crc));
		json_array_append_new(copies, o);
	}
	return json_pack("{s:i, s:o, s:o}", "region", r->region, "current",
			 r->current < 0 ? json_null() : json_string(copy_names[r->current]),
			 "copies", copies);
}

static json_t *paths_json(const struct crd_inspect *ins)
{
	const struct crd_setpaths *p = &ins->paths;
	json_t *disks;

	if (ins->paths_err == -ENODATA)
		return json_pack("{s:s}", "state", "empty");
	if (ins->paths_err < 0)
		return json_pack("{s:s, s:s}", "state", "damaged", "reason",
				 crd_decode_strerror(ins->paths_err));
	disks = json_array();
	for (unsigned i = 0; i < p->count; i++)
		json_array_append_new(disks, json_pack("{s:o, s:s}", "disk_id",
						       uuid_json(&p->disks[i]), "path", p->path[i]));
	return json_pack("{s:s, s:o, s:o, s:o}", "state", "ok", "set_id", uuid_json(&p->set_id),
			 "generation", u64_json(p->generation), "disks", disks);
}

json_t *crd_inspect_to_json(const struct crd_inspect *ins)
{
	json_t *o = json_pack("{s:s, s:o, s:o}", "path", ins->path, "file_size",
			      u64_json(ins->file_size), "superblock", sb_json(ins));
	json_t *slots, *regions;

	if (!o || !ins->sb_valid)
		return o;
	slots = json_array();
	for (unsigned i = 0; i < ins->n_slots; i++)
		json_array_append_new(slots, slot_json(&ins->slots[i]));
	regions = json_array();
	for (unsigned i = 0; i < ins->n_regions; i++)
		json_array_append_new(regions, region_json(ins, &ins->regions[i]));
	json_object_set_new(o, "lease", lease_json(ins));
	json_object_set_new(o, "disk_set_paths", paths_json(ins));
	json_object_set_new(o, "slots", slots);
	json_object_set_new(o, "regions", regions);
	return o;
}

/* ---- human form ---- */

#define ROW(out, label, ...)                                                                 \
	do {                                                                                 \
		fprintf(out, "  %-20s ", label);                                               \
		fprintf(out, __VA_ARGS__);                                                   \
		fputc('\n', out);                                                            \
	} while (0)

static void print_sb(const struct crd_inspect *ins, FILE *out)
{
	const struct crd_sb *sb = &ins->sb;
	const struct crd_geometry *g = &sb->geo;
	char a[37], b[37], wall[32];

	fprintf(out, "superblock\n");
	ROW(out, "copy A (offset 0)", "%s", crd_decode_strerror(ins->sb_err[0]));
	ROW(out, "copy B (offset 4096)", "%s%s", crd_decode_strerror(ins->sb_err[1]),
	    ins->sb_valid && ins->sb_copies_differ ? " (copies differ)" : "");
	if (!ins->sb_valid)
		return;
	ROW(out, "format version", "%u", sb->version);
	crd_uuid_to_string(&sb->cluster_id, a);
	ROW(out, "cluster id", "%s", a);
	crd_uuid_to_string(&sb->disk_id, a);
	ROW(out, "disk id", "%s", a);
	ROW(out, "role", "%s", crd_role_to_string(sb->role));
	ROW(out, "flags", "%s", sb->flags & CRD_SB_RETIRED ? "RETIRED" : "none");
	wall_to_string(sb->created_wall_ns, wall);
	ROW(out, "created", "%s", wall);
	fprintf(out, "geometry\n");
	ROW(out, "disk size", "%" PRIu64 " bytes (file or device: %" PRIu64 " bytes)",
	    g->disk_size, ins->file_size);
	ROW(out, "lease block", "offset %" PRIu64, g->lease_off);
	ROW(out, "slots", "%u x 4096 bytes at offset %" PRIu64, g->slot_count, g->slots_off);
	ROW(out, "regions", "%u at offset %" PRIu64, g->region_count, g->regions_off);
	ROW(out, "region 0 copy", "%" PRIu64 " bytes (A and B)", g->region0_copy);
	ROW(out, "unit region copy", "%" PRIu64 " bytes (A and B)", g->unit_copy);
	fprintf(out, "disk set\n");
	if (!sb->set.count) {
		ROW(out, "set", "none recorded");
		return;
	}
	crd_uuid_to_string(&sb->set.set_id, a);
	ROW(out, "set id", "%s", a);
	ROW(out, "generation", "%" PRIu64, sb->set.generation);
	for (unsigned i = 0; i < sb->set.count; i++) {
		crd_uuid_to_string(&sb->set.disks[i], b);
		snprintf(a, sizeof(a), "disk %u", i + 1);
		ROW(out, a, "%s%s", b,
		    crd_uuid_eq(&sb->set.disks[i], &sb->disk_id) ? " (this disk)" : "");
	}
}

/* Only when an online replace wrote the record (setpaths.h). */
static void print_paths(const struct crd_inspect *ins, FILE *out)
{
	const struct crd_setpaths *p = &ins->paths;
	char id[37], label[16];

	if (ins->paths_err == -ENODATA)
		return;
	fprintf(out, "disk set paths (offset %llu)\n", (unsigned long long)CRD_SETPATHS_OFF);
	if (ins->paths_err < 0) {
		ROW(out, "state", "damaged: %s", crd_decode_strerror(ins->paths_err));
		return;
	}
	ROW(out, "generation", "%" PRIu64, p->generation);
	for (unsigned i = 0; i < p->count; i++) {
		crd_uuid_to_string(&p->disks[i], id);
		snprintf(label, sizeof(label), "disk %u", i + 1);
		ROW(out, label, "%s %s", id, p->path[i]);
	}
}

static void print_lease(const struct crd_inspect *ins, FILE *out)
{
	const struct crd_lease_rec *l = &ins->lease;

	fprintf(out, "master lease (offset %" PRIu64 ")\n", ins->sb.geo.lease_off);
	if (ins->lease_err == -ENODATA) {
		ROW(out, "state", "empty (never held)");
		return;
	}
	if (ins->lease_err < 0) {
		ROW(out, "state", "damaged: %s", crd_decode_strerror(ins->lease_err));
		return;
	}
	ROW(out, "holder", "unit %u", l->holder);
	ROW(out, "incarnation", "%016" PRIx64, l->incarnation);
	ROW(out, "counter", "%" PRIu64 "%s", l->counter, l->counter ? "" : " (a claim)");
	ROW(out, "term", "%" PRIu64, l->term);
	ROW(out, "lease_timeout", "%u ms", l->lease_ms);
	ROW(out, "released", "%s", l->flags & CRD_LEASE_RELEASED ? "yes" : "no");
}

static void print_slots(const struct crd_inspect *ins, FILE *out)
{
	char id[37], wall[32], dead[24];

	fprintf(out, "slots (%u used)\n", ins->n_slots);
	if (!ins->n_slots)
		return;
	fprintf(out, "  %-5s %-4s %-10s %-16s %-10s %-7s %-10s %-20s %s\n", "unit", "role",
		"state", "incarnation", "counter", "fencing", "dead_bound", "wall time",
		"identity");
	for (unsigned i = 0; i < ins->n_slots; i++) {
		const struct crd_inspect_slot *is = &ins->slots[i];
		const struct crd_slot *s = &is->slot;
		const struct crd_timing *t = &s->timing;

		if (is->err < 0) {
			fprintf(out, "  %-5u damaged: %s\n", is->unit_id,
				crd_decode_strerror(is->err));
			continue;
		}
		crd_uuid_to_string(&s->identity, id);
		wall_to_string(s->wall_ns, wall);
		snprintf(dead, sizeof(dead), "%" PRIu64 " ms", is->dead_bound_ms);
		fprintf(out, "  %-5u %-4s %-10s %016" PRIx64 " %-10" PRIu64 " %-7s %-10s %-20s %s\n",
			is->unit_id, crd_unit_role_to_string(s->role),
			crd_slot_state_to_string(s->state), s->incarnation, s->counter,
			crd_fencing_to_string(s->fencing), dead, wall, id);
		fprintf(out, "        timings (ms): renew %u, io %u, margin %u, lease %u, "
			"claim %u, fence %u, W %u, stall %u\n", t->renew_ms, t->io_ms, t->margin_ms, t->lease_ms,
			t->claim_ms, t->fence_ms, t->watchdog_ms, t->stall_ms);
	}
}

static void print_regions(const struct crd_inspect *ins, FILE *out)
{
	fprintf(out, "regions (%u written)\n", ins->n_regions);
	if (!ins->n_regions)
		return;
	fprintf(out, "  %-6s %-4s %-20s %-5s %-17s %-6s %-10s %-13s %s\n", "region", "copy",
		"state", "owner", "owner incarnation", "term", "generation", "payload bytes",
		"current");
	for (unsigned i = 0; i < ins->n_regions; i++) {
		const struct crd_inspect_region *r = &ins->regions[i];

		for (int c = 0; c < 2; c++) {
			const struct crd_inspect_copy *cp = &r->copy[c];
			const struct crd_region_hdr *h = &cp->hdr;

			fprintf(out, "  %-6u %-4s %-20s", r->region, copy_names[c],
				cp->state == CRD_COPY_HDR_DAMAGED ? crd_decode_strerror(cp->err)
								  : crd_copy_state_to_string(cp->state));
			if (cp->state == CRD_COPY_OK || cp->state == CRD_COPY_PAYLOAD_BAD)
				fprintf(out, " %-5u %016" PRIx64 "  %-6" PRIu64 " %-10" PRIu64
					" %-13" PRIu64 " %s", h->owner, h->owner_incarnation,
					h->term, h->generation, h->payload_len,
					r->current == c ? "*" : "");
			fputc('\n', out);
		}
	}
}

void crd_inspect_print(const struct crd_inspect *ins, FILE *out)
{
	fprintf(out, "disk %s\n", ins->path);
	print_sb(ins, out);
	if (!ins->sb_valid)
		return;
	print_paths(ins, out);
	print_lease(ins, out);
	print_slots(ins, out);
	print_regions(ins, out);
}
