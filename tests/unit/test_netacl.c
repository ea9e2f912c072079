/* test_netacl.c: listen.allowed_senders / listen.relays address lists:
 * prefixes of any length, IPv4 and IPv6, IPv4-mapped peers, bad input refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "testutil.h"

#include "netacl.h"

static bool has4(const struct netacl *a, const char *ip)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	return netacl_match(a, (struct sockaddr *)&sa);
}

static bool has6(const struct netacl *a, const char *ip)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, ip, &sa.sin6_addr), 1);
	return netacl_match(a, (struct sockaddr *)&sa);
}

static void test_prefixes_v4_and_v6(void **state)
{
	struct netacl a = { 0 };

	(void)state;
	assert_int_equal(netacl_add(&a, "192.0.2.0/24"), 0);
	assert_int_equal(netacl_add(&a, "198.51.100.7"), 0);
	assert_int_equal(netacl_add(&a, "10.1.2.3/13"), 0); /* host bits ignored */
	assert_int_equal(netacl_add(&a, "2001:db8:40::/42"), 0);
	assert_true(has4(&a, "192.0.2.0"));
	assert_true(has4(&a, "192.0.2.255"));
	assert_false(has4(&a, "192.0.3.1"));
	assert_true(has4(&a, "198.51.100.7"));
	assert_false(has4(&a, "198.51.100.6"));
	assert_true(has4(&a, "10.7.255.255"));
	assert_false(has4(&a, "10.8.0.0"));
	assert_true(has6(&a, "2001:db8:7f:ffff::1"));
	assert_false(has6(&a, "2001:db8:80::1"));
	/* An IPv4 peer on a dual-stack socket. */
	assert_true(has6(&a, "::ffff:192.0.2.9"));
	assert_false(has6(&a, "::ffff:192.0.3.9"));
	assert_true(netacl_match_str(&a, "192.0.2.9"));
	assert_true(netacl_match_str(&a, "::ffff:198.51.100.7"));
	assert_false(netacl_match_str(&a, "r1.example.net"));
	assert_false(netacl_match_str(&a, NULL));
}

static void test_zero_prefix_matches_its_family_only(void **state)
{
	struct netacl a = { 0 };

	(void)state;
	assert_int_equal(netacl_add(&a, "0.0.0.0/0"), 0);
	assert_true(has4(&a, "203.0.113.1"));
	assert_false(has6(&a, "2001:db8::1"));
}

static void test_bad_entries_refused(void **state)
{
	struct netacl a = { 0 };
	const char *bad[] = { "", "/24", "192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/2x",
			      "2001:db8::/129", "example.net", "192.0.2.0/24/1", "192.0.2" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(netacl_add(&a, bad[i]), -1);
	assert_int_equal(a.n, 0);
	for (int i = 0; i < NETACL_MAX; i++)
		assert_int_equal(netacl_add(&a, "192.0.2.1"), 0);
	assert_int_equal(netacl_add(&a, "192.0.2.1"), -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes_v4_and_v6),
		cmocka_unit_test(test_zero_prefix_matches_its_family_only),
		cmocka_unit_test(test_bad_entries_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
