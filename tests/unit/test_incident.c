/* test_incident.c: event profiles and incidents against SPEC E1-E6, with an
 * injected clock (no test sleeps). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "junos.h"
#include "syslog_parse.h"

#define T0 RS_SECS(1700000000)

struct fx {
	struct model m;
	struct incidents s;
	struct incident_profiles ps;
	struct actions out;
};

static void profile(struct fx *f, const char *name, const char *tags, const char *clear, uint32_t quiet,
		    const char *cmd)
{
	struct incident_profile *p;

	f->ps.v = realloc(f->ps.v, (f->ps.n + 1) * sizeof(*f->ps.v));
	p = &f->ps.v[f->ps.n++];
	incident_profile_defaults(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", tags);
	for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
		snprintf(p->tags[p->ntags++], JUNOS_TAG_MAX, "%s", t);
	if (clear) {
		snprintf(buf, sizeof(buf), "%s", clear);
		for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
			snprintf(p->clear_tags[p->nclear++], JUNOS_TAG_MAX, "%s", t);
	}
	p->auto_close_secs = quiet;
	if (cmd)
		snprintf(p->commands[p->ncommands++], INC_CMD_MAX, "%s", cmd);
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	model_init(&f->m);
	incidents_init(&f->s);
	actions_init(&f->out);
	model_device_add(&f->m, 0, "r1", "192.0.2.1", T0);
	model_device_add(&f->m, 0, "r2", "192.0.2.2", T0);
	model_device_add(&f->m, 0, "lab-sw1", "192.0.2.3", T0);
	profile(f, "links", "SNMP_TRAP_LINK_DOWN", "SNMP_TRAP_LINK_UP", 0, NULL);
	profile(f, "fru", "CHASSISD_FRU_OFFLINE_NOTICE,CHASSISD_*_FAILURE", NULL, 300, "show chassis hardware");
	incident_profiles_index(&f->ps);
	f->s.profiles = &f->ps;
	return f;
}

static int setup(void **state)
{
	*state = fx_new();
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	incidents_free(&f->s);
	incident_profiles_free(&f->ps);
	actions_free(&f->out);
	model_free(&f->m);
	free(f);
	return 0;
}

static enum incident_verdict ev_at(struct fx *f, uint32_t dev, const char *tag, const char *detail, rs_time_t t)
{
	struct incident_event ev = { .severity = 4 };
	snprintf(ev.tag, sizeof(ev.tag), "%s", tag);
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail);
	snprintf(ev.text, sizeof(ev.text), "%s %s", tag, detail);
	return incident_event(&f->s, &f->m, model_device_by_index(&f->m, dev), &ev, t, &f->out, NULL);
}

static void test_E1_only_profile_tags_are_acted_on(void **state)
{
	struct fx *f = *state;
	assert_true(incident_profiles_wants(&f->ps, "SNMP_TRAP_LINK_DOWN"));
	assert_true(incident_profiles_wants(&f->ps, "SNMP_TRAP_LINK_UP"));     /* clearing tag */
	assert_true(incident_profiles_wants(&f->ps, "CHASSISD_PSU_FAILURE"));  /* pattern */
	assert_false(incident_profiles_wants(&f->ps, "RPD_BGP_NEIGHBOR_STATE_CHANGED"));
	assert_false(incident_profiles_wants(NULL, "SNMP_TRAP_LINK_DOWN"));
	assert_int_equal(ev_at(f, 1, "RPD_BGP_NEIGHBOR_STATE_CHANGED", "", T0), INCV_IGNORED);
	assert_int_equal(f->s.n, 0);
	assert_int_equal(f->out.n, 0);
}

static void test_E1_severity_and_device_pattern(void **state)
{
	struct fx *f = *state;
	f->ps.v[0].min_severity = 3; /* error or worse */
	snprintf(f->ps.v[0].devices, sizeof(f->ps.v[0].devices), "r*");
	struct incident_event ev = { .severity = 6 };
	snprintf(ev.tag, sizeof(ev.tag), "SNMP_TRAP_LINK_DOWN");
	assert_int_equal(incident_event(&f->s, &f->m, model_device_by_index(&f->m, 1), &ev, T0, &f->out, NULL),
			 INCV_IGNORED);
	ev.severity = 2;
	assert_int_equal(incident_event(&f->s, &f->m, model_device_by_index(&f->m, 3), &ev, T0, &f->out, NULL),
			 INCV_IGNORED); /* lab-sw1 does not match r* */
	assert_int_equal(incident_event(&f->s, &f->m, model_device_by_index(&f->m, 1), &ev, T0, &f->out, NULL),
			 INCV_OPENED);
}

