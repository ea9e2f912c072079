/* syslog_parse.c: RFC 3164 / RFC 5424 syslog message parsing (pure).
 *
 * One forward pass with a cursor; every read is checked against the end, so
 * any input (fuzzed, truncated, oversize) costs at most max_size steps. Fields
 * are slices of the input: nothing is allocated or copied. */
#include "syslog_parse.h"

#include <string.h>

struct cur {
	const char *p, *end;
};

/* Character classes, one table lookup per byte: the scanning loops below run
 * over every byte of every header, which makes them most of the cost of an
 * ordinary event (callgrind). */
enum {
	SP_PRINT = 1 << 0,      /* printable ASCII, no space: header tokens */
	SP_DIGIT = 1 << 1,
	SP_HOST = 1 << 2,       /* what a BSD HOSTNAME may hold */
	SP_SDNAME = 1 << 3,     /* SD-NAME: printable but not '=', ']' or '"' */
	SP_TAG = 1 << 4,        /* BSD TAG: printable but not '[' or ':' */
	SP_PROCID = 1 << 5,     /* inside "[...]" after the TAG: printable but not ']' */
	SP_VALPLAIN = 1 << 6,   /* SD value byte with no meaning: not '"', '\\' or non-ASCII */
};

#define SP_IS_PRINT(ch) ((ch) >= 33 && (ch) <= 126)
#define SP_IS_DIGIT(ch) ((ch) >= '0' && (ch) <= '9')
#define SP_IS_ALNUM(ch) (SP_IS_DIGIT(ch) || ((ch) >= 'a' && (ch) <= 'z') || ((ch) >= 'A' && (ch) <= 'Z'))
#define SP_CLASS(ch)                                                                              \
	((SP_IS_PRINT(ch) ? SP_PRINT : 0) | (SP_IS_DIGIT(ch) ? SP_DIGIT : 0) |                    \
	 (SP_IS_ALNUM(ch) || (ch) == '.' || (ch) == '-' || (ch) == '_' || (ch) == ':' ? SP_HOST : 0) | \
	 (SP_IS_PRINT(ch) && (ch) != '=' && (ch) != ']' && (ch) != '"' ? SP_SDNAME : 0) |         \
	 (SP_IS_PRINT(ch) && (ch) != '[' && (ch) != ':' ? SP_TAG : 0) |                            \
	 (SP_IS_PRINT(ch) && (ch) != ']' ? SP_PROCID : 0) |                                        \
	 ((ch) != '"' && (ch) != '\\' && (ch) < 0x80 ? SP_VALPLAIN : 0))
#define SP_C4(b) SP_CLASS(b), SP_CLASS((b) + 1), SP_CLASS((b) + 2), SP_CLASS((b) + 3)
#define SP_C16(b) SP_C4(b), SP_C4((b) + 4), SP_C4((b) + 8), SP_C4((b) + 12)
#define SP_C64(b) SP_C16(b), SP_C16((b) + 16), SP_C16((b) + 32), SP_C16((b) + 48)
static const unsigned char sp_class[256] = { SP_C64(0), SP_C64(64), SP_C64(128), SP_C64(192) };

static bool sp_is(char ch, unsigned cls) { return (sp_class[(unsigned char)ch] & cls) != 0; }

/* Advances p while its byte is of class cls, up to end. */
static const char *sp_span(const char *p, const char *end, unsigned cls)
{
	while (p < end && sp_is(*p, cls))
		p++;
	return p;
}

/* Where a field that starts at p and is at most max long must end. */
static const char *sp_limit(const char *p, const char *end, size_t max)
{
	return (size_t)(end - p) > max ? p + max : end;
}

static bool sp_at_end(const struct cur *c) { return c->p >= c->end; }
static bool sp_isdigit(char ch) { return sp_is(ch, SP_DIGIT); }

