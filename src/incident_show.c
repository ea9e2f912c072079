/* incident_show.c: `resyncd --incident ID` prints one incident and the
 * output its data capture kept (SPEC E4). Safe while the daemon runs: it
 * joins the store's environment like --dump-state. */
#include "incident_show.h"

#include <stdlib.h>
#include <time.h>

#include "store.h"

static void show_time(FILE *out, const char *label, rs_time_t t)
{
	char buf[32] = "-";
	time_t s = (time_t)(t / RS_USEC_PER_SEC);
	struct tm tm;
	if (t && gmtime_r(&s, &tm))
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "%-14s %s\n", label, buf);
}

int incident_show_main(const char *state_dir, const char *id, FILE *out)
{
	char *end = NULL;
	unsigned long n = id ? strtoul(id, &end, 10) : 0;
	if (!id || !*id || *end || n == 0 || n > UINT32_MAX) {
		fprintf(stderr, "resyncd: --incident needs an incident id (a number > 0)\n");
		return 1;
	}
	struct store *s;
	char err[256];
	if (store_open(state_dir, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "resyncd: %s\n", err);
		return -1;
	}
	struct incident i;
	struct model m;
	int have_settings, rc = store_get_incident(s, (uint32_t)n, &i);
	if (rc != 0) {
		fprintf(stderr, "resyncd: %s\n", rc > 0 ? "no such incident" : store_error(s));
		store_close(s);
		return rc;
	}
	model_init(&m);
	store_load_retrying(s, &m, &have_settings);
	const struct device *d = model_device_by_index(&m, i.device);
	fprintf(out, "%-14s %u\n", "incident", i.id);
	fprintf(out, "%-14s %s (index %u)\n", "device", d ? d->name : "(removed)", i.device);
	fprintf(out, "%-14s %s\n", "profile", i.profile);
	fprintf(out, "%-14s %s\n", "event", i.tag);
	fprintf(out, "%-14s %s\n", "detail", i.detail[0] ? i.detail : "-");
	fprintf(out, "%-14s %d\n", "severity", i.severity);
	fprintf(out, "%-14s %s\n", "state", incident_state_name(i.state));
	if (i.state == INC_CLOSED)
		fprintf(out, "%-14s %s\n", "closed by", incident_closed_by_name(i.closed_by));
	fprintf(out, "%-14s %llu\n", "count", (unsigned long long)i.count);
	show_time(out, "first seen", i.first_seen);
	show_time(out, "last seen", i.last_seen);
	if (i.state == INC_CLOSED)
		show_time(out, "closed", i.closed_at);
	fprintf(out, "%-14s %s\n", "last message", i.text);
	fprintf(out, "%-14s %s", "data capture", capture_state_name(i.capture));
	if (i.capture_job)
		fprintf(out, " (job %u)", i.capture_job);
	fprintf(out, "\n");
	char *text;
	size_t len;
	rc = store_get_capture(s, i.id, &text, &len);
	if (rc == 0) {
		fprintf(out, "\n");
		fwrite(text, 1, len, out);
		if (len && text[len - 1] != '\n')
			fputc('\n', out);
		free(text);
	} else if (rc < 0) {
		fprintf(stderr, "resyncd: %s\n", store_error(s));
	}
	model_free(&m);
	store_close(s);
	return rc < 0 ? -1 : 0;
}