static void test_E2_matching_event_opens_incident(void **state)
{
	struct fx *f = *state;
	struct incident *i;
	struct incident_event ev = { .severity = 3 };
	snprintf(ev.tag, sizeof(ev.tag), "SNMP_TRAP_LINK_DOWN");
	snprintf(ev.detail, sizeof(ev.detail), "ge-0/0/1");
	snprintf(ev.text, sizeof(ev.text), "ifIndex 539, ifName ge-0/0/1");
	assert_int_equal(incident_event(&f->s, &f->m, model_device_by_index(&f->m, 2), &ev, T0, &f->out, &i),
			 INCV_OPENED);
	assert_non_null(i);
	assert_int_equal(i->id, 1);
	assert_int_equal(i->device, 2);
	assert_string_equal(i->profile, "links");
	assert_string_equal(i->tag, "SNMP_TRAP_LINK_DOWN");
	assert_string_equal(i->detail, "ge-0/0/1");
	assert_int_equal(i->count, 1);
	assert_int_equal(i->first_seen, T0);
	assert_int_equal(i->last_seen, T0);
	assert_int_equal(i->state, INC_OPEN);
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_OPENED), 1);
	assert_int_equal(actions_count(&f->out, ACT_START_CAPTURE), 0); /* no commands */
	assert_int_equal(f->s.c.opened, 1);
	/* saved with the next batch, as are repeats */
	assert_int_equal(actions_count(&f->out, ACT_SAVE_INCIDENT), 0);
	incident_tick(&f->s, T0 + 1, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_SAVE_INCIDENT), 1);
	actions_clear(&f->out);
	incident_flush(&f->s, &f->out);
	assert_int_equal(actions_count(&f->out, ACT_SAVE_INCIDENT), 0);
}

static void test_E3_repeats_only_count(void **state)
{
	struct fx *f = *state;
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0), INCV_OPENED);
	actions_clear(&f->out);
	for (int k = 1; k <= 20; k++)
		assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0 + RS_SECS(k)), INCV_ABSORBED);
	struct incident *i = incident_by_id(&f->s, 1);
	assert_int_equal(i->count, 21);
	assert_int_equal(i->last_seen, T0 + RS_SECS(20));
	assert_int_equal(i->first_seen, T0);
	assert_int_equal(f->s.n, 1);
	assert_int_equal(f->out.n, 0); /* no notification, no write per repeat */
	incident_tick(&f->s, T0 + RS_SECS(21), &f->out);
	assert_int_equal(actions_count(&f->out, ACT_SAVE_INCIDENT), 1); /* saved in one batch */
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_OPENED), 0);
}

static void test_E3_distinguishing_part_makes_two_incidents(void **state)
{
	struct fx *f = *state;
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0), INCV_OPENED);
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/2", T0), INCV_OPENED);
	assert_int_equal(ev_at(f, 2, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0), INCV_OPENED);
	assert_int_equal(f->s.nopen, 3);
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_OPENED), 3);
}

static void test_E4_profile_commands_start_capture_job(void **state)
{
	struct fx *f = *state;
	assert_int_equal(ev_at(f, 1, "CHASSISD_FRU_OFFLINE_NOTICE", "FPC 1", T0), INCV_OPENED);
	struct incident *i = incident_by_id(&f->s, 1);
	assert_int_not_equal(i->capture_job, 0);
	assert_int_equal(i->capture, CAPTURE_RUNNING);
	struct job *j = model_job_by_id(&f->m, i->capture_job);
	assert_non_null(j);
	assert_int_equal(j->type, JOB_DATA_CAPTURE);
	assert_int_equal(j->state, JOB_IN_PROGRESS);
	assert_int_equal(j->ntasks, 1);
	assert_int_equal(j->tasks[0].device, 1);
	assert_int_equal(actions_count(&f->out, ACT_START_CAPTURE), 1);
	assert_int_equal(actions_count(&f->out, ACT_SAVE_JOB_TASKS), 1);
	actions_clear(&f->out);
	/* a repeat starts no second capture */
	assert_int_equal(ev_at(f, 1, "CHASSISD_FRU_OFFLINE_NOTICE", "FPC 1", T0 + 1), INCV_ABSORBED);
	assert_int_equal(actions_count(&f->out, ACT_START_CAPTURE), 0);
	incident_capture_done(&f->s, &f->m, 1, true, 1234, "2 commands captured", T0 + RS_SECS(3), &f->out);
	assert_int_equal(i->capture, CAPTURE_DONE);
	assert_int_equal(i->capture_len, 1234);
	assert_int_equal(j->state, JOB_SUCCESS);
	assert_int_equal(j->end_time, T0 + RS_SECS(3));
	assert_int_equal(actions_count(&f->out, ACT_JOB_CHANGED), 1);
	assert_int_equal(actions_count(&f->out, ACT_SAVE_TASK), 1);
}

