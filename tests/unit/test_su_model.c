/* test_su_model.c — libsu without commands: the VM state machine (every legal and illegal
 * transition), state names, the I/O configuration file, the region JSON (round trip and
 * damaged input), the systems overview and the MONJV layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "su_fixture.h"

/* The table of vmstate.h, written out independently: every (old, new) pair is checked. */
static bool expected_legal(enum su_vm_state a, enum su_vm_state b)
{
	static const struct {
		enum su_vm_state a, b;
	} t[] = {
	    {SU_VM_DEFINED_ONLY, SU_VM_INIT_ONLY},
	    {SU_VM_DEFINED_ONLY, SU_VM_CONFLICT},
	    {SU_VM_DEFINED_ONLY, SU_VM_SETUP_MIGR},
	    {SU_VM_INIT_ONLY, SU_VM_RUNNING},
	    {SU_VM_INIT_ONLY, SU_VM_IN_HOLD},
	    {SU_VM_DOWN, SU_VM_RUNNING},
	    {SU_VM_DOWN, SU_VM_IN_HOLD},
	    {SU_VM_RUNNING, SU_VM_IN_HOLD},
	    {SU_VM_IN_HOLD, SU_VM_RUNNING},
	    {SU_VM_RUNNING, SU_VM_DOWN},
	    {SU_VM_IN_HOLD, SU_VM_DOWN},
	    {SU_VM_INIT_ONLY, SU_VM_DEFINED_ONLY},
	    {SU_VM_RUNNING, SU_VM_DEFINED_ONLY},
	    {SU_VM_IN_HOLD, SU_VM_DEFINED_ONLY},
	    {SU_VM_DOWN, SU_VM_DEFINED_ONLY},
	    {SU_VM_INIT_ONLY, SU_VM_FENCED},
	    {SU_VM_RUNNING, SU_VM_FENCED},
	    {SU_VM_IN_HOLD, SU_VM_FENCED},
	    {SU_VM_DOWN, SU_VM_FENCED},
	    {SU_VM_FENCED, SU_VM_DEFINED_ONLY},
	    {SU_VM_CONFLICT, SU_VM_DEFINED_ONLY},
	    {SU_VM_SETUP_MIGR, SU_VM_INIT_ONLY},
	    {SU_VM_SETUP_MIGR, SU_VM_RUNNING},
	    {SU_VM_SETUP_MIGR, SU_VM_DOWN},
	    {SU_VM_SETUP_MIGR, SU_VM_DEFINED_ONLY},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].a == a && t[i].b == b)
			return true;
	return false;
}

static struct su_vm *add_vm(struct fx *f, const char *name, unsigned index)
{
	struct su_vm vm;
	struct sec_err err = {0};

	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "%s", name);
	vm.index = index;
	vm.memory_mib = 256;
	vm.cpus = 1;
	snprintf(vm.pool, sizeof(vm.pool), SU_STDPOOL);
	vm.state = SU_VM_DEFINED_ONLY;
	vm.persistent = true;
	struct su_vm *n = su_model_add_vm(f->m, &vm, &err);
	assert_non_null(n);
	return n;
}

static void test_transitions_every_pair(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	struct su_vm *vm = add_vm(f, "VM1", 3);
	unsigned legal = 0;

	for (int a = SU_VM_DEFINED_ONLY; a < SU_VM_STATE_MAX; a++)
		for (int b = SU_VM_DEFINED_ONLY; b < SU_VM_STATE_MAX; b++) {
			bool exp = expected_legal((enum su_vm_state)a, (enum su_vm_state)b);
			assert_int_equal(
			    su_vm_transition_legal((enum su_vm_state)a, (enum su_vm_state)b), exp);
			vm->state = (enum su_vm_state)a;
			f->nev = 0;
			int r = su_vm_set_state(f->m, vm, (enum su_vm_state)a, (enum su_vm_state)b,
						"test");
			if (exp) {
				assert_int_equal(r, 0);
				assert_int_equal(vm->state, b);
				assert_int_equal(f->nev, 1);
				assert_string_equal(f->ev[0].component, "Sys-Mgmt");
				legal++;
			} else {
				assert_int_equal(r, -EPERM);
				assert_int_equal(vm->state, a);
				assert_int_equal(f->nev, 0);
			}
		}
	assert_int_equal(legal, 25);
	/* compare-and-set: wrong expected old state changes nothing */
	vm->state = SU_VM_RUNNING;
	f->nev = 0;
	assert_int_equal(su_vm_set_state(f->m, vm, SU_VM_INIT_ONLY, SU_VM_RUNNING, NULL), -ESTALE);
	assert_int_equal(vm->state, SU_VM_RUNNING);
	assert_int_equal(f->nev, 0);
	assert_int_equal(su_vm_set_state(f->m, vm, SU_VM_RUNNING, (enum su_vm_state)99, NULL),
			 -EINVAL);
	fx_free(f);
}

