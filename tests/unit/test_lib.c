/* test_lib.c — unit tests of src/lib and the timing rules of crd.md §8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crd/timing.h"
#include "lib/clock.h"
#include "lib/addr.h"
#include <netinet/in.h>
#include "lib/crc32c.h"
#include "lib/fault.h"
#include "lib/parse.h"
#include "lib/proccpu.h"
#include <sys/wait.h>
#include <unistd.h>

static void test_crc32c_check_value(void **state)
{
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	/* incremental == one shot */
	uint32_t c = crc32c(0, "1234", 4);
	assert_int_equal(crc32c(c, "56789", 5), 0xE3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	assert_int_equal(crc32c_portable(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c_hardware(0, "123456789", 9), 0xE3069283u);
	assert_non_null(crc32c_impl_name());
}

/* The definition, one bit at a time: the oracle for both fast paths. */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return ~crc;
}

/* Both implementations against the bitwise reference: random lengths 0..100,000 at every
 * start offset modulo 8 (unaligned heads and tails), random seeds, and split updates. */
static void test_crc32c_paths_match_reference(void **state)
{
	enum { MAXLEN = 100000 };
	static unsigned char buf[MAXLEN + 16];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
	printf("# crc32c implementation: %s (hardware %s)\n", crc32c_impl_name(),
	       crc32c_hw_supported() ? "yes" : "no");
	for (int it = 0; it < 300; it++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size_t len = it < 40 ? (size_t)it : (size_t)(x % (MAXLEN + 1));
		size_t off = (size_t)it % 8 + (it % 3 == 0 ? 8 : 0);
		uint32_t seed = it % 2 ? (uint32_t)(x >> 32) : 0;
		uint32_t want = crc32c_bitwise(seed, buf + off, len);

		assert_int_equal(crc32c(seed, buf + off, len), want);
		assert_int_equal(crc32c_portable(seed, buf + off, len), want);
		assert_int_equal(crc32c_hardware(seed, buf + off, len), want);
		size_t cut = len ? (size_t)(x >> 40) % len : 0;
		assert_int_equal(crc32c(crc32c(seed, buf + off, cut), buf + off + cut, len - cut),
				 want);
		assert_int_equal(crc32c_portable(crc32c_hardware(seed, buf + off, cut),
						 buf + off + cut, len - cut), want);
	}
}

static void test_parse_u64(void **state)
{
	uint64_t v = 7;
	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(parse_u64("1x", &v), -EINVAL);
	assert_int_equal(parse_u64("", &v), -EINVAL);
	uint32_t w;
	assert_int_equal(parse_u32("4294967296", &w), -ERANGE);
	assert_int_equal(parse_u32("4294967295", &w), 0);
}

