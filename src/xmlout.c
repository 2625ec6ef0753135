/*
 * xmlout: a thin, checked layer over libxml2's xmlTextWriter for the feed writers (see xmlout.h).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "xmlout.h"

struct xmlout {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int failed;
};

struct xmlout *
xmlout_new(void)
{
	struct xmlout *x = xcalloc(1, sizeof(*x));

	x->buf = xmlBufferCreate();
	if (!x->buf)
		goto fail;
	x->w = xmlNewTextWriterMemory(x->buf, 0);
	if (!x->w)
		goto fail;
	/*
	 * Naming the encoding (libxml2 writes its canonical name, "UTF-8") also makes it write
	 * non-ASCII characters in attribute values as they are, not as character references.
	 */
	if (xmlTextWriterSetIndent(x->w, 1) < 0 ||
	    xmlTextWriterSetIndentString(x->w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(x->w, "1.0", "utf-8", NULL) < 0)
		goto fail;
	return x;
fail:
	xmlout_free(x);
	return NULL;
}

/* Marks the writer failed unless value is text XML 1.0 can carry. */
static int
check_value(struct xmlout *x, const char *value)
{
	unsigned line, col;
	const char *why;

	if (x->failed)
		return -1;
	if (!value || text_check(value, strlen(value), &line, &col, &why) < 0) {
		x->failed = 1;
		return -1;
	}
	return 0;
}

void
xmlout_start(struct xmlout *x, const char *name)
{
	if (!x->failed && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
		x->failed = 1;
}

void
xmlout_attr(struct xmlout *x, const char *name, const char *value)
{
	if (check_value(x, value) < 0)
		return;
	if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
		x->failed = 1;
}

void
xmlout_end(struct xmlout *x)
{
	if (!x->failed && xmlTextWriterEndElement(x->w) < 0)
		x->failed = 1;
}

void
xmlout_element(struct xmlout *x, const char *name, const char *text)
{
	if (check_value(x, text) < 0)
		return;
	if (xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text) < 0)
		x->failed = 1;
}

void
xmlout_text(struct xmlout *x, const char *text)
{
	if (check_value(x, text) < 0)
		return;
	if (xmlTextWriterWriteString(x->w, BAD_CAST text) < 0)
		x->failed = 1;
}

int
xmlout_finish(struct xmlout *x, struct buf *out)
{
	const char *data;
	size_t len;

	if (x->failed)
		return -1;
	/* EndDocument closes whatever is still open; Flush moves it all into the buffer. */
	if (xmlTextWriterEndDocument(x->w) < 0 || xmlTextWriterFlush(x->w) < 0) {
		x->failed = 1;
		return -1;
	}
	data = (const char *)xmlBufferContent(x->buf);
	len = (size_t)xmlBufferLength(x->buf);
	while (len && data[len - 1] == '\n')
		len--;
	/* Grow once so that the two appends below cannot fail halfway. */
	if (!data || buf_grow(out, len + 1) < 0)
		return -1;
	buf_add(out, data, len);
	buf_putc(out, '\n');
	return 0;
}

int
xmlout_size(size_t *size, struct xmlout *x)
{
	int len;

	if (x->failed || xmlTextWriterFlush(x->w) < 0 || (len = xmlBufferLength(x->buf)) < 0) {
		x->failed = 1;
		return -1;
	}
	*size = (size_t)len;
	return 0;
}

void
xmlout_free(struct xmlout *x)
{
	if (!x)
		return;
	if (x->w)
		xmlFreeTextWriter(x->w);
	if (x->buf)
		xmlBufferFree(x->buf);
	free(x);
}

void
xmlout_link(struct xmlout *x, const char *element, const char *rel, const char *type,
	    const char *href)
{
	xmlout_start(x, element);
	xmlout_attr(x, "rel", rel);
	if (type)
		xmlout_attr(x, "type", type);
	xmlout_attr(x, "href", href);
	xmlout_end(x);
}

void
xmlout_init(void)
{
	xmlInitParser();
}

const char *
xmlout_library_version(void)
{
	return xmlParserVersion;
}
