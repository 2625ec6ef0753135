/*
 * util: growable buffers, diagnostics, dates and text checks shared by every module.
 *
 * Nothing here does I/O except diag, which prints to the stream it is given.
 */
#ifndef THREATFEED_UTIL_H
#define THREATFEED_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))

/*
 * struct buf: a growable byte buffer (after git's strbuf).
 *
 * Invariants: after any successful call, ptr is non-NULL and ptr[len] == '\0'; the struct itself is
 * the handle and never moves, so callers never reassign a returned pointer. Growth past BUF_MAX
 * fails with -1 (errno = EFBIG) instead of eating the machine. buf_release frees; a released buffer
 * is back to BUF_INIT and may be reused.
 */
struct buf {
	char *ptr;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }
#define BUF_MAX ((size_t)1 << 30)

int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
/* Hands the bytes to the caller (free() them); the buffer is back to BUF_INIT. Never NULL. */
char *buf_detach(struct buf *b, size_t *len);

/*
 * struct diag: where problems are reported.
 *
 * Each message is one line on `out`: "threatfeed: PATH:LINE:COL: MESSAGE". LINE and COL are
 * 1-based; a zero line drops ":LINE:COL", a zero column drops ":COL", a NULL path drops "PATH:".
 * Messages are lowercase with no final period, subjects quoted. diag_error counts and returns -1
 * so that a call site reads `return diag_error(d, path, line, col, "...")`.
 */
struct diag {
	FILE *out;          /* stderr in the program, a memstream in tests */
	size_t errors;
	size_t warnings;
	int quiet;          /* suppresses warnings (not errors) */
	/* A path that starts with `hidden` is printed with `shown` in its place, when both are set. */
	const char *hidden, *shown;
};

void diag_init(struct diag *d, FILE *out);
/*
 * A diag writing into memory (*buf and *len as open_memstream keeps them; fclose(d->out) when
 * done), for a thread whose messages are replayed later, in order.
 */
void diag_init_memory(struct diag *d, char **buf, size_t *len, int quiet);
int diag_error(struct diag *d, const char *path, unsigned line, unsigned col, const char *fmt, ...)
	PRINTF_LIKE(5, 6);
void diag_warning(struct diag *d, const char *path, unsigned line, unsigned col, const char *fmt, ...)
	PRINTF_LIKE(5, 6);

/*
 * Dates. A timestamp is an instant plus the UTC offset it was written with, so output can show
 * the editor's local time while ordering uses the instant.
 */
struct timestamp {
	int64_t epoch;       /* seconds since 1970-01-01T00:00:00Z */
	int offset_minutes;  /* east of UTC: +01:00 is 60 */
};

/*
 * Parses an RFC 3339 date-time (section 5.6) with a required offset ("Z" or "+hh:mm"); fractional
 * seconds are accepted and dropped. On failure returns -1 and sets *why to a static phrase such as
 * "missing UTC offset" or "impossible date"; *col (may be NULL) gets the 0-based byte where it went
 * wrong.
 */
int date_parse_rfc3339(struct timestamp *out, const char *s, const char **why, size_t *col);
/* "2014-08-29T14:00:00+01:00" (in the timestamp's own offset; "Z" for offset 0). */
int date_format_rfc3339(struct buf *out, const struct timestamp *t);
/* "2014-08-29T13:00:00Z" */
int date_format_utc(struct buf *out, int64_t epoch);
/* RFC 822 as updated by RFC 1123, for RSS: "Fri, 29 Aug 2014 14:00:00 +0100" */
int date_format_rfc822(struct buf *out, const struct timestamp *t);
/* For people: "29 August 2014" (in the timestamp's own offset). */
int date_format_human(struct buf *out, const struct timestamp *t);
/* For people: "14:00 (UTC+01:00)". */
int date_format_human_time(struct buf *out, const struct timestamp *t);
/* Broken-down civil time of epoch + offset; no libc time zone state is touched. */
struct civil_time {
	int year, month, day, hour, minute, second, weekday; /* month 1-12, weekday 0 = Sunday */
};
void date_to_civil(struct civil_time *out, int64_t epoch, int offset_minutes);

