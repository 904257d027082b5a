/* fuzz-seeds.c — writes the seed corpus of the fuzz targets: valid blocks from the _out()
 * conversions (whole 4 KiB blocks, and their record areas cut to 256 bytes, which the
 * targets complete with a CRC, see fuzz.h) and VM ownership JSON from crd_owner_to_json().
 * Usage: fuzz-seeds DIR — creates DIR/sb, DIR/slot, DIR/lease, DIR/region_hdr and
 * DIR/owner_json, DIR/hbmsg (heartbeat datagrams under the key of fuzz_hbmsg.c), DIR/global
 * (a topology file and a region-0 document), DIR/guardmsg (one sec-guard record of each
 * type), DIR/sdf (every command line of the SDF table test, tests/unit/sdf_cases.h),
 * DIR/su_unit (an SU region payload with VMs and the lab's I/O configuration, see
 * fuzz_su_unit.c). Run by scripts/fuzz-tier.py; nothing of the corpus is committed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crd/ondisk.h"
#include "crd/owner.h"
#include "cluster/global.h"
#include "cluster/hbmsg.h"
#include "guard/guardmsg.h"
#include "su/su.h"
#include "../unit/sdf_cases.h"

static const char *dir;

static void put(const char *target, int n, const void *buf, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/seed-%d", dir, target, n);
	FILE *f = fopen(path, "we");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A whole block, and its record area cut to 256 bytes (the CRC-fixing input form). */
static void put_block(const char *target, int n, const uint8_t *block)
{
	put(target, 2 * n, block, CRD_BLOCK);
	put(target, 2 * n + 1, block, 256);
}

/* DIR/su_unit: byte 0 even = region payload, odd = I/O configuration (fuzz_su_unit.c) */
static int su_seeds(void)
{
	static const char io[] = "\001" "A000 D3490-30 disk C0 00 /lab/disks/A000.img\n"
				 "A001 D3490-30 disk C0 01 /lab/disks/A001.img # marker\n"
				 "T0 TAPE-U4 tape C1 00 /lab/tapes/T0.img\n"
				 "L0 D3435 local-disk C2 00 /lab/su1/L0.img\nC0 KVP console C3 00 -\n";
	static const char *const cmds[] = {
		"/CREATE-VM-DEFINITION VM-NAME=DEF1,MEMORY-SIZE=512,DEVICES=*PARAMETERS(UNITS=T0)",
		("/CREATE-VM VM-NAME=VM1,VM-INDEX=5,MEMORY-SIZE=256,MONJV=MON.VM1,"
		 "DEVICES=*PARAMETERS(UNITS=(A000,A001))"),
		"/START-VM VM-ID=VM1,IPL-UNIT=A000",
	};
	struct su_res res;
	struct sec_err err = {0};

	put("su_unit", 0, io, sizeof(io) - 1);
	su_res_init(&res, SU_TYPE_X86, "su1", 3);
	res.memory_mib = 4096;
	res.cpus = 2;
	if (su_iocfg_parse("io", io + 1, sizeof(io) - 2, &res.io, &err) < 0)
		return -1;
	struct su_model *m = su_model_new(&res);
	if (!m)
		return -1;
	for (size_t i = 0; i <= sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *s = su_model_to_json(m);
		if (!s)
			return -1;
		size_t n = strlen(s);
		char *b = malloc(n + 1);
		if (!b)
			return -1;
		b[0] = 0;
		memcpy(b + 1, s, n);
		put("su_unit", 1 + (int)i, b, n + 1);
		free(b);
		free(s);
		if (i == sizeof(cmds) / sizeof(cmds[0]))
			break;
		struct su_plan *p = su_cmd_plan_text(m, cmds[i], 1796014862000LL);
		if (!p || !p->ok || su_cmd_commit(m, p) < 0)
			return -1;
		su_plan_free(p);
	}
	su_model_free(m);
	return 0;
}

static crd_uuid uuid_of(int n)
{
	crd_uuid u;

	memset(&u, 0, sizeof(u));
	u.b[0] = (uint8_t)n;
	u.b[6] = 0x40; /* v4 */
	u.b[8] = 0x80;
	u.b[15] = (uint8_t)(n * 7 + 1);
	return u;
}

