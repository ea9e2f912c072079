/* notify.c: the one fan-out of core events: a log line, then every sink. */
#include "notify.h"

#include "log.h"

#define MAX_SINKS 4

static struct notify_sink sinks[MAX_SINKS];
static int nsinks;

int notify_add_sink(const struct notify_sink *sink)
{
	if (nsinks == MAX_SINKS)
		return -1;
	sinks[nsinks++] = *sink;
	return 0;
}

void notify_clear_sinks(void)
{
	nsinks = 0;
}

void notify_status_changed(const struct device *d, enum managed_status old_st, enum managed_status new_st)
{
	log_info("device %s: managed status %s -> %s", d->name, managed_status_name(old_st),
		 managed_status_name(new_st));
	for (int i = 0; i < nsinks; i++)
		if (sinks[i].status_changed)
			sinks[i].status_changed(sinks[i].ctx, d, old_st, new_st);
}

void notify_job_changed(const struct job *j, enum job_state state, const char *summary,
			const struct device *first_device)
{
	/* A summary that starts with the state's name ("scheduled: initial
	 * resync ...") is not preceded by it again. */
	const char *st = job_state_name(state);
	size_t n = strlen(st);
	bool named = strncmp(summary, st, n) == 0 && (summary[n] == '\0' || summary[n] == ':');
	log_info("job %u (%s) %s: %s%s%s", j->id, job_type_name(j->type), first_device ? first_device->name : "-",
		 named ? "" : st, named ? "" : ": ", summary);
	for (int i = 0; i < nsinks; i++)
		if (sinks[i].job_changed)
			sinks[i].job_changed(sinks[i].ctx, j, state, summary, first_device);
}

void notify_incident(const struct incident *i, const struct device *d, bool opened)
{
	if (opened)
		log_info("incident %u opened: device %s: %s%s%s (profile %s)", i->id, d ? d->name : "-", i->tag,
			 i->detail[0] ? " " : "", i->detail, i->profile);
	else
		log_info("incident %u closed by %s: device %s: %s%s%s, %llu events", i->id,
			 incident_closed_by_name(i->closed_by), d ? d->name : "-", i->tag, i->detail[0] ? " " : "",
			 i->detail, (unsigned long long)i->count);
	for (int k = 0; k < nsinks; k++)
		if (sinks[k].incident_changed)
			sinks[k].incident_changed(sinks[k].ctx, i, d, opened);
}

void notify_device_added(const struct device *d)
{
	for (int i = 0; i < nsinks; i++)
		if (sinks[i].device_added)
			sinks[i].device_added(sinks[i].ctx, d);
}

void notify_device_removed(const struct device *d)
{
	for (int i = 0; i < nsinks; i++)
		if (sinks[i].device_removed)
			sinks[i].device_removed(sinks[i].ctx, d);
}