static void test_parse_size(void **state)
{
	uint64_t v;
	assert_int_equal(parse_size("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(parse_size("8M", &v), 0);
	assert_true(v == 8ull << 20);
	assert_int_equal(parse_size("8MiB", &v), 0);
	assert_true(v == 8ull << 20);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_true(v == 1ull << 30);
	assert_int_equal(parse_size("64k", &v), 0);
	assert_true(v == 64ull << 10);
	assert_int_equal(parse_size("1X", &v), -EINVAL);
	assert_int_equal(parse_size("M", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999T", &v), -ERANGE);
}

static void test_parse_duration(void **state)
{
	uint64_t v;
	assert_int_equal(parse_duration_ms("300", &v), 0);
	assert_true(v == 300);
	assert_int_equal(parse_duration_ms("250ms", &v), 0);
	assert_true(v == 250);
	assert_int_equal(parse_duration_ms("0.5s", &v), 0);
	assert_true(v == 500);
	assert_int_equal(parse_duration_ms("2s", &v), 0);
	assert_true(v == 2000);
	assert_int_equal(parse_duration_ms("1m", &v), 0);
	assert_true(v == 60000);
	assert_int_equal(parse_duration_ms("1h", &v), 0);
	assert_true(v == 3600000);
	assert_int_equal(parse_duration_ms("2 s", &v), -EINVAL);
	assert_int_equal(parse_duration_ms("-2s", &v), -EINVAL);
	assert_int_equal(parse_duration_ms("2d", &v), -EINVAL);
}

static void test_fake_clock(void **state)
{
	clock_fake_enable(1000);
	assert_true(clock_boottime_ns() == 1000);
	clock_fake_advance(500);
	assert_true(clock_monotonic_ns() == 1500);
	clock_fake_jump_wall(-1000000);
	assert_true(clock_boottime_ns() == 1500); /* a wall jump moves nothing else */
	clock_fake_disable();
	assert_true(clock_boottime_ns() > 1500);
}

static void test_fault_points(void **state)
{
	struct fault_spec s;
	char pat[256];

	assert_false(fault_check("crd.write:/x", &s));
	assert_int_equal(fault_parse_line("crd.write:* fail 28 count=2", pat, sizeof(pat), &s), 0);
	assert_string_equal(pat, "crd.write:*");
	assert_int_equal(s.action, FAULT_FAIL);
	assert_true(s.arg == 28);
	assert_int_equal(s.count, 2);
	assert_int_equal(fault_set(pat, &s), 0);
	assert_false(fault_check("crd.read:/x", NULL));
	assert_true(fault_check("crd.write:/x", &s));
	assert_true(fault_check("crd.write:/y", &s));
	assert_false(fault_check("crd.write:/x", &s)); /* two hits used up */
	assert_int_equal(fault_parse_line("x bogus", pat, sizeof(pat), &s), -EINVAL);
	assert_int_equal(fault_parse_line("x delay 12abc", pat, sizeof(pat), &s), -EINVAL);
	fault_clear_all();
}

static void test_timing_profiles_validate(void **state)
{
	for (int p = 0; p < CRD_PROFILE_MAX; p++) {
		struct crd_timing t = crd_timing_profile((enum crd_profile)p);
		assert_int_equal(crd_timing_validate(&t, NULL), 0);
	}
	/* crd.md §8 table: dead_bound test 3.4 s, lab 6.2 s, production 100 s */
	struct crd_timing t = crd_timing_profile(CRD_PROFILE_TEST);
	assert_true(crd_dead_bound_ms(&t) == 3400);
	t = crd_timing_profile(CRD_PROFILE_LAB);
	assert_true(crd_dead_bound_ms(&t) == 6200);
	t = crd_timing_profile(CRD_PROFILE_PRODUCTION);
	assert_true(crd_dead_bound_ms(&t) == 100000);
}

static void test_timing_rules(void **state)
{
	struct sec_err e;
	struct crd_timing t = crd_timing_profile(CRD_PROFILE_TEST);

	t.margin_ms = 200; /* < io 300 */
	assert_int_equal(crd_timing_validate(&t, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "margin"));
	t = crd_timing_profile(CRD_PROFILE_TEST);
	t.claim_ms = 500; /* < 2 x io */
	assert_int_equal(crd_timing_validate(&t, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "claim_delay"));
	t = crd_timing_profile(CRD_PROFILE_TEST);
	t.lease_ms = 1100; /* renew + 2 io + margin = 1100, not < */
	assert_int_equal(crd_timing_validate(&t, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "lease_timeout"));
	t = crd_timing_profile(CRD_PROFILE_TEST);
	t.fence_ms = 1599; /* 2 x (200 + 600) = 1600 */
	assert_int_equal(crd_timing_validate(&t, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "fence_timeout"));
	t = crd_timing_profile(CRD_PROFILE_TEST);
	assert_int_equal(crd_timing_set(&t, "io_timeout", "0.25s"), 0);
	assert_int_equal(t.io_ms, 250);
	assert_int_equal(crd_timing_set(&t, "nope", "1s"), -ENOENT);
	assert_int_equal(crd_timing_set(&t, "margin", "x"), -EINVAL);
	enum crd_profile p;
	assert_int_equal(crd_profile_from_string("production", &p), 0);
	assert_int_equal(p, CRD_PROFILE_PRODUCTION);
	assert_int_equal(crd_profile_from_string("prod", &p), -EINVAL);
}

static void test_addr(void **state)
{
	struct sockaddr_storage ss;
	char out[SEC_ADDR_MAX];

	assert_int_equal(sec_addr_normalise("127.0.0.1:7301", false, out, sizeof(out)), 0);
	assert_string_equal(out, "127.0.0.1:7301");
	assert_int_equal(sec_addr_normalise("[0:0::1]:65535", false, out, sizeof(out)), 0);
	assert_string_equal(out, "[::1]:65535");
	assert_int_equal(sec_addr_parse("127.0.0.1:0", true, &ss), 0);
	assert_int_equal(sec_addr_len(&ss), sizeof(struct sockaddr_in));
	const char *bad[] = {"127.0.0.1:0", "localhost:80", "127.0.0.1:65536", "127.0.0.1:070",
			     "127.0.0.1", ":80", "::1:80", "[::1]80", "[::1]:", "1.2.3.4:80 ",
			     "[127.0.0.1]:80", "1.2.3:80", "", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(sec_addr_parse(bad[i], false, &ss), -EINVAL);
	assert_int_equal(sec_addr_parse(NULL, true, &ss), -EINVAL);
	assert_int_equal(sec_addr_normalise("[::1]:1", false, out, 5), -ENOSPC);
}

/* proc_cpu_ns: a busy process's CPU time grows, every thread counts, a gone process is
 * -ESRCH, a bad pid -EINVAL (the target SU's settle step, secd/lmtgt.c). */
static void test_proc_cpu(void **state)
{
	(void)state;
	int64_t a = proc_cpu_ns(getpid()), b;
	volatile uint64_t x = 0;

	assert_true(a >= 0);
	uint64_t t0 = clock_monotonic_ns();
	while (clock_monotonic_ns() - t0 < 20 * NSEC_PER_MSEC)
		x++; /* 20 ms of CPU */
	b = proc_cpu_ns(getpid());
	assert_true(b - a >= 10 * (int64_t)NSEC_PER_MSEC);
	assert_int_equal(proc_cpu_ns(0), -EINVAL);
	assert_int_equal(proc_cpu_ns(-5), -EINVAL);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(proc_cpu_ns(child), -ESRCH); /* reaped: gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_check_value),
		cmocka_unit_test(test_crc32c_paths_match_reference),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_fake_clock),
		cmocka_unit_test(test_fault_points),
		cmocka_unit_test(test_timing_profiles_validate),
		cmocka_unit_test(test_timing_rules),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_proc_cpu),
	};
	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
