/* test_junos.c: Junos commit recognition (SPEC R1, section 8), table-driven
 * over real-looking lines in the BSD, file, relay and structured forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "classify.h"
#include "junos.h"
#include "syslog_parse.h"

struct junos_case {
	const char *name;
	const char *line;
	enum junos_kind kind;
	const char *tag, *host, *user, *comment;
};

static const struct junos_case junos_cases[] = {
	/* R1 triggers */
	{ "R1 UI_COMMIT_COMPLETED, BSD",
	  "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "r1", "", "" },
	{ "R1 UI_COMMIT_COMPLETED, structured",
	  "<189>1 2026-07-06T03:52:51.100Z vsrx-ci mgd 97400 UI_COMMIT_COMPLETED [junos@2636.1.1.1.2.129 message=\"commit complete\"] commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "vsrx-ci", "", "" },
	{ "R1 UI_COMMIT_COMPLETED, local file with double space",
	  "Mar  5 14:47:49  sr_hktGCS001 mgd[91373]: UI_COMMIT_COMPLETED:  commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "sr_hktGCS001", "", "" },
	{ "R1 UI_COMMIT_COMPLETED, rsyslog forward format",
	  "<189>2024-03-05T10:15:02.123456+01:00 r1.lab.example.net mgd[12]: UI_COMMIT_COMPLETED: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "r1.lab.example.net", "", "" },
	{ "R1 UI_COMMIT_COMPLETED, explicit-priority",
	  "<189>Mar  5 10:15:04 r1 mgd[4321]: %INTERACTIVE-5-UI_COMMIT_COMPLETED: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "r1", "", "" },
	{ "R1 UI_COMMIT_COMPLETED, no host in header",
	  "<189>Mar  5 10:15:04 mgd[4321]: UI_COMMIT_COMPLETED: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "", "", "" },
	{ "R1 UI_COMMIT_COMPLETED as the TAG",
	  "<189>Mar  5 10:15:04 r1 UI_COMMIT_COMPLETED: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "r1", "", "" },
	{ "R1 UI_COMMIT_PROGRESS commit complete, BSD",
	  "<189>Mar 15 10:15:04 r1 mgd[4321]: UI_COMMIT_PROGRESS: Commit operation in progress: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_PROGRESS", "r1", "", "" },
	{ "R1 UI_COMMIT_PROGRESS commit complete, structured",
	  "<189>1 2024-03-05T10:15:04Z r1 mgd 4321 UI_COMMIT_PROGRESS [junos@2636.1.1.1.2.18 message=\"commit complete\"] Commit operation in progress: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_PROGRESS", "r1", "", "" },
	{ "R1 UI_COMMIT_NOT_CONFIRMED (rollback)",
	  "<189>Mar  5 10:25:02 10.0.0.1 mgd[12]: UI_COMMIT_NOT_CONFIRMED: Commit was not confirmed; automatic rollback complete",
	  JUNOS_COMMIT, "UI_COMMIT_NOT_CONFIRMED", "10.0.0.1", "", "" },
	{ "R1 UI_COMMIT_NOT_CONFIRMED, structured",
	  "<189>1 2024-03-05T10:25:02+01:00 r1 mgd 12 UI_COMMIT_NOT_CONFIRMED [junos@2636.1.1.1.2.18] Commit was not confirmed; automatic rollback complete",
	  JUNOS_COMMIT, "UI_COMMIT_NOT_CONFIRMED", "r1", "", "" },
	{ "R1 UI_COMMIT_AT_COMPLETED",
	  "<189>Mar  5 23:00:00 r1 mgd[12]: UI_COMMIT_AT_COMPLETED: 'commit at' has been completed",
	  JUNOS_COMMIT, "UI_COMMIT_AT_COMPLETED", "r1", "", "" },

	{ "R1 BSD line re-sent by rsyslog as RFC 5424 (RSYSLOG_SyslogProtocol23Format)",
	  "<189>1 2026-03-05T10:15:04+00:00 r1 mgd 4321 - -  UI_COMMIT_COMPLETED: commit complete",
	  JUNOS_COMMIT, "UI_COMMIT_COMPLETED", "r1", "", "" },

	/* UI_COMMIT: who and why, not a trigger */
	{ "UI_COMMIT with comment",
	  "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'admin' requested 'commit' operation (comment: change mtu)",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "r1", "admin", "change mtu" },
	{ "UI_COMMIT comment none",
	  "Mar  5 14:47:45  sr_hktGCS001 mgd[91373]: UI_COMMIT: User 'user' requested 'commit' operation (comment: none)",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "sr_hktGCS001", "user", "" },
	{ "UI_COMMIT without comment part",
	  "<189>Jan 15 15:25:10 router mgd[1234]: UI_COMMIT: User 'admin' requested 'commit' operation",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "router", "admin", "" },
	{ "UI_COMMIT comment with parentheses",
	  "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'noc' requested 'commit confirmed 5' operation (comment: CHG-31 (phase 2))",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "r1", "noc", "CHG-31 (phase 2)" },
	{ "UI_COMMIT structured with message",
	  "<189>1 2026-07-06T03:52:49.972Z vsrx-ci mgd 97400 UI_COMMIT [junos@2636.1.1.1.2.129 username=\"netconf\" command=\"commit\" message=\"m14c canary (capture)\"] User 'netconf' requested 'commit' operation (comment: m14c canary (capture))",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "vsrx-ci", "netconf", "m14c canary (capture)" },
	{ "UI_COMMIT structured without message",
	  "<189>1 2026-09-23T10:21:00.123+07:00 MX204-EDGE mgd 4410 UI_COMMIT [junos@2636.1.1.1.2.29 username=\"netops\" command=\"commit\"] User 'netops' requested 'commit' operation (comment: none)",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "MX204-EDGE", "netops", "" },
	{ "UI_COMMIT re-sent by rsyslog as RFC 5424",
	  "<189>1 2026-03-05T10:15:02+00:00 r1 mgd 4321 - -  UI_COMMIT: User 'alice' requested 'commit' operation (comment: via relp)",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "r1", "alice", "via relp" },
	{ "UI_COMMIT older wording, no comment",
	  "<189>Mar  5 10:15:02 r1 mgd[1]: UI_COMMIT: User 'root' performed commit: no comment",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "r1", "root", "" },
	{ "UI_COMMIT older wording with comment",
	  "<189>Mar  5 10:15:02 r1 mgd[1]: UI_COMMIT: User 'root' performed commit: fix bgp",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "r1", "root", "fix bgp" },
	{ "UI_COMMIT IPv6 host",
	  "<189>1 2026-07-06T03:52:49.972Z 2001:db8::1 mgd - UI_COMMIT [junos@2636.1.1.1.2.18 username=\"bob\"] User 'bob' requested 'commit confirmed 5' operation",
	  JUNOS_COMMIT_REQUEST, "UI_COMMIT", "2001:db8::1", "bob", "" },

	/* not triggers */
	{ "UI_COMMIT_PROGRESS other step",
	  "<189>Mar 15 10:15:03 r1 mgd[4321]: UI_COMMIT_PROGRESS: Commit operation in progress: signaling 'Routing protocol process', pid 1234, signal 1, status 0 with notification errors enabled",
	  JUNOS_EVENT, "UI_COMMIT_PROGRESS", "r1", "", "" },
	{ "UI_COMMIT_PROGRESS structured other step",
	  "<189>1 2024-03-05T10:15:03Z r1 mgd 4321 UI_COMMIT_PROGRESS [junos@2636.1.1.1.2.18 message=\"obtaining lock for commit\"] Commit operation in progress: obtaining lock for commit",
	  JUNOS_EVENT, "UI_COMMIT_PROGRESS", "r1", "", "" },
	{ "UI_CFG_AUDIT_SET",
	  "<182>1 2026-07-06T03:52:49.931Z vsrx-ci mgd 97400 UI_CFG_AUDIT_SET [junos@2636.1.1.1.2.129 username=\"netconf\" action=\"set\" pathname=\"[system login message\\]\" delimiter=\"\\\"\" data=\"x\" value=\"x\"] User 'netconf' set: [system login message] \"x\"",
	  JUNOS_EVENT, "UI_CFG_AUDIT_SET", "vsrx-ci", "", "" },
	{ "UI_LOAD_EVENT",
	  "Mar  5 14:47:45  sr_hktGCS001 mgd[91373]: UI_LOAD_EVENT: User 'user' is performing a 'load override'",
	  JUNOS_EVENT, "UI_LOAD_EVENT", "sr_hktGCS001", "", "" },
	{ "SNMP_TRAP_LINK_DOWN",
	  "<28>Mar  5 10:15:02 r1 mib2d[1409]: SNMP_TRAP_LINK_DOWN: ifIndex 522, ifAdminStatus up(1), ifOperStatus down(2), ifName ge-0/0/1",
	  JUNOS_EVENT, "SNMP_TRAP_LINK_DOWN", "r1", "", "" },
	{ "non-Junos message: tag is the app",
	  "<38>Mar  5 10:15:02 r1 sshd[99]: Accepted publickey for admin",
	  JUNOS_EVENT, "sshd", "r1", "", "" },
	{ "commit words in an unrelated tag",
	  "<189>Mar  5 10:15:02 r1 mgd[1]: UI_CMDLINE_READ_LINE: User 'admin', command 'commit comment \"UI_COMMIT_COMPLETED\"'",
	  JUNOS_EVENT, "UI_CMDLINE_READ_LINE", "r1", "", "" },
};

static void test_junos_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(junos_cases) / sizeof(junos_cases[0]); i++) {
		const struct junos_case *c = &junos_cases[i];
		struct syslog_msg m;
		struct junos_event ev;
		char host[256];

		if (syslog_parse(c->line, strlen(c->line), 0, &m) != SYSLOG_OK) {
			print_error("%s: does not parse\n", c->name);
			fail();
		}
		junos_recognise(&m, &ev);
		syslog_str_copy(ev.host, host, sizeof(host));
		if (ev.kind != c->kind || strcmp(ev.tag, c->tag) != 0 || strcmp(host, c->host) != 0 ||
		    strcmp(ev.user, c->user) != 0 || strcmp(ev.comment, c->comment) != 0) {
			print_error("%s: got %s/%s/%s/%s/%s\n", c->name, junos_kind_name(ev.kind), ev.tag,
				    host, ev.user, ev.comment);
			fail();
		}
	}
}

static void test_severity_and_text(void **state)
{
	const char *l = "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete";
	struct syslog_msg m;
	struct junos_event ev;

	(void)state;
	assert_int_equal(syslog_parse(l, strlen(l), 0, &m), SYSLOG_OK);
	junos_recognise(&m, &ev);
	assert_int_equal(ev.severity, 5);
	assert_int_equal(ev.text.n, strlen("commit complete"));
	assert_memory_equal(ev.text.p, "commit complete", ev.text.n);
}

/* Long user names and comments are cut, never overflow. */
static void test_long_fields_cut(void **state)
{
	char line[1024];
	struct syslog_msg m;
	struct junos_event ev;
	char user[100], comment[400];

	(void)state;
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	memset(comment, 'c', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	snprintf(line, sizeof(line), "<189>Mar  5 10:15:02 r1 mgd[1]: UI_COMMIT: User '%s' requested 'commit' operation (comment: %s)", user, comment);
	assert_int_equal(syslog_parse(line, strlen(line), 0, &m), SYSLOG_OK);
	junos_recognise(&m, &ev);
	assert_int_equal(ev.kind, JUNOS_COMMIT_REQUEST);
	assert_int_equal(strlen(ev.user), JUNOS_USER_MAX - 1);
	assert_int_equal(strlen(ev.comment), JUNOS_COMMENT_MAX - 1);
}

/* --classify output: verdict, tag, host, user, comment; tab separated. */
static void test_classify_line(void **state)
{
	char out[512];
	const char *l = "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'admin' requested 'commit' operation (comment: a\tb)";

	(void)state;
	classify_line(l, strlen(l), 0, out, sizeof(out));
	assert_string_equal(out, "commit-request\tUI_COMMIT\tr1\tadmin\ta b");
	classify_line("<999>x", 6, 0, out, sizeof(out));
	assert_string_equal(out, "malformed\tbad PRI\t\t\t");
	l = "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete\n";
	classify_line(l, strlen(l), 0, out, sizeof(out));
	assert_string_equal(out, "commit\tUI_COMMIT_COMPLETED\tr1\t\t");
}

static void test_classify_stream(void **state)
{
	const char *in_text = "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete\nhello\n";
	char out_buf[512] = "";
	FILE *in = fmemopen((void *)in_text, strlen(in_text), "r");
	FILE *out = fmemopen(out_buf, sizeof(out_buf), "w");

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(classify_main(in, out), 0);
	fclose(out);
	fclose(in);
	assert_string_equal(out_buf, "commit\tUI_COMMIT_COMPLETED\tr1\t\t\nmalformed\tno valid timestamp\t\t\t\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junos_table),
		cmocka_unit_test(test_severity_and_text),
		cmocka_unit_test(test_long_fields_cut),
		cmocka_unit_test(test_classify_line),
		cmocka_unit_test(test_classify_stream),
	};
	return testutil_run_tests(argc, argv, tests);
}
