/* test_ssh_netconf.c: the resync fetch (SPEC R4 failure classes, J1 cancel)
 * driven directly against real OpenSSH sshd run by scripts/devsim, plus the
 * NETCONF hello/reply parsers on hand-written replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "fetch.h"
#include "netconf.h"
#include "testutil.h"

static char devsim[512];
static char *tmp;
static char sim[200];
static unsigned sim_port;

/* ------------------------------------------------------------ parsers */

static void test_hello_base11(void **state)
{
	const char *h = "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities>"
			"<capability>urn:ietf:params:netconf:base:1.0</capability>"
			"<capability>\n urn:ietf:params:netconf:base:1.1 \n</capability>"
			"</capabilities><session-id>4</session-id></hello>";
	char err[128];
	int b11 = -1;

	(void)state;
	assert_int_equal(netconf_parse_hello(h, strlen(h), &b11, NULL, err, sizeof(err)), 0);
	assert_int_equal(b11, 1);
}

static void test_hello_base10_only(void **state)
{
	const char *h = "<hello><capabilities><capability>urn:ietf:params:netconf:base:1.0"
			"</capability></capabilities></hello>";
	char err[128];
	int b11 = -1;

	(void)state;
	assert_int_equal(netconf_parse_hello(h, strlen(h), &b11, NULL, err, sizeof(err)), 0);
	assert_int_equal(b11, 0);
}

/* Junos 9.x offers only the pre-RFC 6241 URN; hellos may carry a prefix. */
static void test_hello_junos9_and_prefix(void **state)
{
	static const char *ok[] = {
		"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities>"
		"<capability>urn:ietf:params:xml:ns:netconf:base:1.0</capability>"
		"<capability>http://xml.juniper.net/netconf/junos/1.0</capability>"
		"</capabilities><session-id>9</session-id></hello>",
		"<!-- x --><nc:hello xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
		"<nc:capabilities><nc:capability>urn:ietf:params:netconf:base:1.0</nc:capability>"
		"</nc:capabilities></nc:hello>",
	};
	char err[128], *caps = NULL;
	int b11 = -1;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(netconf_parse_hello(ok[i], strlen(ok[i]), &b11, &caps, err, sizeof(err)), 0);
		assert_int_equal(b11, 0);
		assert_non_null(caps);
		free(caps);
	}
}

static void test_hello_refused(void **state)
{
	static const char *bad[] = {
		"<hello><capabilities><capability>urn:x</capability></capabilities></hello>",
		"<rpc-reply><ok/></rpc-reply>",
		"<hello><capabilities><capability>urn:ietf:params:netconf:base:1.0",
		"",
	};
	char err[128];
	int b11;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(netconf_parse_hello(bad[i], strlen(bad[i]), &b11, NULL, err, sizeof(err)), -1);
}

struct reply_case {
	const char *name, *xml;
	enum fetch_reply want;
	const char *text;       /* expected text (OK) or substring of err */
	int64_t secs;
	const char *user;
	int unsupported;
};

