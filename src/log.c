/* log.c: log lines to stderr (foreground) or syslog. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int use_syslog;
static int errors_to_stderr;
static int max_prio = LOG_INFO;

void log_init(const char *ident, int to_syslog, int debug)
{
	use_syslog = to_syslog;
	max_prio = debug ? LOG_DEBUG : LOG_INFO;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_errors_to_stderr(int on)
{
	errors_to_stderr = on;
}

void log_msg(int prio, const char *fmt, ...)
{
	if (prio > max_prio)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (use_syslog) {
		if (errors_to_stderr && prio <= LOG_WARNING) {
			va_list copy;
			va_copy(copy, ap);
			flockfile(stderr);
			fputs("resyncd: ", stderr);
			vfprintf(stderr, fmt, copy);
			fputc('\n', stderr);
			funlockfile(stderr);
			va_end(copy);
		}
		vsyslog(prio, fmt, ap);
	} else {
		static const char *const names[] = { "emerg", "alert", "crit", "error",
						     "warning", "notice", "info", "debug" };
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		flockfile(stderr);
		fprintf(stderr, "%s.%03ld resyncd %s: ", when, ts.tv_nsec / 1000000, names[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}

bool log_limit_pass(struct log_limit *ll, time_t now, time_t interval)
{
	if (ll->last && now - ll->last < interval) {
		ll->held++;
		return false;
	}
	ll->last = now;
	ll->quiet = ll->held;
	ll->held = 0;
	return true;
}