static void test_E4_interrupted_capture_fails_on_restore(void **state)
{
	struct fx *f = *state;
	struct incident copy = { .id = 7, .device = 1, .state = INC_OPEN, .capture = CAPTURE_RUNNING, .count = 1 };
	snprintf(copy.tag, sizeof(copy.tag), "CHASSISD_FRU_OFFLINE_NOTICE");
	assert_non_null(incident_restore(&f->s, &copy));
	incident_restore_done(&f->s, &f->out);
	assert_int_equal(incident_by_id(&f->s, 7)->capture, CAPTURE_FAILED);
	assert_int_equal(f->s.next_id, 8);
	assert_int_equal(f->s.nopen, 1);
}

static void test_E5_clearing_event_closes_same_interface(void **state)
{
	struct fx *f = *state;
	ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0);
	ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/2", T0);
	actions_clear(&f->out);
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_UP", "ge-0/0/3", T0 + 5), INCV_CLEAR_NOTHING);
	assert_int_equal(ev_at(f, 2, "SNMP_TRAP_LINK_UP", "ge-0/0/1", T0 + 5), INCV_CLEAR_NOTHING);
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_UP", "ge-0/0/1", T0 + 5), INCV_CLOSED);
	struct incident *i = incident_by_id(&f->s, 1);
	assert_int_equal(i->state, INC_CLOSED);
	assert_int_equal(i->closed_by, INC_BY_CLEARING_EVENT);
	assert_int_equal(i->closed_at, T0 + 5);
	assert_int_equal(incident_by_id(&f->s, 2)->state, INC_OPEN);
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_CLOSED), 1);
	/* E5: a closed incident absorbs nothing: the next event opens a new one */
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0 + 9), INCV_OPENED);
	assert_int_equal(f->s.n, 3);
	assert_int_equal(incident_by_id(&f->s, 1)->count, 1);
}

static void test_E5_operator_close(void **state)
{
	struct fx *f = *state;
	ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0);
	actions_clear(&f->out);
	assert_int_equal(incident_close(&f->s, 1, INC_BY_OPERATOR, T0 + 1, &f->out), 0);
	assert_int_equal(incident_by_id(&f->s, 1)->closed_by, INC_BY_OPERATOR);
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_CLOSED), 1);
	assert_int_equal(incident_close(&f->s, 1, INC_BY_OPERATOR, T0 + 2, &f->out), -1);
	assert_int_equal(incident_close(&f->s, 99, INC_BY_OPERATOR, T0 + 2, &f->out), -1);
}

static void test_E5_quiet_period_closes(void **state)
{
	struct fx *f = *state;
	ev_at(f, 1, "CHASSISD_FRU_OFFLINE_NOTICE", "FPC 1", T0);
	ev_at(f, 1, "CHASSISD_FRU_OFFLINE_NOTICE", "FPC 1", T0 + RS_SECS(200));
	actions_clear(&f->out);
	incident_tick(&f->s, T0 + RS_SECS(499), &f->out); /* 299 s quiet: not yet */
	assert_int_equal(incident_by_id(&f->s, 1)->state, INC_OPEN);
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_CLOSED), 0);
	incident_tick(&f->s, T0 + RS_SECS(500), &f->out);
	assert_int_equal(incident_by_id(&f->s, 1)->state, INC_CLOSED);
	assert_int_equal(incident_by_id(&f->s, 1)->closed_by, INC_BY_QUIET_PERIOD);
	assert_int_equal(actions_count(&f->out, ACT_INCIDENT_CLOSED), 1);
	/* links have no quiet period */
	ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0);
	incident_tick(&f->s, T0 + RS_SECS(86400 * 30), &f->out);
	assert_int_equal(incident_by_id(&f->s, 2)->state, INC_OPEN);
}

static void test_E5_retention_purges_closed_only(void **state)
{
	struct fx *f = *state;
	f->s.retention_count = 2;
	f->s.retention_days = 1;
	char ifn[16];
	for (int k = 0; k < 5; k++) {
		snprintf(ifn, sizeof(ifn), "ge-0/0/%d", k);
		ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", ifn, T0);
	}
	for (uint32_t id = 1; id <= 4; id++)
		incident_close(&f->s, id, INC_BY_OPERATOR, T0 + id, &f->out);
	actions_clear(&f->out);
	incident_purge(&f->s, T0 + RS_SECS(10), &f->out);
	assert_int_equal(actions_count(&f->out, ACT_DELETE_INCIDENT), 2);
	assert_null(incident_by_id(&f->s, 1));
	assert_non_null(incident_by_id(&f->s, 3));
	incident_purge(&f->s, T0 + RS_SECS(2 * 86400), &f->out);
	assert_int_equal(f->s.n, 1); /* the open one stays */
	assert_int_equal(incident_by_id(&f->s, 5)->state, INC_OPEN);
}

