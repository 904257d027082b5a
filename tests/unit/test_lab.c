/* test_lab.c — the pure parts of `sectl lab` (src/sectl/lab.h): the plan (names, unit ids,
 * servers, ports, addresses), the secd.conf it writes (checked by secd's own parser), the
 * lab.json round trip, the generated password and the log tail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "secd/config.h"
#include "sectl/lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

static struct lab *plan(int servers, int mus, int sus, const char *dir)
{
	struct lab_opts o = {.dir = dir, .servers = servers, .mus_per_server = mus,
			     .sus_per_server = sus, .profile = CRD_PROFILE_TEST};
	struct lab *lab = lab_new();
	struct sec_err err = {0};

	assert_non_null(lab);
	if (lab_plan(lab, &o, &err) < 0)
		fail_msg("lab_plan: %s", err.msg);
	return lab;
}

static void test_plan_names_ids_servers(void **state)
{
	struct lab *lab = plan(2, 2, 1, "/tmp/lab");
	static const struct {
		const char *name;
		bool mu;
		int server;
		uint32_t id;
	} want[] = {{"mu1", true, 1, 1},   {"mu2", true, 1, 2},   {"mu3", true, 2, 3},
		    {"mu4", true, 2, 4},   {"su1", false, 1, 17}, {"su2", false, 2, 18}};
	char buf[64];

	assert_int_equal(lab->n_units, 6);
	for (int i = 0; i < 6; i++) {
		const struct lab_unit *u = &lab->units[i];
		assert_string_equal(u->name, want[i].name);
		assert_int_equal(u->mu, want[i].mu);
		assert_int_equal(u->server, want[i].server);
		assert_int_equal(u->unit_id, want[i].id);
		snprintf(buf, sizeof(buf), "127.0.0.1:%u", lab->base_port + want[i].id);
		assert_string_equal(u->api, buf);
		snprintf(buf, sizeof(buf), "127.0.0.1:%u", lab->base_port + 100 + want[i].id);
		assert_string_equal(u->heartbeat, buf);
		snprintf(buf, sizeof(buf), "/tmp/lab/units/%s/secd.conf", want[i].name);
		assert_string_equal(u->config, buf);
	}
	/* a free range of 20000 + 300 k */
	assert_true(lab->base_port >= 20000 && (lab->base_port - 20000) % 300 == 0);
	assert_true(lab->base_port + 300 <= 65536);
	lab_free(lab);
}

static void test_plan_many_mus_move_su_ids(void **state)
{
	struct lab *lab = plan(8, 4, 2, "/tmp/lab");

	assert_int_equal(lab->n_units, 48);
	assert_int_equal(lab->units[31].unit_id, 32); /* mu32 */
	assert_string_equal(lab->units[32].name, "su1");
	assert_int_equal(lab->units[32].unit_id, 33); /* not 17: mu17 has it */
	assert_int_equal(lab->units[47].unit_id, 48);
	assert_int_equal(lab->units[47].server, 8);
	lab_free(lab);
}

/* add-server: the next names, the next free ids of each kind (never one of lab.json), the
 * new server's number, its addresses in the lab's port range. */
/* The lab's ports lie outside the kernel's ephemeral range, where an outgoing connection or
 * a QEMU migration port could take one before `add-server` needs it (a make check run
 * failed with "api_listen ...: Address already in use" that way). */
static void test_plan_ports_not_ephemeral(void **state)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f) {
		assert_int_equal(fscanf(f, "%u %u", &lo, &hi), 2);
		fclose(f);
	}
	for (int i = 0; i < 20; i++) { /* ranges are picked at random */
		struct lab *lab = plan(2, 2, 1, "/tmp/lab");
		assert_true(lab->base_port + LAB_PORT_SPAN <= lo || lab->base_port > hi);
		lab_free(lab);
	}
}

