/* test_unitmsg.c — authenticated unit-to-unit calls (src/auth/unitmsg.h): replay,
 * reordering, tampering, wrong key, another receiver, restarted senders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/key.h"
#include "auth/unitmsg.h"

#define INC1 0x1718a1892038162cull
#define INC2 0xdbaf46b5e94912a1ull

static struct auth_key key, other_key;

struct call {
	const char *method, *path, *body;
	char hu[AUTH_UNITMSG_UNIT_HDR_MAX], ha[AUTH_UNITMSG_AUTH_HDR_MAX];
};

static int setup(void **state)
{
	assert_int_equal(auth_init(), 0);
	assert_int_equal(auth_key_generate(&key), 0);
	assert_int_equal(auth_key_generate(&other_key), 0);
	return 0;
}

static void sign(struct auth_unitmsg_sender *s, uint32_t to, struct call *c, const char *method,
		 const char *path, const char *body)
{
	c->method = method;
	c->path = path;
	c->body = body;
	assert_int_equal(auth_unitmsg_sign(s, &key, to, method, path, body, body ? strlen(body) : 0,
					   c->hu, c->ha), 0);
}

static int accept_call(struct auth_unitmsg_peers *t, const struct call *c, uint64_t slot_inc)
{
	return auth_unitmsg_accept(t, &key, c->method, c->path, c->body,
				   c->body ? strlen(c->body) : 0, c->hu, c->ha, slot_inc, NULL);
}

static void test_accept_and_headers(void **state)
{
	struct auth_unitmsg_sender s;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct auth_unitmsg_from f;
	struct call c;

	assert_non_null(t);
	assert_int_equal(auth_unitmsg_sender_init(&s, 7, INC1), 0);
	sign(&s, 2, &c, "POST", "/api/v1/events", "{\"n\":1}");
	assert_string_equal(c.hu, "7;1718a1892038162c;1");
	assert_int_equal(strlen(c.ha), 64);
	assert_int_equal(strspn(c.ha, "0123456789abcdef"), 64);
	assert_int_equal(auth_unitmsg_accept(t, &key, "POST", "/api/v1/events", "{\"n\":1}", 7,
					     c.hu, c.ha, 0, &f), 0);
	assert_int_equal(f.unit, 7);
	assert_int_equal(f.incarnation, INC1);
	assert_int_equal(f.seq, 1);
	/* no body */
	sign(&s, 2, &c, "GET", "/api/v1/status", NULL);
	assert_string_equal(c.hu, "7;1718a1892038162c;2");
	assert_int_equal(accept_call(t, &c, 0), 0);
	/* gaps are fine: calls to other units used 3..9 */
	s.seq = 9;
	sign(&s, 2, &c, "GET", "/api/v1/status", NULL);
	assert_int_equal(accept_call(t, &c, INC1), 0);
	auth_unitmsg_peers_free(t);
	assert_null(auth_unitmsg_peers_free(NULL));
	assert_null(auth_unitmsg_peers_new(0));
	assert_null(auth_unitmsg_peers_new(257));
}

static void test_replay_refused(void **state)
{
	struct auth_unitmsg_sender s;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct call c;

	assert_int_equal(auth_unitmsg_sender_init(&s, 1, INC1), 0);
	sign(&s, 2, &c, "POST", "/api/v1/units", "{}");
	assert_int_equal(accept_call(t, &c, 0), 0);
	assert_int_equal(accept_call(t, &c, 0), -ESTALE);
	assert_int_equal(accept_call(t, &c, INC1), -ESTALE);
	assert_string_equal(auth_unitmsg_strerror(-ESTALE), "stale or replayed unit call");
	auth_unitmsg_peers_free(t);
}

