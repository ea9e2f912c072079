/* secrets.c: masks secrets in a line of Junos configuration (curly-brace or
 * "set" form) for display (pure). */
#include "secrets.h"

#include <stdbool.h>
#include <string.h>

/* Keywords whose next token is a secret. "community" is SNMP's (its name is
 * the password); Junos has no other "community" statement taking a name. */
static const char *const secrets_keys[] = {
	"secret", "authentication-key", "pre-shared-key", "encrypted-password", "simple-password",
	"password", "community", "key", "authentication-password", "privacy-password",
};

static bool secrets_word_char(char c)
{
	return c && c != ' ' && c != '\t' && c != ';' && c != '{' && c != '}' && c != '"';
}

/* Length of the token at p (a quoted string with its quotes, or a word). */
static size_t secrets_token(const char *p, size_t n)
{
	size_t i = 0;

	if (n && p[0] == '"') {
		for (i = 1; i < n && p[i] != '"'; i++)
			if (p[i] == '\\' && i + 1 < n)
				i++;
		return i < n ? i + 1 : n;
	}
	while (i < n && secrets_word_char(p[i]))
		i++;
	return i;
}

static bool secrets_is_key(const char *p, size_t len)
{
	for (size_t k = 0; k < sizeof(secrets_keys) / sizeof(secrets_keys[0]); k++)
		if (strlen(secrets_keys[k]) == len && memcmp(secrets_keys[k], p, len) == 0)
			return true;
	return false;
}

/* A Junos encoded or hashed secret: $9$..., $1$..., $5$..., $6$... */
static bool secrets_is_hash(const char *p, size_t len)
{
	if (len && p[0] == '"') {
		p++;
		len = len >= 2 ? len - 2 : 0;
	}
	return len > 3 && p[0] == '$' && (p[1] == '9' || p[1] == '1' || p[1] == '5' || p[1] == '6') &&
	       p[2] == '$';
}

size_t secrets_mask_line(const char *line, size_t n, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	bool after_key = false;

#define SECRETS_PUT(src, len)                                                          \
	do {                                                                           \
		size_t l_ = (len);                                                     \
		if (o + l_ > outlen)                                                   \
			l_ = outlen - o;                                               \
		memcpy(out + o, (src), l_);                                            \
		o += l_;                                                               \
	} while (0)
	while (i < n) {
		size_t t;

		if (!secrets_word_char(line[i]) && line[i] != '"') {
			SECRETS_PUT(line + i, 1);
			i++;
			continue;
		}
		t = secrets_token(line + i, n - i);
		if (t == 0)
			t = 1;
		if (after_key && ((t == 10 && memcmp(line + i, "ascii-text", 10) == 0) ||
				  (t == 11 && memcmp(line + i, "hexadecimal", 11) == 0))) {
			SECRETS_PUT(line + i, t); /* pre-shared-key ascii-text "..." */
		} else if (after_key || secrets_is_hash(line + i, t)) {
			SECRETS_PUT(SECRETS_MASK, sizeof(SECRETS_MASK) - 1);
			after_key = false;
		} else {
			after_key = secrets_is_key(line + i, t);
			SECRETS_PUT(line + i, t);
		}
		i += t;
	}
#undef SECRETS_PUT
	return o;
}
