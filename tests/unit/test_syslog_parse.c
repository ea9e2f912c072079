/* test_syslog_parse.c: RFC 3164 / RFC 5424 parsing, table-driven: every
 * supported form, and malformed input (bad PRI, truncated, oversize, invalid
 * UTF-8, broken structured data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "syslog_parse.h"

struct parse_case {
	const char *name;
	const char *line;
	enum syslog_error err;
	enum syslog_format format;
	int pri;
	const char *timestamp, *host, *app, *procid, *msgid, *text;
};

static const struct parse_case parse_cases[] = {
	{ "3164 with PRI, space-padded day",
	  "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete",
	  SYSLOG_OK, SYSLOG_FMT_3164, 189, "Mar  5 10:15:02", "r1", "mgd", "4321", "",
	  "UI_COMMIT_COMPLETED: commit complete" },
	{ "3164 two-digit day, FQDN host",
	  "<189>Mar 15 10:15:02 r1.lab.example.net mgd[4321]: UI_COMMIT: x",
	  SYSLOG_OK, SYSLOG_FMT_3164, 189, "Mar 15 10:15:02", "r1.lab.example.net", "mgd", "4321", "",
	  "UI_COMMIT: x" },
	{ "3164 one-digit day",
	  "<13>Mar 5 10:15:02 r1 sshd: hello",
	  SYSLOG_OK, SYSLOG_FMT_3164, 13, "Mar 5 10:15:02", "r1", "sshd", "", "", "hello" },
	{ "3164 IPv4 host, tag without pid",
	  "<189>Mar  5 10:15:02 192.0.2.7 mgd: UI_COMMIT: x",
	  SYSLOG_OK, SYSLOG_FMT_3164, 189, "Mar  5 10:15:02", "192.0.2.7", "mgd", "", "", "UI_COMMIT: x" },
	{ "3164 IPv6 host",
	  "<189>Mar  5 10:15:02 2001:db8::7 mgd[1]: y",
	  SYSLOG_OK, SYSLOG_FMT_3164, 189, "Mar  5 10:15:02", "2001:db8::7", "mgd", "1", "", "y" },
	{ "local log file: no PRI, two spaces before host",
	  "Mar  5 14:47:45  sr_hktGCS001 mgd[91373]: UI_COMMIT: User 'user' requested 'commit' operation (comment: none)\n",
	  SYSLOG_OK, SYSLOG_FMT_3164, -1, "Mar  5 14:47:45", "sr_hktGCS001", "mgd", "91373", "",
	  "UI_COMMIT: User 'user' requested 'commit' operation (comment: none)" },
	{ "Junos time-format year millisecond",
	  "<189>Mar  5 2024 10:15:02.123 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete",
	  SYSLOG_OK, SYSLOG_FMT_3164, 189, "Mar  5 2024 10:15:02.123", "r1", "mgd", "4321", "",
	  "UI_COMMIT_COMPLETED: commit complete" },
	{ "relay form: RFC 3339 timestamp (rsyslog forward format)",
	  "<189>2024-03-05T10:15:02.123456+01:00 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete\r\n",
	  SYSLOG_OK, SYSLOG_FMT_3164, 189, "2024-03-05T10:15:02.123456+01:00", "r1", "mgd", "4321", "",
	  "UI_COMMIT_COMPLETED: commit complete" },
	{ "no hostname in header",
	  "<13>Mar  5 10:15:02 mgd[7]: UI_COMMIT_COMPLETED: commit complete",
	  SYSLOG_OK, SYSLOG_FMT_3164, 13, "Mar  5 10:15:02", "", "mgd", "7", "",
	  "UI_COMMIT_COMPLETED: commit complete" },
	{ "PRI only, no header",
	  "<13>mgd[7]: UI_COMMIT_COMPLETED: commit complete",
	  SYSLOG_OK, SYSLOG_FMT_3164, 13, "", "", "mgd", "7", "", "UI_COMMIT_COMPLETED: commit complete" },
	{ "PRI 0",
	  "<0>Mar  5 10:15:02 r1 kernel: panic",
	  SYSLOG_OK, SYSLOG_FMT_3164, 0, "Mar  5 10:15:02", "r1", "kernel", "", "", "panic" },
	{ "5424 Junos structured",
	  "<189>1 2026-07-06T03:52:49.972Z vsrx-ci mgd 97400 UI_COMMIT [junos@2636.1.1.1.2.129 username=\"netconf\" command=\"commit\"] User 'netconf' requested 'commit' operation",
	  SYSLOG_OK, SYSLOG_FMT_5424, 189, "2026-07-06T03:52:49.972Z", "vsrx-ci", "mgd", "97400", "UI_COMMIT",
	  "User 'netconf' requested 'commit' operation" },
	{ "5424 NILVALUEs, no MSG",
	  "<14>1 - - - - - -",
	  SYSLOG_OK, SYSLOG_FMT_5424, 14, "", "", "", "", "", "" },
	{ "5424 BOM removed",
	  "<14>1 2024-03-05T10:15:02+01:00 h app - ID - \xef\xbb\xbfgr\xc3\xbc\xc3\x9f dich",
	  SYSLOG_OK, SYSLOG_FMT_5424, 14, "2024-03-05T10:15:02+01:00", "h", "app", "", "ID", "gr\xc3\xbc\xc3\x9f dich" },
	{ "5424 two SD elements, escapes",
	  "<14>1 2024-03-05T10:15:02Z h app - ID [a@1 x=\"q\\\"\\]\\\\\"][b@2 y=\"[z]\"] t",
	  SYSLOG_OK, SYSLOG_FMT_5424, 14, "2024-03-05T10:15:02Z", "h", "app", "", "ID", "t" },
	{ "5424 UTF-8 and escapes in SD values",
	  "<14>1 2024-03-05T10:15:02Z h app - ID [a@1 x=\"gr\xc3\xbc\xc3\x9f\" y=\"\\\xc3\xa9\\\\\"] t",
	  SYSLOG_OK, SYSLOG_FMT_5424, 14, "2024-03-05T10:15:02Z", "h", "app", "", "ID", "t" },
	{ "5424 SD without params",
	  "<14>1 2024-03-05T10:15:02Z h app - ID [junos@2636.1.1.1.2.18] ERROR",
	  SYSLOG_OK, SYSLOG_FMT_5424, 14, "2024-03-05T10:15:02Z", "h", "app", "", "ID", "ERROR" },

	/* malformed */
	{ "empty", "\r\n", SYSLOG_E_EMPTY, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "PRI too large", "<192>Mar  5 10:15:02 r1 x: y", SYSLOG_E_PRI, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "PRI leading zero", "<013>Mar  5 10:15:02 r1 x: y", SYSLOG_E_PRI, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "PRI empty", "<>Mar  5 10:15:02 r1 x: y", SYSLOG_E_PRI, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "PRI not digits", "<1a>Mar  5 10:15:02 r1 x: y", SYSLOG_E_PRI, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "PRI four digits", "<0013>x", SYSLOG_E_PRI, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "PRI unterminated", "<13", SYSLOG_E_TRUNCATED, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "no PRI, no timestamp", "hello world", SYSLOG_E_TIMESTAMP, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "bad month", "Foo  5 10:15:02 r1 x: y", SYSLOG_E_TIMESTAMP, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "3164 truncated after timestamp", "<13>Mar  5 10:15:02 ", SYSLOG_E_TRUNCATED, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 truncated header", "<14>1 2024-03-05T10:15:02Z h app", SYSLOG_E_TRUNCATED, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 truncated in SD", "<14>1 2024-03-05T10:15:02Z h app - ID [a@1 x=\"unterminated", SYSLOG_E_TRUNCATED, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 version 2", "<14>2 - - - - - -", SYSLOG_E_HEADER, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 bad timestamp", "<14>1 2024-13-05T10:15:02Z h a - - -", SYSLOG_E_TIMESTAMP, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 SD not bracketed", "<14>1 - h a - - x msg", SYSLOG_E_SD, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 SD param without quotes", "<14>1 - h a - - [a@1 x=y] msg", SYSLOG_E_SD, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 SD empty id", "<14>1 - h a - - [] msg", SYSLOG_E_SD, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 SD junk after element", "<14>1 - h a - - [a@1]x msg", SYSLOG_E_SD, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 invalid UTF-8 after BOM", "<14>1 - h a - - - \xef\xbb\xbf" "bad \xff", SYSLOG_E_UTF8, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 overlong UTF-8 in SD value", "<14>1 - h a - - [a@1 p=\"\xc0\xaf\"] x", SYSLOG_E_UTF8, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 escaped invalid UTF-8 in SD value", "<14>1 - h a - - [a@1 p=\"\\\xff\"] x", SYSLOG_E_UTF8, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 truncated UTF-8 in SD value", "<14>1 - h a - - [a@1 p=\"ab\xe2\x82\"] x", SYSLOG_E_UTF8, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 surrogate in MSG", "<14>1 - h a - - - \xef\xbb\xbf\xed\xa0\x80", SYSLOG_E_UTF8, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "5424 control byte in header", "<14>1 - h\x01 a - - - x", SYSLOG_E_HEADER, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void check_str(const char *what, struct syslog_str got, const char *want, const char *name)
{
	if (want == NULL)
		return;
	if (got.n != strlen(want) || (got.n && memcmp(got.p, want, got.n) != 0)) {
		print_error("%s: %s: got '%.*s' want '%s'\n", name, what, (int)got.n,
			    got.p ? got.p : "", want);
		fail();
	}
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct syslog_msg m;
		enum syslog_error e = syslog_parse(c->line, strlen(c->line), 0, &m);

		if (e != c->err) {
			print_error("%s: got %s want %s\n", c->name, syslog_strerror(e),
				    syslog_strerror(c->err));
			fail();
		}
		if (e != SYSLOG_OK)
			continue;
		assert_int_equal(m.format, c->format);
		assert_int_equal(m.pri, c->pri);
		if (c->pri >= 0) {
			assert_int_equal(m.facility, c->pri >> 3);
			assert_int_equal(m.severity, c->pri & 7);
		} else {
			assert_int_equal(m.severity, -1);
		}
		check_str("timestamp", m.timestamp, c->timestamp, c->name);
		check_str("host", m.host, c->host, c->name);
		check_str("app", m.app, c->app, c->name);
		check_str("procid", m.procid, c->procid, c->name);
		check_str("msgid", m.msgid, c->msgid, c->name);
		check_str("text", m.text, c->text, c->name);
	}
}

/* n copies of ch, NUL terminated, in a static buffer of the caller's. */
static const char *rep(char *buf, size_t n, char ch)
{
	memset(buf, ch, n);
	buf[n] = '\0';
	return buf;
}

/* Every length limit, at the limit and one past it (the scanning loops stop
 * at these bounds, so an off-by-one shows here). */
static void test_field_limits(void **state)
{
	struct limit {
		const char *fmt;   /* one %s: the field */
		size_t max;        /* longest that is accepted */
		enum syslog_error over;
	};
	static const struct limit limits[] = {
		{ "<14>1 - %s app - - - x", 255, SYSLOG_E_HEADER },            /* HOSTNAME */
		{ "<14>1 - h %s - - - x", 48, SYSLOG_E_HEADER },               /* APP-NAME */
		{ "<14>1 - h a %s - - x", 128, SYSLOG_E_HEADER },              /* PROCID */
		{ "<14>1 - h a - %s - x", 32, SYSLOG_E_HEADER },               /* MSGID */
		{ "<14>1 - h a - - [%s] x", 32, SYSLOG_E_SD },                 /* SD-ID */
		{ "<14>1 - h a - - [id %s=\"v\"] x", 32, SYSLOG_E_SD },        /* PARAM-NAME */
		{ "<14>1 2024-03-05T10:15:02.%sZ h a - - - x", 6, SYSLOG_E_TIMESTAMP }, /* TIME-SECFRAC */
	};
	char field[300], line[400];
	struct syslog_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		char ch = strstr(limits[i].fmt, ".%s") ? '7' : 'x';

		snprintf(line, sizeof(line), limits[i].fmt, rep(field, limits[i].max, ch));
		assert_int_equal(syslog_parse(line, strlen(line), 0, &m), SYSLOG_OK);
		snprintf(line, sizeof(line), limits[i].fmt, rep(field, limits[i].max + 1, ch));
		assert_int_equal(syslog_parse(line, strlen(line), 0, &m), limits[i].over);
	}

	/* BSD: a longer TAG or PROCID is no TAG (all text), a longer HOSTNAME
	 * no HOSTNAME; a 7-digit fraction is no timestamp. */
	static const struct bsd_limit {
		const char *fmt;
		size_t n;
		char ch;
		size_t field;      /* offsetof the slice in struct syslog_msg */
		size_t want;       /* its length */
	} bsd[] = {
		{ "<13>Mar  5 10:15:02 h %s[1]: x", 48, 'a', offsetof(struct syslog_msg, app), 48 },
		{ "<13>Mar  5 10:15:02 h %s[1]: x", 49, 'a', offsetof(struct syslog_msg, app), 0 },
		{ "<13>Mar  5 10:15:02 h app[%s]: x", 128, '1', offsetof(struct syslog_msg, procid), 128 },
		{ "<13>Mar  5 10:15:02 h app[%s]: x", 129, '1', offsetof(struct syslog_msg, app), 0 },
		{ "<13>Mar  5 10:15:02 %s app: x", 256, 'h', offsetof(struct syslog_msg, host), 256 },
		{ "<13>Mar  5 10:15:02 %s app: x", 257, 'h', offsetof(struct syslog_msg, host), 0 },
		{ "<13>Mar  5 10:15:02.%s h app: x", 6, '1', offsetof(struct syslog_msg, timestamp), 22 },
		{ "<13>Mar  5 10:15:02.%s h app: x", 7, '1', offsetof(struct syslog_msg, timestamp), 0 },
	};
	for (size_t i = 0; i < sizeof(bsd) / sizeof(bsd[0]); i++) {
		snprintf(line, sizeof(line), bsd[i].fmt, rep(field, bsd[i].n, bsd[i].ch));
		assert_int_equal(syslog_parse(line, strlen(line), 0, &m), SYSLOG_OK);
		assert_int_equal(((const struct syslog_str *)((const char *)&m + bsd[i].field))->n, bsd[i].want);
	}
}

static void test_oversize(void **state)
{
	char buf[300];
	struct syslog_msg m;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "<13>Mar  5 10:15:02 r1 x: ", 26);
	assert_int_equal(syslog_parse(buf, sizeof(buf), 299, &m), SYSLOG_E_OVERSIZE);
	assert_int_equal(syslog_parse(buf, sizeof(buf), 300, &m), SYSLOG_OK);
	/* A trailing newline does not count against the limit. */
	buf[299] = '\n';
	assert_int_equal(syslog_parse(buf, sizeof(buf), 299, &m), SYSLOG_OK);
	assert_int_equal(m.text.n, 300 - 26 - 1);
}