static void test_reordering_refused(void **state)
{
	struct auth_unitmsg_sender s;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct call c1, c2, c3;

	assert_int_equal(auth_unitmsg_sender_init(&s, 1, INC1), 0);
	sign(&s, 2, &c1, "POST", "/a", "1");
	sign(&s, 2, &c2, "POST", "/a", "2");
	sign(&s, 2, &c3, "POST", "/a", "3");
	assert_int_equal(accept_call(t, &c2, 0), 0);
	assert_int_equal(accept_call(t, &c1, 0), -ESTALE); /* overtaken: refused */
	assert_int_equal(accept_call(t, &c3, 0), 0);
	assert_int_equal(accept_call(t, &c2, 0), -ESTALE);
	auth_unitmsg_peers_free(t);
}

static void test_tamper_refused(void **state)
{
	struct auth_unitmsg_sender s;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct call c;
	char hu[AUTH_UNITMSG_UNIT_HDR_MAX], ha[AUTH_UNITMSG_AUTH_HDR_MAX];

	assert_int_equal(auth_unitmsg_sender_init(&s, 1, INC1), 0);
	sign(&s, 2, &c, "PUT", "/api/v1/servers/se1", "{\"location\":\"A\"}");
	/* body, method, path */
	assert_int_equal(auth_unitmsg_accept(t, &key, "PUT", "/api/v1/servers/se1",
					     "{\"location\":\"B\"}", 16, c.hu, c.ha, 0, NULL),
			 -EKEYREJECTED);
	assert_int_equal(auth_unitmsg_accept(t, &key, "PUT", "/api/v1/servers/se1",
					     "{\"location\":\"A\"}", 15, c.hu, c.ha, 0, NULL),
			 -EKEYREJECTED);
	assert_int_equal(auth_unitmsg_accept(t, &key, "POST", "/api/v1/servers/se1",
					     c.body, strlen(c.body), c.hu, c.ha, 0, NULL),
			 -EKEYREJECTED);
	assert_int_equal(auth_unitmsg_accept(t, &key, "PUT", "/api/v1/servers/se2",
					     c.body, strlen(c.body), c.hu, c.ha, 0, NULL),
			 -EKEYREJECTED);
	/* the sender's header: unit, incarnation, sequence number */
	static const char *const forged[] = {"3;1718a1892038162c;1", "1;1718a1892038162d;1",
					     "1;1718a1892038162c;2"};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(auth_unitmsg_accept(t, &key, c.method, c.path, c.body,
						     strlen(c.body), forged[i], c.ha, 0, NULL),
				 -EKEYREJECTED);
	/* every hex digit of the tag */
	for (int i = 0; i < 64; i++) {
		strcpy(ha, c.ha);
		ha[i] = ha[i] == '0' ? '1' : '0';
		assert_int_equal(auth_unitmsg_accept(t, &key, c.method, c.path, c.body,
						     strlen(c.body), c.hu, ha, 0, NULL),
				 -EKEYREJECTED);
	}
	/* an unauthenticated call never moves the mark: a forged seq 1000 first, then the
	 * genuine call with seq 1 is still accepted */
	strcpy(hu, "1;1718a1892038162c;1000");
	assert_int_equal(auth_unitmsg_accept(t, &key, c.method, c.path, c.body, strlen(c.body),
					     hu, c.ha, 0, NULL), -EKEYREJECTED);
	assert_int_equal(accept_call(t, &c, 0), 0);
	assert_string_equal(auth_unitmsg_strerror(-EKEYREJECTED), "invalid unit call signature");
	auth_unitmsg_peers_free(t);
}

static void test_wrong_key_and_receiver(void **state)
{
	struct auth_unitmsg_sender s;
	struct auth_unitmsg_peers *t2 = auth_unitmsg_peers_new(2), *t3 = auth_unitmsg_peers_new(3);
	struct call c;

	assert_int_equal(auth_unitmsg_sender_init(&s, 1, INC1), 0);
	sign(&s, 2, &c, "POST", "/x", "b");
	assert_int_equal(auth_unitmsg_accept(t2, &other_key, c.method, c.path, c.body, 1, c.hu,
					     c.ha, 0, NULL), -EKEYREJECTED);
	/* a call to unit 2, replayed to unit 3 (which has not seen this seq) */
	assert_int_equal(accept_call(t3, &c, 0), -EKEYREJECTED);
	assert_int_equal(accept_call(t2, &c, 0), 0);
	auth_unitmsg_peers_free(t2);
	auth_unitmsg_peers_free(t3);
}