/* Two digits at p (the caller checked they are there); -1 if not digits. */
static int sp_2digits(const char *p)
{
	if (!sp_isdigit(p[0]) || !sp_isdigit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Reads exactly n digits; -1 if they are not all there. */
static int sp_digits(struct cur *c, size_t n)
{
	int v = 0;

	if ((size_t)(c->end - c->p) < n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!sp_isdigit(c->p[i]))
			return -1;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	return v;
}

static bool sp_char(struct cur *c, char ch)
{
	if (sp_at_end(c) || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* Token of printable ASCII up to the next space or the end, at most max long. */
static int sp_token(struct cur *c, size_t max, struct syslog_str *out)
{
	const char *s = c->p;

	c->p = sp_span(s, sp_limit(s, c->end, max), SP_PRINT);
	if (c->p == s || (c->p < c->end && *c->p != ' '))
		return -1; /* empty, not printable, or longer than max */
	out->p = s;
	out->n = (size_t)(c->p - s);
	return 0;
}

bool syslog_utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p, *e = s + n;

	while (s < e) {
		unsigned char b = *s;
		size_t len;
		unsigned int cp;

		if (b < 0x80) {
			s++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			len = 2;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			len = 3;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			len = 4;
			cp = b & 0x07;
		} else {
			return false;
		}
		if ((size_t)(e - s) < len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += len;
	}
	return true;
}

void syslog_str_copy(struct syslog_str s, char *out, size_t outlen)
{
	size_t n = s.n;

	if (outlen == 0)
		return;
	if (n > outlen - 1)
		n = outlen - 1;
	if (n)
		memcpy(out, s.p, n);
	out[n] = '\0';
}

/* <PRI>: 1-3 digits, no leading zero (but "<0>"), value <= 191. */
static enum syslog_error sp_pri(struct cur *c, struct syslog_msg *m)
{
	int v = 0;
	size_t nd = 0;

	m->pri = m->facility = m->severity = -1;
	if (!sp_char(c, '<'))
		return SYSLOG_OK;
	while (c->p < c->end && sp_isdigit(*c->p) && nd < 4) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		nd++;
	}
	if (nd == 0 || nd > 3 || (nd > 1 && c->p[-(long)nd] == '0') || v > 191)
		return SYSLOG_E_PRI;
	if (!sp_char(c, '>'))
		return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_PRI;
	m->pri = v;
	m->facility = v >> 3;
	m->severity = v & 7;
	return SYSLOG_OK;
}

/* "hh:mm:ss" with an optional fraction of 1 to 6 digits, as both timestamp
 * forms write the time of day. */
static bool sp_clock(struct cur *c)
{
	const char *p = c->p;
	int h, mi, s;

	if (c->end - p < 8 || (h = sp_2digits(p)) < 0 || h > 23 || p[2] != ':' ||
	    (mi = sp_2digits(p + 3)) < 0 || mi > 59 || p[5] != ':' ||
	    (s = sp_2digits(p + 6)) < 0 || s > 60)
		return false;
	p += 8;
	if (p < c->end && *p == '.') {
		const char *f = ++p;

		p = sp_span(f, sp_limit(f, c->end, 7), SP_DIGIT);
		if (p == f || p - f > 6)
			return false;
	}
	c->p = p;
	return true;
}

/* RFC 3339 as RFC 5424 restricts it: YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+-HH:MM).
 * Relays (rsyslog's forward format) put it in 3164 lines too. */
static bool sp_rfc3339(struct cur *c)
{
	struct cur t = *c;
	const char *p = t.p;
	int mo, d, h, mi;

	if (t.end - p < 11 || sp_2digits(p) < 0 || sp_2digits(p + 2) < 0 || p[4] != '-' ||
	    (mo = sp_2digits(p + 5)) < 1 || mo > 12 || p[7] != '-' ||
	    (d = sp_2digits(p + 8)) < 1 || d > 31 || p[10] != 'T')
		return false;
	t.p += 11;
	if (!sp_clock(&t))
		return false;
	if (!sp_char(&t, 'Z')) {
		p = t.p;
		if (t.end - p < 6 || (*p != '+' && *p != '-') || (h = sp_2digits(p + 1)) < 0 ||
		    h > 23 || p[3] != ':' || (mi = sp_2digits(p + 4)) < 0 || mi > 59)
			return false;
		t.p += 6;
	}
	*c = t;
	return true;
}

/* The English month abbreviations of a BSD timestamp. */
static bool sp_month(const char *p)
{
	switch (p[0]) {
	case 'J': return !memcmp(p, "Jan", 3) || !memcmp(p, "Jun", 3) || !memcmp(p, "Jul", 3);
	case 'F': return !memcmp(p, "Feb", 3);
	case 'M': return !memcmp(p, "Mar", 3) || !memcmp(p, "May", 3);
	case 'A': return !memcmp(p, "Apr", 3) || !memcmp(p, "Aug", 3);
	case 'S': return !memcmp(p, "Sep", 3);
	case 'O': return !memcmp(p, "Oct", 3);
	case 'N': return !memcmp(p, "Nov", 3);
	case 'D': return !memcmp(p, "Dec", 3);
	}
	return false;
}

/* BSD timestamp "Mmm dd hh:mm:ss" with a space-padded or one-digit day, an
 * optional fraction (Junos "time-format millisecond") and an optional year
 * before the time (Junos "time-format year", some relays). */
static bool sp_bsd_time(struct cur *c)
{
	struct cur t = *c;
	int d;

	if (t.end - t.p < 3 || !sp_month(t.p))
		return false;
	t.p += 3;
	if (!sp_char(&t, ' '))
		return false;
	sp_char(&t, ' '); /* space-padded day */
	if ((d = sp_digits(&t, 2)) < 0) {
		if ((d = sp_digits(&t, 1)) < 0)
			return false;
	}
	if (d < 1 || d > 31 || !sp_char(&t, ' '))
		return false;
	/* Optional year: four digits and a space before the time. */
	if (t.end - t.p >= 5 && sp_isdigit(t.p[0]) && sp_isdigit(t.p[1]) && sp_isdigit(t.p[2]) &&
	    sp_isdigit(t.p[3]) && t.p[4] == ' ')
		t.p += 5;
	if (!sp_clock(&t))
		return false;
	*c = t;
	return true;
}

/* One SD element "[id p="v" ...]"; the cursor is on '['. Values are UTF-8
 * with \" \\ \] escapes; an unescaped ']' inside quotes is tolerated. */
static enum syslog_error sp_sd_element(struct cur *c)
{
	const char *s;

	c->p++; /* '[' */
	s = c->p;
	c->p = sp_span(s, c->end, SP_SDNAME);
	if (c->p == s || c->p - s > 32)
		return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_SD;
	for (;;) {
		const char *vs;
		bool nonascii = false;

		if (sp_at_end(c))
			return SYSLOG_E_TRUNCATED;
		if (*c->p == ']') {
			c->p++;
			return SYSLOG_OK;
		}
		if (!sp_char(c, ' '))
			return SYSLOG_E_SD;
		s = c->p;
		c->p = sp_span(s, c->end, SP_SDNAME);
		if (c->p == s || c->p - s > 32)
			return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_SD;
		if (!sp_char(c, '=') || !sp_char(c, '"'))
			return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_SD;
		vs = c->p;
		/* Plain ASCII runs are skipped a span at a time; only a value
		 * with a non-ASCII byte needs the UTF-8 check. */
		for (;;) {
			c->p = sp_span(c->p, c->end, SP_VALPLAIN);
			if (sp_at_end(c) || *c->p == '"')
				break;
			if (*c->p == '\\' && c->end - c->p >= 2) {
				nonascii |= (unsigned char)c->p[1] >= 0x80;
				c->p += 2;
			} else {
				nonascii |= (unsigned char)*c->p >= 0x80;
				c->p++;
			}
		}
		if (sp_at_end(c))
			return SYSLOG_E_TRUNCATED;
		if (nonascii && !syslog_utf8_valid(vs, (size_t)(c->p - vs)))
			return SYSLOG_E_UTF8;
		c->p++; /* closing quote */
	}
}

static enum syslog_error sp_5424(struct cur *c, struct syslog_msg *m)
{
	enum syslog_error e;
	struct syslog_str *fields[] = { &m->host, &m->app, &m->procid, &m->msgid };
	static const size_t maxes[] = { 255, 48, 128, 32 };

	m->format = SYSLOG_FMT_5424;
	if (!sp_char(c, ' '))
		return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_HEADER;
	if (sp_char(c, '-')) {
		m->timestamp.n = 0;
	} else {
		const char *ts = c->p;

		if (!sp_rfc3339(c))
			return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_TIMESTAMP;
		m->timestamp.p = ts;
		m->timestamp.n = (size_t)(c->p - ts);
	}
	for (size_t i = 0; i < 4; i++) {
		if (!sp_char(c, ' '))
			return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_HEADER;
		if (sp_token(c, maxes[i], fields[i]) < 0)
			return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_HEADER;
		if (fields[i]->n == 1 && fields[i]->p[0] == '-')
			fields[i]->n = 0;
	}
	if (!sp_char(c, ' '))
		return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_HEADER;
	if (sp_at_end(c))
		return SYSLOG_E_TRUNCATED;
	if (*c->p == '-') {
		c->p++;
	} else if (*c->p == '[') {
		const char *sd = c->p;

		while (c->p < c->end && *c->p == '[')
			if ((e = sp_sd_element(c)) != SYSLOG_OK)
				return e;
		m->sd.p = sd;
		m->sd.n = (size_t)(c->p - sd);
	} else {
		return SYSLOG_E_SD;
	}
	if (sp_at_end(c))
		return SYSLOG_OK;
	if (!sp_char(c, ' '))
		return SYSLOG_E_SD;
	if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0) {
		c->p += 3;
		if (!syslog_utf8_valid(c->p, (size_t)(c->end - c->p)))
			return SYSLOG_E_UTF8;
	}
	m->text.p = c->p;
	m->text.n = (size_t)(c->end - c->p);
	return SYSLOG_OK;
}

/* TAG: app name up to '[', ':' or space; "[procid]" and ':' optional. */
static void sp_3164_tag(struct cur *c, struct syslog_msg *m)
{
	struct cur t = *c;
	const char *s = t.p;

	t.p = sp_span(s, sp_limit(s, t.end, 48), SP_TAG);
	if (t.p == s || (t.p < t.end && *t.p != '[' && *t.p != ':' && *t.p != ' '))
		return; /* no TAG: everything is text */
	m->app.p = s;
	m->app.n = (size_t)(t.p - s);
	if (sp_char(&t, '[')) {
		const char *ps = t.p;

		t.p = sp_span(ps, sp_limit(ps, t.end, 128), SP_PROCID);
		if (!sp_char(&t, ']')) {
			m->app.n = 0;
			return;
		}
		m->procid.p = ps;
		m->procid.n = (size_t)(t.p - ps - 1);
	}
	sp_char(&t, ':');
	sp_char(&t, ' ');
	*c = t;
}

static enum syslog_error sp_3164(struct cur *c, struct syslog_msg *m)
{
	const char *ts = c->p;
	bool have_ts;

	m->format = SYSLOG_FMT_3164;
	have_ts = sp_bsd_time(c) || sp_rfc3339(c);
	if (have_ts) {
		m->timestamp.p = ts;
		m->timestamp.n = (size_t)(c->p - ts);
		if (!sp_char(c, ' '))
			return sp_at_end(c) ? SYSLOG_E_TRUNCATED : SYSLOG_E_TIMESTAMP;
		while (sp_char(c, ' '))
			; /* Junos files pad with two spaces */
		if (sp_at_end(c))
			return SYSLOG_E_TRUNCATED;
		/* HOSTNAME, unless the next word is already the TAG (a header
		 * without host, as some devices send). */
		{
			const char *hs = c->p;
			struct cur t = *c;

			t.p = sp_span(hs, sp_limit(hs, t.end, 256), SP_HOST);
			if (t.p > hs && (t.p == t.end || *t.p == ' ') && t.p[-1] != ':') {
				m->host.p = hs;
				m->host.n = (size_t)(t.p - hs);
				*c = t;
				sp_char(c, ' ');
			}
		}
	} else if (m->pri < 0) {
		/* Neither PRI nor timestamp: nothing says this is syslog. */
		return SYSLOG_E_TIMESTAMP;
	}
	sp_3164_tag(c, m);
	m->text.p = c->p;
	m->text.n = (size_t)(c->end - c->p);
	return SYSLOG_OK;
}

enum syslog_error syslog_parse(const char *buf, size_t len, size_t max_size, struct syslog_msg *m)
{
	struct cur c;
	enum syslog_error e;

	if (max_size == 0)
		max_size = SYSLOG_DEFAULT_MAX_SIZE;
	memset(m, 0, sizeof(*m));
	m->pri = m->facility = m->severity = -1;
	if (buf == NULL)
		return SYSLOG_E_EMPTY;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == '\0'))
		len--;
	if (len == 0)
		return SYSLOG_E_EMPTY;
	if (len > max_size)
		return SYSLOG_E_OVERSIZE;
	c.p = buf;
	c.end = buf + len;
	if ((e = sp_pri(&c, m)) != SYSLOG_OK)
		return e;
	if (m->pri >= 0 && c.p < c.end && sp_isdigit(*c.p)) {
		/* VERSION: RFC 5424 only knows 1; "<13>2024-..." is a 3164 relay line. */
		struct cur t = c;
		int v = 0;
		size_t nd = 0;

		while (t.p < t.end && sp_isdigit(*t.p) && nd < 4) {
			v = v * 10 + (*t.p - '0');
			t.p++;
			nd++;
		}
		if (t.p < t.end && *t.p == ' ' && nd <= 3 && v >= 1) {
			if (v != 1)
				return SYSLOG_E_HEADER;
			c = t;
			return sp_5424(&c, m);
		}
		if (t.p == t.end)
			return SYSLOG_E_TRUNCATED;
	}
	return sp_3164(&c, m);
}