/* Every prefix of a valid message parses or fails cleanly, never reads past
 * its end (ASan in CI) and never says OK with a field outside the input. */
static void test_every_prefix(void **state)
{
	static const char *lines[] = {
		"<189>1 2026-07-06T03:52:49.972Z vsrx-ci mgd 97400 UI_COMMIT [junos@2636.1.1.1.2.129 username=\"netconf\" command=\"commit\" message=\"a \\] b\"] User 'netconf'",
		"<189>Mar  5 2024 10:15:02.123 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete",
		"<189>2024-03-05T10:15:02.123456+01:00 r1 mgd[4321]: x",
	};

	(void)state;
	for (size_t l = 0; l < 3; l++) {
		size_t n = strlen(lines[l]);

		for (size_t k = 0; k <= n; k++) {
			char *b = malloc(k ? k : 1);
			struct syslog_msg m;

			memcpy(b, lines[l], k);
			if (syslog_parse(b, k, 0, &m) == SYSLOG_OK) {
				struct syslog_str f[] = { m.timestamp, m.host, m.app, m.procid, m.msgid, m.sd, m.text };

				for (size_t i = 0; i < 7; i++)
					if (f[i].n)
						assert_true(f[i].p >= b && f[i].p + f[i].n <= b + k);
			}
			free(b);
		}
	}
}

