/* test_deploy.c: the check after a deploy (SPEC S4): the running
 * configuration read back is compared with the intended one, as Junos text
 * (comments, blanks and indentation aside) and as XML (namespaces by URI,
 * never by prefix; attributes and the server's other top elements aside). */
#include "testutil.h"

#include <string.h>

#include "deploy.h"

#define SAME_TEXT(a, b) deploy_text_same(a, strlen(a), b, strlen(b))
#define SAME_XML(a, b) deploy_xml_same(a, strlen(a), b, strlen(b))

static void test_S4_check_text_ignores_comments_and_blanks(void **state)
{
	(void)state;
	assert_true(SAME_TEXT("system {\n    host-name r1;\n}\n",
			      "## Last commit: 2026-12-01 by resyncd\nsystem {\n  host-name r1;   \n\n}"));
	assert_false(SAME_TEXT("system {\n    host-name r1;\n}\n", "system {\n    host-name r2;\n}\n"));
	assert_false(SAME_TEXT("a;\nb;\n", "a;\n"));
	assert_true(SAME_TEXT("", "\n## only a comment\n"));
}

static void test_S4_check_xml_by_namespace_not_prefix(void **state)
{
	(void)state;
	const char *intended = "<config xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
			       "<lab xmlns=\"urn:t\"><hostname>nd1</hostname><location>rack 2</location></lab></config>";
	/* As netconfd returns it: another prefix, indentation, its own empty nacm. */
	assert_true(SAME_XML(intended, "<t:lab xmlns:t=\"urn:t\">\n  <t:hostname>nd1</t:hostname>\n"
				       "  <t:location> rack 2 </t:location>\n</t:lab>\n"
				       "<nacm xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\"/>"));
	assert_false(SAME_XML(intended, "<lab xmlns=\"urn:t\"><hostname>nd1</hostname><location>rack 1</location></lab>"));
	assert_false(SAME_XML(intended, "<lab xmlns=\"urn:other\"><hostname>nd1</hostname><location>rack 2</location></lab>"));
	assert_false(SAME_XML(intended, "<lab xmlns=\"urn:t\"><hostname>nd1</hostname></lab>"));
	/* A Junos <configuration>: its junos: attributes are not compared. */
	assert_true(SAME_XML("<configuration><system><host-name>r1</host-name></system></configuration>",
			     "<configuration xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\" "
			     "junos:commit-seconds=\"1\"><system><host-name>r1</host-name></system></configuration>"));
	/* Not XML at all: not the same. */
	assert_false(SAME_XML(intended, "<lab"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_S4_check_text_ignores_comments_and_blanks),
		cmocka_unit_test(test_S4_check_xml_by_namespace_not_prefix),
	};
	return testutil_run_tests(argc, argv, tests);
}
