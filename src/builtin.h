/*
 * builtin: the default templates (templates/ of the threatfeed source), compiled into the binary
 * by src/tools/embed.c at build time so that threatfeed works from any repository.
 */
#ifndef THREATFEED_BUILTIN_H
#define THREATFEED_BUILTIN_H

#include <stddef.h>

struct builtin_file {
	const char *name;    /* file name without folder: "index.html.mustache", "style.css" */
	const char *data;
	size_t len;
};

extern const struct builtin_file builtin_templates[];
extern const size_t builtin_templates_count;

#endif
