/* test_secrets.c: what --diff hides (issue 12 item 6, as RANCID's
 * FILTER_PWDS / Oxidized's remove_secret): Junos $9$/$1$/$5$/$6$ strings and
 * the value after the secret keywords, in both the curly and the set form;
 * everything else is left as it is. */
#include <string.h>

#include "testutil.h"

#include "secrets.h"

static void check(const char *in, const char *want)
{
	char out[512];
	size_t n = secrets_mask_line(in, strlen(in), out, sizeof(out));

	out[n] = '\0';
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\" -> \"%s\", want \"%s\"", in, out, want);
}

static void test_secrets_masked_in_both_forms(void **state)
{
	(void)state;
	check("        encrypted-password \"$6$abc$def\"; ## SECRET-DATA",
	      "        encrypted-password <secret hidden>; ## SECRET-DATA");
	check("set system root-authentication encrypted-password \"$1$x$y\"",
	      "set system root-authentication encrypted-password <secret hidden>");
	check("    community public {", "    community <secret hidden> {");
	check("set snmp community s3cret authorization read-only",
	      "set snmp community <secret hidden> authorization read-only");
	check("            authentication-key \"$9$AbCd\";", "            authentication-key <secret hidden>;");
	check("pre-shared-key ascii-text \"$9$q.5F\";", "pre-shared-key ascii-text <secret hidden>;");
	check("    secret \"$9$xyz\";", "    secret <secret hidden>;");
	check("  simple-password plain;", "  simple-password <secret hidden>;");
	check("  hash \"$5$salt$hash\";", "  hash <secret hidden>;");
}

static void test_other_lines_untouched(void **state)
{
	(void)state;
	check("    host-name r1;", "    host-name r1;");
	check("        address 192.0.2.1/24;", "        address 192.0.2.1/24;");
	check("    location \"lab rack 4\";", "    location \"lab rack 4\";");
	check("    description \"costs $9 a month\";", "    description \"costs $9 a month\";");
	check("", "");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secrets_masked_in_both_forms),
		cmocka_unit_test(test_other_lines_untouched),
	};
	return testutil_run_tests(argc, argv, tests);
}