static void test_state_event_text(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	struct su_vm *vm = add_vm(f, "VM1", 3);

	vm->state = SU_VM_INIT_ONLY;
	assert_int_equal(su_vm_set_state(f->m, vm, SU_VM_INIT_ONLY, SU_VM_RUNNING, "START-VM"), 0);
	assert_string_equal(f->ev[0].msg, "VM (3,VM1) state INIT-ONLY -> RUNNING (START-VM)");
	assert_int_equal(f->ev[0].weight, CRD_WEIGHT_NOTICE);
	assert_int_equal(f->ev[0].vm_index, 3);
	assert_int_equal(su_vm_set_state(f->m, vm, SU_VM_RUNNING, SU_VM_FENCED, "guard"), 0);
	assert_int_equal(f->ev[1].weight, CRD_WEIGHT_WARNING);
	fx_free(f);
}

static void test_state_names(void **state)
{
	static const char *const v[] = {"NOT INITIALIZED", "INIT-ONLY", "RUNNING",
					"IN HOLD (WAIT)",  "DOWN",	"SETUP(MIGR)",
					"FENCED",	   "CONFLICT"};
	static const char *const s[] = {"DEFINED_ONLY", "INIT_ONLY",  "RUNNING", "IN_HOLD",
					"DOWN",		"SETUP_MIGR", "FENCED",	 "CONFLICT"};
	for (int i = SU_VM_DEFINED_ONLY; i < SU_VM_STATE_MAX; i++) {
		enum su_vm_state p;
		assert_string_equal(su_vm_state_to_string((enum su_vm_state)i), v[i - 1]);
		assert_string_equal(su_vm_state_to_sem((enum su_vm_state)i), s[i - 1]);
		assert_int_equal(su_vm_state_parse(v[i - 1], &p), 0);
		assert_int_equal(p, i);
		assert_int_equal(su_vm_state_parse(s[i - 1], &p), 0);
		assert_int_equal(p, i);
	}
	assert_string_equal(su_vm_state_to_string((enum su_vm_state)0), "?");
	assert_string_equal(su_vm_state_to_sem(SU_VM_STATE_MAX), "?");
	enum su_vm_state p;
	assert_int_equal(su_vm_state_parse("WALKING", &p), -EINVAL);
	struct su_vm vm = {.state = SU_VM_RUNNING, .rt.migr = true};
	char b[24];
	assert_string_equal(su_vm_state_show(&vm, b), "RUNNING(MIGR)");
}

