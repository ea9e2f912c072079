/* log.h: logging to stderr or syslog; every line about a device names it. */
#ifndef RESYNCD_LOG_H
#define RESYNCD_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <time.h>

void log_init(const char *ident, int to_syslog, int debug);
/* With syslog: warnings and errors also go to stderr (while a detaching
 * daemon starts, so whoever started it sees why it did not). */
void log_errors_to_stderr(int on);
/* Between these the calling thread's stderr lines gather and go out in
 * one write at the release (the loop holds them over one group commit:
 * its lines cost one system call, not two a commit). Nests. */
void log_hold(void);
void log_release(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* At most one line per interval for a recurring condition (an attacker must
 * not fill the log): log_limit_pass() says whether to log now; quiet is how
 * many were held back since the last line (reset when one passes). */
struct log_limit {
	time_t last;
	unsigned long held, quiet;
};
bool log_limit_pass(struct log_limit *ll, time_t now, time_t interval);

#endif