static const struct reply_case reply_cases[] = {
	{ "junos text with commit attributes",
	  "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
	  "xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\" message-id=\"1\">"
	  "<configuration-text junos:commit-seconds=\"1700000000\" junos:commit-user=\"alice\">\n"
	  "system {\n    host-name r1;\n}\n&lt;x&gt;\n</configuration-text></rpc-reply>",
	  FETCH_REPLY_OK, "system {\n    host-name r1;\n}\n<x>\n", 1700000000, "alice", 0 },
	{ "attributes without the junos namespace are not commit data",
	  "<rpc-reply><configuration-text commit-seconds=\"5\" commit-user=\"eve\">a\n"
	  "</configuration-text></rpc-reply>",
	  FETCH_REPLY_OK, "a\n", 0, "", 0 },
	{ "standard get-config data",
	  "<rpc-reply><data><system><host-name>r9</host-name></system></data></rpc-reply>",
	  FETCH_REPLY_OK, "<system>\n  <host-name>r9</host-name>\n</system>\n", 0, "", 0 },
	{ "rpc-error with a message",
	  "<rpc-reply><rpc-error><error-tag>operation-failed</error-tag>"
	  "<error-severity>error</error-severity><error-message>\n  database\n  locked\n"
	  "</error-message></rpc-error></rpc-reply>",
	  FETCH_REPLY_RPC_ERROR, "NETCONF rpc-error: database locked", 0, "", 0 },
	{ "rpc-error for an unknown operation asks for the fall-back",
	  "<rpc-reply><rpc-error><error-tag>operation-not-supported</error-tag>"
	  "<error-severity>error</error-severity></rpc-error></rpc-reply>",
	  FETCH_REPLY_RPC_ERROR, "operation-not-supported", 0, "", 1 },
	{ "a warning does not fail the reply",
	  "<rpc-reply><rpc-error><error-severity>warning</error-severity>"
	  "<error-message>statement deprecated</error-message></rpc-error>"
	  "<configuration-text>ok\n</configuration-text></rpc-reply>",
	  FETCH_REPLY_OK, "ok\n", 0, "", 0 },
	{ "no configuration", "<rpc-reply><ok/></rpc-reply>", FETCH_REPLY_MALFORMED,
	  "no configuration", 0, "", 0 },
	{ "not an rpc-reply", "<hello/>", FETCH_REPLY_MALFORMED, "instead of <rpc-reply>", 0, "", 0 },
	{ "truncated", "<rpc-reply><configuration-text>system {\n  host-",
	  FETCH_REPLY_MALFORMED, "malformed reply", 0, "", 0 },
	/* Shaped like real Junos replies (issue: NETCONF as real devices send it). */
	{ "junos XML <configuration> to <get-configuration>, stored well-formed with xmlns:junos",
	  "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
	  "xmlns:junos=\"http://xml.juniper.net/junos/18.1R3/junos\">\n"
	  "<configuration junos:commit-seconds=\"1600000000\" "
	  "junos:commit-localtime=\"2020-09-13 12:26:40 UTC\" junos:commit-user=\"carol\">\n"
	  "<system><host-name>r1</host-name></system>\n</configuration>\n"
	  "<cli><banner></banner></cli>\n</rpc-reply>",
	  FETCH_REPLY_OK,
	  "<configuration xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
	  "xmlns:junos=\"http://xml.juniper.net/junos/18.1R3/junos\" "
	  "junos:commit-seconds=\"1600000000\" junos:commit-localtime=\"2020-09-13 12:26:40 UTC\" "
	  "junos:commit-user=\"carol\">\n  <system>\n    <host-name>r1</host-name>\n  </system>\n"
	  "</configuration>\n", 1600000000, "carol", 0 },
	{ "nc: prefix, comments, whitespace, <cli> trailer, no message-id",
	  "<?xml version=\"1.0\"?>\n<!-- junos -->\n"
	  "<nc:rpc-reply xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
	  "xmlns:junos=\"http://xml.juniper.net/junos/21.4R0/junos\">\n  <!-- c -->\n"
	  "<configuration-text xmlns=\"http://xml.juniper.net/xnm/1.1/xnm\">\nsystem {\n}\n"
	  "</configuration-text>\n<cli><banner>[edit]</banner></cli>\n</nc:rpc-reply>\n",
	  FETCH_REPLY_OK, "system {\n}\n", 0, "", 0 },
	{ "nc: prefixed rpc-error is an rpc-error",
	  "<nc:rpc-reply xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><nc:rpc-error>"
	  "<nc:error-severity>error</nc:error-severity><nc:error-message>locked</nc:error-message>"
	  "</nc:rpc-error></nc:rpc-reply>",
	  FETCH_REPLY_RPC_ERROR, "NETCONF rpc-error: locked", 0, "", 0 },
	{ "an rpc-reply in another namespace is not NETCONF's",
	  "<x:rpc-reply xmlns:x=\"urn:example\"><data><a/></data></x:rpc-reply>",
	  FETCH_REPLY_MALFORMED, "instead of <rpc-reply>", 0, "", 0 },
	{ "several top-level modules stay in one <data> document",
	  "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><data>"
	  "<a xmlns=\"urn:a\">1</a><b xmlns=\"urn:b\">2</b></data></rpc-reply>",
	  FETCH_REPLY_OK, "<data xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n"
	  "  <a xmlns=\"urn:a\">1</a>\n  <b xmlns=\"urn:b\">2</b>\n</data>\n", 0, "", 0 },
	{ "entity expansion refused",
	  "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;\">]>"
	  "<rpc-reply><configuration-text>&b;&b;&b;</configuration-text></rpc-reply>",
	  FETCH_REPLY_MALFORMED, "DOCTYPE", 0, "", 0 },
};

