/* incident.c: event profiles, incidents, dampening, rate cap and auto-close
 * (SPEC E1-E6); pure: events and the time in, actions out.
 *
 * An open incident is found by its key (device, event tag, distinguishing
 * part) in a hash: a repeat costs one lookup and two stores, and is saved in
 * the next batch (incident_tick), not in a transaction of its own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* FNM_CASEFOLD */
#endif
#include "incident.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int incident_cmp(const struct incident *a, const struct incident *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

RB_GENERATE(incident_tree, incident, by_id, incident_cmp)

/* ---- profiles ------------------------------------------------------------ */

void incident_profile_defaults(struct incident_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->min_severity = -1;
	p->hook_timeout_secs = 30;
}

int incident_severity_by_name(const char *name)
{
	static const char *const names[][2] = {
		{ "emerg", "emergency" }, { "alert", "alert" }, { "crit", "critical" }, { "err", "error" },
		{ "warning", "warn" },    { "notice", "notice" }, { "info", "informational" }, { "debug", "debug" },
	};

	for (int i = 0; i < 8; i++)
		if (strcasecmp(name, names[i][0]) == 0 || strcasecmp(name, names[i][1]) == 0)
			return i;
	return -1;
}

static bool inc_is_pattern(const char *t)
{
	return strpbrk(t, "*?[") != NULL;
}

static int inc_want_tag(struct incident_profiles *ps, const char *t)
{
	struct incident_tag *e;

	if (inc_is_pattern(t)) {
		ps->any_pattern = true;
		return 0;
	}
	HASH_FIND_STR(ps->exact, t, e);
	if (e)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	snprintf(e->tag, sizeof(e->tag), "%s", t);
	HASH_ADD_STR(ps->exact, tag, e);
	return 0;
}

int incident_profiles_index(struct incident_profiles *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct incident_profile *p = &ps->v[i];

		for (size_t k = 0; k < p->ntags; k++)
			if (inc_want_tag(ps, p->tags[k]) < 0)
				return -1;
		for (size_t k = 0; k < p->nclear; k++)
			if (inc_want_tag(ps, p->clear_tags[k]) < 0)
				return -1;
	}
	return 0;
}

