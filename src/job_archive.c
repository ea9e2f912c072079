/* job_archive.c: finished jobs to JSON lines (json-c) before a purge. */
#include "job_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ISO 8601 UTC with microseconds, or JSON null for "never". */
static struct json_object *jtime(rs_time_t t)
{
	if (!t)
		return NULL;
	time_t secs = (time_t)(t / RS_USEC_PER_SEC);
	struct tm tm;
	char buf[40];
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%06lldZ", (long long)(t % RS_USEC_PER_SEC));
	return json_object_new_string(buf);
}

static struct json_object *task_json(const struct model *m, const struct task *t)
{
	struct json_object *o = json_object_new_object();
	const struct device *d = model_device_by_index((struct model *)m, t->device);
	json_object_object_add(o, "device", json_object_new_int64(t->device));
	json_object_object_add(o, "name", d ? json_object_new_string(d->name) : NULL);
	json_object_object_add(o, "state", json_object_new_string(task_state_name(t->state)));
	json_object_object_add(o, "start", jtime(t->start));
	json_object_object_add(o, "end", jtime(t->end));
	json_object_object_add(o, "reason", t->reason ? json_object_new_string(t->reason) : NULL);
	return o;
}

char *job_archive_json(const struct model *m, const struct job *j)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(j->id));
	json_object_object_add(o, "name", json_object_new_string(j->name));
	json_object_object_add(o, "type", json_object_new_string(job_type_name(j->type)));
	json_object_object_add(o, "state", json_object_new_string(job_state_name(j->state)));
	json_object_object_add(o, "percent", json_object_new_int(j->percent));
	json_object_object_add(o, "summary", json_object_new_string(j->summary));
	json_object_object_add(o, "scheduledStart", jtime(j->scheduled_start));
	json_object_object_add(o, "actualStart", jtime(j->actual_start));
	json_object_object_add(o, "end", jtime(j->end_time));
	json_object_object_add(o, "user", json_object_new_string(j->user));
	json_object_object_add(o, "recurrenceSecs", json_object_new_int64(j->recurrence_secs));
	json_object_object_add(o, "retryOf", j->retry_of ? json_object_new_int64(j->retry_of) : NULL);
	struct json_object *devs = json_object_new_array_ext((int)j->ntasks);
	for (uint32_t i = 0; devs && i < j->ntasks; i++)
		json_object_array_add(devs, task_json(m, &j->tasks[i]));
	json_object_object_add(o, "devices", devs);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = text ? strdup(text) : NULL;
	json_object_put(o);
	return copy;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int job_archive_append(const char *path, const struct model *m, struct job *const *jobs, size_t n,
		       char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	off_t was = fstat(fd, &st) == 0 ? st.st_size : -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *line = job_archive_json(m, jobs[i]);
		if (!line || write_all(fd, line, strlen(line)) < 0 || write_all(fd, "\n", 1) < 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, line ? strerror(errno) : "out of memory");
			rc = -1;
		}
		free(line);
	}
	if (rc == 0 && fsync(fd) < 0) {
		snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
		rc = -1;
	}
	/* A half-written batch would be archived again by the next pass. */
	if (rc < 0 && was >= 0 && ftruncate(fd, was) < 0)
		snprintf(err, errlen, "cannot write %s, nor cut it back: %s", path, strerror(errno));
	close(fd);
	return rc;
}