static void test_plan_add_server(void **state)
{
	struct lab *lab = plan(2, 2, 1, "/tmp/lab");
	struct sec_err err = {0};
	int first = lab->n_units;

	assert_int_equal(lab_plan_add_server(lab, 2, 1, &err), 0);
	assert_int_equal(lab->n_servers, 3);
	assert_int_equal(lab->n_units, first + 3);
	assert_string_equal(lab->units[first].name, "mu5");
	assert_int_equal(lab->units[first].unit_id, 5);
	assert_true(lab->units[first].mu);
	assert_int_equal(lab->units[first].server, 3);
	assert_string_equal(lab->units[first + 1].name, "mu6");
	assert_int_equal(lab->units[first + 1].unit_id, 6);
	assert_string_equal(lab->units[first + 2].name, "su3");
	assert_int_equal(lab->units[first + 2].unit_id, 19); /* 17, 18 are su1, su2 */
	assert_false(lab->units[first + 2].mu);
	assert_int_equal(lab->units[first + 2].server, 3);
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%u", lab->base_port + 19);
	assert_string_equal(lab->units[first + 2].api, want);
	assert_string_equal(lab->units[first + 2].config, "/tmp/lab/units/su3/secd.conf");
	/* refusals: no unit, too many, a netns lab */
	assert_int_equal(lab_plan_add_server(lab, 0, 0, &err), -EINVAL);
	lab->netns.on = true;
	assert_int_equal(lab_plan_add_server(lab, 1, 0, &err), -EOPNOTSUPP);
	lab->netns.on = false;
	lab->n_servers = LAB_SERVERS_MAX;
	assert_int_equal(lab_plan_add_server(lab, 1, 0, &err), -E2BIG);
	assert_string_equal(err.msg, "the lab has 8 SE Servers already (at most 8)");
	lab_free(lab);
}

static void test_plan_refusals(void **state)
{
	struct lab *lab = lab_new();
	struct sec_err err = {0};
	struct lab_opts o = {.dir = "/tmp/lab", .servers = 9, .mus_per_server = 1};

	assert_int_equal(lab_plan(lab, &o, &err), -EINVAL);
	assert_string_equal(err.msg, "--servers 9 is out of range 1..8");
	o.servers = 1;
	o.dir = "relative";
	assert_int_equal(lab_plan(lab, &o, &err), -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "'relative': needs an absolute path"));
	lab_free(lab);
}

/* The given range is used when free; a port of it in use is named. */
static void test_plan_given_port_in_use(void **state)
{
	struct lab *lab = plan(1, 1, 0, "/tmp/lab");
	struct lab_opts o = {.dir = "/tmp/lab", .servers = 1, .mus_per_server = 1,
			     .base_port = lab->base_port};
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sec_err err = {0};
	char want[128];
	unsigned busy = 0;
	int fd;

	assert_true(lab_ports_free(lab, lab->base_port, &busy));
	assert_int_equal(lab_plan(lab, &o, &err), 0);
	assert_int_equal(lab->base_port, o.base_port);
	/* someone listens on the heartbeat port of unit 1 */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a.sin_port = htons((uint16_t)(o.base_port + 101));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(lab_plan(lab, &o, &err), -EADDRINUSE);
	snprintf(want, sizeof(want), "--base-port %u: port %u is in use on 127.0.0.1",
		 o.base_port, o.base_port + 101);
	assert_string_equal(err.msg, want);
	o.base_port = 0; /* picks another range */
	assert_int_equal(lab_plan(lab, &o, &err), 0);
	assert_int_not_equal(lab->base_port + 101, ntohs(a.sin_port));
	close(fd);
	o.base_port = 65500;
	assert_int_equal(lab_plan(lab, &o, &err), -EINVAL);
	lab_free(lab);
}

