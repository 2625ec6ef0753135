/* Unit tests of util: buffers, dates (RFC 3339, RFC 822), text checks. */
#include <stdlib.h>

#include "harness.h"
#include "util.h"

static void
test_buf(void)
{
	struct buf b = BUF_INIT;
	char *p;
	size_t len;

	ok(buf_puts(&b, "threat") == 0 && buf_printf(&b, " level %d", 4) == 0, "buf appends");
	is_str(b.ptr, "threat level 4", "buf holds the bytes with a NUL");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "0123456789");
	ok(b.len == 14 + 10000 && b.ptr[b.len] == '\0', "buf grows and stays NUL-terminated");
	buf_reset(&b);
	ok(b.len == 0 && b.ptr[0] == '\0', "buf_reset empties");
	ok(buf_grow(&b, BUF_MAX) < 0, "growth past the cap fails instead of eating memory");
	p = buf_detach(&b, &len);
	ok(p && len == 0 && b.ptr == NULL, "buf_detach hands over and resets");
	free(p);
	p = buf_detach(&b, &len);
	ok(p && p[0] == '\0', "buf_detach of an empty buffer gives an empty string, never NULL");
	free(p);
}

static void
parse_ok(const char *s, int64_t epoch, int offset)
{
	struct timestamp t;
	const char *why = NULL;
	int rc = date_parse_rfc3339(&t, s, &why, NULL);

	ok(rc == 0 && t.epoch == epoch && t.offset_minutes == offset, "parses %s", s);
	if (rc < 0)
		printf("#   %s\n", why);
}

static void
parse_bad(const char *s, const char *want_why, size_t want_col)
{
	struct timestamp t;
	const char *why = NULL;
	size_t col = 999;

	ok(date_parse_rfc3339(&t, s, &why, &col) < 0 && why && strcmp(why, want_why) == 0 &&
		   col == want_col, "refuses '%s': %s at %zu", s, want_why, want_col);
	if (why && strcmp(why, want_why))
		printf("#   got: %s at %zu\n", why, col);
}

