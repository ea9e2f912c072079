/* test_config_view.c: two XML forms of one configuration render alike for
 * --diff; what is configuration (an inactive mark, text) still shows. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "config_view.h"

static char *view(const char *xml)
{
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(config_view_xml(xml, strlen(xml), &out, &n), 0);
	assert_int_equal(strlen(out), n);
	return out;
}

static void test_S3_device_reply_and_operator_file_render_alike(void **state)
{
	(void)state;
	/* As stored from a Junos reply: namespaces, commit stamp, indentation. */
	char *reply = view("<configuration xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
			   "xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\" "
			   "junos:commit-seconds=\"1796172224\" junos:commit-user=\"root\">\n"
			   "  <system>\n    <host-name>r1</host-name>\n    <services><ssh/></services>\n"
			   "  </system>\n  <!-- a comment -->\n</configuration>\n");
	/* As an operator writes it. */
	char *file = view("<configuration><system><host-name> r1 </host-name><services><ssh></ssh>"
			  "</services></system></configuration>");
	assert_string_equal(reply, file);
	assert_string_equal(file, "<configuration>\n  <system>\n    <host-name>r1</host-name>\n"
				  "    <services>\n      <ssh/>\n    </services>\n  </system>\n</configuration>\n");
	free(reply);
	free(file);
}

static void test_S3_configuration_attributes_and_text_still_show(void **state)
{
	(void)state;
	char *v = view("<configuration xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\">"
		       "<snmp inactive=\"inactive\"><location>a &lt; b &amp; \"c\"</location></snmp>"
		       "</configuration>");
	assert_non_null(strstr(v, "<snmp inactive=\"inactive\">"));
	assert_non_null(strstr(v, "<location>a &lt; b &amp; &quot;c&quot;</location>"));
	free(v);
}

static void test_R4_not_well_formed_is_refused(void **state)
{
	(void)state;
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(config_view_xml("<configuration><a>", 18, &out, &n), -1);
	assert_null(out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_S3_device_reply_and_operator_file_render_alike),
		cmocka_unit_test(test_S3_configuration_attributes_and_text_still_show),
		cmocka_unit_test(test_R4_not_well_formed_is_refused),
	};
	return testutil_run_tests(argc, argv, tests);
}
