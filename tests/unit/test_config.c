/* test_config.c: resyncd.conf parsing; a broken file names its line. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "incident.h"

static char *write_tmp(const char *text)
{
	char *dir = testutil_tmpdir();
	char *path = malloc(600);
	snprintf(path, 600, "%s/resyncd.conf", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(dir);
	return path;
}

static void test_example_config_is_valid(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	char err[512] = "";
	const char *path = SOURCE_DIR "/etc/resyncd.conf.example";
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ndevices, 2);
	assert_string_equal(c.devices[1].name, "r2.lab");
	assert_true(c.devices[1].trust_on_first_use);
	assert_string_equal(config_credential(&c, "lab")->user, "netconf");
	assert_true(c.settings_given[SET_AUTO_RESYNC_WAIT_SECS]);
	/* E1: the worked profiles of OPERATIONS.md */
	assert_non_null(c.profiles);
	assert_int_equal(c.profiles->n, 3);
	const struct incident_profile *p = incident_profile_by_name(c.profiles, "link-flaps");
	assert_non_null(p);
	assert_string_equal(p->tags[0], "SNMP_TRAP_LINK_DOWN");
	assert_string_equal(p->clear_tags[0], "SNMP_TRAP_LINK_UP");
	assert_int_equal(p->min_severity, 4);
	assert_true(incident_profiles_wants(c.profiles, "CHASSISD_FRU_OFFLINE_NOTICE"));
	assert_false(incident_profiles_wants(c.profiles, "UI_LOGIN_EVENT"));
	config_free(&c);
}

static void test_S6_configure_device_syslog_global_and_per_device(void **state)
{
	(void)state;
	struct config c;
	char err[512];
	char *path = write_tmp("configure_device_syslog = true;\ndevice_syslog_host = \"192.0.2.50\";\n"
			       "intended_dir = \"/srv/intended\";\n"
			       "devices = ( { name = \"r1\"; address = \"192.0.2.1\"; },\n"
			       "  { name = \"r2\"; address = \"192.0.2.2\"; configure_device_syslog = false; } );\n");
	config_defaults(&c);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_true(c.configure_device_syslog);
	assert_string_equal(c.device_syslog_host, "192.0.2.50");
	assert_int_equal(c.device_syslog_port, 514);
	assert_string_equal(c.intended_dir, "/srv/intended");
	assert_int_equal(c.deploy_confirm_timeout_secs, 120);
	assert_true(config_device(&c, "r1")->configure_syslog);
	assert_false(config_device(&c, "r2")->configure_syslog);
	config_free(&c);
	free(path);
}