static void test_new_incarnation(void **state)
{
	struct auth_unitmsg_sender s1, s2;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct call old1, old2, new1, new2;

	assert_int_equal(auth_unitmsg_sender_init(&s1, 5, INC1), 0);
	for (int i = 0; i < 10; i++)
		sign(&s1, 2, &old1, "GET", "/s", NULL);
	sign(&s1, 2, &old2, "GET", "/s", NULL); /* seq 11, captured, never delivered */
	assert_int_equal(accept_call(t, &old1, 0), 0); /* mark (INC1, 10) */
	/* the sender restarts: new incarnation, sequence numbers from 1 again */
	assert_int_equal(auth_unitmsg_sender_init(&s2, 5, INC2), 0);
	sign(&s2, 2, &new1, "GET", "/s", NULL);
	sign(&s2, 2, &new2, "GET", "/s", NULL);
	assert_string_equal(new1.hu, "5;dbaf46b5e94912a1;1");
	assert_int_equal(accept_call(t, &new1, 0), 0);
	assert_int_equal(accept_call(t, &new1, 0), -ESTALE);
	/* the old incarnation is retired: its undelivered call is refused now */
	assert_int_equal(accept_call(t, &old2, 0), -ESTALE);
	assert_int_equal(accept_call(t, &new2, 0), 0);
	auth_unitmsg_peers_free(t);
}

static void test_slot_incarnation(void **state)
{
	struct auth_unitmsg_sender s1, s2;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct call c1, c2;

	assert_int_equal(auth_unitmsg_sender_init(&s1, 5, INC1), 0);
	assert_int_equal(auth_unitmsg_sender_init(&s2, 5, INC2), 0);
	sign(&s1, 2, &c1, "GET", "/s", NULL);
	sign(&s2, 2, &c2, "GET", "/s", NULL);
	/* the CRD slot says INC2 runs: a call of INC1 is refused even before any was seen */
	assert_int_equal(accept_call(t, &c1, INC2), -ESTALE);
	assert_int_equal(accept_call(t, &c2, INC2), 0);
	auth_unitmsg_peers_free(t);
}

/* More restarts than the retired ring remembers: the newest ones stay refused. */
static void test_many_restarts(void **state)
{
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(1);
	struct auth_unitmsg_sender s;
	struct call c[20];

	for (int i = 0; i < 20; i++) {
		assert_int_equal(auth_unitmsg_sender_init(&s, 9, 100 + (uint64_t)i), 0);
		sign(&s, 1, &c[i], "GET", "/r", NULL);
		assert_int_equal(accept_call(t, &c[i], 0), 0);
	}
	for (int i = 19 - AUTH_UNITMSG_RETIRED; i < 20; i++)
		assert_int_equal(accept_call(t, &c[i], 0), -ESTALE);
	/* the oldest are forgotten; the CRD slot's incarnation still refuses them */
	assert_int_equal(accept_call(t, &c[0], 119), -ESTALE);
	auth_unitmsg_peers_free(t);
}