static void
test_dates(void)
{
	struct timestamp t;
	struct buf b = BUF_INIT;
	const char *why;

	parse_ok("2014-08-29T14:00:00+01:00", 1409317200, 60);
	parse_ok("2014-08-29T13:00:00Z", 1409317200, 0);
	parse_ok("2014-08-29t13:00:00.123z", 1409317200, 0);
	parse_ok("2014-08-29 08:00:00-05:00", 1409317200, -300);
	parse_ok("1970-01-01T00:00:00Z", 0, 0);
	parse_ok("2000-02-29T00:00:00Z", 951782400, 0);
	parse_ok("1969-12-31T23:59:59Z", -1, 0);
	parse_bad("2014-08-29", "date without a time and UTC offset (expected YYYY-MM-DDThh:mm:ss+hh:mm)", 10);
	parse_bad("2014-08-29T14:00:00", "missing UTC offset (add Z or +hh:mm)", 19);
	parse_bad("2014-08-29T14:00:00 Z", "space before the UTC offset (expected it right after "
		  "the time: 10:00:00Z)", 19);
	parse_bad("2014-08-29T14:00:00  +01:00", "space before the UTC offset (expected it right "
		  "after the time: 10:00:00Z)", 19);
	parse_bad("2014-08-29T14:00:00 ", "missing UTC offset (add Z or +hh:mm)", 19);
	parse_bad("2014-02-30T10:00:00Z", "impossible date", 0);
	parse_bad("1900-02-29T10:00:00Z", "impossible date", 0);
	parse_bad("2014-13-01T10:00:00Z", "impossible date", 0);
	parse_bad("2014-08-29T24:00:00Z", "impossible time of day", 11);
	parse_bad("2016-12-31T23:59:60Z", "a leap second, which feeds and pages cannot show (expected "
		  ":59 instead)", 17);
	parse_bad("1990-12-31T15:59:60-08:00", "a leap second, which feeds and pages cannot show "
		  "(expected :59 instead)", 17);
	parse_bad("2016-12-31T23:59:61Z", "impossible time of day", 11);
	parse_bad("2014-08-29T14:00:00+1:00", "malformed UTC offset (expected +hh:mm)", 19);
	parse_bad("2014-08-29T14:00:00+25:00", "impossible UTC offset", 19);
	parse_bad("2014-08-29T14:00:00Z junk", "unexpected characters after the date", 20);
	parse_bad("29/08/2014", "not an RFC 3339 date (expected YYYY-MM-DDThh:mm:ss+hh:mm)", 0);
	parse_bad("", "not an RFC 3339 date (expected YYYY-MM-DDThh:mm:ss+hh:mm)", 0);
	parse_bad("9999-12-31T23:00:00-05:00", "date out of range (expected years 0001 to 9999 in UTC)", 0);
	parse_bad("0000-01-01T01:00:00+02:00", "date out of range (expected years 0001 to 9999 in UTC)", 0);
	parse_ok("9999-12-31T23:59:59Z", 253402300799LL, 0);

	date_parse_rfc3339(&t, "2014-08-29T14:00:00+01:00", &why, NULL);
	date_format_rfc3339(&b, &t);
	is_str(b.ptr, "2014-08-29T14:00:00+01:00", "RFC 3339 keeps the editor's offset");
	buf_reset(&b);
	date_format_utc(&b, t.epoch);
	is_str(b.ptr, "2014-08-29T13:00:00Z", "RFC 3339 in UTC");
	buf_reset(&b);
	date_format_rfc822(&b, &t);
	is_str(b.ptr, "Fri, 29 Aug 2014 14:00:00 +0100", "RFC 822 date for RSS");
	buf_reset(&b);
	date_format_human(&b, &t);
	is_str(b.ptr, "29 August 2014", "human date");
	buf_reset(&b);
	date_format_human_time(&b, &t);
	is_str(b.ptr, "14:00 (UTC+01:00)", "human time with its offset");
	buf_reset(&b);
	date_parse_rfc3339(&t, "2006-08-01T00:30:00+01:00", &why, NULL);
	date_format_utc(&b, t.epoch);
	is_str(b.ptr, "2006-07-31T23:30:00Z", "an offset can move the UTC date back a day");
	buf_reset(&b);
	date_parse_rfc3339(&t, "2010-01-22T09:30:00-03:30", &why, NULL);
	date_format_rfc822(&b, &t);
	is_str(b.ptr, "Fri, 22 Jan 2010 09:30:00 -0330", "negative offsets with minutes");
	buf_reset(&b);
	date_format_rfc3339(&b, &t);
	is_str(b.ptr, "2010-01-22T09:30:00-03:30", "RFC 3339 with a negative offset");
	buf_reset(&b);
	date_format_human_time(&b, &t);
	is_str(b.ptr, "09:30 (UTC-03:30)", "human time with a negative offset");
	buf_reset(&b);
	date_parse_rfc3339(&t, "0033-02-05T07:08:09Z", &why, NULL);
	date_format_rfc3339(&b, &t);
	is_str(b.ptr, "0033-02-05T07:08:09Z", "RFC 3339 pads a short year");
	buf_reset(&b);
	date_format_rfc822(&b, &t);
	is_str(b.ptr, "Sat, 05 Feb 0033 07:08:09 +0000", "RFC 822 pads day and year");
	buf_reset(&b);
	date_format_human(&b, &t);
	is_str(b.ptr, "5 February 0033", "human date: a day without padding");
	buf_reset(&b);
	date_format_human_time(&b, &t);
	is_str(b.ptr, "07:08 UTC", "human time in UTC");
	buf_release(&b);
}

static void
check_text(const char *what, const char *s, size_t len, int want_rc, unsigned want_line,
	   unsigned want_col, const char *want_why)
{
	unsigned line = 0, col = 0;
	const char *why = NULL;
	int rc = text_check(s, len, &line, &col, &why);

	if (!ok(rc == want_rc && (rc == 0 || (line == want_line && col == want_col && !strcmp(why, want_why))),
		"text_check: %s", what))
		printf("#   got %d at %u:%u %s\n", rc, line, col, why ? why : "");
}