static void test_broken_files_name_line_and_reason(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} rows[] = {
		{ "state_dir = \"/tmp/x\"\nlisten = { relp = 5; };\ndevices = ( );\n", ":2:" },
		/* A file without the device list (emptied, half written) would remove every device. */
		{ "", "resyncd.conf: no devices list (write devices = ( ); for none)" },
		{ "state_dir = \"/tmp/x\";\n", "no devices list" },
		{ "settings = {\n autoResyncWaitSecs = 90000;\n};\n", "autoResyncWaitSecs must be within 0..86400" },
		{ "settings = { bogus = 1; };\n", "unknown setting bogus" },
		/* A list has unnamed elements: refused, not read through a NULL name (fuzz_config). */
		{ "settings = [ 1, 2 ];\ndevices = ( );\n", ":1: settings must be a group" },
		{ "devices = ( { name = \"r1\"; address = \"not-an-ip\"; } );\n", "needs an IPv4 or IPv6 address" },
		{ "devices = ( { name = \"r1\"; address = \"192.0.2.1\"; credential = \"nope\"; } );\n",
		  "unknown credential set" },
		{ "listen = { udp = \"127.0.0.1\"; };\n", "HOST:PORT" },
		{ "statedir = \"/tmp\";\n", "unknown setting statedir" },
		{ "snmp = { mode = \"slave\"; };\n", "mode must be agentx, master or off" },
		{ "snmp = { mode = \"master\"; comunity = \"x\"; };\n", "unknown setting in snmp: comunity" },
		{ "listen = { rlep = \"127.0.0.1:2514\"; };\n", "unknown setting in listen: rlep" },
		{ "devices = ( { name = \"r1\"; adress = \"192.0.2.1\"; } );\n", "unknown setting in a device: adress" },
		{ "devices = ( { name = \"r1\"; address = \"192.0.2.1\"; trust_on_first_use = \"yes\"; } );\n",
		  "trust_on_first_use must be true or false" },
		{ "credentials = ( { name = \"c\"; user = \"u\"; keyfile = \"/k\"; } );\n",
		  "unknown setting in a credential set: keyfile" },
		{ "snmp = { mode = \"agentx\"; trap_sinks = [ \"127.0.0.1:162\" ]; };\n", "trap_sinks needs mode" },
		{ "snmp = { mode = \"master\"; trap_sinks = [ \"a b\" ]; };\n", "element 1 must be" },
		{ "snmp = { mode = \"master\"; trap_sinks = \"127.0.0.1\"; };\n", "must be a list" },
		/* S4, S6 */
		{ "deploy = { confirm_timeout_secs = 2; };\n", "confirm_timeout_secs must be within 5..3600" },
		{ "configure_device_syslog = true;\n", "configure_device_syslog needs device_syslog_host" },
		{ "device_syslog_port = 0;\n", "device_syslog_port must be within 1..65535" },
		/* E1: event profiles */
		{ "profiles = (\n { name = \"p\"; }\n);\n", ":2: profile p needs events" },
		{ "profiles = ( { events = [ \"X_Y\" ]; } );\n", "a profile needs a name" },
		{ "profiles = (\n { name = \"p\"; events = [ \"link down\" ]; }\n);\n",
		  ":2: events: link down is not an event tag" },
		{ "profiles = ( { name = \"p\"; events = [ \"X_Y\" ]; severity = \"loud\"; } );\n",
		  "severity must be 0..7 or emerg" },
		{ "profiles = ( { name = \"p\"; events = [ \"X_Y\" ];\n  auto_close = 5; } );\n",
		  ":2: unknown setting in a profile: auto_close" },
		{ "profiles = ( { name = \"p\"; events = [ \"X_Y\" ]; hook = \"ticket.sh\"; } );\n",
		  "hook must be an absolute path" },
		{ "profiles = ( { name = \"p\"; events = [ \"X_Y\" ]; }, { name = \"p\"; events = [ \"Z_W\" ]; } );\n",
		  "profile p is defined twice" },
		{ "profiles = ( { name = \"p\"; events = [ \"X_Y\" ]; capture = [ 1 ]; } );\n",
		  "capture: element 1 must be a non-empty string" },
		{ "settings = { eventRateCap = -1; };\n", "eventRateCap" },
		{ "listen = { allowed_senders = [ \"192.0.2.0/33\" ]; };\n", "allowed_senders: element 1 must be" },
		{ "listen = { relays = \"127.0.0.1\"; };\n", "relays must be a list" },
		{ "listen = { strict_senders = 1; };\n", "strict_senders must be true or false" },
		{ "listen = { max_connections = -1; };\n", "max_connections must be within" },
		{ "listen = { idle_timeout_secs = \"5\"; };\n", "idle_timeout_secs must be a whole number" },
		/* What SNMP refuses, the file refuses too: one address for two
		 * devices, and names that match each other (short vs FQDN). */
		{ "devices = ( { name = \"r1\"; address = \"192.0.2.1\"; },\n"
		  "  { name = \"r2\"; address = \"192.0.2.1\"; } );\n",
		  ":2: device r2 has the address of device r1" },
		{ "devices = ( { name = \"r1.lab\"; address = \"192.0.2.1\"; },\n"
		  "  { name = \"R1\"; address = \"192.0.2.2\"; } );\n",
		  ":2: device R1 and device r1.lab name the same host" },
		{ "devices = ( { name = \"r1\"; address = \"192.0.2.1\"; },\n"
		  "  { name = \"r1.lab\"; address = \"192.0.2.2\"; } );\n",
		  ":2: device r1.lab and device r1 name the same host" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *path = write_tmp(rows[i].text);
		struct config c;
		config_defaults(&c);
		char err[512] = "";
		assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
		if (!strstr(err, rows[i].want))
			fail_msg("row %zu: \"%s\" does not say \"%s\"", i, err, rows[i].want);
		assert_non_null(strstr(err, "resyncd.conf:"));
		config_free(&c);
		free(path);
	}
}

