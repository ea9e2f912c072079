/* junos.c: recognising Junos commit events in parsed syslog (pure).
 *
 * The event tag comes from the RFC 5424 MSGID (structured form) or from the
 * first word of the text (BSD form, possibly behind an explicit-priority
 * "%FACILITY-N-" prefix). Commit completions are triggers (SPEC R1); UI_COMMIT
 * only names who asked and why, which the caller keeps for the next trigger:
 * fetching at UI_COMMIT time could still see the old configuration. */
#include "junos.h"

#include <string.h>
#include <strings.h>

/* Tags that say the configuration has changed. UI_COMMIT_PROGRESS is
 * decided by its text (junos_progress_complete). */
static const char *const junos_commit_tags[] = {
	"UI_COMMIT_COMPLETED",
	"UI_COMMIT_AT_COMPLETED",
	"UI_COMMIT_NOT_CONFIRMED", /* an unconfirmed 'commit confirmed' rolled back */
};

/* Tags that carry the requesting user and comment. */
static const char *const junos_request_tags[] = {
	"UI_COMMIT",
	"UI_COMMIT_AT",
};

static bool jn_tag_is(struct syslog_str t, const char *name)
{
	size_t n = strlen(name);

	return t.n == n && memcmp(t.p, name, n) == 0;
}

static bool jn_in(struct syslog_str t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jn_tag_is(t, list[i]))
			return true;
	return false;
}

/* Case-insensitive search of needle in the slice; bounded by the slice. The
 * first byte is compared with its case bit ignored before strncasecmp, which
 * then decides (a false match of that byte only costs the call). */
static const char *jn_find(struct syslog_str s, const char *needle)
{
	size_t n = strlen(needle);
	unsigned char first = (unsigned char)needle[0] | 0x20;

	if (n == 0 || s.n < n)
		return NULL;
	for (size_t i = 0; i + n <= s.n; i++)
		if (((unsigned char)s.p[i] | 0x20) == first && strncasecmp(s.p + i, needle, n) == 0)
			return s.p + i;
	return NULL;
}

/* How many bytes at p are tag characters: upper-case letters, digits, '_'. */
static size_t jn_tag_span(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && ((unsigned)(p[i] - 'A') < 26 || (unsigned)(p[i] - '0') < 10 || p[i] == '_'))
		i++;
	return i;
}

/* The shape of a tag made of tag characters: at least one '_', starting with
 * a letter (UI_COMMIT, SNMP_TRAP_LINK_DOWN). */
static bool jn_tag_shape(const char *p, size_t n)
{
	return n >= 3 && n < JUNOS_TAG_MAX && p[0] >= 'A' && p[0] <= 'Z' && memchr(p, '_', n);
}

static bool jn_looks_like_tag(const char *p, size_t n)
{
	return n < JUNOS_TAG_MAX && jn_tag_span(p, n) == n && jn_tag_shape(p, n);
}

/* BSD form: "[%FAC-N-]TAG: text" at the start of the text. On success sets
 * tag and advances text past "TAG: ". */
static bool jn_text_tag(struct syslog_str *text, struct syslog_str *tag)
{
	const char *p, *end, *s;

	if (text->n == 0)
		return false;
	p = text->p;
	end = p + text->n;
	while (p < end && *p == ' ')
		p++; /* rsyslog's RFC 5424 templates keep the space after the BSD TAG */
	if (p < end && *p == '%') {
		/* explicit-priority: %INTERACTIVE-6-UI_COMMIT: skip to the last '-' of the word */
		const char *q = p, *dash = NULL;

		while (q < end && *q != ':' && *q != ' ') {
			if (*q == '-')
				dash = q;
			q++;
		}
		if (dash == NULL)
			return false;
		p = dash + 1;
	}
	/* The word must be tag characters up to its ':': stop at the first
	 * other byte (most ordinary events' first word is not a tag). */
	s = p;
	p += jn_tag_span(p, (size_t)(end - p));
	if (p >= end || *p != ':' || !jn_tag_shape(s, (size_t)(p - s)))
		return false;
	tag->p = s;
	tag->n = (size_t)(p - s);
	p++;
	while (p < end && *p == ' ')
		p++;
	text->p = p;
	text->n = (size_t)(end - p);
	return true;
}

static void jn_copy_trim(const char *p, size_t n, char *out, size_t outlen)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	struct syslog_str s = { p, n };
	syslog_str_copy(s, out, outlen);
}

/* "none" and "no comment" are how mgd says there was none. */
static void jn_set_comment(struct junos_event *ev, const char *p, size_t n)
{
	jn_copy_trim(p, n, ev->comment, sizeof(ev->comment));
	if (strcmp(ev->comment, "none") == 0 || strcmp(ev->comment, "no comment") == 0)
		ev->comment[0] = '\0';
}

