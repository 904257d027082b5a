/* test_guard.c — sec-guard's records (src/guard/guardmsg.h), its fence and watchdog
 * decision (src/guard/policy.h) and secd's client (src/guard/guardc.h) against a scripted
 * peer: round trips, the pinned byte layout, every decoder error with its own code, every
 * byte flipped, every length, field checks behind a correct CRC; the decision table of
 * crd.md §4 layers 2 and 4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "guard/guardc.h"
#include "guard/guardmsg.h"
#include "guard/policy.h"
#include "lib/clock.h"
#include "lib/crc32c.h"

static struct guard_msg m, d; /* 17 KiB each */
static uint8_t b[GUARD_MSG_SIZE_MAX + 8], b2[GUARD_MSG_SIZE_MAX];

static void recrc(uint8_t *buf, size_t size)
{
	uint32_t crc = htole32(crc32c(0, buf, size - 4));
	memcpy(buf + size - 4, &crc, 4);
}

/* One valid message of each type. */
static void sample(enum guard_msg_type t)
{
	static const char *const argv[] = {"qemu-system-x86_64", "-name", "VM3", "", NULL};

	memset(&m, 0, sizeof(m));
	m.type = t;
	m.seq = 77;
	switch (t) {
	case GUARD_MSG_HELLO:
		m.hello = (struct guard_hello){1, 4242};
		break;
	case GUARD_MSG_HELLO_REPLY:
		m.hello_reply = (struct guard_hello_reply){1, 99, 123456789012ull, 1ull << 60,
							   5555, 2000, 500, 3, 2};
		break;
	case GUARD_MSG_RENEW:
		m.renew = (struct guard_renew){987654321ull, 2000, 500};
		break;
	case GUARD_MSG_SPAWN:
		strcpy(m.spawn.key, "VM3");
		strcpy(m.spawn.out_path, "/data/vm/3/qemu.log");
		strcpy(m.spawn.cwd, "/data/vm/3");
		assert_int_equal(guard_spawn_set_argv(&m.spawn, argv), 0);
		break;
	case GUARD_MSG_KILL:
		strcpy(m.kill.key, "3");
		m.kill.signal = SIGTERM;
		break;
	case GUARD_MSG_FORGET:
		strcpy(m.forget.key, "$MON-1#@_");
		break;
	case GUARD_MSG_RESULT:
		m.result = (struct guard_result){GUARD_MSG_SPAWN, EPERM, 0, "guest 'VM3' was fenced"};
		break;
	case GUARD_MSG_CHILD:
	case GUARD_MSG_EXITED:
		m.child = (struct guard_child){"VM3", 1234, GUARD_CHILD_FENCED, 9, 11, 22};
		break;
	case GUARD_MSG_LIST_END:
		m.list_end.count = 5;
		break;
	default:
		break;
	}
}

static void test_sizes(void **state)
{
	static const size_t want[GUARD_MSG_TYPE_MAX] = {0, 28, 76, 36, 16940, 44, 20, 36, 228,
							 68, 28, 68};
	for (int t = 0; t < GUARD_MSG_TYPE_MAX; t++)
		assert_int_equal(guard_msg_size((enum guard_msg_type)t), want[t]);
	assert_int_equal(guard_msg_size(GUARD_MSG_TYPE_MAX), 0);
	assert_int_equal(GUARD_MSG_SIZE_MAX, guard_msg_size(GUARD_MSG_SPAWN));
}

static void test_round_trip(void **state)
{
	for (int t = 1; t < GUARD_MSG_TYPE_MAX; t++) {
		size_t n;
		sample((enum guard_msg_type)t);
		n = guard_msg_out(&m, b);
		assert_int_equal(n, guard_msg_size((enum guard_msg_type)t));
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(guard_msg_in(b, n, &d), t);
		assert_int_equal(d.seq, 77);
		assert_int_equal(guard_msg_out(&d, b2), n);
		assert_memory_equal(b, b2, n);
	}
	/* decoded fields, a few explicitly */
	sample(GUARD_MSG_SPAWN);
	guard_msg_in(b2, guard_msg_out(&m, b2), &d);
	assert_string_equal(d.spawn.key, "VM3");
	assert_int_equal(d.spawn.argc, 4);
	assert_string_equal(d.spawn.argv, "qemu-system-x86_64");
	assert_string_equal(d.spawn.argv + 19, "-name");
	assert_string_equal(d.spawn.cwd, "/data/vm/3");
	sample(GUARD_MSG_RENEW);
	guard_msg_in(b2, guard_msg_out(&m, b2), &d);
	assert_int_equal(d.renew.issue_ns, 987654321ull);
	assert_int_equal(d.renew.fence_timeout_ms, 2000);
	assert_int_equal(d.renew.w_ms, 500);
}