void incident_profiles_free(struct incident_profiles *ps)
{
	struct incident_tag *e, *tmp;

	HASH_ITER(hh, ps->exact, e, tmp) {
		HASH_DEL(ps->exact, e);
		free(e);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

static bool inc_tag_in(const char (*list)[JUNOS_TAG_MAX], size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (inc_is_pattern(list[i]) ? fnmatch(list[i], tag, 0) == 0 : strcmp(list[i], tag) == 0)
			return true;
	return false;
}

bool incident_profiles_wants(const struct incident_profiles *ps, const char *tag)
{
	struct incident_tag *e;

	if (ps == NULL || ps->n == 0 || tag[0] == '\0')
		return false;
	HASH_FIND_STR(ps->exact, tag, e);
	if (e)
		return true;
	if (!ps->any_pattern)
		return false;
	for (size_t i = 0; i < ps->n; i++)
		if (inc_tag_in(ps->v[i].tags, ps->v[i].ntags, tag) ||
		    inc_tag_in(ps->v[i].clear_tags, ps->v[i].nclear, tag))
			return true;
	return false;
}

const struct incident_profile *incident_profile_by_name(const struct incident_profiles *ps, const char *name)
{
	for (size_t i = 0; ps && i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	return NULL;
}

/* ---- the distinguishing part of an event ---------------------------------- */

/* Junos interface names: ge-0/0/1, xe-1/2/3.0, et-0/0/0:1, ae0, irb.100,
 * lo0, fxp0, em0, reth1. */
static bool inc_looks_like_ifname(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && islower((unsigned char)p[i]))
		i++;
	if (i < 2 || i > 4 || i == n)
		return false;
	if (p[i] == '-')
		return i + 1 < n && isdigit((unsigned char)p[i + 1]) && memchr(p + i, '/', n - i) != NULL;
	return isdigit((unsigned char)p[i]);
}

static void inc_copy(const char *p, size_t n, char *out, size_t outlen)
{
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The word after needle in text (up to a space, comma or ')'). */
static bool inc_word_after(struct syslog_str text, const char *needle, char *out, size_t outlen)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl < text.n; i++) {
		if (strncasecmp(text.p + i, needle, nl) != 0 || (i > 0 && isalnum((unsigned char)text.p[i - 1])))
			continue;
		const char *s = text.p + i + nl, *e = s, *end = text.p + text.n;

		while (e < end && *e != ' ' && *e != ',' && *e != ')' && *e != ';')
			e++;
		if (e > s) {
			inc_copy(s, (size_t)(e - s), out, outlen);
			return true;
		}
	}
	return false;
}

/* "FPC 1", "PIC 0", "PEM 2", "Fan Tray 1", "Routing Engine 0", "FPC 0 PIC 1":
 * the FRU and its slot, as chassisd and alarmd name them. */
static bool inc_fru_from_text(struct syslog_str text, char *out, size_t outlen)
{
	static const char *const frus[] = { "FPC ", "PIC ", "PEM ", "Fan Tray ", "Power Supply ",
					    "Routing Engine ", "SCB ", "SIB ", "CB ", "MIC " };
	const char *best = NULL;
	size_t bestn = 0;

	for (size_t k = 0; k < sizeof(frus) / sizeof(frus[0]); k++) {
		size_t fl = strlen(frus[k]);

		for (size_t i = 0; i + fl < text.n; i++) {
			if (memcmp(text.p + i, frus[k], fl) != 0 || !isdigit((unsigned char)text.p[i + fl]) ||
			    (i > 0 && isalnum((unsigned char)text.p[i - 1])))
				continue;
			size_t e = i + fl;

			while (e < text.n && isdigit((unsigned char)text.p[e]))
				e++;
			/* "FPC 0 PIC 1": keep the PIC with its FPC */
			if (e + 5 < text.n && memcmp(text.p + e, " PIC ", 5) == 0 && isdigit((unsigned char)text.p[e + 5])) {
				e += 5;
				while (e < text.n && isdigit((unsigned char)text.p[e]))
					e++;
			}
			if (best == NULL || text.p + i < best) {
				best = text.p + i;
				bestn = e - i;
			}
			break;
		}
	}
	if (best == NULL)
		return false;
	inc_copy(best, bestn, out, outlen);
	return true;
}

void incident_event_detail(const struct syslog_msg *m, const struct junos_event *ev, char *out, size_t outlen)
{
	char name[INC_DETAIL_MAX], slot[16];
	struct syslog_str t = ev->text;

	out[0] = '\0';
	if (outlen < 2)
		return;
	/* Structured form: the parameters say it. */
	if (syslog_sd_param(m, "junos@2636", "interface-name", out, outlen) > 0)
		return;
	if (syslog_sd_param(m, "junos@2636", "fru-name", name, sizeof(name)) > 0) {
		if (syslog_sd_param(m, "junos@2636", "fru-slot", slot, sizeof(slot)) > 0 && !strstr(name, slot))
			snprintf(out, outlen, "%s %s", name, slot);
		else
			snprintf(out, outlen, "%s", name);
		return;
	}
	/* BSD form: the text says it. */
	if (inc_word_after(t, "ifName ", out, outlen) || inc_word_after(t, "interface-name ", out, outlen))
		return;
	if (inc_fru_from_text(t, out, outlen))
		return;
	/* The first word that looks like an interface name. */
	for (size_t i = 0; i < t.n;) {
		size_t e = i;

		while (e < t.n && t.p[e] != ' ' && t.p[e] != ',' && t.p[e] != ':' && t.p[e] != '(' && t.p[e] != ')')
			e++;
		if (e > i && inc_looks_like_ifname(t.p + i, e - i)) {
			inc_copy(t.p + i, e - i, out, outlen);
			return;
		}
		i = e + 1;
	}
}

/* ---- incidents ------------------------------------------------------------ */

void incidents_init(struct incidents *s)
{
	memset(s, 0, sizeof(*s));
	RB_INIT(&s->all);
	s->next_id = 1;
	s->retention_days = 30;
	s->retention_count = 10000;
	s->rate_cap = 100;
}

void incidents_free(struct incidents *s)
{
	struct incident *i, *in;
	struct incident_rate *r, *rt;

	HASH_CLEAR(hh_open, s->open);
	RB_FOREACH_SAFE(i, incident_tree, &s->all, in) {
		RB_REMOVE(incident_tree, &s->all, i);
		free(i);
	}
	HASH_ITER(hh, s->rates, r, rt) {
		HASH_DEL(s->rates, r);
		free(r);
	}
	s->n = s->nopen = 0;
}

struct incident *incident_by_id(struct incidents *s, uint32_t id)
{
	struct incident key = { .id = id };

	return RB_FIND(incident_tree, &s->all, &key);
}

struct incident *incident_next(struct incidents *s, uint32_t after)
{
	struct incident key = { .id = after };
	struct incident *i = RB_NFIND(incident_tree, &s->all, &key);

	if (i && i->id == after)
		i = RB_NEXT(incident_tree, &s->all, i);
	return i;
}

static void inc_key(char *out, size_t outlen, uint32_t device, const char *tag, const char *detail)
{
	snprintf(out, outlen, "%u|%s|%s", device, tag, detail);
}

static struct incident *inc_find_open(struct incidents *s, uint32_t device, const char *tag, const char *detail)
{
	char key[sizeof(((struct incident *)0)->key)];
	struct incident *i;

	inc_key(key, sizeof(key), device, tag, detail);
	HASH_FIND(hh_open, s->open, key, strlen(key), i);
	return i;
}

static void inc_push(struct actions *out, enum action_kind kind, const struct incident *i)
{
	struct action a = { .kind = kind, .incident = i->id, .device = i->device, .job = i->capture_job };

	actions_push(out, &a);
}

static void inc_close(struct incidents *s, struct incident *i, enum incident_closed_by by, rs_time_t now,
		      struct actions *out)
{
	HASH_DELETE(hh_open, s->open, i);
	s->nopen--;
	i->state = INC_CLOSED;
	i->closed_by = by;
	i->closed_at = now;
	i->dirty = false;
	s->c.closed++;
	inc_push(out, ACT_SAVE_INCIDENT, i);
	inc_push(out, ACT_INCIDENT_CLOSED, i);
}

bool incident_bucket_take(double *tokens, rs_time_t *last, uint32_t cap, rs_time_t now)
{
	if (now > *last) {
		*tokens += (double)(now - *last) * cap / RS_USEC_PER_SEC;
		if (*tokens > cap)
			*tokens = cap;
		*last = now;
	}
	if (*tokens < 1.0)
		return false;
	*tokens -= 1.0;
	return true;
}

/* E6: a token bucket per device, holding at most one second's worth: a burst
 * of rate_cap passes, a flood does not. */
static bool inc_rate_ok(struct incidents *s, uint32_t device, rs_time_t now)
{
	struct incident_rate *r;

	if (s->rate_cap == 0)
		return true;
	HASH_FIND(hh, s->rates, &device, sizeof(device), r);
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return true;
		r->device = device;
		r->tokens = s->rate_cap;
		r->last = now;
		HASH_ADD(hh, s->rates, device, sizeof(r->device), r);
	}
	if (!incident_bucket_take(&r->tokens, &r->last, s->rate_cap, now)) {
		r->limited++;
		s->c.rate_limited++;
		return false;
	}
	return true;
}

