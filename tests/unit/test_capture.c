/* test_capture.c: SPEC E4, what a data capture keeps of a <command> reply. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "netconf.h"

static char *text_of(const char *xml)
{
	char err[160];
	char *t = capture_reply_text(xml, strlen(xml), err, sizeof(err));
	assert_non_null(t);
	return t;
}

static void test_E4_command_output_is_the_output_element(void **state)
{
	(void)state;
	char *t = text_of("<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
			  "xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\" message-id=\"3\">"
			  "<output>\nHardware inventory:\nFPC 0  REV 09 &amp; more\n</output></rpc-reply>");
	assert_string_equal(t, "Hardware inventory:\nFPC 0  REV 09 & more\n");
	free(t);
}

static void test_E4_reply_without_output_keeps_its_text(void **state)
{
	(void)state;
	/* Some releases answer a text command inside another element. */
	char *t = text_of("<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
			  "<system-uptime-information><current-time>now</current-time>"
			  "</system-uptime-information></rpc-reply>");
	assert_string_equal(t, "now");
	free(t);
}

static void test_E4_malformed_reply_is_refused(void **state)
{
	(void)state;
	char err[160] = "";
	assert_null(capture_reply_text("<rpc-reply><output>cut", 22, err, sizeof(err)));
	assert_true(err[0] != '\0');
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_E4_command_output_is_the_output_element),
		cmocka_unit_test(test_E4_reply_without_output_keeps_its_text),
		cmocka_unit_test(test_E4_malformed_reply_is_refused),
	};
	return testutil_run_tests(argc, argv, tests);
}