const char *syslog_strerror(enum syslog_error e)
{
	switch (e) {
	case SYSLOG_OK: return "ok";
	case SYSLOG_E_EMPTY: return "empty message";
	case SYSLOG_E_OVERSIZE: return "message too long";
	case SYSLOG_E_PRI: return "bad PRI";
	case SYSLOG_E_HEADER: return "bad header";
	case SYSLOG_E_TIMESTAMP: return "no valid timestamp";
	case SYSLOG_E_SD: return "broken structured data";
	case SYSLOG_E_UTF8: return "invalid UTF-8";
	case SYSLOG_E_TRUNCATED: return "truncated";
	}
	return "unknown error";
}

/* Walks the SD elements; the SD was validated by the parser, but this still
 * checks every bound so it is safe on any struct syslog_msg. */
static bool sp_sd_next_elem(struct cur *c, struct syslog_str *id)
{
	if (sp_at_end(c) || *c->p != '[')
		return false;
	c->p++;
	id->p = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != ']')
		c->p++;
	id->n = (size_t)(c->p - id->p);
	return true;
}

static void sp_sd_skip_value(struct cur *c)
{
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && c->end - c->p >= 2)
			c->p++;
		c->p++;
	}
	if (c->p < c->end)
		c->p++;
}

struct syslog_str syslog_sd_first_id(const struct syslog_msg *m)
{
	struct cur c;
	struct syslog_str id = { NULL, 0 };