static void test_config_reply_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		char *text = NULL, user[RS_USER_MAX], err[RS_REASON_MAX] = "";
		size_t len = 0;
		int64_t secs = -1;
		int unsup = -1;
		enum fetch_reply r;

		print_message("case: %s\n", c->name);
		r = fetch_parse_config_reply(c->xml, strlen(c->xml), &text, &len, &secs, user,
						   sizeof(user), &unsup, err, sizeof(err));
		assert_int_equal(r, c->want);
		if (r == FETCH_REPLY_OK) {
			assert_non_null(text);
			assert_string_equal(text, c->text);
			assert_int_equal(len, strlen(c->text));
			if (text[0] == '<') { /* stored XML is a document of its own */
				xmlDoc *alone = xmlReadMemory(text, (int)len, "stored.xml", NULL,
							      XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
				assert_non_null(alone);
				xmlFreeDoc(alone);
			}
			assert_int_equal(secs, c->secs);
			assert_string_equal(user, c->user);
		} else {
			assert_null(text);
			assert_non_null(strstr(err, c->text));
			assert_int_equal(unsup, c->unsupported);
		}
		free(text);
	}
}

/* A worker-sized stack: a walk that recursed on the reply's depth would
 * overflow it (the daemon died with SIGSEGV on a 200,000-deep reply). */
#define SMALL_STACK (256 * 1024)
#define DEEP 200000