static void test_malformed_headers(void **state)
{
	static const char *const bad[] = {
		"", "1", "1;", "1;1718a1892038162c", "1;1718a1892038162c;", "0;1718a1892038162c;1",
		"257;1718a1892038162c;1", "01;1718a1892038162c;1", "-1;1718a1892038162c;1",
		"1;1718A1892038162c;1", "1;1718a1892038162;1", "1;1718a1892038162cc;1",
		"1;0000000000000000;1", "1;1718a1892038162c;0", "1;1718a1892038162c;01",
		"1;1718a1892038162c;18446744073709551616", "1;1718a1892038162c;1 ",
		" 1;1718a1892038162c;1", "1;1718a1892038162c;1;2", "1;1718a1892038162c;+1",
		"1;1718a1892038162c;99999999999999999999999999999999999999",
	};
	struct auth_unitmsg_from f;
	struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(2);
	struct auth_unitmsg_sender s;
	struct call c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (auth_unitmsg_parse_unit(bad[i], &f) != -EBADMSG)
			fail_msg("'%s' parsed", bad[i]);
	assert_int_equal(auth_unitmsg_parse_unit("256;ffffffffffffffff;18446744073709551615", &f), 0);
	assert_int_equal(f.unit, 256);
	assert_int_equal(f.seq, UINT64_MAX);
	assert_int_equal(auth_unitmsg_parse_unit(NULL, &f), -EBADMSG);

	assert_int_equal(auth_unitmsg_sender_init(&s, 1, INC1), 0);
	sign(&s, 2, &c, "GET", "/s", NULL);
	assert_int_equal(auth_unitmsg_accept(t, &key, "GET", "/s", NULL, 0, NULL, c.ha, 0, NULL),
			 -EBADMSG);
	assert_int_equal(auth_unitmsg_accept(t, &key, "GET", "/s", NULL, 0, c.hu, NULL, 0, NULL),
			 -EBADMSG);
	char ha[AUTH_UNITMSG_AUTH_HDR_MAX + 1];
	strcpy(ha, c.ha);
	ha[63] = '\0';
	assert_int_equal(auth_unitmsg_accept(t, &key, "GET", "/s", NULL, 0, c.hu, ha, 0, NULL),
			 -EBADMSG);
	strcpy(ha, c.ha);
	ha[10] = 'x';
	assert_int_equal(auth_unitmsg_accept(t, &key, "GET", "/s", NULL, 0, c.hu, ha, 0, NULL),
			 -EBADMSG);
	assert_int_equal(auth_unitmsg_accept(t, &key, "", "/s", NULL, 0, c.hu, c.ha, 0, NULL),
			 -EBADMSG);
	assert_int_equal(auth_unitmsg_accept(t, &key, "GET", "/s", NULL, 3, c.hu, c.ha, 0, NULL),
			 -EBADMSG);
	assert_int_equal(accept_call(t, &c, 0), 0);
	assert_string_equal(auth_unitmsg_strerror(-EBADMSG), "malformed unit call headers");
	auth_unitmsg_peers_free(t);
}

static void test_sender_errors(void **state)
{
	struct auth_unitmsg_sender s;
	char hu[AUTH_UNITMSG_UNIT_HDR_MAX], ha[AUTH_UNITMSG_AUTH_HDR_MAX];

	assert_int_equal(auth_unitmsg_sender_init(&s, 0, INC1), -EINVAL);
	assert_int_equal(auth_unitmsg_sender_init(&s, 1, 0), -EINVAL);
	assert_int_equal(auth_unitmsg_sender_init(&s, 256, INC1), 0);
	assert_int_equal(auth_unitmsg_sign(&s, &key, 0, "GET", "/", NULL, 0, hu, ha), -EINVAL);
	assert_int_equal(auth_unitmsg_sign(&s, &key, 1, "GET", "", NULL, 0, hu, ha), -EINVAL);
	assert_int_equal(auth_unitmsg_sign(&s, &key, 1, "GET", "/", NULL, 1, hu, ha), -EINVAL);
	assert_int_equal(s.seq, 0); /* failures take no sequence number */
	s.seq = UINT64_MAX - 1;
	assert_int_equal(auth_unitmsg_sign(&s, &key, 1, "GET", "/", NULL, 0, hu, ha), 0);
	assert_string_equal(hu, "256;1718a1892038162c;18446744073709551615");
	assert_int_equal(auth_unitmsg_sign(&s, &key, 1, "GET", "/", NULL, 0, hu, ha), -EOVERFLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_and_headers),
		cmocka_unit_test(test_replay_refused),
		cmocka_unit_test(test_reordering_refused),
		cmocka_unit_test(test_tamper_refused),
		cmocka_unit_test(test_wrong_key_and_receiver),
		cmocka_unit_test(test_new_incarnation),
		cmocka_unit_test(test_slot_incarnation),
		cmocka_unit_test(test_many_restarts),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_sender_errors),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