static void test_trap_sinks_of_the_embedded_master(void **state)
{
	(void)state;
	char *path = write_tmp("devices = ( );\nsnmp = { mode = \"master\"; trap_community = \"nms\";\n"
			       "  trap_sinks = [ \"127.0.0.1:16200\", \"[::1]:162\" ]; };\n");
	struct config c;
	config_defaults(&c);
	char err[512] = "";
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ntrap_sinks, 2);
	assert_string_equal(c.trap_sinks[0], "127.0.0.1:16200");
	assert_string_equal(c.trap_sinks[1], "[::1]:162");
	assert_string_equal(c.trap_community, "nms");
	config_free(&c);
	free(path);
}

/* --check-config names the files it cannot read (issue 12 item 9). */
static void test_check_files_names_missing_key_and_known_hosts(void **state)
{
	(void)state;
	char *path = write_tmp("known_hosts = \"/nonexistent/known_hosts\";\n"
			       "credentials = ( { name = \"lab\"; user = \"u\"; key = \"/nonexistent/id\"; } );\n"
			       "devices = ( { name = \"r1\"; address = \"192.0.2.1\"; credential = \"lab\"; } );\n");
	struct config c;
	config_defaults(&c);
	char err[512] = "", buf[1024] = "";
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(config_check_files(&c, out), 2);
	fclose(out);
	assert_non_null(strstr(buf, "credential set lab: key /nonexistent/id: No such file"));
	assert_non_null(strstr(buf, "known_hosts /nonexistent/known_hosts: No such file"));
	/* Trust on first use everywhere: a missing known_hosts is expected. */
	c.devices[0].trust_on_first_use = true;
	snprintf(c.creds[0].key_path, sizeof(c.creds[0].key_path), "%s", path);
	out = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(config_check_files(&c, out), 0);
	fclose(out);
	config_free(&c);
	free(path);
}

static void test_listen_limits_and_senders(void **state)
{
	(void)state;
	char *path = write_tmp("devices = ( );\nlisten = { max_connections = 50; idle_timeout_secs = 0; strict_senders = true;\n"
			       "  relp_threads = 3;\n"
			       "  allowed_senders = [ \"192.0.2.0/24\", \"2001:db8::1\" ]; relays = [ \"127.0.0.1\" ]; };\n");
	struct config c;
	config_defaults(&c);
	assert_int_equal(c.max_connections, 1000);
	assert_int_equal(c.idle_timeout_secs, 600);
	assert_int_equal(c.relp_threads, 8);
	char err[512] = "";
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.max_connections, 50);
	assert_int_equal(c.idle_timeout_secs, 0);
	assert_int_equal(c.relp_threads, 3);
	assert_true(c.strict_senders);
	assert_int_equal(c.allowed_senders.n, 2);
	assert_true(netacl_match_str(&c.allowed_senders, "192.0.2.77"));
	assert_true(netacl_match_str(&c.relays, "127.0.0.1"));
	config_free(&c);
	free(path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_config_is_valid),
		cmocka_unit_test(test_broken_files_name_line_and_reason),
		cmocka_unit_test(test_S6_configure_device_syslog_global_and_per_device),
		cmocka_unit_test(test_trap_sinks_of_the_embedded_master),
		cmocka_unit_test(test_listen_limits_and_senders),
		cmocka_unit_test(test_check_files_names_missing_key_and_known_hosts),
	};
	return testutil_run_tests(argc, argv, tests);
}
