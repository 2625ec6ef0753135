/*
 * threatfeed.conf as build.c loads it: text_check, libgit2's parser (repo_parse_config, through a
 * temporary file: slow, but the real path), then config_load's meanings and checks.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "repo.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct config_entries entries = { NULL, 0 };
	struct config cfg;
	struct buf list = BUF_INIT;
	struct diag d;
	unsigned line, col;
	const char *why;
	FILE *null;

	if (text_check(text, size, &line, &col, &why) < 0)
		return 0;
	if (!(null = fopen("/dev/null", "w")))
		return 0;
	diag_init(&d, null);
	if (repo_parse_config(&entries, "threatfeed.conf", text, size, &d) < 0) {
		assert(d.errors > 0 && entries.count == 0);
		goto out;
	}
	if (config_load(&cfg, "threatfeed.conf", text, size, &entries, &d) == 0) {
		/* What the rest of the program relies on (config.h). */
		assert(cfg.title && cfg.url && cfg.url[0] && cfg.url[strlen(cfg.url) - 1] == '/');
		assert(cfg.nlevels > 0 && cfg.feed_entries >= 1 && cfg.feed_entries <= 10000);
		for (size_t i = 0; i < cfg.nlevels; i++) {
			assert(config_level(&cfg, cfg.levels[i].name) == &cfg.levels[i]);
			assert(i == 0 || cfg.levels[i - 1].rank < cfg.levels[i].rank);
		}
		for (size_t i = 0; i < cfg.nscopes; i++)
			assert(config_scope(&cfg, cfg.scopes[i].name) == &cfg.scopes[i]);
	}
	/* Filled either way, placeholders after an error. */
	config_level_list(&list, &cfg);
	buf_reset(&list);
	config_scope_list(&list, &cfg);
	buf_release(&list);
	config_release(&cfg);
out:
	config_entries_release(&entries);
	fclose(null);
	return 0;
}