static void on_small_stack(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;

	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
	assert_int_equal(pthread_create(&t, &attr, fn, arg), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
}

struct deep_case {
	char *xml;
	enum fetch_reply r;
	char *text;
	char err[RS_REASON_MAX];
};

static void *parse_deep(void *arg)
{
	struct deep_case *c = arg;
	size_t len = 0;
	int64_t secs;
	char user[RS_USER_MAX];
	int unsup;

	c->r = fetch_parse_config_reply(c->xml, strlen(c->xml), &c->text, &len, &secs, user,
					sizeof(user), &unsup, c->err, sizeof(c->err));
	return NULL;
}

/* A reply nested DEEP elements deep (about 1.4 MB) below open, then closed. */
static char *deep_reply(const char *open, const char *close)
{
	size_t n = strlen(open) + strlen(close) + (size_t)DEEP * 7 + 1, o;
	char *x = malloc(n);

	assert_non_null(x);
	o = (size_t)sprintf(x, "%s", open);
	for (int i = 0; i < DEEP; i++)
		o += (size_t)sprintf(x + o, "<a>");
	for (int i = 0; i < DEEP; i++)
		o += (size_t)sprintf(x + o, "</a>");
	sprintf(x + o, "%s", close);
	return x;
}

static void test_R4_deep_reply_fails_with_reason(void **state)
{
	static const char *opens[][2] = {
		{ "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><data>",
		  "</data></rpc-reply>" },
		{ "<rpc-reply><configuration>", "</configuration></rpc-reply>" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		struct deep_case c = { .xml = deep_reply(opens[i][0], opens[i][1]) };

		on_small_stack(parse_deep, &c);
		print_message("deep reply %zu: %s\n", i, c.err);
		assert_int_equal(c.r, FETCH_REPLY_MALFORMED);
		assert_null(c.text);
		assert_non_null(strstr(c.err, "nested too deeply"));
		free(c.xml);
	}
}

struct walk_case {
	xmlNode *top;
	xmlNode *found, *missing;
};

static void *walk_deep(void *arg)
{
	struct walk_case *c = arg;

	c->found = netconf_find(c->top, NULL, "leaf");
	c->missing = netconf_find(c->top, NULL, "absent");
	return NULL;
}

/* The walk helpers themselves take no stack per level, whatever the parser
 * allowed: a tree built by hand, deeper than any limit. */
static void test_R4_reply_walk_is_not_recursive(void **state)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *top = xmlNewNode(NULL, BAD_CAST "rpc-reply"), *n = top;
	struct walk_case c = { .top = top };

	(void)state;
	xmlDocSetRootElement(doc, top);
	for (int i = 0; i < DEEP; i++)
		n = xmlNewChild(n, NULL, BAD_CAST "a", NULL);
	n = xmlNewChild(n, NULL, BAD_CAST "leaf", NULL);
	xmlNewChild(top, NULL, BAD_CAST "after", NULL);
	on_small_stack(walk_deep, &c);
	assert_ptr_equal(c.found, n);
	assert_null(c.missing);
	xmlFreeDoc(doc);
}

/* ------------------------------------------------------------ against sshd */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int sim_setup(void **state)
{
	char path[700], buf[4096];
	const char *p;
	FILE *f;
	size_t n;

	(void)state;
#ifdef SOURCE_DIR
	snprintf(devsim, sizeof(devsim), "%s/scripts/devsim/devsim", SOURCE_DIR);
#else
	/* __FILE__ is absolute under CMake: the tree's devsim sits beside it. */
	snprintf(devsim, sizeof(devsim), "%s", __FILE__);
	p = strstr(devsim, "tests/unit/");
	if (!p)
		return -1;
	snprintf(devsim + (p - devsim), sizeof(devsim) - (size_t)(p - devsim), "scripts/devsim/devsim");
#endif
	tmp = testutil_tmpdir();
	if (!tmp)
		return -1;
	snprintf(sim, sizeof(sim), "%s/sim", tmp);
	if (run("python3 %s start %s --devices 8 >/dev/null", devsim, sim) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/devsim.json", sim);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	p = strstr(buf, "\"port\": ");
	sim_port = p ? (unsigned)atoi(p + 8) : 0;
	return sim_port ? 0 : -1;
}

static int sim_teardown(void **state)
{
	(void)state;
	if (tmp) {
		run("python3 %s stop %s", devsim, sim);
		testutil_rmrf(tmp);
		free(tmp);
	}
	netconf_global_cleanup();
	return 0;
}

static void knob(const char *dev, const char *knobs)
{
	assert_int_equal(run("python3 %s set %s %s %s", devsim, sim, dev, knobs), 0);
}

/* Device rN answers on 127.0.0.(N+1). */
static void req_for(struct fetch_request *req, int n)
{
	memset(req, 0, sizeof(*req));
	req->job = 100 + (uint32_t)n;
	req->device = (uint32_t)n;
	snprintf(req->name, sizeof(req->name), "r%d", n);
	snprintf(req->address, sizeof(req->address), "127.0.0.%d", n + 1);
	req->port = (uint16_t)sim_port;
	snprintf(req->user, sizeof(req->user), "%s", getpwuid(getuid())->pw_name); /* as devsim */
	snprintf(req->key_path, sizeof(req->key_path), "%s/client_key", sim);
	snprintf(req->known_hosts, sizeof(req->known_hosts), "%s/known_hosts", sim);
	req->timeout_secs = 20;
}

static void fetch(struct fetch_request *req, struct fetch_result *res)
{
	memset(res, 0xa5, sizeof(*res)); /* the fetch must fill every field */
	fetch_config(req, res);
	print_message("%s: ok=%d conn=%d reason='%s'\n", req->name, res->ok, res->conn, res->reason);
	assert_int_equal(res->job, req->job);
	assert_int_equal(res->device, req->device);
}

static void expect_failure(struct fetch_result *res, enum conn_status conn, const char *reason)
{
	assert_int_equal(res->ok, 0);
	assert_null(res->config);
	assert_int_equal(res->conn, conn);
	assert_non_null(strstr(res->reason, reason));
	assert_null(strchr(res->reason, '\n'));
}

static void expect_config_of(struct fetch_result *res, int n)
{
	char host[64];

	assert_int_equal(res->ok, 1);
	assert_int_equal(res->conn, CONN_UP);
	assert_non_null(res->config);
	assert_int_equal(strlen(res->config), res->config_len);
	snprintf(host, sizeof(host), "host-name r%d;\n", n);
	assert_non_null(strstr(res->config, host));
	assert_int_equal(res->cancelled, 0);
}

static void test_fetch_chunked_base11(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	req_for(&req, 1);
	fetch(&req, &res);
	expect_config_of(&res, 1);
	/* The Junos reply carries its own commit time and user. */
	assert_true(res.commit_time > RS_SECS(1600000000));
	assert_string_equal(res.commit_user, "admin");
	free(res.config);
}

static void test_fetch_eom_base10(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	knob("r2", "framing=1.0");
	req_for(&req, 2);
	fetch(&req, &res);
	expect_config_of(&res, 2);
	free(res.config);
}

static void test_fetch_commit_changes_config(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	assert_int_equal(run("python3 %s commit %s r8 --user bob >/dev/null", devsim, sim), 0);
	req_for(&req, 8);
	fetch(&req, &res);
	expect_config_of(&res, 8);
	assert_non_null(strstr(res.config, "revision 2"));
	assert_string_equal(res.commit_user, "bob");
	free(res.config);
}

static void test_fetch_get_config_fallback(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	knob("r6", "junos=0");
	req_for(&req, 6);
	fetch(&req, &res);
	expect_config_of(&res, 6);
	assert_int_equal(res.commit_time, 0);
	free(res.config);
}

static void test_R4_rpc_error(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	knob("r3", "fault=rpc-error");
	req_for(&req, 3);
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "NETCONF rpc-error: configuration database locked");
}