/* One record of each sec-guard type (fuzz_guardmsg.c). */
static int put_guardmsg(void)
{
	static struct guard_msg m;
	static uint8_t buf[GUARD_MSG_SIZE_MAX];
	static const char *const argv[] = {"qemu-system-x86_64", "-name", "VM3", NULL};

	for (int t = 1; t < GUARD_MSG_TYPE_MAX; t++) {
		memset(&m, 0, sizeof(m));
		m.type = (enum guard_msg_type)t;
		m.seq = (uint32_t)t;
		snprintf(m.spawn.key, sizeof(m.spawn.key), "VM%d", t); /* the key of every type */
		if (t == GUARD_MSG_SPAWN) {
			snprintf(m.spawn.out_path, sizeof(m.spawn.out_path), "/d/vm/3/qemu.log");
			if (guard_spawn_set_argv(&m.spawn, argv) < 0)
				return 1;
		}
		if (t == GUARD_MSG_RENEW)
			m.renew = (struct guard_renew){123456789, 2000, 500};
		put("guardmsg", t, buf, guard_msg_out(&m, buf));
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t b[CRD_BLOCK];

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	for (int i = 0; i < 3; i++) {
		struct crd_sb sb = {.version = CRD_FORMAT_VERSION, .cluster_id = uuid_of(1),
				    .disk_id = uuid_of(2 + i),
				    .role = i == 2 ? CRD_ROLE_INTERNAL : CRD_ROLE_EXTERNAL,
				    .flags = i == 1 ? CRD_SB_RETIRED : 0,
				    .created_wall_ns = 1700000000000000000ull};
		sb.set.set_id = uuid_of(9);
		sb.set.generation = 1 + (uint64_t)i;
		sb.set.count = i == 0 ? 1 : 2;
		sb.set.disks[0] = uuid_of(2);
		sb.set.disks[1] = uuid_of(3);
		if (crd_geometry_make(i ? 512ull << 20 : 1ull << 30, i ? 1ull << 20 : 0,
				      i ? 256ull << 10 : 0, &sb.geo) < 0)
			return 1;
		crd_sb_out(&sb, b);
		put_block("sb", i, b);
	}
	for (int i = 0; i < 3; i++) {
		struct crd_slot s = {.unit_id = 1 + (uint32_t)i * 100,
				     .role = i ? CRD_UNIT_SU : CRD_UNIT_MU, .identity = uuid_of(4),
				     .machine_id = uuid_of(5), .incarnation = 77, .counter = (uint64_t)i,
				     .wall_ns = 1, .state = (enum crd_slot_state)(i + 1),
				     .fencing = i ? CRD_FENCING_NONE : CRD_FENCING_SELF,
				     .timing = {200, 300, 300, 1200, 600, 2000, 500, 2000}};
		crd_slot_out(&s, b);
		put_block("slot", i, b);
	}
	for (int i = 0; i < 3; i++) {
		struct crd_lease_rec l = {.holder = 1 + (uint32_t)i, .incarnation = 5,
					  .counter = (uint64_t)i, .term = 3, .lease_ms = 1200,
					  .flags = i == 2 ? CRD_LEASE_RELEASED : 0};
		crd_lease_out(&l, b);
		put_block("lease", i, b);
	}
	for (int i = 0; i < 3; i++) {
		struct crd_region_hdr h = {.region = (uint32_t)i * 100, .owner = 1, .owner_incarnation = 9,
					   .term = 2, .generation = 10 + (uint64_t)i,
					   .payload_len = i ? 4096 : 0, .payload_crc = 0x1234};
		crd_region_hdr_out(&h, b);
		put_block("region_hdr", i, b);
	}
	static struct crd_owner_region r;
	crd_owner_init(&r, 3);
	if (su_seeds() < 0)
		return 1;
	put("owner_json", 0, "{}", 2);
	char *s = crd_owner_to_json(&r);
	if (!s)
		return 1;
	put("owner_json", 1, s, strlen(s));
	free(s);
	for (int i = 0; i < 3; i++) {
		struct crd_vmdef *d = &r.defs[r.ndefs++];
		d->vm_uuid = uuid_of(20 + i);
		snprintf(d->name, sizeof(d->name), "VM%d", i);
		d->epoch = 1 + (uint64_t)i;
		d->owner = 3;
		d->migrated_from = i == 1 ? 4 : 0;
		d->recovered_from = i == 2 ? 4 : 0;
		d->lm_id = i == 1 ? 0xabcdefull : 0;
		d->flags = (uint32_t)i & CRD_VMDEF_FLAGS_ALL;
	}
	r.tombs[r.ntombs++] = (struct crd_tombstone){.vm_uuid = uuid_of(30), .epoch = 4,
						      .recovered_from = 4};
	r.formers[r.nformers++] = (struct crd_former){.vm_uuid = uuid_of(31), .epoch = 2};
	r.lm[r.nlm++] = (struct crd_lm_rec){.kind = CRD_LM_OUTGOING, .lm_id = 0x42,
					    .vm_uuid = uuid_of(20), .peer = 4};
	r.lm[r.nlm++] = (struct crd_lm_rec){.kind = CRD_LM_ABORT, .lm_id = 0x43,
					    .vm_uuid = uuid_of(21), .peer = 4};
	s = crd_owner_to_json(&r);
	if (!s)
		return 1;
	put("owner_json", 2, s, strlen(s));
	free(s);

	struct auth_key hk; /* the key of fuzz_hbmsg.c */
	for (int i = 0; i < AUTH_KEY_BYTES; i++)
		hk.b[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 3; i++) {
		struct hb_challenge c = {.master_unit = 1 + (uint32_t)i * 100,
					 .master_incarnation = 0x1718a1892038162cull, .seq = (uint64_t)i};
		memset(c.nonce, 0x11 * (i + 1), sizeof(c.nonce));
		hb_challenge_out(&c, &hk, b);
		put("hbmsg", 2 * i, b, HB_CHALLENGE_SIZE);
		struct hb_reply rep = {.unit = 2 + (uint32_t)i, .incarnation = 77, .seq = (uint64_t)i,
				     .power = (enum hb_power)i, .system = (enum hb_system)i,
				     .crd_disks = (enum crd_unit_status)i, .proto_min = 1,
				     .proto_max = (uint16_t)(1 + i), .wall_ms = 1764460800123ull};
		memcpy(rep.nonce, c.nonce, sizeof(rep.nonce));
		snprintf(rep.sw_version, sizeof(rep.sw_version), "secluster 0.%d.0", i);
		hb_reply_out(&rep, &hk, b);
		put("hbmsg", 2 * i + 1, b, HB_REPLY_SIZE);
	}
	static const char topo[] =
		"{\"name\":\"c\",\"servers\":[{\"name\":\"se1\",\"model\":\"SE710\",\"location\":\"A\"}],"
		"\"units\":[{\"name\":\"mu1\",\"unit_id\":1,\"role\":\"MU\",\"server\":\"se1\","
		"\"api\":\"127.0.0.1:7301\",\"heartbeat\":\"[::1]:7401\"},{\"name\":\"su1\",\"unit_id\":9,"
		"\"role\":\"SU\",\"su_type\":\"390\",\"server\":\"se1\",\"api\":\"127.0.0.1:7309\","
		"\"heartbeat\":\"127.0.0.1:7409\"}]}";
	put("global", 0, topo, strlen(topo));
	struct cluster_global *g = cluster_global_new();
	if (!g || cluster_global_from_json(topo, strlen(topo), CLUSTER_GLOBAL_TOPOLOGY, g, NULL) < 0)
		return 1;
	g->cluster_id.b[0] = 0x5e;
	snprintf(g->accounts[0].name, sizeof(g->accounts[0].name), "admin");
	snprintf(g->accounts[0].password_hash, sizeof(g->accounts[0].password_hash),
		 "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
	g->accounts[0].roles = CLUSTER_ROLE_ADMINISTRATOR;
	g->n_accounts = 1;
	g->has_token_key = true;
	s = cluster_global_to_string(g, 0);
	cluster_global_free(g);
	if (!s)
		return 1;
	put("global", 1, s, strlen(s));
	free(s);
	for (size_t i = 0; i < SDF_N_CASES; i++)
		put("sdf", (int)i, sdf_cases[i].in, strlen(sdf_cases[i].in));
	return put_guardmsg();
}
