/* test_secd_config.c — the option table of secd (src/secd/config.c): golden round trips
 * (parse -> print -> parse gives the same, and the print is stable), every error names the
 * file, the line and the key, and docs/secd-config.md is what the table generates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secd/config.h"

#define BASE                                                                                       \
	"[unit]\nname = mu1\nse_server = abg1\nrole = mu\nunit_id = 1\ndata_dir = /var/lib/secd\n" \
	"[crd]\nexternal = /crd/ext1\n"                                                            \
	"[net]\napi_listen = 127.0.0.1:7301\nheartbeat_listen = 127.0.0.1:7302\n"

/* The normalised print of BASE: every key, defaults filled, durations in ms. */
static const char golden_base[] =
	"[unit]\nname = mu1\nse_server = abg1\nrole = mu\nsu_type = none\nunit_id = 1\n"
	"data_dir = /var/lib/secd\n\n"
	"[crd]\ninternal = \nexternal = /crd/ext1\nunsafe_crd_fs = false\n\n"
	"[net]\napi_listen = 127.0.0.1:7301\nheartbeat_listen = 127.0.0.1:7302\n\n"
	"[cluster]\nkey_file = /var/lib/secd/cluster.key\n\n"
	"[timing]\nprofile = lab\nrenew_interval = 500ms\nio_timeout = 400ms\nmargin = 400ms\n"
	"lease_timeout = 2000ms\nclaim_delay = 800ms\nfence_timeout = 4000ms\nwatchdog = 1000ms\n"
	"stall_timeout = 10000ms\nhb_interval = 1000ms\nhb_misses = 3\n"
	"\n[su]\nmemory_mib = 4096\ncpus = 2\nmax_vms = 32\nmax_vm_definitions = 98\n"
	"io_config = /var/lib/secd/io.conf\naccel = auto\nqemu = qemu-system-x86_64\n"
	"lm_bandwidth_mib = 4096\nlm_converge_ms = 30000\nlm_tcg_live = false\nipl_append = none\nmighost = ipl\n"
	"guard_socket = /var/lib/secd/guard.sock\n";

static char *print_to_string(const struct secd_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	secd_config_print(c, f);
	fclose(f);
	return buf;
}

/* parse -> print -> parse: the same configuration, and the same text again. */
static void round_trip(const char *text)
{
	struct secd_config a, b;
	struct sec_err err = {0};
	char *p1, *p2;

	if (secd_config_parse_string("t.conf", text, &a, &err) < 0)
		fail_msg("%s", err.msg);
	p1 = print_to_string(&a);
	if (secd_config_parse_string("printed.conf", p1, &b, &err) < 0)
		fail_msg("the print does not parse: %s\n%s", err.msg, p1);
	assert_true(secd_config_equal(&a, &b));
	assert_memory_equal(&a.timing, &b.timing, sizeof(a.timing));
	p2 = print_to_string(&b);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
}

static void test_golden_defaults(void **state)
{
	struct secd_config c;
	struct sec_err err = {0};
	char *p;

	assert_int_equal(secd_config_parse_string("t.conf", BASE, &c, &err), 0);
	p = print_to_string(&c);
	assert_string_equal(p, golden_base);
	free(p);
	round_trip(BASE);
}

static void test_round_trip_every_key(void **state)
{
	static const char full[] =
		"; every key given\n"
		"[unit]\n  name = su7\nse_server = abg2\nrole = su\nsu_type = 390\nunit_id = 256\n"
		"data_dir = /srv/su7/\n"
		"[crd]\ninternal = /crd/su7-internal\nexternal = /crd/ext1 ,  /crd/ext2\n"
		"unsafe_crd_fs = on\n"
		"[net]\napi_listen = [::1]:8443\nheartbeat_listen = [0:0::1]:7302\n"
		"[cluster]\nkey_file = /etc/secd/key\n"
		"[timing]\nprofile = production\nrenew_interval = 1.5s\nio_timeout = 8s\n"
		"margin = 9000\nlease_timeout = 40s\nclaim_delay = 20s\nfence_timeout = 1m\n"
		"watchdog = 10s\nstall_timeout = 45s\nhb_interval = 500ms\nhb_misses = 5\n";
	struct secd_config c;
	struct sec_err err = {0};

	round_trip(full);
	assert_int_equal(secd_config_parse_string("t.conf", full, &c, &err), 0);
	assert_int_equal(c.role, SECD_ROLE_SU);
	assert_int_equal(c.su_type, SECD_SU_TYPE_390);
	assert_int_equal(c.unit_id, 256);
	assert_int_equal(c.n_external, 2);
	assert_string_equal(c.external[1], "/crd/ext2");
	assert_string_equal(c.heartbeat_listen, "[::1]:7302"); /* normalised */
	assert_true(c.unsafe_crd_fs);
	assert_int_equal(c.timing.renew_ms, 1500);
	assert_int_equal(c.timing.margin_ms, 9000);
	assert_int_equal(c.timing.fence_ms, 60000);
	assert_int_equal(c.hb_interval_ms, 500);
	/* an override wins over the profile wherever the profile key stands */
	assert_int_equal(secd_config_parse_string(
				 "t.conf", BASE "[timing]\nrenew_interval = 250ms\nprofile = test\n", &c,
				 &err), 0);
	assert_int_equal(c.timing.renew_ms, 250);
	assert_int_equal(c.timing.io_ms, 300);
	assert_int_equal(c.timing.lease_ms, 1200);
	round_trip(BASE "[timing]\nrenew_interval = 250ms\nprofile = test\n");
}

