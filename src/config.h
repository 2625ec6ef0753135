/*
 * config: the site settings (threatfeed.conf, git-config syntax) turned into a struct config and
 * validated. Parsing the syntax is libgit2's job (repo_parse_config); this module gives the names
 * their meaning and checks them. It does no I/O.
 *
 * Settings (keys case-insensitive):
 *   site.title (required), site.url (required, absolute http/https; stored with a trailing '/'),
 *   site.description, site.language (default "en"), site.author,
 *   feed.entries (1..10000, default 20), feed.id-host (default: site.url's host),
 *   scope.<name>.title (each [scope "name"] declares a scope, in file order),
 *   level.<name>.rank, .summary, .colour (#rrggbb), .title (default: the name upper-cased),
 *   ping.websub, ping.xmlrpc (repeatable absolute http/https URLs; an address given again, as
 *   written, is a warning and kept once), ping.timeout, ping.retries.
 * With no [level] section the five UK levels apply, with their published meanings.
 */
#ifndef THREATFEED_CONFIG_H
#define THREATFEED_CONFIG_H

#include <stddef.h>

#include "repo.h"
#include "util.h"

struct level_def {
	char *name;           /* as written in front matter: "severe" */
	char *title;          /* as shown: "SEVERE" */
	int rank;             /* higher is more severe; unique */
	char *summary;        /* "An attack is highly likely" */
	char *colour;         /* background "#rrggbb" */
	char *text_colour;    /* "#000000" or "#ffffff", whichever contrasts more with colour (WCAG) */
};

struct scope_def {
	char *name;           /* "national"; [a-z0-9-] */
	char *title;          /* "National threat level" */
};

struct config {
	char *title;
	char *url;            /* absolute, ends with '/' */
	char *description;    /* may be "" */
	char *language;
	char *author;         /* may be "" */
	long feed_entries;
	char *id_host;        /* the tag authority of default feed ids: feed.id-host, else NULL */
	struct level_def *levels;   /* sorted by rank, lowest first */
	size_t nlevels;
	struct scope_def *scopes;   /* file order; nscopes == 0 means one unnamed scope */
	size_t nscopes;
	char **websub;
	size_t nwebsub;
	char **xmlrpc;
	size_t nxmlrpc;
	long ping_timeout;    /* seconds, default 10 */
	long ping_retries;    /* default 3 */
};

/*
 * Builds *out from entries parsed out of the file `path` whose bytes are data[0..len) (used only to
 * find the line of a setting for messages). Reports every problem through d (unknown keys are
 * warnings) and returns -1 if any was an error. Either way *out is filled (after an error, with
 * placeholders for what was missing or wrong, good only for checking the content against the
 * levels and scopes that did load) and must be released with config_release.
 */
int config_load(struct config *out, const char *path, const char *data, size_t len,
		const struct config_entries *entries, struct diag *d);
void config_release(struct config *c);
/* The host of c->url (without user info or port), *len bytes of it. */
const char *config_url_host(const struct config *c, size_t *len);

const struct level_def *config_level(const struct config *c, const char *name);
/* The scope named `name`, or NULL (also for NULL: the unnamed scope has no definition). */
const struct scope_def *config_scope(const struct config *c, const char *name);

/* "low, moderate, substantial, severe or critical" into out, for "(expected ...)" messages. */
int config_level_list(struct buf *out, const struct config *c);
int config_scope_list(struct buf *out, const struct config *c);

#endif