static void test_layout(void **state)
{
	sample(GUARD_MSG_RENEW);
	size_t n = guard_msg_out(&m, b);
	uint8_t want[20] = {'S', 'E', 'G', 'D', 1, 0, GUARD_MSG_RENEW, 0, 36, 0, 0, 0, 77, 0, 0, 0,
			    0xb1, 0x68, 0xde, 0x3a}; /* 987654321 = 0x3ade68b1 */
	assert_int_equal(n, 36);
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(b[24] | b[25] << 8, 2000);
	assert_int_equal(b[28] | b[29] << 8, 500);
	uint32_t crc = htole32(crc32c(0, b, 32));
	assert_memory_equal(b + 32, &crc, 4);
}

static void test_header_errors(void **state)
{
	sample(GUARD_MSG_KILL);
	size_t n = guard_msg_out(&m, b);

	assert_int_equal(guard_msg_in(b, 0, &d), -EMSGSIZE);
	assert_int_equal(guard_msg_in(b, 19, &d), -EMSGSIZE);
	b[0] ^= 1;
	assert_int_equal(guard_msg_in(b, n, &d), -EBADMSG);
	b[0] ^= 1;
	b[4] = 2;
	assert_int_equal(guard_msg_in(b, n, &d), -EPROTO);
	b[4] = 1;
	b[6] = GUARD_MSG_TYPE_MAX;
	assert_int_equal(guard_msg_in(b, n, &d), -ENOMSG);
	b[6] = 0;
	assert_int_equal(guard_msg_in(b, n, &d), -ENOMSG);
	b[6] = GUARD_MSG_KILL;
	b[8] = 45; /* length field */
	assert_int_equal(guard_msg_in(b, n, &d), -EMSGSIZE);
	b[8] = 44;
	assert_int_equal(guard_msg_in(b, n + 1, &d), -EMSGSIZE); /* buffer longer */
	b[n - 1] ^= 0x80;
	assert_int_equal(guard_msg_in(b, n, &d), -EILSEQ);
	b[n - 1] ^= 0x80;
	assert_int_equal(guard_msg_in(b, n, &d), GUARD_MSG_KILL);
	assert_string_equal(guard_msg_strerror(-EILSEQ), "CRC mismatch");
	assert_string_equal(guard_msg_type_to_string(GUARD_MSG_EXITED), "EXITED");
	assert_string_equal(guard_msg_type_to_string(99), "?");
}

/* Every length and every single-bit flip of every type is refused, *ret untouched. */
static void test_every_length_and_flip(void **state)
{
	for (int t = 1; t < GUARD_MSG_TYPE_MAX; t++) {
		sample((enum guard_msg_type)t);
		size_t n = guard_msg_out(&m, b);
		memset(&d, 0x5a, sizeof(d));
		for (size_t len = 0; len < n; len++) {
			/* an exact-size heap copy: ASan sees any read past the record */
			uint8_t *c = malloc(len ? len : 1);
			memcpy(c, b, len);
			assert_true(guard_msg_in(c, len, &d) < 0);
			free(c);
		}
		/* the SPAWN record is large: flip the bits of a stride of its bytes */
		size_t step = n > 1000 ? 37 : 1;
		for (size_t i = 0; i < n; i += step)
			for (int bit = 0; bit < 8; bit++) {
				b[i] ^= (uint8_t)(1 << bit);
				assert_true(guard_msg_in(b, n, &d) < 0);
				b[i] ^= (uint8_t)(1 << bit);
			}
		assert_int_equal(((uint8_t *)&d)[0], 0x5a);
	}
}

/* Field checks behind a correct CRC: -EINVAL. */
static void expect_field_error(size_t n)
{
	recrc(b, n);
	assert_int_equal(guard_msg_in(b, n, &d), -EINVAL);
}