/* The example that `make install` ships (dist/io.conf.example, docs/install.md) parses. */
static void test_iocfg_shipped_example(void **state)
{
	const char *src = getenv("SECLUSTER_SRC");
	char path[4096];
	struct su_iocfg io;
	struct sec_err err = {0};

	(void)state;
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/dist/io.conf.example", src);
	if (su_iocfg_load(path, &io, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(io.n, 4);
	assert_string_equal(io.dev[0].mn, "A000");
	assert_int_equal(io.dev[2].cls, SU_DEV_TAPE);
	assert_int_equal(io.dev[3].cls, SU_DEV_LOCAL_DISK);
}

static void test_iocfg_ok(void **state)
{
	struct su_iocfg io;
	struct sec_err err = {0};

	assert_int_equal(su_iocfg_parse("io.conf", fx_io, strlen(fx_io), &io, &err), 0);
	assert_int_equal(io.n, 10);
	assert_string_equal(io.dev[0].mn, "A000");
	assert_string_equal(io.dev[7].mn, "T0");
	assert_int_equal(io.dev[7].cls, SU_DEV_TAPE);
	assert_int_equal(io.dev[8].cls, SU_DEV_LOCAL_DISK);
	assert_string_equal(io.dev[8].backing, "/lab/su1/L0.img");
	assert_string_equal(io.dev[9].backing, "-");
	assert_true(su_mn_in_range("A000", "A00F", "a005"));
	assert_false(su_mn_in_range("A000", "A00F", "T0"));
	assert_false(su_mn_range_valid("A00F", "A000"));
	assert_false(su_mn_range_valid("A0", "A000"));
	assert_true(su_mn_in_range("T0", "TZ", "T5"));
}

static void test_iocfg_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} t[] = {
	    {"A000 D3490 disk C0 00\n", "io.conf:1: field 6 (backing file) is missing"},
	    {"\n# c\nA0000 D3490 disk C0 00 /x\n", "io.conf:3: field 1 (MN): 'A0000'"},
	    {"A000 D3490 dsk C0 00 /x\n", "io.conf:1: field 3 (class): 'dsk' is not one of"},
	    {"A000 D3490 disk C0 00 rel/x\n", "io.conf:1: field 6 (backing file): 'rel/x'"},
	    {"A000 D3490 disk C0 00 /x extra\n", "io.conf:1: field 7: 'extra'"},
	    {"A000 D3490 disk C0 00 /x\na000 D3490 disk C0 01 /y\n",
	     "io.conf:2: field 1 (MN): 'A000' is already defined"},
	    {"A000 D3490 disk C0 00 -\n", "io.conf:1: field 6 (backing file): '-'"},
	    {"A000 D3490-0123456789ABCDEF disk C0 00 /x\n", "io.conf:1: field 2 (device type)"},
	    {"A000 D3490 disk CONNECTOR9 00 /x\n", "io.conf:1: field 4 (host connector)"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct su_iocfg io = {.n = 77};
		struct sec_err err = {0};
		assert_int_equal(su_iocfg_parse("io.conf", t[i].text, strlen(t[i].text), &io, &err),
				 -EINVAL);
		if (!strstr(err.msg, t[i].err))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, t[i].err);
		assert_int_equal(io.n, 77); /* untouched */
	}
	struct su_iocfg io;
	struct sec_err err = {0};
	assert_int_equal(su_iocfg_parse("io.conf", "A000 D disk C0 00 /x\0", 21, &io, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(su_iocfg_load("/nonexistent/io.conf", &io, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/io.conf"));
}

static void test_json_round_trip(void **state)
{
	struct fx *f = fx_new(SU_TYPE_390);
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=DEF1,VM-INDEX=7,MEMORY-SIZE=512,"
		 "DEVICES=*PARAMETERS(UNITS=(A000,T0),USAGE=*EXCLUSIVE)");
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=1(DIMENSION=*GIGABYTE),"
		 "VM-GROUP-NAME=GRP1,DEVICES=*PARAMETERS(UNITS=(A001,"
		 "*DEVICE-RANGE(FROM=A002,TO=A003,USAGE=*SHARED))),MONJV=MON.VM1");
	fx_ok(f, "/START-VM VM-ID=VM1,IPL-UNIT=A001");
	struct su_vm *d = su_model_vm_by_name(f->m, "DEF1");
	assert_int_equal(crd_owner_delete(&f->m->own, &d->vm_uuid), 0); /* leaves nothing */
	assert_int_equal(su_model_sync_owner(f->m), 1);			/* DEF1 dropped */
	assert_null(su_model_vm_by_name(f->m, "DEF1"));

	char *s = su_model_to_json(f->m);
	assert_non_null(s);
	struct sec_err err = {0};
	struct su_model *m2 = su_model_from_json(s, strlen(s), &err);
	if (!m2)
		fail_msg("%s", err.msg);
	char *s2 = su_model_to_json(m2);
	assert_string_equal(s, s2);
	struct su_vm *vm = su_model_vm_by_name(m2, "VM1");
	assert_non_null(vm);
	assert_int_equal(vm->state, SU_VM_RUNNING);
	assert_int_equal(vm->memory_mib, 1024);
	assert_int_equal(vm->rt.qemu_pid, 1002);
	assert_string_equal(vm->rt.monjv, "MON.VM1");
	assert_string_equal(vm->group, "GRP1");
	assert_int_equal(vm->ndevs, 3);
	assert_int_equal(vm->devs[0].usage, SU_USAGE_EXCLUSIVE);
	assert_int_equal(vm->devs[2].usage, SU_USAGE_SHARED);
	assert_string_equal(vm->ipl_unit, "A001");
	assert_int_equal(m2->res.type, SU_TYPE_390);
	assert_int_equal(m2->res.io.n, 10);
	free(s);
	free(s2);
	su_model_free(m2);
	fx_free(f);
}

/* Every damaged or foreign payload gives a clear error naming the field, never a crash. */
static void test_json_damaged(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=A000)");
	char *s = su_model_to_json(f->m);
	static const struct {
		const char *path, *value, *err;
	} t[] = {
	    {"/kind", "\"something-else\"", "'kind' must be \"secluster-su\""},
	    {"/format", "2", "'format' 2 is newer"},
	    {"/format", "\"1\"", "'format' must be an integer"},
	    {"/su/type", "\"s390\"", "'su.type'"},
	    {"/su/memory_mib", "-1", "'su.memory_mib'"},
	    {"/su/pools", "[]", "'su.pools'"},
	    {"/io/0/mn", "\"A00000\"", "'io[0].mn'"},
	    {"/io/1/class", "\"floppy\"", "'io[1].class'"},
	    {"/vms/0/index", "1", "'vms[0].index' must be an integer 2..99"},
	    {"/vms/0/name", "\"TOOLONGNAME\"", "'vms[0].name'"},
	    {"/vms/0/state", "\"WALKING\"", "'vms[0].state'"},
	    {"/vms/0/vm_uuid", "\"not-a-uuid-------------------------x\"", "'vms[0].vm_uuid'"},
	    {"/vms/0/devices/0/usage", "\"MOSTLY\"", "'vms[0].devices[0].usage'"},
	    {"/vms/0/runtime/qemu_pid", "\"x\"", "'vms[0].runtime.qemu_pid'"},
	    {"/vms/0/runtime", "null", "'vms[0].runtime' must be an object"},
	    {"/ownership/vms", "[]", "'vms[0].vm_uuid' is missing from 'ownership.vms'"},
	    {"/ownership", "7", "'ownership' must be an object"},
	    {"/vms", "{}", "'vms' must be an array"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *root = json_loads(s, 0, NULL);
		char path[64];
		snprintf(path, sizeof(path), "%s", t[i].path);
		/* walk to the parent and replace the last key */
		char *last = strrchr(path, '/');
		*last = '\0';
		json_t *parent = root;
		for (char *tok = strtok(path + 1, "/"); tok && *path; tok = strtok(NULL, "/"))
			parent = json_is_array(parent) ? json_array_get(parent, (size_t)atoi(tok))
						       : json_object_get(parent, tok);
		assert_non_null(parent);
		json_t *v = json_loads(t[i].value, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		if (json_is_array(parent))
			json_array_set_new(parent, (size_t)atoi(last + 1), v);
		else
			json_object_set_new(parent, last + 1, v);
		char *bad = json_dumps(root, 0);
		struct sec_err err = {0};
		struct su_model *m = su_model_from_json(bad, strlen(bad), &err);
		if (m || !strstr(err.msg, t[i].err))
			fail_msg("case %zu (%s): got '%s', want '%s'", i, t[i].path, err.msg,
				 t[i].err);
		assert_int_equal(err.code, -EINVAL);
		free(bad);
		json_decref(root);
	}
	/* truncated at every length: never a crash, always an error */
	size_t len = strlen(s);
	for (size_t n = 0; n < len; n += 7) {
		struct sec_err err = {0};
		struct su_model *m = su_model_from_json(s, n, &err);
		assert_null(m);
		assert_true(err.msg[0] != '\0');
	}
	struct sec_err err = {0};
	assert_null(su_model_from_json("\xff\xfe garbage", 11, &err));
	assert_non_null(strstr(err.msg, "not JSON"));
	free(s);
	fx_free(f);
}

static void test_systems_json(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM2,VM-INDEX=5,MEMORY-SIZE=256");
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=VM1,VM-INDEX=3,MEMORY-SIZE=256");
	char *s = su_systems_json(f->m);
	json_t *o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "su")), "su1");
	json_t *a = json_object_get(o, "systems");
	assert_int_equal(json_array_size(a), 3);
	json_t *mon = json_array_get(a, 0), *v1 = json_array_get(a, 1), *v2 = json_array_get(a, 2);
	assert_string_equal(json_string_value(json_object_get(mon, "name")), "MONITOR");
	assert_int_equal(json_integer_value(json_object_get(mon, "vm_index")), 1);
	assert_string_equal(json_string_value(json_object_get(mon, "os")), "VM2000");
	assert_string_equal(json_string_value(json_object_get(v1, "name")), "VM1");
	assert_string_equal(json_string_value(json_object_get(v1, "status")), "DEFINED_ONLY");
	assert_string_equal(json_string_value(json_object_get(v2, "status")), "INIT_ONLY");
	assert_string_equal(json_string_value(json_object_get(v2, "state")), "INIT-ONLY");
	assert_string_equal(json_string_value(json_object_get(v2, "server")), "srv1");
	assert_string_equal(json_string_value(json_object_get(v2, "unit")), "su1");
	assert_string_equal(json_string_value(json_object_get(mon, "host_name")), "su1");
	assert_string_equal(json_string_value(json_object_get(v2, "host_name")), "");
	assert_string_equal(json_string_value(json_object_get(v2, "type")), "VM");
	json_decref(o);
	free(s);
	fx_free(f);
}