static void test_E6_flooding_device_is_capped_not_others(void **state)
{
	struct fx *f = *state;
	f->s.rate_cap = 10;
	int limited = 0;
	for (int k = 0; k < 1000; k++)
		limited += ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0 + k) == INCV_RATE_LIMITED;
	assert_int_equal(limited, 990); /* a burst of 10 in the first millisecond passes */
	assert_int_equal(f->s.c.rate_limited, 990);
	/* the other device is not starved */
	assert_int_equal(ev_at(f, 2, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0 + 1000), INCV_OPENED);
	/* a second later the flooding device has budget again */
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0 + RS_SECS(1) + 1000), INCV_ABSORBED);
	assert_int_equal(incident_by_id(&f->s, 1)->count, 11);
}

static void test_E6_ignored_events_do_not_use_the_budget(void **state)
{
	struct fx *f = *state;
	f->s.rate_cap = 1;
	for (int k = 0; k < 100; k++)
		assert_int_equal(ev_at(f, 1, "RPD_BGP_NEIGHBOR_STATE_CHANGED", "", T0), INCV_IGNORED);
	assert_int_equal(ev_at(f, 1, "SNMP_TRAP_LINK_DOWN", "ge-0/0/1", T0), INCV_OPENED);
	assert_int_equal(f->s.c.rate_limited, 0);
}

/* The distinguishing part from real-shaped Junos lines. */
static void detail_of(const char *line, const char *want)
{
	struct syslog_msg m;
	struct junos_event ev;
	char out[INC_DETAIL_MAX];
	assert_int_equal(syslog_parse(line, strlen(line), 0, &m), SYSLOG_OK);
	junos_recognise(&m, &ev);
	incident_event_detail(&m, &ev, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_E3_detail_from_junos_messages(void **state)
{
	(void)state;
	detail_of("<28>1 2026-03-05T10:15:02.000Z r1 mib2d 1400 SNMP_TRAP_LINK_DOWN [junos@2636.1.1.1.2.18 "
		  "snmp-interface-index=\"539\" admin-status=\"up(1)\" operational-status=\"down(2)\" "
		  "interface-name=\"ge-0/0/3\"] ifIndex 539, ifAdminStatus up(1), ifOperStatus down(2), ifName ge-0/0/3",
		  "ge-0/0/3");
	detail_of("<28>Mar  5 10:15:02 r1 mib2d[1400]: SNMP_TRAP_LINK_DOWN: ifIndex 540, ifAdminStatus up(1), "
		  "ifOperStatus down(2), ifName xe-1/0/0.0", "xe-1/0/0.0");
	detail_of("<28>Mar  5 10:15:02 r1 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 1 offline: "
		  "Error", "FPC 1");
	detail_of("<28>Mar  5 10:15:02 r1 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 0 PIC 2 "
		  "offline: Offlined by cli command", "FPC 0 PIC 2");
	detail_of("<28>1 2026-03-05T10:15:02Z r1 chassisd 1300 CHASSISD_FRU_OFFLINE_NOTICE [junos@2636.1.1.1.2.18 "
		  "fru-name=\"PEM\" fru-slot=\"1\" reason=\"Error\"] Taking PEM 1 offline", "PEM 1");
	detail_of("<27>Mar  5 10:15:02 r1 rpd[1500]: RPD_OSPF_NBRDOWN: OSPF neighbor 10.0.0.2 (realm ospf-v2 "
		  "ae0.0 area 0.0.0.0) state changed from Full to Down", "ae0.0");
	detail_of("<27>Mar  5 10:15:02 r1 alarmd[1200]: ALARMD_ALARM_SET: Alarm set: color=RED, class=CHASSIS", "");
}

int main(int argc, char **argv)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_E1_only_profile_tags_are_acted_on),
		T(test_E1_severity_and_device_pattern),
		T(test_E2_matching_event_opens_incident),
		T(test_E3_repeats_only_count),
		T(test_E3_distinguishing_part_makes_two_incidents),
		T(test_E3_detail_from_junos_messages),
		T(test_E4_profile_commands_start_capture_job),
		T(test_E4_interrupted_capture_fails_on_restore),
		T(test_E5_clearing_event_closes_same_interface),
		T(test_E5_operator_close),
		T(test_E5_quiet_period_closes),
		T(test_E5_retention_purges_closed_only),
		T(test_E6_flooding_device_is_capped_not_others),
		T(test_E6_ignored_events_do_not_use_the_budget),
	};
	return testutil_run_tests(argc, argv, tests);
}
