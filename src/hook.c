/* hook.c: the case-creation hook (issue 15 item 6): a profile's program run
 * when an incident opens or closes, with the incident's fields in its
 * environment, so an operator can open a ticket in their own system.
 *
 * The loop only builds the environment; a short-lived thread of its own
 * spawns the program, waits for it (killing it at the profile's timeout) and
 * logs its exit status, so a slow ticket system never holds the loop. */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define HOOK_ENV_MAX 20

struct hook_run {
	char path[INC_HOOK_MAX];
	uint32_t timeout_secs;
	uint32_t incident;
	char *env[HOOK_ENV_MAX + 1];
	size_t nenv;
};

static void hook_env(struct hook_run *h, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hook_env(struct hook_run *h, const char *name, const char *fmt, ...)
{
	char val[INC_TEXT_MAX + 16];
	va_list ap;

	if (h->nenv == HOOK_ENV_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	/* One line per value: a message text with a newline must not forge a variable. */
	for (char *p = val; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(name) + strlen(val) + 2;
	char *e = malloc(n);
	if (e == NULL)
		return;
	snprintf(e, n, "%s=%s", name, val);
	h->env[h->nenv++] = e;
}

static void hook_free(struct hook_run *h)
{
	for (size_t i = 0; i < h->nenv; i++)
		free(h->env[i]);
	free(h);
}

static void *hook_thread(void *arg)
{
	struct hook_run *h = arg;
	posix_spawn_file_actions_t fa;
	char *argv[] = { h->path, NULL };
	pid_t pid;
	int st = 0, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = posix_spawn(&pid, h->path, &fa, NULL, argv, h->env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		log_warn("incident %u: hook %s cannot start: %s", h->incident, h->path, strerror(rc));
		hook_free(h);
		return NULL;
	}
	/* Polled: a child of this thread only; 20 ms is nothing next to a ticket system. */
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	long waited_ms = 0, limit_ms = (long)h->timeout_secs * 1000;
	while ((rc = waitpid(pid, &st, WNOHANG)) == 0 && waited_ms < limit_ms) {
		nanosleep(&nap, NULL);
		waited_ms += 20;
	}
	if (rc == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		log_warn("incident %u: hook %s killed after %u s", h->incident, h->path, h->timeout_secs);
	} else if (rc < 0) {
		log_warn("incident %u: hook %s: %s", h->incident, h->path, strerror(errno));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		log_info("incident %u: hook %s exited with status 0", h->incident, h->path);
	} else if (WIFEXITED(st)) {
		log_warn("incident %u: hook %s exited with status %d", h->incident, h->path, WEXITSTATUS(st));
	} else {
		log_warn("incident %u: hook %s ended by signal %d", h->incident, h->path, WTERMSIG(st));
	}
	hook_free(h);
	return NULL;
}

int hook_run(const struct incident_profile *p, const struct incident *i, const struct device *d, bool opened)
{
	struct hook_run *h;
	pthread_t t;
	pthread_attr_t attr;

	if (p == NULL || p->hook[0] == '\0')
		return 0;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -1;
	snprintf(h->path, sizeof(h->path), "%s", p->hook);
	h->timeout_secs = p->hook_timeout_secs ? p->hook_timeout_secs : 30;
	h->incident = i->id;
	hook_env(h, "PATH", "%s", "/usr/local/bin:/usr/bin:/bin");
	hook_env(h, "RESYNCD_EVENT", "%s", opened ? "opened" : "closed");
	hook_env(h, "RESYNCD_INCIDENT_ID", "%u", i->id);
	hook_env(h, "RESYNCD_INCIDENT_STATE", "%s", incident_state_name(i->state));
	hook_env(h, "RESYNCD_INCIDENT_CLOSED_BY", "%s", incident_closed_by_name(i->closed_by));
	hook_env(h, "RESYNCD_PROFILE", "%s", i->profile);
	hook_env(h, "RESYNCD_DEVICE", "%s", d ? d->name : "");
	hook_env(h, "RESYNCD_DEVICE_INDEX", "%u", i->device);
	hook_env(h, "RESYNCD_DEVICE_ADDRESS", "%s", d ? d->address : "");
	hook_env(h, "RESYNCD_EVENT_TAG", "%s", i->tag);
	hook_env(h, "RESYNCD_DETAIL", "%s", i->detail);
	hook_env(h, "RESYNCD_SEVERITY", "%d", i->severity);
	hook_env(h, "RESYNCD_COUNT", "%llu", (unsigned long long)i->count);
	hook_env(h, "RESYNCD_FIRST_SEEN", "%lld", (long long)(i->first_seen / RS_USEC_PER_SEC));
	hook_env(h, "RESYNCD_LAST_SEEN", "%lld", (long long)(i->last_seen / RS_USEC_PER_SEC));
	hook_env(h, "RESYNCD_MESSAGE", "%s", i->text);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, hook_thread, h);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_warn("incident %u: hook %s: no thread: %s", i->id, p->hook, strerror(rc));
		hook_free(h);
		return -1;
	}
	return 0;
}