static void test_R4_reply_cut_in_half(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	knob("r4", "fault=cut framing=1.1");
	req_for(&req, 4);
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "malformed reply: truncated");
	knob("r4", "framing=1.0");
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "malformed reply: truncated");
	knob("r4", "fault=garbage");
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "malformed reply");
}

static void test_R4_wrong_key(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	req_for(&req, 1);
	/* A valid private key the device does not authorise. */
	snprintf(req.key_path, sizeof(req.key_path), "%s/ssh_host_ed25519_key", sim);
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "authentication failed");
}

static void test_R4_host_key_mismatch(void **state)
{
	struct fetch_request req;
	struct fetch_result res;
	char kh[220];

	(void)state;
	req_for(&req, 1);
	/* known_hosts names the device with a different ed25519 key. */
	snprintf(kh, sizeof(kh), "%s/kh_changed", sim);
	assert_int_equal(run("printf '[127.0.0.2]:%u ' > %s && cut -d' ' -f1,2 %s/client_key.pub >> %s",
			     sim_port, kh, sim, kh), 0);
	snprintf(req.known_hosts, sizeof(req.known_hosts), "%s", kh);
	req.trust_on_first_use = 1; /* a changed key is refused even so */
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "host key mismatch");
}

static void test_unknown_host_key_strict_then_tofu(void **state)
{
	struct fetch_request req;
	struct fetch_result res;
	struct stat st;

	(void)state;
	req_for(&req, 7);
	snprintf(req.known_hosts, sizeof(req.known_hosts), "%s/kh_tofu", sim);
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "unknown host key");
	assert_int_not_equal(stat(req.known_hosts, &st), 0); /* strict: nothing written */

	req.trust_on_first_use = 1;
	fetch(&req, &res);
	expect_config_of(&res, 7);
	free(res.config);
	assert_int_equal(stat(req.known_hosts, &st), 0);

	/* Now known: passes without trust-on-first-use, file not grown. */
	req.trust_on_first_use = 0;
	fetch(&req, &res);
	expect_config_of(&res, 7);
	free(res.config);
	{
		struct stat st2;

		assert_int_equal(stat(req.known_hosts, &st2), 0);
		assert_int_equal(st2.st_size, st.st_size);
	}
}

