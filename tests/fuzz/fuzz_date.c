/*
 * RFC 3339 dates and the text check, both of which see editors' bytes first. Whatever parses must
 * format in every form and parse back to the same instant and offset.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct timestamp t, again;
	struct civil_time c;
	struct buf b = BUF_INIT;
	unsigned line = 0, col = 0;
	const char *why = NULL;
	size_t where = 0;
	char *s;

	if (text_check(text, size, &line, &col, &why) == 0) {
		assert(!memchr(text, '\0', size));
	} else {
		assert(why && line >= 1 && col >= 1);
	}
	if (size > 0) {
		text_position(text, size, size - 1, &line, &col);
		assert(line >= 1 && col >= 1 && col <= size);
	}

	/* date_parse_rfc3339 takes a C string, as front matter values are. */
	s = xstrndup(text, size);
	why = NULL;
	if (date_parse_rfc3339(&t, s, &why, &where) == 0) {
		assert(t.offset_minutes > -24 * 60 && t.offset_minutes < 24 * 60);
		date_to_civil(&c, t.epoch, t.offset_minutes);
		assert(c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31);
		assert(c.hour >= 0 && c.hour < 24 && c.minute >= 0 && c.minute < 60);
		assert(c.second >= 0 && c.second <= 60 && c.weekday >= 0 && c.weekday < 7);
		assert(date_format_rfc3339(&b, &t) == 0);
		assert(date_parse_rfc3339(&again, b.ptr, &why, NULL) == 0);
		assert(again.epoch == t.epoch && again.offset_minutes == t.offset_minutes);
		buf_reset(&b);
		assert(date_format_utc(&b, t.epoch) == 0);
		assert(date_parse_rfc3339(&again, b.ptr, &why, NULL) == 0 && again.epoch == t.epoch);
		buf_reset(&b);
		assert(date_format_rfc822(&b, &t) == 0);
		buf_reset(&b);
		assert(date_format_human(&b, &t) == 0);
		buf_reset(&b);
		assert(date_format_human_time(&b, &t) == 0);
	} else {
		assert(why && where <= strlen(s));
	}
	buf_release(&b);
	free(s);
	return 0;
}