static void test_config_passes_secd_parser(void **state)
{
	struct lab *lab = plan(2, 1, 1, "/tmp/lab");
	struct secd_config c;
	struct sec_err err = {0};
	char text[8192];

	for (int i = 0; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		assert_int_equal(lab_unit_config(lab, u, text, sizeof(text)), 0);
		if (secd_config_parse_string(u->config, text, &c, &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(c.name, u->name);
		assert_int_equal(c.role, u->mu ? SECD_ROLE_MU : SECD_ROLE_SU);
		assert_int_equal(c.su_type, u->mu ? SECD_SU_TYPE_NONE : SECD_SU_TYPE_X86);
		assert_int_equal(c.unit_id, u->unit_id);
		assert_true(c.unsafe_crd_fs);
		assert_int_equal(c.n_external, 2);
		assert_string_equal(c.external[0], "/tmp/lab/crd/ext1");
		assert_string_equal(c.external[1], "/tmp/lab/crd/ext2");
		assert_string_equal(c.key_file, "/tmp/lab/cluster.key");
		assert_string_equal(c.api_listen, u->api);
		assert_string_equal(c.heartbeat_listen, u->heartbeat);
		assert_int_equal(c.profile, CRD_PROFILE_TEST);
	}
	assert_int_equal(lab_unit_config(lab, &lab->units[0], text, 100), -ENOSPC);
	lab_free(lab);
}

static void test_state_round_trip(void **state)
{
	char dir[] = "/tmp/test_lab.XXXXXX", path[LAB_PATH_MAX];
	struct lab *lab, *back = lab_new();
	struct sec_err err = {0};

	assert_non_null(mkdtemp(dir));
	lab = plan(2, 2, 1, dir);
	for (int i = 0; i < lab->n_units; i++)
		lab->units[i].pid = 1000 + i;
	assert_int_equal(lab_state_write(lab, &err), 0);
	assert_int_equal(lab_state_read(dir, back, &err), 0);
	assert_string_equal(back->dir, lab->dir);
	assert_int_equal(back->profile, CRD_PROFILE_TEST);
	assert_int_equal(back->base_port, lab->base_port);
	assert_int_equal(back->n_servers, 2);
	assert_int_equal(back->n_units, lab->n_units);
	assert_false(back->netns.on);
	for (int i = 0; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i], *b = &back->units[i];
		assert_string_equal(b->name, u->name);
		assert_int_equal(b->mu, u->mu);
		assert_int_equal(b->server, u->server);
		assert_int_equal(b->unit_id, u->unit_id);
		assert_int_equal(b->pid, u->pid);
		assert_string_equal(b->api, u->api);
		assert_string_equal(b->heartbeat, u->heartbeat);
		assert_string_equal(b->config, u->config);
		assert_string_equal(b->log, u->log);
	}
	/* a damaged lab.json is named, never a crash */
	FILE *f = fopen(lab_path(lab, "lab.json", path), "w");
	fputs("{\"profile\": \"lab\", \"base_port\": 20000, \"servers\": [\"server1\"], "
	      "\"units\": [{\"name\": \"mu1\"}]}", f);
	fclose(f);
	assert_int_equal(lab_state_read(dir, back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "units[0].role is missing"));
	unlink(path);
	assert_int_equal(lab_state_read(dir, back, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no lab in"));
	rmdir(dir);
	lab_free(lab);
	lab_free(back);
}

static void test_password(void **state)
{
	char a[LAB_PASSWORD_LEN + 1], b[LAB_PASSWORD_LEN + 1];

	assert_int_equal(lab_password_generate(a), 0);
	assert_int_equal(lab_password_generate(b), 0);
	assert_int_equal(strlen(a), 16);
	assert_string_not_equal(a, b);
	for (int k = 0; k < 200; k++) {
		assert_int_equal(lab_password_generate(a), 0);
		assert_null(strpbrk(a, "0O1lIo"));
		for (int i = 0; i < LAB_PASSWORD_LEN; i++)
			assert_true((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
				    (a[i] >= '2' && a[i] <= '9'));
	}
}

static void test_print_tail(void **state)
{
	char path[] = "/tmp/test_lab_log.XXXXXX", *out = NULL;
	size_t len = 0;
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	dprintf(fd, "one\ntwo\nthree\nfour\n");
	close(fd);
	f = open_memstream(&out, &len);
	lab_print_tail(path, 2, f);
	lab_print_tail(path, 10, f);
	fclose(f);
	assert_string_equal(out, "  three\n  four\n  one\n  two\n  three\n  four\n");
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_names_ids_servers),
		cmocka_unit_test(test_plan_many_mus_move_su_ids),
		cmocka_unit_test(test_plan_ports_not_ephemeral),
		cmocka_unit_test(test_plan_add_server),
		cmocka_unit_test(test_plan_refusals),
		cmocka_unit_test(test_plan_given_port_in_use),
		cmocka_unit_test(test_config_passes_secd_parser),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_print_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
