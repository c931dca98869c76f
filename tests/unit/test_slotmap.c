/* test_slotmap.c: the slot map's owners and nodes, and reading Redis Cluster's redirects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "slotmap.h"

/* What redis-cli --cluster create gives three primaries: 0-5460, 5461-10922, 10923-16383. */
static void test_ranges(void **state)
{
	struct slotmap *m = slotmap_new();
	bool serves[SLOTMAP_NODES_MAX];
	int a, b, c, d;

	(void)state;
	assert_non_null(m);
	assert_false(slotmap_complete(m));
	assert_int_equal(slotmap_owner(m, 0), -1);
	a = slotmap_node(m, "127.0.0.1", 7001);
	b = slotmap_node(m, "127.0.0.1", 7002);
	c = slotmap_node(m, "::1", 7003);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(c, 2);
	assert_int_equal(slotmap_node(m, "127.0.0.1", 7002), b); /* known: the same index */
	assert_true(slotmap_assign(m, 0, 5460, a));
	assert_true(slotmap_assign(m, 5461, 10922, b));
	assert_false(slotmap_complete(m));
	assert_true(slotmap_assign(m, 10923, 16383, c));
	assert_true(slotmap_complete(m));
	assert_int_equal(slotmap_owner(m, 5460), a);
	assert_int_equal(slotmap_owner(m, 5461), b);
	assert_int_equal(slotmap_owner(m, 16383), c);
	assert_int_equal(slotmap_owner(m, 16384), -1);
	assert_int_equal(slotmap_owner(m, keyslot("fb:task:{feedbackd:3}:meta", 26)), a); /* slot 2375 */
	assert_string_equal(slotmap_node_at(m, c)->host, "::1");
	assert_int_equal(slotmap_node_at(m, c)->port, 7003);
	/* Out of range: nothing changes. */
	assert_false(slotmap_assign(m, 5, 4, a));
	assert_false(slotmap_assign(m, 0, 16384, a));
	assert_false(slotmap_assign(m, 0, 1, 3));
	assert_false(slotmap_assign(m, 0, 1, -1));
	assert_int_equal(slotmap_owner(m, 0), a);
	/* A resharding moved one slot: a MOVED reassigns just it. */
	assert_true(slotmap_assign(m, 2375, 2375, b));
	assert_int_equal(slotmap_owner(m, 2374), a);
	assert_int_equal(slotmap_owner(m, 2375), b);
	assert_int_equal(slotmap_owner(m, 2376), a);
	/* The nodes serving some slot. */
	d = slotmap_node(m, "127.0.0.1", 7004); /* known, serving nothing */
	assert_int_equal(slotmap_serving(m, serves), 3);
	assert_true(serves[a] && serves[b] && serves[c]);
	assert_false(serves[d]);
	/* A fresh CLUSTER SLOTS starts from no owner, the nodes kept. */
	slotmap_clear(m);
	assert_int_equal(slotmap_owner(m, 2375), -1);
	assert_int_equal(slotmap_nodes(m), 4);
	assert_int_equal(slotmap_serving(m, serves), 0);
	slotmap_free(m);
	slotmap_free(NULL);
}

/* A host longer than the map keeps, and more nodes than it holds, are refused. */
static void test_node_limits(void **state)
{
	struct slotmap *m = slotmap_new();
	char host[SLOTMAP_HOST_MAX + 1];

	(void)state;
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(slotmap_node(m, host, 1), -1);
	host[SLOTMAP_HOST_MAX - 1] = '\0';
	assert_int_equal(slotmap_node(m, host, 1), 0);
	for (int i = 1; i < SLOTMAP_NODES_MAX; i++)
		assert_int_equal(slotmap_node(m, "n", i), i);
	assert_int_equal(slotmap_node(m, "n", 0), -1);
	assert_int_equal(slotmap_node(m, "n", 5), 5);
	slotmap_free(m);
}

/* Reads one redirect into t and returns its kind. */
static enum slotmap_redirect redirect(const char *err, struct slotmap_target *t)
{
	memset(t, 0x55, sizeof(*t));
	return slotmap_redirect(err, strlen(err), t);
}

/* MOVED and ASK as redis-server writes them (clusterRedirectClient), IPv6 and an unknown host too. */
static void test_redirects(void **state)
{
	struct slotmap_target t;

	(void)state;
	assert_int_equal(redirect("MOVED 3999 127.0.0.1:6381", &t), SLOTMAP_MOVED);
	assert_int_equal(t.slot, 3999);
	assert_string_equal(t.host, "127.0.0.1");
	assert_int_equal(t.port, 6381);
	assert_int_equal(redirect("ASK 16383 ::1:7002", &t), SLOTMAP_ASK);
	assert_int_equal(t.slot, 16383);
	assert_string_equal(t.host, "::1");
	assert_int_equal(t.port, 7002);
	assert_int_equal(redirect("MOVED 0 :7000", &t), SLOTMAP_MOVED); /* endpoint unknown to Redis */
	assert_string_equal(t.host, "");
	assert_int_equal(t.port, 7000);
	assert_int_equal(redirect("TRYAGAIN Multiple keys request during rehashing of slot", &t), SLOTMAP_TRYAGAIN);
	assert_int_equal(redirect("CLUSTERDOWN The cluster is down", &t), SLOTMAP_CLUSTERDOWN);
	assert_int_equal(redirect("CLUSTERDOWN Hash slot not served", &t), SLOTMAP_CLUSTERDOWN);
	assert_int_equal(redirect("TRYAGAIN", &t), SLOTMAP_TRYAGAIN);
}

/* Anything else, and a MOVED or ASK that does not parse, is the call's own error. */
static void test_not_redirects(void **state)
{
	static const char *const other[] = {
		"ERR unknown command", "CROSSSLOT Keys in request don't hash to the same slot",
		"MOVED", "MOVED ", "MOVED 3999", "MOVED 3999 ", "MOVED 16384 h:1", "MOVED -1 h:1",
		"MOVED x h:1", "MOVED 1 h", "MOVED 1 h:", "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 h:1x",
		"MOVEDX 1 h:1", "ASK", "ASK 1", "ASKING", "moved 1 h:1", "NOSCRIPT No matching script",
		"TRYAGAINX", "BUSY Redis is busy running a script",
	};
	struct slotmap_target t;

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		if (redirect(other[i], &t) != SLOTMAP_OTHER)
			fail_msg("\"%s\" read as a redirect", other[i]);
	}
	/* Only len bytes are read: a MOVED cut short is no redirect. */
	assert_int_equal(slotmap_redirect("MOVED 1 h:1", 9, &t), SLOTMAP_OTHER);
	assert_int_equal(slotmap_redirect("MOVED 1 h:12", 11, &t), SLOTMAP_MOVED);
	assert_int_equal(t.port, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_node_limits),
	    cmocka_unit_test(test_redirects),
	    cmocka_unit_test(test_not_redirects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
