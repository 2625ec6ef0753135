/*
 * render: turns the site model into every file of the site and stages them in an output.
 *
 * HTML pages come from the templates (see templates/README.md for the names and the context each
 * page gets); feeds, sitemap and JSON from feeds.h. Links between pages are relative, computed per
 * page and handed to the templates as "root" in the page's own context (no global state).
 */
#ifndef THREATFEED_RENDER_H
#define THREATFEED_RENDER_H

#include <jansson.h>

#include "cache.h"
#include "output.h"
#include "template.h"
#include "util.h"

int render_site(struct output *o, const json_t *model, const struct template_set *templates,
		struct diag *d);

/*
 * What lets a build skip pages: seed names everything outside the model a page depends on (the
 * binary and the template set); each page rendered is tagged with the digest of its inputs
 * (template_deps), and a page whose digest and file pages says are unchanged is kept unrendered.
 * need, when set, is called for each ENTRY about to be shown in full by a feed or by a page
 * that shows other entries' bodies, so that its content_html can be filled in late. html gives
 * an entry page the HTML of its own entry, when the model lacks it, without changing the model:
 * it is called from several threads at once (render_site_memo renders entry pages in parallel).
 */
struct render_memo {
	const char *seed;
	struct cache_pages *pages;
	int (*need)(void *arg, json_t *entry, struct diag *d);
	int (*html)(void *arg, const json_t *entry, struct buf *out, struct diag *d);
	void *arg;
	/*
	 * Optional: each ENTRY's key (model_memo's entry_key), in "entries" order, and what else an
	 * ENTRY is made from (the settings' blob id). An entry page whose key, template reach and
	 * feed are as when it was last rendered is kept without its digest being made.
	 */
	const char (*keys)[41];
	size_t nkeys;
	const char *settings_id;
};

int render_site_memo(struct output *o, const json_t *model, const struct template_set *templates,
		     const struct render_memo *memo, struct diag *d);

#endif