static void test_R4_connection_refused(void **state)
{
	struct fetch_request req;
	struct fetch_result res;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* A port that was free a moment ago: nothing listens there. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	req_for(&req, 1);
	snprintf(req.address, sizeof(req.address), "127.0.0.1");
	req.port = ntohs(a.sin_port);
	fetch(&req, &res);
	expect_failure(&res, CONN_DOWN, "connection refused");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_R4_timeout_bounds_the_job(void **state)
{
	struct fetch_request req;
	struct fetch_result res;
	double t0;

	(void)state;
	knob("r5", "fault=slow slow_secs=30");
	req_for(&req, 5);
	req.timeout_secs = 2;
	t0 = now_s();
	fetch(&req, &res);
	expect_failure(&res, CONN_UP, "timeout");
	assert_true(now_s() - t0 >= 1.9);
	assert_true(now_s() - t0 < 6.0);
}

struct bg {
	struct fetch_request req;
	struct fetch_result res;
	double ended;
};

static void *bg_fetch(void *arg)
{
	struct bg *b = arg;

	fetch_config(&b->req, &b->res);
	b->ended = now_s();
	return NULL;
}

static void test_J1_cancel_closes_session(void **state)
{
	struct bg b;
	pthread_t t;
	double cancelled_at;

	(void)state;
	knob("r5", "fault=slow slow_secs=30");
	req_for(&b.req, 5);
	b.req.timeout_secs = 30;
	assert_int_equal(pthread_create(&t, NULL, bg_fetch, &b), 0);
	usleep(800 * 1000); /* let it get into the session; any stage must obey */
	cancelled_at = now_s();
	atomic_store(&b.req.cancel, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	print_message("cancel: reason='%s' after %.3f s\n", b.res.reason, b.ended - cancelled_at);
	assert_int_equal(b.res.ok, 0);
	assert_int_equal(b.res.cancelled, 1);
	assert_non_null(strstr(b.res.reason, "cancelled"));
	assert_null(b.res.config);
	assert_true(b.ended - cancelled_at < 1.0);
}

static void test_concurrent_fetches(void **state)
{
	enum { N = 12 };
	static const int devs[] = { 1, 2, 6, 8 };
	struct bg *b = calloc(N, sizeof(*b));
	pthread_t t[N];

	(void)state;
	assert_non_null(b);
	for (int i = 0; i < N; i++) {
		req_for(&b[i].req, devs[i % 4]);
		assert_int_equal(pthread_create(&t[i], NULL, bg_fetch, &b[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		expect_config_of(&b[i].res, devs[i % 4]);
		free(b[i].res.config);
	}
	free(b);
}

static void *parse_in_thread(void *arg)
{
	static const char bad[] = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>"
				  "<rpc-reply><data>\xff\xff\xff</data></rpc-reply>";
	char *err = arg;
	xmlDoc *doc = netconf_parse(bad, sizeof(bad) - 1, err, 128);
	if (doc)
		xmlFreeDoc(doc);
	return doc;
}

/* A reply that breaks the encoding it declares fails with a reason and
 * prints nothing: libxml2's generic handler would write it to stderr (the
 * daemon's log) from the worker thread that parsed it. */
/* J3, inventoryResyncIntervalSecs: a fetch that carries the stored
 * version's commit time asks <get-commit-information/> first; the same
 * newest commit: not fetched (ok, current, no configuration); another one:
 * fetched as usual, its commit time taken from what the device said. A
 * device that is not Junos is fetched without asking. */
static void test_J3_current_device_is_not_fetched(void **state)
{
	struct fetch_request req;
	struct fetch_result res;

	(void)state;
	assert_false(fetch_commit_is_current(0, 1700000000));
	assert_false(fetch_commit_is_current(RS_SECS(1700000000), 0));
	assert_false(fetch_commit_is_current(RS_SECS(1700000000), 1700000001));
	assert_true(fetch_commit_is_current(RS_SECS(1700000000), 1700000000));

	knob("r1", "commit_seconds=1700000000");
	req_for(&req, 1);
	req.current_commit = RS_SECS(1700000000);
	fetch(&req, &res);
	assert_int_equal(res.ok, 1);
	assert_int_equal(res.current, 1);
	assert_int_equal(res.conn, CONN_UP);
	assert_null(res.config);
	assert_non_null(strstr(res.reason, "configuration current: last commit 2023-11-14 22:13:20 UTC by"));

	knob("r1", "commit_seconds=1700000100");
	fetch(&req, &res);
	expect_config_of(&res, 1);
	assert_int_equal(res.current, 0);
	assert_true(res.commit_time == RS_SECS(1700000100));
	free(res.config);

	knob("r6", "junos=0");
	req_for(&req, 6);
	req.current_commit = RS_SECS(1700000100);
	fetch(&req, &res);
	expect_config_of(&res, 6);
	assert_int_equal(res.current, 0);
	free(res.config);
}

static void test_R4_bad_encoding_fails_quietly(void **state)
{
	(void)state;
	assert_int_equal(netconf_global_init(), 0);
	char path[] = "/tmp/resyncd-xmlerr-XXXXXX", err[128] = "";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	assert_true(dup2(fd, 2) == 2);
	pthread_t t;
	void *doc = (void *)1;
	assert_int_equal(pthread_create(&t, NULL, parse_in_thread, err), 0);
	assert_int_equal(pthread_join(t, &doc), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlink(path);
	print_message("bad encoding: %s\n", err);
	assert_null(doc);
	assert_true(err[0] != '\0');
	assert_int_equal(st.st_size, 0);
}

int main(void)
{
	const struct CMUnitTest parsers[] = {
		cmocka_unit_test(test_hello_base11),
		cmocka_unit_test(test_hello_base10_only),
		cmocka_unit_test(test_hello_refused),
		cmocka_unit_test(test_hello_junos9_and_prefix),
		cmocka_unit_test(test_config_reply_table),
		cmocka_unit_test(test_R4_deep_reply_fails_with_reason),
		cmocka_unit_test(test_R4_reply_walk_is_not_recursive),
		cmocka_unit_test(test_R4_bad_encoding_fails_quietly),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_fetch_chunked_base11),
		cmocka_unit_test(test_fetch_eom_base10),
		cmocka_unit_test(test_fetch_commit_changes_config),
		cmocka_unit_test(test_fetch_get_config_fallback),
		cmocka_unit_test(test_R4_rpc_error),
		cmocka_unit_test(test_R4_reply_cut_in_half),
		cmocka_unit_test(test_R4_wrong_key),
		cmocka_unit_test(test_R4_host_key_mismatch),
		cmocka_unit_test(test_unknown_host_key_strict_then_tofu),
		cmocka_unit_test(test_R4_connection_refused),
		cmocka_unit_test(test_R4_timeout_bounds_the_job),
		cmocka_unit_test(test_J1_cancel_closes_session),
		cmocka_unit_test(test_concurrent_fetches),
		cmocka_unit_test(test_J3_current_device_is_not_fetched),
	};
	int rc = cmocka_run_group_tests_name("ssh_netconf parsers", parsers, NULL, NULL);

	if (access("/usr/sbin/sshd", X_OK) != 0) {
		print_message("no /usr/sbin/sshd: live fetch tests not run\n");
		return rc;
	}
	return rc | cmocka_run_group_tests_name("ssh_netconf against sshd", live, sim_setup,
						 sim_teardown);
}
