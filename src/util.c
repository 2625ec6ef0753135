#include "util.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

_Noreturn void
out_of_memory(void)
{
	fputs("threatfeed: out of memory\n", stderr);
	abort();
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		out_of_memory();
	p = realloc(p, n && size ? n * size : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xcalloc(n + 1, 1);
	memcpy(p, s, n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

int
buf_grow(struct buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra >= BUF_MAX || b->len >= BUF_MAX - extra) {
		errno = EFBIG;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > BUF_MAX / 2 ? BUF_MAX + 1 : cap * 2;
	p = realloc(b->ptr, cap);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	b->ptr = p;
	b->cap = cap;
	b->ptr[b->len] = '\0';
	return 0;
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	if (buf_grow(b, 64) < 0)
		return -1;
	va_copy(copy, ap);
	n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, copy);
	va_end(copy);
	if (n < 0)
		return -1;
	if ((size_t)n >= b->cap - b->len) {
		if (buf_grow(b, (size_t)n) < 0)
			return -1;
		n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
		if (n < 0)
			return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void
buf_release(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->ptr && buf_grow(b, 0) < 0)
		out_of_memory();
	p = b->ptr;
	if (len)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void
diag_init(struct diag *d, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
}

void
diag_init_memory(struct diag *d, char **buf, size_t *len, int quiet)
{
	FILE *out;

	*buf = NULL;
	*len = 0;
	out = open_memstream(buf, len);
	if (!out)
		out_of_memory();
	diag_init(d, out);
	d->quiet = quiet;
}

size_t
thread_count(size_t work, size_t max)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus < 1 ? 1 : (size_t)cpus;

	if (n > max)
		n = max;
	if (n > work)
		n = work;
	return n ? n : 1;
}

/*
 * Whether a character would do more on a terminal than show itself: C0 and C1 controls (an escape
 * sequence, a line break that splits a message) and the bidirectional overrides and isolates that
 * reorder what follows. Messages name committed files, and a push shows them to its author.
 */
static int
acts_on_terminal(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* Writes s, with each byte of a character that acts on a terminal, or of no character, as \xNN. */
static void
put_shown(FILE *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (n && !acts_on_terminal(cp)) {
			i += n;
			continue;
		}
		fwrite(s + start, 1, i - start, out);
		for (size_t k = 0; k < (n ? n : 1); k++)
			fprintf(out, "\\x%02x", u[i + k]);
		i += n ? n : 1;
		start = i;
	}
	fwrite(s + start, 1, len - start, out);
}

static void
diag_print(struct diag *d, const char *kind, const char *path, unsigned line, unsigned col,
	   const char *fmt, va_list ap)
{
	struct buf text = BUF_INIT;

	buf_puts(&text, "threatfeed: ");
	if (path) {
		size_t hidden_len = d->hidden && d->shown ? strlen(d->hidden) : 0;

		if (hidden_len && strncmp(path, d->hidden, hidden_len) == 0) {
			buf_puts(&text, d->shown);
			path += hidden_len;
		}
		buf_puts(&text, path);
		if (line) {
			buf_printf(&text, ":%u", line);
			if (col)
				buf_printf(&text, ":%u", col);
		}
		buf_puts(&text, ": ");
	}
	if (kind)
		buf_puts(&text, kind);
	buf_vprintf(&text, fmt, ap);
	if (text.ptr)
		put_shown(d->out, text.ptr, text.len);
	else
		fputs("threatfeed: out of memory writing a message", d->out);
	fputc('\n', d->out);
	fflush(d->out);
	buf_release(&text);
}

int
diag_error(struct diag *d, const char *path, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	diag_print(d, NULL, path, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

void
diag_warning(struct diag *d, const char *path, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	if (d->quiet)
		return;
	va_start(ap, fmt);
	diag_print(d, "warning: ", path, line, col, fmt, ap);
	va_end(ap);
}

/*
 * Civil-calendar arithmetic, written out because gmtime and timegm depend on libc time zone state
 * (and gmtime is banned here): days from 1970-01-01 to a proleptic Gregorian date and back, after
 * Howard Hinnant's public-domain "chrono-compatible low-level date algorithms".
 */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *year, int *month, int *day)
{
	int64_t era, y;
	unsigned doe, yoe, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(y + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

void
date_to_civil(struct civil_time *out, int64_t epoch, int offset_minutes)
{
	int64_t local = epoch + (int64_t)offset_minutes * 60;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t secs = local - days * 86400;

	civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->weekday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
date_fail(const char **why, size_t *col, const char *reason, size_t at)
{
	*why = reason;
	if (col)
		*col = at;
	return -1;
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define DATE_MIN_EPOCH (-62135596800LL)
#define DATE_MAX_EPOCH 253402300799LL

int
date_parse_rfc3339(struct timestamp *out, const char *s, const char **why, size_t *col)
{
	static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, month, day, hour, minute, second, oh = 0, om = 0, sign = 1;
	size_t len = strlen(s), i;

	/* RFC 3339 section 5.6: full-date "T" full-time; "T" may be written as a space or "t". */
	if (len < 10 || digits(s, 4, &year) || s[4] != '-' || digits(s + 5, 2, &month) || s[7] != '-' ||
	    digits(s + 8, 2, &day))
		return date_fail(why, col, "not an RFC 3339 date (expected YYYY-MM-DDThh:mm:ss+hh:mm)", 0);
	if (len == 10)
		return date_fail(why, col, "date without a time and UTC offset (expected YYYY-MM-DDThh:mm:ss+hh:mm)", 10);
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || len < 19 || digits(s + 11, 2, &hour) ||
	    s[13] != ':' || digits(s + 14, 2, &minute) || s[16] != ':' || digits(s + 17, 2, &second))
		return date_fail(why, col, "not an RFC 3339 time (expected YYYY-MM-DDThh:mm:ss+hh:mm)", 10);
	if (month < 1 || month > 12 || day < 1 ||
	    day > month_days[month - 1] + (month == 2 && is_leap(year)))
		return date_fail(why, col, "impossible date", 0);
	/* A leap second (:60) is allowed by RFC 3339 but cannot be represented; refuse it plainly. */
	if (hour <= 23 && minute <= 59 && second == 60)
		return date_fail(why, col, "a leap second, which feeds and pages cannot show (expected "
				 ":59 instead)", 17);
	if (hour > 23 || minute > 59 || second > 59)
		return date_fail(why, col, "impossible time of day", 11);
	i = 19;
	if (s[i] == '.') {
		size_t start = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return date_fail(why, col, "empty fraction of a second", start);
	}
	if (s[i] == '\0')
		return date_fail(why, col, "missing UTC offset (add Z or +hh:mm)", i);
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '-' ? -1 : 1;
		if (len - i < 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || digits(s + i + 4, 2, &om))
			return date_fail(why, col, "malformed UTC offset (expected +hh:mm)", i);
		if (oh > 23 || om > 59)
			return date_fail(why, col, "impossible UTC offset", i);
		i += 6;
	} else if (s[i] == ' ' && s[i + strspn(s + i, " ")] &&
		   strchr("Zz+-", s[i + strspn(s + i, " ")])) {
		return date_fail(why, col, "space before the UTC offset (expected it right after the "
				 "time: 10:00:00Z)", i);
	} else {
		return date_fail(why, col, "missing UTC offset (add Z or +hh:mm)", i);
	}
	if (s[i] != '\0')
		return date_fail(why, col, "unexpected characters after the date", i);
	out->offset_minutes = sign * (oh * 60 + om);
	out->epoch = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 +
		     minute * 60 + second - (int64_t)out->offset_minutes * 60;
	/* The instant in UTC must still have a four-digit year, or its UTC form would not parse. */
	if (out->epoch < DATE_MIN_EPOCH || out->epoch > DATE_MAX_EPOCH)
		return date_fail(why, col, "date out of range (expected years 0001 to 9999 in UTC)", 0);
	return 0;
}

/*
 * The date formats below write their digits by hand: printf was most of the cost of a big site's
 * model, which formats every announcement's dates several ways.
 */
static char *
put_digits(char *p, int v, int width)
{
	for (int i = width; i-- > 0; v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + width;
}

/* "+hh:mm" or "+hhmm" for an offset in minutes (sign '-' west of UTC). */
static char *
put_offset(char *p, int offset_minutes, int colon)
{
	int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;

	*p++ = offset_minutes < 0 ? '-' : '+';
	p = put_digits(p, off / 60, 2);
	if (colon)
		*p++ = ':';
	return put_digits(p, off % 60, 2);
}

static char *
put_clock(char *p, const struct civil_time *c, int seconds)
{
	p = put_digits(p, c->hour, 2);
	*p++ = ':';
	p = put_digits(p, c->minute, 2);
	if (seconds) {
		*p++ = ':';
		p = put_digits(p, c->second, 2);
	}
	return p;
}

static char *
put_text(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

int
date_format_rfc3339(struct buf *out, const struct timestamp *t)
{
	struct civil_time c;
	char tmp[32], *p = tmp;

	date_to_civil(&c, t->epoch, t->offset_minutes);
	p = put_digits(p, c.year, 4);
	*p++ = '-';
	p = put_digits(p, c.month, 2);
	*p++ = '-';
	p = put_digits(p, c.day, 2);
	*p++ = 'T';
	p = put_clock(p, &c, 1);
	if (t->offset_minutes == 0)
		*p++ = 'Z';
	else
		p = put_offset(p, t->offset_minutes, 1);
	return buf_add(out, tmp, (size_t)(p - tmp));
}

int
date_format_utc(struct buf *out, int64_t epoch)
{
	struct timestamp t = { epoch, 0 };
	return date_format_rfc3339(out, &t);
}

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December" };
static const char *const day_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

int
date_format_rfc822(struct buf *out, const struct timestamp *t)
{
	struct civil_time c;
	char tmp[40], *p = tmp;

	/* RFC 822 section 5.1 with RFC 1123's four-digit year; numeric zone, as RSS 2.0 advises. */
	date_to_civil(&c, t->epoch, t->offset_minutes);
	p = put_text(p, day_names[c.weekday]);
	p = put_text(p, ", ");
	p = put_digits(p, c.day, 2);
	*p++ = ' ';
	memcpy(p, month_names[c.month - 1], 3);
	p += 3;
	*p++ = ' ';
	p = put_digits(p, c.year, 4);
	*p++ = ' ';
	p = put_clock(p, &c, 1);
	*p++ = ' ';
	p = put_offset(p, t->offset_minutes, 0);
	return buf_add(out, tmp, (size_t)(p - tmp));
}

int
date_format_human(struct buf *out, const struct timestamp *t)
{
	struct civil_time c;
	char tmp[32], *p = tmp;

	date_to_civil(&c, t->epoch, t->offset_minutes);
	p = put_digits(p, c.day, c.day < 10 ? 1 : 2);
	*p++ = ' ';
	p = put_text(p, month_names[c.month - 1]);
	*p++ = ' ';
	p = put_digits(p, c.year, 4);
	return buf_add(out, tmp, (size_t)(p - tmp));
}

int
date_format_human_time(struct buf *out, const struct timestamp *t)
{
	struct civil_time c;
	char tmp[32], *p = tmp;

	date_to_civil(&c, t->epoch, t->offset_minutes);
	p = put_clock(p, &c, 0);
	if (t->offset_minutes == 0) {
		p = put_text(p, " UTC");
	} else {
		p = put_text(p, " (UTC");
		p = put_offset(p, t->offset_minutes, 1);
		*p++ = ')';
	}
	return buf_add(out, tmp, (size_t)(p - tmp));
}

void
text_position(const char *data, size_t len, size_t offset, unsigned *line, unsigned *col)
{
	unsigned l = 1;
	size_t line_start = 0;

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			l++;
			line_start = i + 1;
		}
	}
	*line = l;
	*col = (unsigned)(offset - line_start + 1);
}

unsigned
config_column(const char *data, size_t len, unsigned line, unsigned col)
{
	return line == 1 && col > 3 && bom_length(data, len) ? col - 3 : col;
}

void
config_position(const char *data, size_t len, const char *at, unsigned *line, unsigned *col)
{
	text_position(data, len, (size_t)(at - data), line, col);
	*col = config_column(data, len, *line, *col);
}

size_t
bom_length(const char *data, size_t len)
{
	return len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

int
xml_char_allowed(uint32_t cp)
{
	/* XML 1.0 section 2.2, Char production (surrogates never decode). */
	return (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r') && cp != 0xfffe && cp != 0xffff;
}

size_t
utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t
uri_scheme_length(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	/* An ASCII letter, whatever the locale. */
	return n > 0 && s[n] == ':' && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) ?
		       n : 0;
}

int
is_blank_line(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int
is_temp_suffix(const char *s)
{
	for (int i = 0; i < 6; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int
is_plain_ascii(unsigned char c)
{
	return (c >= 0x20 && c < 0x80) || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Pages and sources are mostly ASCII, so eight bytes are passed at once while none has its top bit
 * set or lies below 0x20. In a word with no top bit set, subtracting 0x20 from every byte borrows
 * into a byte's top bit exactly when some byte is below 0x20 ("has a byte less than n" in Sean
 * Anderson's "Bit Twiddling Hacks"). A word that fails goes byte by byte.
 */
size_t
plain_ascii_prefix(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;

	while (i < len) {
		if (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, sizeof(w));
			if (!(w & highs) && !((w - 0x20 * ones) & ~w & highs)) {
				i += 8;
				continue;
			}
		}
		if (!is_plain_ascii(s[i]))
			break;
		i++;
	}
	return i;
}

int
text_check(const char *data, size_t len, unsigned *line, unsigned *col, const char **why)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		i += plain_ascii_prefix(data + i, len - i);
		if (i == len)
			break;
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			*why = "invalid UTF-8";
			goto fail;
		}
		if (cp == 0) {
			*why = "NUL byte";
			goto fail;
		}
		if (!xml_char_allowed(cp)) {
			*why = "control character that XML 1.0 forbids";
			goto fail;
		}
		i += n;
	}
	return 0;
fail:
	text_position(data, len, i, line, col);
	return -1;
}

int
lock_wait(const char *folder, const char *file, const char *what, struct diag *d)
{
	struct buf path = BUF_INIT;
	int fd = -1;

	if (mkdir(folder, 0777) < 0 && errno != EEXIST) {
		diag_error(d, folder, 0, 0, "cannot create the folder of the %s: %s", what,
			   strerror(errno));
		return -1;
	}
	buf_printf(&path, "%s/%s", folder, file);
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		diag_error(d, path.ptr, 0, 0, "cannot open the %s: %s", what, strerror(errno));
	while (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		diag_error(d, path.ptr, 0, 0, "cannot take the %s: %s", what, strerror(errno));
		close(fd);
		fd = -1;
	}
	buf_release(&path);
	return fd;
}

int
file_identity(struct buf *out, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return buf_printf(out, " %s %ju %jd %jd.%09ld %jd.%09ld", path, (uintmax_t)st.st_ino,
			  (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			  (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

int
library_file_identity(struct buf *out, const char *symbol)
{
	void *addr = dlsym(RTLD_DEFAULT, symbol);
	Dl_info info;

	if (!addr || !dladdr(addr, &info) || !info.dli_fname || !*info.dli_fname ||
	    file_identity(out, info.dli_fname) < 0)
		return buf_puts(out, " unknown");
	return 0;
}

int
write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}