/* Each bad file and the exact message a user sees. BASE has 11 lines. */
static void test_errors_name_key_and_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{BASE "[timing]\nio_timeout = 0.3x\n",
		 "t.conf:13: key 'io_timeout': '0.3x' is not a duration"},
		{BASE "[timing]\nio_timeout = 0\n",
		 "t.conf:13: key 'io_timeout': '0' is out of range 1ms..3600000ms"},
		{BASE "[net]\nhb_port = 7\n", "t.conf:13: unknown key 'hb_port' in [net]"},
		{BASE "[nets]\napi = 1\n", "t.conf:12: unknown section '[nets]'"},
		{BASE "[unit]\nname = mu2\n", "t.conf:13: key 'name' given twice (first on line 2)"},
		{"name = x\n" BASE, "t.conf:1: key 'name' outside any section"},
		{BASE "this line has no equals sign\n",
		 "t.conf:12: syntax error: expected 'key = value' or '[section]'"},
		{"[unit]\nname = mu1\nse_server = a\nrole = mu\ndata_dir = /d\n[crd]\nexternal = /e\n"
		 "[net]\napi_listen = 127.0.0.1:1\nheartbeat_listen = 127.0.0.1:2\n",
		 "t.conf: key 'unit_id' in [unit] is missing"},
		{"[unit]\nname = mu1\nse_server = a\nrole = mu\nunit_id = 257\n",
		 "t.conf:5: key 'unit_id': '257' is out of range 1..256"},
		{"[unit]\nunit_id = one\n", "t.conf:2: key 'unit_id': 'one' is not a number"},
		{"[unit]\nrole = master\n", "t.conf:2: key 'role': 'master' is not one of mu, su"},
		{"[unit]\ndata_dir = var/lib\n",
		 "t.conf:2: key 'data_dir': 'var/lib' is not an absolute path"},
		{"[unit]\nname =\n", "t.conf:2: key 'name': must not be empty"},
		{"[crd]\nunsafe_crd_fs = maybe\n",
		 "t.conf:2: key 'unsafe_crd_fs': 'maybe' is not a boolean (true or false)"},
		{"[crd]\nexternal = /a,/b,/c\n",
		 "t.conf:2: key 'external': more than 2 paths (a disk set has 1 or 2 disks)"},
		{"[crd]\nexternal = /a, /a\n", "t.conf:2: key 'external': '/a' is given twice"},
		{"[crd]\nexternal = /a,/b,\n",
		 "t.conf:2: key 'external': an empty path in the list (a ',' too many?)"},
		{"[crd]\nexternal = ,/a\n",
		 "t.conf:2: key 'external': an empty path in the list (a ',' too many?)"},
		{"[net]\napi_listen = localhost:80\n",
		 "t.conf:2: key 'api_listen': 'localhost:80' is not an address (IPv4:port or "
		 "[IPv6]:port)"},
		{"[net]\napi_listen = 127.0.0.1:70000\n",
		 "t.conf:2: key 'api_listen': '127.0.0.1:70000' is not an address (IPv4:port or "
		 "[IPv6]:port)"},
		{BASE "[unit]\nsu_type = x86\n", "t.conf:13: key 'su_type': an MU has no SU type (none)"},
		{"[unit]\nname = su1\nse_server = a\nrole = su\nunit_id = 3\ndata_dir = /d\n"
		 "[crd]\nexternal = /e\n[net]\napi_listen = 127.0.0.1:1\n"
		 "heartbeat_listen = 127.0.0.1:2\n",
		 "t.conf: key 'su_type' in [unit] is missing: an SU is x86 or 390"},
		{BASE "[timing]\nprofile = test\nmargin = 200ms\n",
		 "t.conf:14: [timing]: margin (200 ms) must be >= io_timeout (300 ms)"},
		{BASE "[timing]\nlease_timeout = 1s\n",
		 "t.conf:13: [timing]: renew_interval + 2 x io_timeout + margin (1700 ms) must be < "
		 "lease_timeout (1000 ms)"},
		{BASE "[timing]\nprofile = fast\n",
		 "t.conf:13: key 'profile': 'fast' is not one of test, lab, production"},
		{BASE "[timing]\nhb_misses = 0\n", "t.conf:13: key 'hb_misses': '0' is out of range 1..100"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct secd_config c;
		struct sec_err err = {0};
		int r = secd_config_parse_string("t.conf", cases[i].text, &c, &err);
		if (r != -22 || strcmp(err.msg, cases[i].msg))
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, err.msg, cases[i].msg);
	}
}

static void test_long_line_and_missing_file(void **state)
{
	char text[600];
	struct secd_config c;
	struct sec_err err = {0};

	snprintf(text, sizeof(text), "[unit]\ndata_dir = /%0400d\n", 0);
	assert_int_equal(secd_config_parse_string("t.conf", text, &c, &err), -22);
	assert_string_equal(err.msg, "t.conf:2: line longer than 197 bytes");
	assert_true(secd_config_load("/nonexistent/secd.conf", &c, &err) < 0);
	assert_string_equal(err.msg,
			    "cannot open '/nonexistent/secd.conf': No such file or directory");
}

/* docs/secd-config.md is the table's own output (`secd --config-doc`). */
static void test_doc_matches_table(void **state)
{
	const char *src = getenv("SECLUSTER_SRC");
	char path[4096], *gen = NULL, *disk;
	size_t glen = 0;
	long n;
	FILE *f;

	if (!src)
		skip();
	f = open_memstream(&gen, &glen);
	secd_config_doc(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/docs/secd-config.md", src);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	disk = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(disk, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (strcmp(gen, disk))
		fail_msg("docs/secd-config.md differs from `secd --config-doc`: regenerate it");
	free(gen);
	free(disk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_defaults),
		cmocka_unit_test(test_round_trip_every_key),
		cmocka_unit_test(test_errors_name_key_and_line),
		cmocka_unit_test(test_long_line_and_missing_file),
		cmocka_unit_test(test_doc_matches_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