/* Text forms of UI_COMMIT (and alike), newest first:
 *   User 'admin' requested 'commit' operation (comment: change mtu)
 *   User 'admin' requested 'commit confirmed 5' operation (comment: none)
 *   User 'root' performed commit: no comment          (older releases)
 *   User 'root' performed commit: fix bgp             (older releases)
 * The user may come without quotes. */
static void jn_user_comment_from_text(struct syslog_str text, struct junos_event *ev)
{
	const char *u, *end;

	if (text.n == 0)
		return;
	u = jn_find(text, "user ");
	end = text.p + text.n;

	if (u != NULL && ev->user[0] == '\0') {
		const char *s = u + 5, *e;

		if (s < end && (*s == '\'' || *s == '"')) {
			char q = *s++;

			e = s;
			while (e < end && *e != q)
				e++;
		} else {
			e = s;
			while (e < end && *e != ' ' && *e != ',' && *e != ':')
				e++;
		}
		if (e > s && e <= end)
			jn_copy_trim(s, (size_t)(e - s), ev->user, sizeof(ev->user));
	}
	if (ev->comment[0] != '\0')
		return;
	const char *c = jn_find(text, "(comment:");
	if (c != NULL) {
		const char *s = c + 9, *e = end;

		while (e > s && e[-1] != ')')
			e--;
		if (e > s)
			e--; /* the closing parenthesis */
		else
			e = end; /* truncated: take what there is */
		jn_set_comment(ev, s, (size_t)(e - s));
		return;
	}
	const char *pf = jn_find(text, "performed ");
	if (pf != NULL) {
		struct syslog_str rest = { pf, (size_t)(end - pf) };
		const char *colon = memchr(rest.p, ':', rest.n);

		if (colon != NULL)
			jn_set_comment(ev, colon + 1, (size_t)(end - colon - 1));
	}
}

void junos_recognise(const struct syslog_msg *m, struct junos_event *ev)
{
	struct syslog_str tag = { NULL, 0 }, text = m->text;
	char buf[JUNOS_COMMENT_MAX];

	/* Every field is set here, the strings as empty ones: clearing the
	 * whole record cost more than the rest for an ordinary event. */
	ev->kind = JUNOS_EVENT;
	ev->tag[0] = ev->user[0] = ev->comment[0] = '\0';
	ev->severity = m->severity;
	ev->host = m->host;

	if (m->msgid.n && jn_looks_like_tag(m->msgid.p, m->msgid.n))
		tag = m->msgid;
	else if (!jn_text_tag(&text, &tag) && m->app.n && jn_looks_like_tag(m->app.p, m->app.n))
		tag = m->app; /* "host UI_COMMIT_COMPLETED: text": the tag took the TAG's place */
	ev->text = text;
	if (tag.n)
		syslog_str_copy(tag, ev->tag, sizeof(ev->tag));
	else if (m->app.n)
		syslog_str_copy(m->app, ev->tag, sizeof(ev->tag));
	else if (m->msgid.n)
		syslog_str_copy(m->msgid, ev->tag, sizeof(ev->tag));
	if (tag.n == 0)
		return;

	if (jn_in(tag, junos_commit_tags, sizeof(junos_commit_tags) / sizeof(junos_commit_tags[0]))) {
		ev->kind = JUNOS_COMMIT;
	} else if (jn_tag_is(tag, "UI_COMMIT_PROGRESS")) {
		/* Some platforms send only "Commit operation in progress: commit complete". */
		struct syslog_str s = text;
		int n = syslog_sd_param(m, "junos@2636", "message", buf, sizeof(buf));

		if (n >= 0) {
			s.p = buf;
			s.n = strlen(buf);
		}
		if (jn_find(s, "commit complete") != NULL || jn_find(text, "commit complete") != NULL)
			ev->kind = JUNOS_COMMIT;
		else
			return;
	} else if (jn_in(tag, junos_request_tags,
			 sizeof(junos_request_tags) / sizeof(junos_request_tags[0]))) {
		ev->kind = JUNOS_COMMIT_REQUEST;
	} else {
		return;
	}

	/* Structured form first: username and message (the comment). */
	if (syslog_sd_param(m, "junos@2636", "username", ev->user, sizeof(ev->user)) < 0)
		ev->user[0] = '\0';
	if (ev->kind == JUNOS_COMMIT_REQUEST &&
	    syslog_sd_param(m, "junos@2636", "message", buf, sizeof(buf)) >= 0)
		jn_set_comment(ev, buf, strlen(buf));
	jn_user_comment_from_text(text, ev);
}

const char *junos_kind_name(enum junos_kind k)
{
	switch (k) {
	case JUNOS_COMMIT: return "commit";
	case JUNOS_COMMIT_REQUEST: return "commit-request";
	case JUNOS_EVENT: return "event";
	}
	return "event";
}