static void test_sd_param(void **state)
{
	const char *line = "<14>1 - h a - - [other@1 username=\"no\"][junos@2636.1.1.1.2.18 "
			   "pathname=\"[system login message\\]\" delimiter=\"\\\"\" username=\"ad\\\\min\"] x";
	struct syslog_msg m;
	char v[16];
	struct syslog_str id;

	(void)state;
	assert_int_equal(syslog_parse(line, strlen(line), 0, &m), SYSLOG_OK);
	assert_int_equal(syslog_sd_param(&m, "junos@2636", "username", v, sizeof(v)), 6);
	assert_string_equal(v, "ad\\min");
	assert_int_equal(syslog_sd_param(&m, "junos@2636", "delimiter", v, sizeof(v)), 1);
	assert_string_equal(v, "\"");
	/* Cut at the buffer, length reported in full. */
	assert_int_equal(syslog_sd_param(&m, "junos@2636", "pathname", v, 8), 22);
	assert_string_equal(v, "[system");
	assert_int_equal(syslog_sd_param(&m, "junos@2636", "missing", v, sizeof(v)), -1);
	assert_int_equal(syslog_sd_param(&m, "nope@1", "username", v, sizeof(v)), -1);
	id = syslog_sd_first_id(&m);
	assert_int_equal(id.n, 7);
	assert_memory_equal(id.p, "other@1", 7);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(syslog_utf8_valid("plain", 5));
	assert_true(syslog_utf8_valid("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(syslog_utf8_valid("\xc3", 1));          /* truncated */
	assert_false(syslog_utf8_valid("\xe0\x80\x80", 3));  /* overlong */
	assert_false(syslog_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(syslog_utf8_valid("\x80", 1));          /* stray continuation */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_sd_param),
		cmocka_unit_test(test_utf8),
	};
	return testutil_run_tests(argc, argv, tests);
}
