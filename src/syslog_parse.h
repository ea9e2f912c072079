/* syslog_parse.h: RFC 3164 / RFC 5424 syslog message parsing (pure).
 *
 * The parser never allocates and never copies: every field of struct
 * syslog_msg is a slice of the caller's buffer, valid as long as that buffer.
 * Work is one forward pass over at most max_size bytes, whatever the input. */
#ifndef RESYNCD_SYSLOG_PARSE_H
#define RESYNCD_SYSLOG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define SYSLOG_DEFAULT_MAX_SIZE 8192

/* A slice of the input; n == 0 means absent (RFC 5424 NILVALUE is absent too). */
struct syslog_str {
	const char *p;
	size_t n;
};

enum syslog_format {
	SYSLOG_FMT_3164 = 1,     /* BSD: with or without <PRI>, relay and file forms */
	SYSLOG_FMT_5424 = 2,     /* IETF: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG */
};

enum syslog_error {
	SYSLOG_OK = 0,
	SYSLOG_E_EMPTY,          /* nothing but line ending */
	SYSLOG_E_OVERSIZE,       /* longer than the configured maximum */
	SYSLOG_E_PRI,            /* <PRI> present but not 0..191 in canonical digits */
	SYSLOG_E_HEADER,         /* header fields missing, too long or not printable */
	SYSLOG_E_TIMESTAMP,      /* no recognisable timestamp */
	SYSLOG_E_SD,             /* broken RFC 5424 structured data */
	SYSLOG_E_UTF8,           /* text that must be UTF-8 is not */
	SYSLOG_E_TRUNCATED,      /* the message ends inside the header */
};

struct syslog_msg {
	enum syslog_format format;
	int pri;                 /* -1: no <PRI> (a local log file line) */
	int facility, severity;  /* -1 when pri is -1 */
	struct syslog_str timestamp;
	struct syslog_str host;
	struct syslog_str app;   /* 3164: the TAG before '[' or ':' */
	struct syslog_str procid;
	struct syslog_str msgid; /* 5424 only */
	struct syslog_str sd;    /* 5424 only: the whole structured data, brackets included */
	struct syslog_str text;  /* MSG, BOM removed */
};

/* Parses len bytes of buf (one message; a trailing CR/LF/NUL is ignored).
 * max_size 0 means SYSLOG_DEFAULT_MAX_SIZE. On error *msg is undefined. */
enum syslog_error syslog_parse(const char *buf, size_t len, size_t max_size, struct syslog_msg *msg);

const char *syslog_strerror(enum syslog_error e);

/* Finds parameter name in the first SD element whose SD-ID starts with
 * id_prefix (e.g. "junos@2636"), unescapes its value into out (always NUL
 * terminated, cut at outlen - 1). Returns the value's length, -1 if absent. */
int syslog_sd_param(const struct syslog_msg *msg, const char *id_prefix, const char *name,
		    char *out, size_t outlen);

/* First SD-ID (e.g. "junos@2636.1.1.1.2.18"); absent if no SD. */
struct syslog_str syslog_sd_first_id(const struct syslog_msg *msg);

/* True if the n bytes at p are well-formed UTF-8 (no overlongs, no surrogates). */
bool syslog_utf8_valid(const char *p, size_t n);

/* Copies a slice into a NUL-terminated buffer, cut at outlen - 1. */
void syslog_str_copy(struct syslog_str s, char *out, size_t outlen);

#endif