static void test_monjv_layout(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,VM-INDEX=4,MEMORY-SIZE=256,MONJV=MON.VM1");
	char jv[SU_MONJV_LEN];
	const struct su_vm *vm = su_model_vm_by_name(f->m, "VM1");
	su_monjv_build(f->m, vm, jv);
	assert_memory_equal(jv, "$I 0    SU1     V001", 20);
	assert_memory_equal(jv + 20, "2026-11-30", 10); /* 1796014862000 ms */
	assert_memory_equal(jv + 70, "VM1     004NONE ", 16);
	assert_int_equal(jv[255], ' ');
	fx_free(f);
}

static void test_free_index_and_limits(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	assert_int_equal(su_model_free_index(f->m), 2);
	add_vm(f, "A", 2);
	add_vm(f, "B", 4);
	assert_int_equal(su_model_free_index(f->m), 3);
	struct su_vm vm = {.index = 3};
	struct sec_err err = {0};
	snprintf(vm.name, sizeof(vm.name), "MONITOR");
	assert_null(su_model_add_vm(f->m, &vm, &err));
	assert_int_equal(err.code, -EEXIST);
	snprintf(vm.name, sizeof(vm.name), "C");
	vm.index = 4;
	assert_null(su_model_add_vm(f->m, &vm, &err));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transitions_every_pair),
	    cmocka_unit_test(test_state_event_text),
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_iocfg_ok),
	    cmocka_unit_test(test_iocfg_errors),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_json_damaged),
	    cmocka_unit_test(test_systems_json),
	    cmocka_unit_test(test_monjv_layout),
	    cmocka_unit_test(test_free_index_and_limits),
	    cmocka_unit_test(test_iocfg_shipped_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