static bool inc_profile_applies(const struct incident_profile *p, const struct device *d, int severity)
{
	if (p->devices[0] && fnmatch(p->devices, d->name, FNM_CASEFOLD) != 0)
		return false;
	/* Lower numbers are more severe; an event without PRI passes. */
	return p->min_severity < 0 || severity < 0 || severity <= p->min_severity;
}

/* E5: a clearing event closes the open incidents of the profile's tags with
 * the same device and distinguishing part. */
static int inc_clear(struct incidents *s, const struct incident_profile *p, const struct device *d,
		     const char *detail, rs_time_t now, struct actions *out)
{
	struct incident *i, *tmp;
	int closed = 0;

	HASH_ITER(hh_open, s->open, i, tmp) {
		if (i->device != d->index || strcmp(i->profile, p->name) != 0 || strcmp(i->detail, detail) != 0)
			continue;
		inc_close(s, i, INC_BY_CLEARING_EVENT, now, out);
		closed++;
	}
	return closed;
}

static struct incident *inc_open(struct incidents *s, struct model *m, const struct incident_profile *p,
				 const struct device *d, const struct incident_event *ev, rs_time_t now,
				 struct actions *out)
{
	struct incident *i = calloc(1, sizeof(*i));

	if (i == NULL)
		return NULL;
	i->id = s->next_id++;
	i->device = d->index;
	snprintf(i->profile, sizeof(i->profile), "%s", p->name);
	snprintf(i->tag, sizeof(i->tag), "%s", ev->tag);
	snprintf(i->detail, sizeof(i->detail), "%s", ev->detail);
	snprintf(i->text, sizeof(i->text), "%s", ev->text);
	i->severity = ev->severity;
	i->first_seen = i->last_seen = now;
	i->count = 1;
	i->state = INC_OPEN;
	i->closed_by = INC_BY_NONE;
	i->capture = CAPTURE_NONE;
	inc_key(i->key, sizeof(i->key), i->device, i->tag, i->detail);
	RB_INSERT(incident_tree, &s->all, i);
	HASH_ADD(hh_open, s->open, key, strlen(i->key), i);
	s->n++;
	s->nopen++;
	s->c.opened++;
	if (p->ncommands && m) {
		struct job *j = model_job_new(m, JOB_DATA_CAPTURE, "system", &d->index, 1, now);

		if (j) {
			j->state = JOB_IN_PROGRESS;
			j->actual_start = now;
			j->tasks[0].start = now;
			model_task_set_state(j, &j->tasks[0], TASK_RUNNING, NULL, now);
			snprintf(j->name, sizeof(j->name), "capture incident %u", i->id);
			snprintf(j->summary, sizeof(j->summary), "capturing %zu command%s for incident %u",
				 p->ncommands, p->ncommands == 1 ? "" : "s", i->id);
			i->capture_job = j->id;
			i->capture = CAPTURE_RUNNING;
			struct action a = { .kind = ACT_JOB_CHANGED, .job = j->id, .device = d->index,
					    .job_state = j->state };
			snprintf(a.job_summary, sizeof(a.job_summary), "%s", j->summary);
			actions_push(out, &a);
			a.kind = ACT_SAVE_JOB_TASKS; /* a new job: its record and its task */
			actions_push(out, &a);
		}
	}
	/* Saved with the next batch (incident_tick), like a repeat: a burst of
	 * openings costs one transaction a second, not one each. */
	i->dirty = true;
	inc_push(out, ACT_INCIDENT_OPENED, i);
	if (i->capture_job)
		inc_push(out, ACT_START_CAPTURE, i);
	return i;
}