	if (m->sd.n == 0)
		return id;
	c.p = m->sd.p;
	c.end = m->sd.p + m->sd.n;
	if (!sp_sd_next_elem(&c, &id))
		id.n = 0;
	return id;
}

int syslog_sd_param(const struct syslog_msg *m, const char *id_prefix, const char *name,
		    char *out, size_t outlen)
{
	struct cur c;
	struct syslog_str id;
	size_t plen = strlen(id_prefix), nlen = strlen(name);

	if (outlen)
		out[0] = '\0';
	if (m->sd.n == 0)
		return -1;
	c.p = m->sd.p;
	c.end = m->sd.p + m->sd.n;
	while (sp_sd_next_elem(&c, &id)) {
		bool want = id.n >= plen && memcmp(id.p, id_prefix, plen) == 0;

		/* Parameters: ' ' name '=' '"' value '"', until ']'. */
		while (c.p < c.end && *c.p == ' ') {
			const char *ns = ++c.p;

			while (c.p < c.end && *c.p != '=')
				c.p++;
			if (c.end - c.p < 2)
				return -1;
			bool hit = want && (size_t)(c.p - ns) == nlen && memcmp(ns, name, nlen) == 0;
			c.p += 2; /* =" */
			if (!hit) {
				sp_sd_skip_value(&c);
				continue;
			}
			size_t o = 0;
			while (c.p < c.end && *c.p != '"') {
				char ch = *c.p;

				if (ch == '\\' && c.end - c.p >= 2 &&
				    (c.p[1] == '"' || c.p[1] == '\\' || c.p[1] == ']'))
					ch = *++c.p;
				if (outlen && o < outlen - 1)
					out[o] = ch;
				o++;
				c.p++;
			}
			if (outlen)
				out[o < outlen ? o : outlen - 1] = '\0';
			return (int)o;
		}
		if (c.p < c.end && *c.p == ']')
			c.p++;
		else
			return -1;
	}
	return -1;
}