static void
test_text(void)
{
	check_text("plain UTF-8 with tabs and CRLF", "caf\xc3\xa9\t\r\nok \xf0\x9f\x99\x82", 15, 0, 0, 0, NULL);
	check_text("invalid UTF-8 byte", "ok\nab\xff", 6, -1, 2, 3, "invalid UTF-8");
	check_text("overlong encoding", "\xc0\xaf", 2, -1, 1, 1, "invalid UTF-8");
	check_text("surrogate", "x\xed\xa0\x80", 4, -1, 1, 2, "invalid UTF-8");
	check_text("truncated sequence at the end", "x\xe2\x82", 3, -1, 1, 2, "invalid UTF-8");
	check_text("NUL byte", "a\nb\0c", 5, -1, 2, 2, "NUL byte");
	check_text("control character", "level\x01", 6, -1, 1, 6, "control character that XML 1.0 forbids");
	check_text("U+FFFE", "\xef\xbf\xbe", 3, -1, 1, 1, "control character that XML 1.0 forbids");
	check_text("control character after whole words of ASCII", "0123456789abcdef\x1f", 17, -1, 1,
		   17, "control character that XML 1.0 forbids");
	check_text("invalid byte in the middle of a word", "0123456789a\xff" "cdef", 16, -1, 1, 12,
		   "invalid UTF-8");
}

/* Each byte value at each place of a 24-byte text of 'a': the prefix stops exactly before it. */
static void
test_plain_ascii_prefix(void)
{
	char text[24];
	size_t wrong = 0;

	for (int c = 0; c < 256; c++) {
		int plain = (c >= 0x20 && c < 0x80) || c == '\t' || c == '\n' || c == '\r';

		for (size_t at = 0; at < sizeof(text); at++) {
			memset(text, 'a', sizeof(text));
			text[at] = (char)c;
			for (size_t len = 0; len <= sizeof(text); len++) {
				size_t want = plain || at >= len ? len : at;

				wrong += plain_ascii_prefix(text, len) != want;
			}
		}
	}
	ok(wrong == 0, "plain_ascii_prefix stops at the first byte that is not plain ASCII (%zu wrong)",
	   wrong);
	ok(plain_ascii_prefix("tab\tline\ncr\r~\x7f", 14) == 14,
	   "tab, LF, CR, '~' and DEL are plain ASCII");
}

static void
test_blank_line(void)
{
	ok(is_blank_line("", 0) && is_blank_line(" \t\r", 3), "spaces, tabs and CR are blank");
	ok(!is_blank_line(" x ", 3) && !is_blank_line("\n", 1), "text or a line feed is not");
	ok(is_blank_line("  x", 2), "only the given length is looked at");
}

static void
test_diag(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct diag d;

	diag_init(&d, f);
	ok(diag_error(&d, "content/levels/x.md", 3, 8, "unknown level '%s'", "sever") == -1,
	   "diag_error returns -1");
	diag_error(&d, "threatfeed.conf", 2, 0, "no column");
	diag_error(&d, "x.md", 0, 0, "no line");
	diag_error(&d, NULL, 0, 0, "no path");
	diag_warning(&d, "x.md", 1, 1, "unknown key 'colour'");
	fclose(f);
	is_str(text, "threatfeed: content/levels/x.md:3:8: unknown level 'sever'\n"
		     "threatfeed: threatfeed.conf:2: no column\n"
		     "threatfeed: x.md: no line\n"
		     "threatfeed: no path\n"
		     "threatfeed: x.md:1:1: warning: unknown key 'colour'\n",
	       "diagnostic lines have the documented form");
	ok(d.errors == 4 && d.warnings == 1, "errors and warnings are counted");
	free(text);
}

static void
test_uri_scheme(void)
{
	ok(uri_scheme_length("https://x/") == 5, "a scheme's length, without its ':'");
	ok(uri_scheme_length("a+b.c-d:x") == 7, "letters, digits, '+', '-' and '.' after the first");
	ok(uri_scheme_length("1a:b") == 0, "a scheme starts with a letter");
	ok(uri_scheme_length("%41b:c") == 0 && uri_scheme_length("/x:y") == 0,
	   "a ':' after other characters ends no scheme");
	ok(uri_scheme_length("relative/path") == 0 && uri_scheme_length(":x") == 0 &&
	   uri_scheme_length("") == 0, "no ':', or nothing before it: no scheme");
}

int
main(void)
{
	test_buf();
	test_dates();
	test_text();
	test_plain_ascii_prefix();
	test_blank_line();
	test_uri_scheme();
	test_diag();
	return tests_done();
}
