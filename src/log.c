/* log.c: log lines to stderr (foreground) or syslog. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_STACK 1024

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

/* While a thread holds its lines (log_hold), they gather here and go out
 * in one write(2) when it lets go, or when the next would not fit. */
#define LOG_HELD_BYTES 16384
static __thread struct {
	unsigned depth;
	size_t n;
	char buf[LOG_HELD_BYTES];
} held;

static void write_all(const char *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to say that logging failed */
		off += (size_t)w;
	}
}

static void held_flush(void)
{
	write_all(held.buf, held.n);
	held.n = 0;
}

void log_hold(void)
{
	held.depth++;
}

void log_release(void)
{
	if (held.depth && --held.depth == 0 && held.n)
		held_flush();
}

static void emit(const char *line, size_t n)
{
	if (!held.depth || n > sizeof(held.buf)) {
		if (held.n)
			held_flush(); /* keep the order */
		write_all(line, n);
		return;
	}
	if (held.n + n > sizeof(held.buf))
		held_flush();
	memcpy(held.buf + held.n, line, n);
	held.n += n;
}

/* A line is formatted whole and written with one write(2): stderr is
 * unbuffered, so fprintf()'s pieces cost a system call each (three a line,
 * several lines a commit), and lines from several threads must not
 * interleave. A line longer than the stack buffer is formatted on the heap. */
static void log_write_line(const char *prefix, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_STACK], *line = buf;
	size_t pl = strlen(prefix), n;
	va_list copy;
	int k;

	va_copy(copy, ap);
	k = vsnprintf(buf + pl, sizeof(buf) - pl - 1, fmt, ap);
	if (k < 0) {
		va_end(copy);
		return;
	}
	n = pl + (size_t)k;
	if (n + 1 >= sizeof(buf)) {
		line = malloc(n + 2);
		if (line == NULL) {
			line = buf;
			n = sizeof(buf) - 2; /* cut, rather than lose the line */
		} else {
			vsnprintf(line + pl, n - pl + 1, fmt, copy);
		}
	}
	va_end(copy);
	memcpy(line, prefix, pl);
	line[n++] = '\n';
	emit(line, n);
	if (line != buf)
		free(line);
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
			log_write_line("resyncd: ", fmt, copy);
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
		char when[32], prefix[64];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(prefix, sizeof(prefix), "%s.%03ld resyncd %s: ", when, ts.tv_nsec / 1000000,
			 names[prio & 7]);
		log_write_line(prefix, fmt, ap);
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