static void test_field_errors(void **state)
{
	size_t n;

	sample(GUARD_MSG_KILL);
	n = guard_msg_out(&m, b);
	b[16] = 0; /* empty key */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[16] = '/'; /* a path in the key */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	memset(b + 16, 'A', 16); /* no NUL */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[20] = 'x'; /* padding after the NUL */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[32] = 65; /* signal */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[36] = 1; /* reserved */
	expect_field_error(n);

	sample(GUARD_MSG_SPAWN);
	n = guard_msg_out(&m, b);
	b[32] = 3; /* argc 3, 4 strings */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[40] = 'd'; /* out_path "data/..." relative */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[296] = 'x'; /* cwd relative */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[552 + 16000] = 'x'; /* argv padding */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[36] = 0xff; /* argv_len 255: past the strings, the last byte not the final NUL */
	expect_field_error(n);
	n = guard_msg_out(&m, b);
	b[552] = 0; /* empty argv[0] */
	b[32] = 5;
	expect_field_error(n);

	sample(GUARD_MSG_RESULT);
	n = guard_msg_out(&m, b);
	b[20] = 0xff, b[21] = 0xff, b[22] = 0xff, b[23] = 0xff; /* err -1 */
	expect_field_error(n);
	sample(GUARD_MSG_CHILD);
	n = guard_msg_out(&m, b);
	b[36] = 0x80; /* unknown flag */
	expect_field_error(n);
	sample(GUARD_MSG_LIST_END);
	n = guard_msg_out(&m, b);
	b[20] = 1;
	expect_field_error(n);
}

static void test_key_and_argv(void **state)
{
	static char big[GUARD_ARGV_BYTES];
	const char *too_big[] = {"a", big, NULL};
	const char *empty[] = {NULL};
	const char *empty0[] = {"", "x", NULL};
	struct guard_spawn *s = &m.spawn;

	assert_true(guard_key_valid("VM1"));
	assert_true(guard_key_valid("99"));
	assert_true(guard_key_valid("123456789012345"));
	assert_false(guard_key_valid("1234567890123456"));
	assert_false(guard_key_valid(""));
	assert_false(guard_key_valid(".."));
	assert_false(guard_key_valid("a/b"));
	assert_false(guard_key_valid("a b"));
	memset(big, 'x', sizeof(big) - 2);
	assert_int_equal(guard_spawn_set_argv(s, too_big), -E2BIG);
	assert_int_equal(guard_spawn_set_argv(s, empty), -EINVAL);
	assert_int_equal(guard_spawn_set_argv(s, empty0), -EINVAL);
	assert_int_equal(guard_spawn_set_argv(s, NULL), -EINVAL);
}

/* ---- the decision (crd.md §4 layers 2 and 4) ---- */

