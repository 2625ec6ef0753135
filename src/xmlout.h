/*
 * xmlout: the one place the XML feeds (atom.c, rss.c, sitemap.c) meet libxml2's xmlTextWriter.
 *
 * A writer builds one indented document ("<?xml version="1.0" encoding="UTF-8"?>", two-space
 * indent) in memory. Errors are sticky, like a stdio stream's: the first failing step (a writer
 * call returning < 0, a NULL value, a value that is not UTF-8 or holds a character XML 1.0
 * forbids) marks the writer failed, later steps do nothing, and xmlout_finish reports it. The
 * check on values matters because libxml2's writer escapes markup but passes forbidden
 * characters through and reports success. Callers can thus write a document as a plain list
 * of steps and check once.
 */
#ifndef THREATFEED_XMLOUT_H
#define THREATFEED_XMLOUT_H

#include "util.h"

struct xmlout;

/* Starts a document. NULL on failure (out of memory). Free with xmlout_free. */
struct xmlout *xmlout_new(void);
/* <name ...: start an element; attributes follow with xmlout_attr, then children, then xmlout_end. */
void xmlout_start(struct xmlout *x, const char *name);
void xmlout_attr(struct xmlout *x, const char *name, const char *value);
void xmlout_end(struct xmlout *x);
/* <name>text</name>, text escaped. */
void xmlout_element(struct xmlout *x, const char *name, const char *text);
/* <element rel= type= href=/> (Atom's link, RFC 4287 section 4.2.7); type left out when NULL. */
void xmlout_link(struct xmlout *x, const char *element, const char *rel, const char *type,
		 const char *href);
/* Escaped text inside the open element (after its attributes). */
void xmlout_text(struct xmlout *x, const char *text);
/*
 * Closes every open element and the document and appends it to out, ending in exactly one
 * newline. Returns -1, leaving out as it was, when any step failed.
 */
int xmlout_finish(struct xmlout *x, struct buf *out);
void xmlout_free(struct xmlout *x);
/*
 * *size: the bytes of the document so far, through the last step (the closing tags xmlout_finish
 * adds are not counted). 0, or -1 when any step failed.
 */
int xmlout_size(size_t *size, struct xmlout *x);

/* Sets libxml2 up: on the main thread, before any writer runs on another (libxml2's rule). */
void xmlout_init(void);

/* The version of the libxml2 library loaded, e.g. "20914": the feeds' bytes depend on it. */
const char *xmlout_library_version(void);

#endif
