/* junos.h: recognising Junos commit events in parsed syslog (pure).
 *
 * SPEC R1 / section 8: which messages are commit notifications, which carry
 * the committing user and comment, and which are ordinary device events. */
#ifndef RESYNCD_JUNOS_H
#define RESYNCD_JUNOS_H

#include "syslog_parse.h"

#define JUNOS_TAG_MAX 48
#define JUNOS_USER_MAX 32      /* = RS_USER_MAX */
#define JUNOS_COMMENT_MAX 128  /* = RS_COMMENT_MAX */

enum junos_kind {
	JUNOS_EVENT = 1,           /* any other device event (incidents, later) */
	JUNOS_COMMIT,              /* commit notification (R1): the config changed */
	JUNOS_COMMIT_REQUEST,      /* UI_COMMIT: who asked, and the comment; not a trigger */
};

struct junos_event {
	enum junos_kind kind;
	char tag[JUNOS_TAG_MAX];   /* UI_COMMIT_COMPLETED, SNMP_TRAP_LINK_DOWN, or the app name */
	char user[JUNOS_USER_MAX]; /* commit request (and some completions): who */
	char comment[JUNOS_COMMENT_MAX];
	int severity;              /* 0..7, -1 if the message had no PRI */
	struct syslog_str host;    /* slices of the message */
	struct syslog_str text;    /* the text after the event tag */
};

/* Classifies a parsed message. Always succeeds: what is not a commit event is
 * an ordinary event. */
void junos_recognise(const struct syslog_msg *msg, struct junos_event *ev);

const char *junos_kind_name(enum junos_kind k); /* "commit", "commit-request", "event" */

#endif