#define S NSEC_PER_SEC
static void test_policy(void **state)
{
	const uint64_t fence = 2 * S, t0 = 1000 * S;
	struct {
		bool renewed;
		uint64_t now;
		unsigned alive, unreaped;
		bool fresh, fence, pet;
	} cases[] = {
		/* no renewal yet: nothing runs, pet (the watchdog is already open) */
		{false, t0, 0, 0, false, false, true},
		/* fresh: pet, no fence, guests or not */
		{true, t0, 0, 0, true, false, true},
		{true, t0 + fence - 1, 3, 3, true, false, true},
		/* exactly fence_timeout: stale (>=) */
		{true, t0 + fence, 3, 3, false, true, false},
		{true, t0 + fence, 0, 0, false, false, true},
		/* stale, guests killed but not reaped (D state): no pet, no second fence */
		{true, t0 + 10 * S, 0, 2, false, false, false},
		/* stale, one alive one killed */
		{true, t0 + 10 * S, 1, 2, false, true, false},
		/* stale, all reaped: pet again */
		{true, t0 + 10 * S, 0, 0, false, false, true},
		/* an issue time after now counts as age 0 */
		{true, t0 - S, 1, 1, true, false, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guard_policy_in in = {cases[i].renewed, t0, fence, cases[i].alive,
					     cases[i].unreaped};
		struct guard_decision dd = guard_decide(cases[i].now, &in);
		printf("case %zu\n", i);
		assert_int_equal(dd.fresh, cases[i].fresh);
		assert_int_equal(dd.fence, cases[i].fence);
		assert_int_equal(dd.pet, cases[i].pet);
		assert_int_equal(dd.deadline_ns, cases[i].renewed ? t0 + fence : 0);
	}
}

/* ---- guardc against a scripted peer ---- */

struct seen {
	int hello, result, child, list_end, exited;
	uint32_t last_seq;
	int last_err, last_pid, exited_status;
	uint32_t exited_flags;
};

static void c_hello(void *ud, uint32_t seq, const struct guard_hello_reply *h)
{
	struct seen *s = ud;
	s->hello++;
	s->last_seq = seq;
	assert_int_equal(h->guard_pid, 99);
}

static void c_result(void *ud, uint32_t seq, const struct guard_result *r)
{
	struct seen *s = ud;
	s->result++;
	s->last_seq = seq;
	s->last_err = r->err;
	s->last_pid = r->pid;
}

static void c_child(void *ud, uint32_t seq, const struct guard_child *c)
{
	((struct seen *)ud)->child++;
}

static void c_list_end(void *ud, uint32_t seq, uint32_t count)
{
	((struct seen *)ud)->list_end++;
}

static void c_exited(void *ud, const struct guard_child *c)
{
	struct seen *s = ud;
	s->exited++;
	s->exited_status = c->status;
	s->exited_flags = c->flags;
}

static const struct guardc_ops c_ops = {c_hello, c_result, c_child, c_list_end, c_exited};

static void peer_send(int fd, enum guard_msg_type t, uint32_t seq)
{
	sample(t);
	m.seq = seq;
	size_t n = guard_msg_out(&m, b);
	assert_int_equal(send(fd, b, n, 0), (ssize_t)n);
}

static void test_guardc(void **state)
{
	char dir[] = "/tmp/test-guardc-XXXXXX", path[128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct guardc *g = NULL;
	struct seen s = {0};
	const char *argv[] = {"sleep", "1000", NULL};
	int lfd, pfd, seq;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guard.sock", dir);
	assert_int_equal(guardc_connect(path, &g), -ENOENT);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(guardc_connect(path, &g), 0);
	pfd = accept(lfd, NULL, NULL);
	assert_true(pfd >= 0);

	/* bad arguments never reach the wire */
	assert_int_equal(guardc_spawn(g, "a/b", argv, NULL, NULL), -EINVAL);
	assert_int_equal(guardc_spawn(g, "VM1", argv, "rel/out.log", NULL), -EINVAL);
	assert_int_equal(guardc_kill(g, "VM1", 65), -EINVAL);
	assert_int_equal(guardc_forget(g, ""), -EINVAL);

	/* requests: seq counts up, the peer decodes them */
	assert_int_equal(guardc_hello(g), 1);
	n = recv(pfd, b, sizeof(b), 0);
	assert_int_equal(guard_msg_in(b, (size_t)n, &d), GUARD_MSG_HELLO);
	assert_int_equal(d.hello.client_pid, (uint32_t)getpid());
	assert_int_equal(guardc_renew(g, 5, 2000, 500), 2);
	n = recv(pfd, b, sizeof(b), 0);
	assert_int_equal(guard_msg_in(b, (size_t)n, &d), GUARD_MSG_RENEW);
	assert_int_equal(d.renew.fence_timeout_ms, 2000);
	seq = guardc_spawn(g, "VM1", argv, "/tmp/x.log", NULL);
	assert_int_equal(seq, 3);
	n = recv(pfd, b, sizeof(b), 0);
	assert_int_equal(guard_msg_in(b, (size_t)n, &d), GUARD_MSG_SPAWN);
	assert_string_equal(d.spawn.argv + 6, "1000");
	assert_string_equal(d.spawn.cwd, "");

	/* answers and events reach the callbacks */
	assert_int_equal(guardc_receive(g, &c_ops, &s), 0);
	peer_send(pfd, GUARD_MSG_HELLO_REPLY, 1);
	peer_send(pfd, GUARD_MSG_RESULT, 3);
	peer_send(pfd, GUARD_MSG_CHILD, 4);
	peer_send(pfd, GUARD_MSG_LIST_END, 4);
	peer_send(pfd, GUARD_MSG_EXITED, 0);
	assert_int_equal(guardc_wait(g, 1000), 1);
	assert_int_equal(guardc_receive(g, &c_ops, &s), 5);
	assert_int_equal(s.hello, 1);
	assert_int_equal(s.result, 1);
	assert_int_equal(s.last_err, EPERM);
	assert_int_equal(s.child, 1);
	assert_int_equal(s.list_end, 1);
	assert_int_equal(s.exited, 1);
	assert_int_equal(s.exited_status, 9);
	assert_int_equal(s.exited_flags, GUARD_CHILD_FENCED);

	/* a malformed record breaks the connection */
	sample(GUARD_MSG_RESULT);
	n = (ssize_t)guard_msg_out(&m, b);
	b[10] ^= 1;
	assert_int_equal(send(pfd, b, (size_t)n, 0), n);
	assert_int_equal(guardc_receive(g, &c_ops, &s), -EMSGSIZE);
	assert_int_equal(guardc_list(g), -ENOTCONN);
	g = guardc_free(g);

	/* the guard going away shows as -ECONNRESET */
	assert_int_equal(guardc_connect(path, &g), 0);
	close(pfd);
	pfd = accept(lfd, NULL, NULL);
	close(pfd);
	assert_int_equal(guardc_wait(g, 1000), 1);
	assert_int_equal(guardc_receive(g, &c_ops, &s), -ECONNRESET);
	assert_null(guardc_free(g));
	assert_null(guardc_free(NULL));
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_every_length_and_flip),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_key_and_argv),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_guardc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