enum incident_verdict incident_event(struct incidents *s, struct model *m, const struct device *d,
				     const struct incident_event *ev, rs_time_t now, struct actions *out,
				     struct incident **opened)
{
	const struct incident_profiles *ps = s->profiles;
	bool any = false;

	if (opened)
		*opened = NULL;
	if (ps == NULL || d == NULL || !incident_profiles_wants(ps, ev->tag))
		return INCV_IGNORED;
	if (!inc_rate_ok(s, d->index, now))
		return INCV_RATE_LIMITED;
	/* E3 first: a repeat of an open incident, whichever profile opened it. */
	struct incident *i = inc_find_open(s, d->index, ev->tag, ev->detail);
	if (i) {
		i->count++;
		i->last_seen = now;
		snprintf(i->text, sizeof(i->text), "%s", ev->text);
		i->dirty = true;
		return INCV_ABSORBED;
	}
	for (size_t k = 0; k < ps->n; k++) {
		const struct incident_profile *p = &ps->v[k];

		if (!inc_profile_applies(p, d, ev->severity))
			continue;
		if (inc_tag_in(p->clear_tags, p->nclear, ev->tag)) {
			any = true;
			if (inc_clear(s, p, d, ev->detail, now, out) > 0)
				return INCV_CLOSED;
			continue;
		}
		if (!inc_tag_in(p->tags, p->ntags, ev->tag))
			continue;
		/* The first profile that names the tag opens the incident. */
		i = inc_open(s, m, p, d, ev, now, out);
		if (i == NULL)
			return INCV_IGNORED;
		if (opened)
			*opened = i;
		return INCV_OPENED;
	}
	return any ? INCV_CLEAR_NOTHING : INCV_IGNORED;
}

int incident_close(struct incidents *s, uint32_t id, enum incident_closed_by by, rs_time_t now,
		   struct actions *out)
{
	struct incident *i = incident_by_id(s, id);

	if (i == NULL || i->state != INC_OPEN)
		return -1;
	inc_close(s, i, by, now, out);
	return 0;
}

void incident_tick(struct incidents *s, rs_time_t now, struct actions *out)
{
	struct incident *i, *tmp;

	HASH_ITER(hh_open, s->open, i, tmp) {
		const struct incident_profile *p = incident_profile_by_name(s->profiles, i->profile);

		if (p && p->auto_close_secs && now - i->last_seen >= RS_SECS(p->auto_close_secs)) {
			inc_close(s, i, INC_BY_QUIET_PERIOD, now, out);
			continue;
		}
		if (i->dirty) {
			i->dirty = false;
			inc_push(out, ACT_SAVE_INCIDENT, i);
		}
	}
}

void incident_flush(struct incidents *s, struct actions *out)
{
	struct incident *i, *tmp;

	HASH_ITER(hh_open, s->open, i, tmp) {
		if (i->dirty) {
			i->dirty = false;
			inc_push(out, ACT_SAVE_INCIDENT, i);
		}
	}
}

