/* secrets.h: hides secrets in configuration text shown to a person (the
 * --diff output), as RANCID's FILTER_PWDS and Oxidized's remove_secret do:
 * Junos $9$/$1$/$5$/$6$ strings, and the value after secret,
 * authentication-key, pre-shared-key, encrypted-password, simple-password,
 * password, and an SNMP community's name. The stored copy stays whole (pure). */
#ifndef RESYNCD_SECRETS_H
#define RESYNCD_SECRETS_H

#include <stddef.h>

#define SECRETS_MASK "<secret hidden>"

/* Writes line (n bytes, no newline) to out with every secret replaced by
 * SECRETS_MASK; returns the length written (out is not NUL-terminated).
 * outlen must be at least n + 64: a mask may be longer than what it hides. */
size_t secrets_mask_line(const char *line, size_t n, char *out, size_t outlen);

#endif
