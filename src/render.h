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

#include "output.h"
#include "template.h"
#include "util.h"

int render_site(struct output *o, const json_t *model, const struct template_set *templates,
		struct diag *d);

#endif