void incident_purge(struct incidents *s, rs_time_t now, struct actions *out)
{
	rs_time_t cutoff = s->retention_days ? now - RS_SECS((int64_t)s->retention_days * 86400) : 0;
	uint32_t closed = s->n - s->nopen;
	struct incident *i, *in;

	/* Oldest first: ids increase with opening. */
	RB_FOREACH_SAFE(i, incident_tree, &s->all, in) {
		if (i->state == INC_OPEN)
			continue;
		bool too_old = cutoff && i->closed_at < cutoff;
		bool too_many = s->retention_count && closed > s->retention_count;

		if (!too_old && !too_many)
			continue;
		inc_push(out, ACT_DELETE_INCIDENT, i);
		RB_REMOVE(incident_tree, &s->all, i);
		free(i);
		s->n--;
		closed--;
	}
}

/* Ends a dataCapture job (SPEC section 4 states) with its summary. */
static void inc_job_end(struct model *m, struct job *j, bool ok, const char *summary, uint32_t device,
			rs_time_t now, struct actions *out)
{
	if (j == NULL || job_state_final(j->state))
		return;
	j->state = ok ? JOB_SUCCESS : JOB_FAILURE;
	j->end_time = now;
	j->percent = 100;
	model_task_set_state(j, &j->tasks[0], ok ? TASK_OK : TASK_FAILED, summary, now);
	snprintf(j->summary, sizeof(j->summary), "%s", summary);
	if (ok)
		m->jobc.succeeded++;
	else
		m->jobc.failed++;
	struct action a = { .kind = ACT_JOB_CHANGED, .job = j->id, .device = device, .job_state = j->state };
	snprintf(a.job_summary, sizeof(a.job_summary), "%s", j->summary);
	actions_push(out, &a);
	a.kind = ACT_SAVE_JOB;
	actions_push(out, &a);
	a.kind = ACT_SAVE_TASK;
	a.seq = 1;
	actions_push(out, &a);
}

void incident_capture_done(struct incidents *s, struct model *m, uint32_t id, bool ok, uint32_t len,
			   const char *summary, rs_time_t now, struct actions *out)
{
	struct incident *i = incident_by_id(s, id);

	if (i == NULL)
		return;
	i->capture = ok ? CAPTURE_DONE : CAPTURE_FAILED;
	i->capture_len = len;
	inc_push(out, ACT_SAVE_INCIDENT, i);
	if (m && i->capture_job)
		inc_job_end(m, model_job_by_id(m, i->capture_job), ok, summary, i->device, now, out);
}

struct incident *incident_restore(struct incidents *s, const struct incident *src)
{
	struct incident *i;

	if (src->id == 0 || incident_by_id(s, src->id))
		return NULL;
	i = malloc(sizeof(*i));
	if (i == NULL)
		return NULL;
	*i = *src;
	i->dirty = false;
	inc_key(i->key, sizeof(i->key), i->device, i->tag, i->detail);
	RB_INSERT(incident_tree, &s->all, i);
	s->n++;
	if (i->state == INC_OPEN) {
		struct incident *dup = inc_find_open(s, i->device, i->tag, i->detail);

		if (dup == NULL) {
			HASH_ADD(hh_open, s->open, key, strlen(i->key), i);
			s->nopen++;
		} else {
			/* Two open for one key cannot be made here; keep the older. */
			i->state = INC_CLOSED;
			i->closed_by = INC_BY_OPERATOR;
		}
	}
	if (i->id >= s->next_id)
		s->next_id = i->id + 1;
	return i;
}

void incident_restore_done(struct incidents *s, struct actions *out)
{
	struct incident *i;

	RB_FOREACH(i, incident_tree, &s->all) {
		if (i->capture != CAPTURE_RUNNING)
			continue;
		i->capture = CAPTURE_FAILED;
		inc_push(out, ACT_SAVE_INCIDENT, i);
	}
}

void incident_device_removed(struct incidents *s, uint32_t device, rs_time_t now, struct actions *out)
{
	struct incident *i, *tmp;

	HASH_ITER(hh_open, s->open, i, tmp)
		if (i->device == device)
			inc_close(s, i, INC_BY_OPERATOR, now, out);
}

const char *incident_state_name(enum incident_state st)
{
	return st == INC_OPEN ? "open" : "closed";
}

const char *incident_closed_by_name(enum incident_closed_by by)
{
	switch (by) {
	case INC_BY_OPERATOR: return "operator";
	case INC_BY_CLEARING_EVENT: return "clearingEvent";
	case INC_BY_QUIET_PERIOD: return "quietPeriod";
	case INC_BY_NONE: break;
	}
	return "none";
}

const char *capture_state_name(enum capture_state st)
{
	switch (st) {
	case CAPTURE_RUNNING: return "running";
	case CAPTURE_DONE: return "done";
	case CAPTURE_FAILED: return "failed";
	case CAPTURE_NONE: break;
	}
	return "none";
}