/*
 * Text checks. text_check returns 0 when data[0..len) is UTF-8 with no NUL and no character
 * that XML 1.0 forbids (section 2.2: controls other than tab, LF, CR; U+FFFE, U+FFFF; surrogates).
 * Otherwise it returns -1 and sets *line and *col (1-based, col counted in bytes) and *why.
 */
int text_check(const char *data, size_t len, unsigned *line, unsigned *col, const char **why);

/*
 * Length of the longest prefix of data[0..len) made of ASCII characters that XML 1.0 allows (tab,
 * LF, CR, U+0020 to U+007F): what the text checks may pass over without decoding UTF-8.
 */
size_t plain_ascii_prefix(const char *data, size_t len);
/* Length of the UTF-8 sequence at s (RFC 3629 section 4), its code point in *cp; 0 when invalid. */
size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);
/* 1 when XML 1.0 allows code point cp in a document (section 2.2), else 0. NUL is not allowed. */
int xml_char_allowed(uint32_t cp);

/*
 * Length of the scheme s starts with (RFC 3986 section 3.1: a letter, then letters, digits, '+',
 * '-' or '.'), up to its ':' left out; 0 when s has none, as a relative reference has none.
 */
size_t uri_scheme_length(const char *s);

/* Whether s[0..len) holds nothing but spaces, tabs and carriage returns (a blank line's content). */
int is_blank_line(const char *s, size_t len);

/* Whether s starts with six ASCII letters or digits, as mkstemp's "XXXXXX" becomes. */
int is_temp_suffix(const char *s);

/* The 1-based line and column (in bytes) of byte `offset` of data. */
void text_position(const char *data, size_t len, size_t offset, unsigned *line, unsigned *col);

/*
 * The column to report for byte column col of line in a settings file's text: on the first line,
 * a byte order mark (which editors do not show, and the settings messages do not count) is not
 * counted.
 */
unsigned config_column(const char *data, size_t len, unsigned line, unsigned col);

/* text_position of byte at of a settings file's text, its column as config_column counts it. */
void config_position(const char *data, size_t len, const char *at, unsigned *line, unsigned *col);

/* The length of the UTF-8 byte order mark data starts with: 3, or 0 without one. */
size_t bom_length(const char *data, size_t len);

/* Threads worth starting for `work` independent items: the online CPUs, at most max and work. */
size_t thread_count(size_t work, size_t max);

/*
 * Appends " PATH INODE SIZE MTIME CTIME" as path stats now (following links), so that a cache can
 * tell a file replaced by another; -1, appending nothing, when it cannot be stat'ed.
 */
int file_identity(struct buf *out, const char *path);
/*
 * The same of the file the loaded object that defines `symbol` (a library's function) came from,
 * so that a cache can tell a library replaced by a patched build of the same version. Appends
 * " unknown" when it cannot tell (a static build).
 */
int library_file_identity(struct buf *out, const char *symbol);

/* Writes all of data[0..len) to fd across short writes and EINTR; -1 with errno set on failure. */
int write_full(int fd, const void *data, size_t len);

/*
 * Takes an exclusive flock() on folder/file, the folder made when missing, waiting for whoever
 * holds it; `what` names the lock in messages ("build lock"). The kernel releases it when the
 * process ends, however it ends, so a killed run never leaves a stale lock. Returns the
 * descriptor to close, or -1 after a message through d.
 */
int lock_wait(const char *folder, const char *file, const char *what, struct diag *d);

/* malloc'ed copy of s[0..n) with a NUL; never NULL (aborts on out-of-memory, like git's xmalloc). */
char *xstrndup(const char *s, size_t n);
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
/* Says so on stderr and aborts. */
_Noreturn void out_of_memory(void);

#endif
