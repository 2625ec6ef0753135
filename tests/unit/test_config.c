/*
 * config: real settings text parsed by libgit2 (repo_parse_config) and given meaning by
 * config_load, with the exact messages checked.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "repo.h"

#define PATH "threatfeed.conf"

static const char sample[] =
	"[site]\n"
	"\ttitle = UK threat level\n"
	"\turl = https://threat.example.org/\n"
	"\tdescription = The current national terrorism threat level and its history\n"
	"\tlanguage = en-GB\n"
	"\tauthor = Example Security Service\n"
	"[feed]\n"
	"\tentries = 20\n"
	"[scope \"national\"]\n"
	"\ttitle = National threat level\n"
	"[scope \"northern-ireland\"]\n"
	"\ttitle = Northern Ireland-related threat level\n";

#define SITE "[site]\n\ttitle = T\n\turl = https://t.example/\n"

static char tmpdir[256];

/* Parses text as threatfeed.conf; *msg gets everything reported (free it). */
static int
load_len(struct config *c, const char *text, size_t len, char **msg, struct diag *out_d)
{
	struct config_entries e;
	struct diag d;
	size_t msglen;
	FILE *f = open_memstream(msg, &msglen);
	int rc;

	diag_init(&d, f);
	memset(c, 0, sizeof(*c));
	rc = repo_parse_config(&e, PATH, text, len, &d);
	if (rc == 0) {
		rc = config_load(c, PATH, text, len, &e, &d);
		config_entries_release(&e);
	}
	fclose(f);
	if (out_d)
		*out_d = d;
	return rc;
}

static int
load(struct config *c, const char *text, char **msg)
{
	return load_len(c, text, strlen(text), msg, NULL);
}

/*
 * Expects text to fail with exactly `want` reported. Past the syntax, the config is still filled
 * (placeholders for what was wrong) so the content can be checked in the same run.
 */
static void
fails(const char *text, const char *want, const char *what)
{
	struct config c;
	char *msg;
	int rc = load(&c, text, &msg);

	ok(rc == -1, "%s: fails", what);
	ok(c.url == NULL || (c.title && c.nlevels > 0 && strstr(c.url, "://")),
	   "%s: still usable for checking the content", what);
	is_str(msg, want, what);
	free(msg);
	config_release(&c);
}

static int
tmpdir_empty(void)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n == 0;
}

static void
test_sample(void)
{
	struct config c;
	struct buf list = BUF_INIT;
	const struct level_def *l;
	char *msg;

	ok(load(&c, sample, &msg) == 0, "sample loads");
	is_str(msg, "", "sample: nothing reported");
	free(msg);
	is_str(c.title, "UK threat level", "title");
	is_str(c.url, "https://threat.example.org/", "url");
	is_str(c.description, "The current national terrorism threat level and its history", "description");
	is_str(c.language, "en-GB", "language");
	is_str(c.author, "Example Security Service", "author");
	ok(c.feed_entries == 20, "feed entries");
	ok(c.nscopes == 2, "two scopes");
	is_str(c.scopes[0].name, "national", "first scope in file order");
	is_str(c.scopes[0].title, "National threat level", "first scope title");
	is_str(c.scopes[1].name, "northern-ireland", "second scope");
	is_str(c.scopes[1].title, "Northern Ireland-related threat level", "second scope title");
	ok(config_scope(&c, "northern-ireland") == &c.scopes[1], "config_scope finds a scope");
	ok(config_scope(&c, "wales") == NULL, "config_scope: unknown scope");
	ok(config_scope(&c, NULL) == NULL, "config_scope: NULL is the unnamed scope");
	ok(c.nlevels == 5, "five default levels");
	config_level_list(&list, &c);
	is_str(list.ptr, "low, moderate, substantial, severe or critical", "level list");
	buf_reset(&list);
	config_scope_list(&list, &c);
	is_str(list.ptr, "national or northern-ireland", "scope list");
	buf_release(&list);
	l = config_level(&c, "severe");
	ok(l && l->rank == 4, "severe has rank 4");
	is_str(l ? l->title : NULL, "SEVERE", "severe title");
	is_str(l ? l->summary : NULL, "An attack is highly likely", "severe summary");
	is_str(c.levels[0].summary, "An attack is highly unlikely", "low summary");
	is_str(c.levels[4].summary, "An attack is highly likely in the near future", "critical summary");
	ok(config_level(&c, "sever") == NULL, "unknown level");
	ok(c.nwebsub == 0 && c.nxmlrpc == 0 && c.ping_timeout == 10 && c.ping_retries == 3,
	   "ping defaults");
	config_release(&c);
	ok(c.title == NULL && c.nlevels == 0, "release empties");
	config_release(&c);
	ok(tmpdir_empty(), "no temporary file left behind");
}

/* feed.id-host stands for site.url's host in default ids, lowercased; any host may be kept there. */
static void
test_id_host(void)
{
	struct config c;
	char *msg = NULL;

	ok(load(&c, SITE "[feed]\n\tid-host = Threat.Example.ORG\n", &msg) == 0 && c.id_host &&
	   strcmp(c.id_host, "threat.example.org") == 0, "feed.id-host, lowercased");
	is_str(msg, "", "... says nothing");
	free(msg);
	config_release(&c);
	ok(load(&c, "[site]\n\ttitle = T\n\turl = https://xn--r8jz45g.jp/\n[feed]\n"
		"\tid-host = \xe4\xbe\x8b\xe3\x81\x88.jp\n", &msg) == 0 && c.id_host &&
	   strcmp(c.id_host, "\xe4\xbe\x8b\xe3\x81\x88.jp") == 0,
	   "a host not in ASCII, as ids published under it hold");
	free(msg);
	config_release(&c);
	ok(load(&c, SITE, &msg) == 0 && !c.id_host, "without feed.id-host, none");
	free(msg);
	config_release(&c);
}

static void
test_defaults(void)
{
	struct config c;
	struct buf list = BUF_INIT;
	char *msg;

	ok(load(&c, "# minimal\n[site]\n\ttitle = T\n\turl = HTTPS://t.example/path\n", &msg) == 0,
	   "minimal config loads");
	is_str(msg, "", "minimal: nothing reported");
	free(msg);
	is_str(c.url, "https://t.example/path/", "url: scheme lowercased, '/' added");
	is_str(c.language, "en", "language default");
	is_str(c.description, "", "description default");
	is_str(c.author, "", "author default");
	ok(c.feed_entries == 20, "feed entries default");
	ok(c.nscopes == 0, "no scopes");
	config_scope_list(&list, &c);
	is_str(list.ptr, "", "empty scope list");
	buf_release(&list);
	config_release(&c);
}

/* WCAG 2 relative luminance, computed independently of config.c (bisection for the 2.4 power). */
static double
channel(unsigned v)
{
	double c = v / 255.0, t, lo = 0, hi = 1;

	if (c <= 0.04045)
		return c / 12.92;
	t = (c + 0.055) / 1.055;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2, m5 = mid * mid * mid * mid * mid;

		if (m5 < t * t)
			lo = mid;
		else
			hi = mid;
	}
	return t * t * lo; /* t^2 * (t^2)^(1/5) */
}

static double
lum(const char *hex)
{
	unsigned long v = strtoul(hex + 1, NULL, 16);

	return 0.2126 * channel((v >> 16) & 255) + 0.7152 * channel((v >> 8) & 255) +
	       0.0722 * channel(v & 255);
}

static double
contrast(const char *a, const char *b)
{
	double la = lum(a), lb = lum(b);

	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

static void
test_colours(void)
{
	struct config c;
	char *msg;

	ok(load(&c, SITE, &msg) == 0, "defaults load");
	free(msg);
	for (size_t i = 0; i < c.nlevels; i++) {
		const struct level_def *l = &c.levels[i];
		double mine = contrast(l->colour, l->text_colour);
		double other = contrast(l->colour, strcmp(l->text_colour, "#000000") == 0 ? "#ffffff" :
					"#000000");

		ok(l->rank == (int)i + 1, "%s rank %d", l->name, l->rank);
		ok(mine >= 4.5, "%s: %s on %s contrast %.2f >= 4.5", l->name, l->text_colour, l->colour, mine);
		ok(mine >= other, "%s: the better of black and white (%.2f vs %.2f)", l->name, mine, other);
		for (size_t j = 0; j < i; j++)
			ok(strcmp(c.levels[j].colour, l->colour) != 0, "%s colour distinct from %s", l->name,
			   c.levels[j].name);
	}
	is_str(c.levels[0].text_colour, "#ffffff", "white on the green");
	is_str(c.levels[1].text_colour, "#000000", "black on the yellow");
	config_release(&c);

	/* Text colour of a pale and a dark custom level. */
	ok(load(&c, SITE "[level \"a\"]\n\trank = 1\n\tcolour = \"#FFFFFF\"\n[level \"b\"]\n\trank = 2\n"
		"\tcolour = \"#000000\"\n", &msg) == 0, "custom colours load");
	free(msg);
	is_str(c.levels[0].colour, "#ffffff", "colour lowercased");
	is_str(c.levels[0].text_colour, "#000000", "black text on white");
	is_str(c.levels[1].text_colour, "#ffffff", "white text on black");
	config_release(&c);
}

static void
test_levels(void)
{
	struct config c;
	struct buf list = BUF_INIT;
	char *msg;

	ok(load(&c, SITE "[level \"high\"]\n\trank = 3\n\tsummary = Take care\n\ttitle = High alert\n"
		"[level \"low\"]\n\trank = 1\n[level \"blue-2\"]\n\trank = 2\n", &msg) == 0,
	   "custom levels load");
	is_str(msg, "", "custom levels: nothing reported");
	free(msg);
	ok(c.nlevels == 3, "three levels, no defaults added");
	config_level_list(&list, &c);
	is_str(list.ptr, "low, blue-2 or high", "sorted by rank");
	buf_release(&list);
	is_str(c.levels[2].title, "High alert", "title given");
	is_str(c.levels[2].summary, "Take care", "summary given");
	is_str(c.levels[1].title, "BLUE-2", "title default: name upper-cased");
	is_str(c.levels[1].summary, "", "summary default empty");
	is_str(c.levels[0].colour, "#2e7d32", "a UK name keeps its colour");
	is_str(c.levels[1].colour, "#616161", "other names get grey");
	config_release(&c);
}

static void
test_scopes_pings(void)
{
	struct config c;
	char *msg;

	ok(load(&c, SITE "[scope \"empty\"]\n[scope \"named\"]\n\ttitle = Named\n[ping]\n"
		"\twebsub = https://hub.example.net/\n\txmlrpc = http://rpc.example.net/RPC2?x=1\n"
		"\twebsub = https://hub2.example.net:65535/\n\ttimeout = 300\n\tretries = 0\n", &msg) == 0,
	   "scopes and pings load");
	is_str(msg, "", "nothing reported");
	free(msg);
	ok(c.nscopes == 2, "an empty [scope] section still declares a scope");
	is_str(c.scopes[0].name, "empty", "file order kept");
	is_str(c.scopes[0].title, "empty", "title default: the name");
	is_str(c.scopes[1].title, "Named", "title given");
	ok(c.nwebsub == 2 && c.nxmlrpc == 1, "repeated ping addresses kept");
	is_str(c.nwebsub == 2 ? c.websub[1] : NULL, "https://hub2.example.net:65535/", "second hub, the highest port");
	is_str(c.nxmlrpc == 1 ? c.xmlrpc[0] : NULL, "http://rpc.example.net/RPC2?x=1", "xmlrpc endpoint");
	ok(c.ping_timeout == 300 && c.ping_retries == 0, "ping numbers at their bounds");
	config_release(&c);

	/* The same address again is pinged once; the same address as another kind is not the same. */
	ok(load(&c, SITE "[ping]\n\twebsub = https://hub.example.net/\n"
		"\txmlrpc = https://hub.example.net/\n\twebsub = https://hub2.example.net/\n"
		"[ping]\n\twebsub = https://hub.example.net/\n\twebsub = https://HUB.example.net/\n"
		"\txmlrpc = https://hub.example.net/\n", &msg) == 0, "repeated ping addresses load");
	is_str(msg, "threatfeed: threatfeed.conf:9:11: warning: ping.websub 'https://hub.example.net/' "
	       "given again (already on line 5; pinged once)\n"
	       "threatfeed: threatfeed.conf:11:11: warning: ping.xmlrpc 'https://hub.example.net/' "
	       "given again (already on line 6; pinged once)\n", "each repeat a warning at its line");
	free(msg);
	ok(c.nwebsub == 3 && c.nxmlrpc == 1, "each address kept once");
	is_str(c.nwebsub == 3 ? c.websub[2] : NULL, "https://HUB.example.net/",
	       "addresses are compared as written");
	config_release(&c);
}

static void
test_errors(void)
{
	fails("[site]\n\ttitle = T\n",
	      "threatfeed: threatfeed.conf: missing site.url (expected where site/ is published, e.g. "
	      "url = https://threat.example.org/, under [site])\n", "missing url");
	fails("",
	      "threatfeed: threatfeed.conf: missing site.title (expected e.g. title = UK threat level, "
	      "under [site])\n"
	      "threatfeed: threatfeed.conf: missing site.url (expected where site/ is published, e.g. "
	      "url = https://threat.example.org/, under [site])\n", "empty file: both missing");
	fails("[site]\n\ttitle = T\n\turl = ftp://threat.example.org/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'ftp://threat.example.org/' (expected "
	      "an absolute http:// or https:// URL)\n", "ftp url");
	fails("[site]\n\ttitle = T\n\turl = threat.example.org\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'threat.example.org' (expected an "
	      "absolute http:// or https:// URL)\n", "relative url");
	fails("[site]\n\ttitle = T\n\turl = \"https://t.example/#top\"\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example/#top' (expected no "
	      "fragment ('#'))\n", "url with a fragment");
	fails("[site]\n\ttitle = T\n\turl = https://t.example/a b/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example/a b/' (expected no "
	      "spaces or control characters)\n", "url with a space");
	fails("[site]\n\ttitle = T\n\turl = https://t.example/<x>/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example/<x>/' (expected "
	      "'<', '>', '\"', '{', '}', '|', '\\', '^' and '`' percent-encoded)\n",
	      "url with '<' and '>', which no URL holds unencoded");
	fails("[site]\n\ttitle = T\n\turl = https://t.example/a^b/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example/a^b/' (expected "
	      "'<', '>', '\"', '{', '}', '|', '\\', '^' and '`' percent-encoded)\n", "url with '^'");
	fails("[site]\n\ttitle = T\n\turl = https:///x/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https:///x/' (expected a host name "
	      "after the scheme)\n", "url without a host");
	fails("[site]\n\ttitle = T\n\turl = https://me:pw@t.example/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://me:pw@t.example/' (expected "
	      "no user name or password)\n", "url with credentials");
	fails("[site]\n\ttitle = T\n\turl = https://t.example/?a=b\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example/?a=b' (expected no "
	      "query ('?') in the site's address)\n", "site url with a query");
	fails("[site]\n\ttitle = T\n\turl = https://t.example:80x/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example:80x/' (expected a "
	      "port number after ':')\n", "bad port");
	fails("[site]\n\ttitle = T\n\turl = https://t.example:65536/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'https://t.example:65536/' (expected "
	      "a port number no higher than 65535)\n", "port out of range");
	fails(SITE "[ping]\n\twebsub = https://[::1]:99999/hub\n",
	      "threatfeed: threatfeed.conf:5:11: invalid ping.websub 'https://[::1]:99999/hub' (expected a "
	      "port number no higher than 65535)\n", "hub port out of range");
	fails("[site]\n\ttitle =\n\turl = https://t.example/\n",
	      "threatfeed: threatfeed.conf:2:9: empty site.title (expected the site's name)\n", "empty title");
	fails("[site]\n\ttitle = \"  \"\n\turl = https://t.example/\n[scope \"a\"]\n\ttitle = \"\\t\"\n"
	      "[level \"b\"]\n\trank = 1\n\ttitle = \" \"\n",
	      "threatfeed: threatfeed.conf:2:10: empty site.title (expected the site's name)\n"
	      "threatfeed: threatfeed.conf:5:10: empty scope.a.title (remove it to use the scope's name)\n"
	      "threatfeed: threatfeed.conf:8:10: empty level.b.title (remove it to use the name "
	      "upper-cased)\n", "titles of white space alone");
	fails(SITE "\ttitle = Again\n",
	      "threatfeed: threatfeed.conf:4:2: 'site.title' is set twice (first on line 2)\n",
	      "title set twice");
	fails(SITE "\tlanguage = en GB\n",
	      "threatfeed: threatfeed.conf:4:13: invalid site.language 'en GB' (expected a language tag "
	      "such as en-GB)\n", "bad language");
	/* Each would make every Atom feed's xml:lang invalid against RFC 4287's schema. */
	fails(SITE "\tlanguage = en--GB\n",
	      "threatfeed: threatfeed.conf:4:13: invalid site.language 'en--GB' (expected a language tag "
	      "such as en-GB)\n", "language with an empty subtag");
	fails(SITE "\tlanguage = en-GB-northernireland\n",
	      "threatfeed: threatfeed.conf:4:13: invalid site.language 'en-GB-northernireland' (expected a "
	      "language tag such as en-GB)\n", "language with a subtag over 8 characters");
	fails(SITE "\tlanguage = 1en\n",
	      "threatfeed: threatfeed.conf:4:13: invalid site.language '1en' (expected a language tag "
	      "such as en-GB)\n", "language whose first subtag is not letters");
	{
		struct config c;
		char *msg;

		ok(load(&c, SITE "\tlanguage = sr-Latn-RS-1994\n", &msg) == 0 && c.language &&
		   strcmp(c.language, "sr-Latn-RS-1994") == 0,
		   "a language tag with script, region and variant");
		free(msg);
		config_release(&c);
	}

	fails(SITE "[feed]\n\tentries = 0\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.entries '0' (expected a whole number from 1 "
	      "to 10000)\n", "entries 0");
	fails(SITE "[feed]\n\tentries = 10001\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.entries '10001' (expected a whole number "
	      "from 1 to 10000)\n", "entries too many");
	fails(SITE "[feed]\n\tentries = twenty\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.entries 'twenty' (expected a whole number "
	      "from 1 to 10000)\n", "entries not a number");
	fails(SITE "[feed]\n\tentries = 20x\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.entries '20x' (expected a whole number from "
	      "1 to 10000)\n", "entries with trailing junk");
	fails(SITE "[feed]\n\tentries = +20\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.entries '+20' (expected a whole number from "
	      "1 to 10000)\n", "entries with a sign");
	fails(SITE "[feed]\n\tid-host = t.example:8080\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.id-host 't.example:8080' (expected a host "
	      "name, such as threat.example.org)\n", "id-host with a port, which would end the authority");
	fails(SITE "[feed]\n\tid-host = \"t example\"\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.id-host 't example' (expected a host "
	      "name, such as threat.example.org)\n", "id-host with a space");
	fails(SITE "[feed]\n\tid-host = t.example\n\tid-host = u.example\n",
	      "threatfeed: threatfeed.conf:6:2: 'feed.id-host' is set twice (first on line 5)\n",
	      "id-host set twice");
	fails(SITE "[feed]\n\tentries = 99999999999999999999999\n",
	      "threatfeed: threatfeed.conf:5:12: invalid feed.entries '99999999999999999999999' (expected "
	      "a whole number from 1 to 10000)\n", "entries overflowing");
	fails(SITE "[feed]\n\tentries\n",
	      "threatfeed: threatfeed.conf:5:9: invalid feed.entries '' (expected a whole number from 1 "
	      "to 10000)\n", "entries without a value");

	fails(SITE "[level \"severe\"]\n\trank = 4\n\tcolour = red\n",
	      "threatfeed: threatfeed.conf:6:11: invalid level.severe.colour 'red' (expected #rrggbb, e.g. "
	      "#c62828)\n", "colour by name");
	fails(SITE "[level \"severe\"]\n\trank = 4\n\tcolour = \"#12345g\"\n",
	      "threatfeed: threatfeed.conf:6:11: invalid level.severe.colour '#12345g' (expected #rrggbb, "
	      "e.g. #c62828)\n", "colour not hex");
	fails(SITE "[level \"severe\"]\n\trank = 4\n\tcolour = #b30000\n",
	      "threatfeed: threatfeed.conf:6:11: empty level.severe.colour (write it in quotes, colour = "
	      "\"#c62828\": an unquoted '#' starts a comment)\n", "unquoted colour is a comment");
	fails(SITE "[level \"a\"]\n\trank = 1\n[level \"b\"]\n\trank = 1\n",
	      "threatfeed: threatfeed.conf:7:9: duplicate rank 1 for level 'b' (level 'a' has it "
	      "already)\n", "duplicate rank");
	fails(SITE "[level \"a\"]\n\tsummary = no rank\n",
	      "threatfeed: threatfeed.conf:4:1: level 'a' has no rank (expected rank = a whole number, "
	      "higher is more severe)\n", "level without rank");
	fails(SITE "[level \"a\"]\n\trank = high\n",
	      "threatfeed: threatfeed.conf:5:9: invalid level.a.rank 'high' (expected a whole number "
	      "from 0 to 1000, higher is more severe)\n", "rank not a number");
	fails(SITE "[level \"a\"]\n\trank = x\n[level \"b\"]\n\trank = 0\n",
	      "threatfeed: threatfeed.conf:5:9: invalid level.a.rank 'x' (expected a whole number from 0 "
	      "to 1000, higher is more severe)\n", "a bad rank is not also a duplicate");
	fails(SITE "[level \"Severe\"]\n\trank = 4\n",
	      "threatfeed: threatfeed.conf:4:1: invalid level name 'Severe' (expected 1 to 40 lowercase "
	      "letters, digits or '-')\n", "level name upper case");
	/* level-now is the big current-level box: its colour would be the level "now"'s on every page. */
	fails(SITE "[level \"now\"]\n\trank = 1\n\tcolour = \"#ff00ff\"\n",
	      "threatfeed: threatfeed.conf:4:1: level name 'now' clashes with the stylesheet's class "
	      "'level-now' (choose another name)\n", "level named now");
	fails(SITE "[level \"item\"]\n\trank = 1\n[level \"item-rank\"]\n\trank = 2\n",
	      "threatfeed: threatfeed.conf:4:1: level name 'item' clashes with the stylesheet's class "
	      "'level-item' (choose another name)\n"
	      "threatfeed: threatfeed.conf:6:1: level name 'item-rank' clashes with the stylesheet's class "
	      "'level-item-rank' (choose another name)\n", "levels named item and item-rank");
	fails(SITE "[level \"a\"]\n\trank = 1\n\trank = 2\n",
	      "threatfeed: threatfeed.conf:6:2: 'level.a.rank' is set twice (first on line 5)\n",
	      "rank set twice");

	fails(SITE "[scope \"history\"]\n",
	      "threatfeed: threatfeed.conf:4:1: scope name 'history' clashes with the site's 'history/' "
	      "folder (choose another name)\n", "scope named history");
	fails(SITE "[scope \"2014\"]\n\ttitle = Year\n",
	      "threatfeed: threatfeed.conf:4:1: scope name '2014' clashes with the site's year folders "
	      "(choose a name that is not a 4-digit year)\n", "scope named like a year");
	fails(SITE "[scope \"north west\"]\n\ttitle = NW\n",
	      "threatfeed: threatfeed.conf:4:1: invalid scope name 'north west' (expected 1 to 40 "
	      "lowercase letters, digits or '-')\n", "scope name with a space");

	fails(SITE "[ping]\n\twebsub = https://hub.example.net/\n\twebsub = mailto:x@example.net\n",
	      "threatfeed: threatfeed.conf:6:11: invalid ping.websub 'mailto:x@example.net' (expected an "
	      "absolute http:// or https:// URL)\n", "bad second hub, its own line");
	fails(SITE "[ping]\n\ttimeout = 0\n\tretries = 11\n",
	      "threatfeed: threatfeed.conf:5:12: invalid ping.timeout '0' (expected a whole number from 1 "
	      "to 300)\n"
	      "threatfeed: threatfeed.conf:6:12: invalid ping.retries '11' (expected a whole number from 0 "
	      "to 10)\n", "ping numbers out of range");

	/* Past the cap, one message: not one for each later header and key, out of line order. */
	{
		struct buf text = BUF_INIT;

		buf_puts(&text, SITE);
		for (int i = 1; i <= 102; i++)
			buf_printf(&text, "[level \"l%d\"]\n\trank = %d\n[scope \"s%d\"]\n\ttitle = S\n", i,
				   i, i);
		fails(text.ptr, "threatfeed: threatfeed.conf:404:1: too many levels (at most 100)\n"
		      "threatfeed: threatfeed.conf:406:1: too many scopes (at most 100)\n",
		      "too many levels and scopes, each said once");
		buf_release(&text);
	}

	/* Every problem is reported, not just the first. */
	fails("[site]\n\turl = ftp://x/\n[feed]\n\tentries = 0\n[level \"x\"]\n\trank = 1\n\tcolour = blue\n",
	      "threatfeed: threatfeed.conf:2:8: invalid site.url 'ftp://x/' (expected an absolute http:// "
	      "or https:// URL)\n"
	      "threatfeed: threatfeed.conf:4:12: invalid feed.entries '0' (expected a whole number from 1 "
	      "to 10000)\n"
	      "threatfeed: threatfeed.conf:7:11: invalid level.x.colour 'blue' (expected #rrggbb, e.g. "
	      "#c62828)\n"
	      "threatfeed: threatfeed.conf: missing site.title (expected e.g. title = UK threat level, "
	      "under [site])\n", "every problem reported");
}

static void
test_warnings(void)
{
	struct config c;
	struct diag d;
	char *msg;
	const char *text = SITE "\tcolour = red\n# a comment\n\tlanguage = \"en\\\n-GB\" ; continued\n"
			   "[theme]\n\tdark = true\n[scope \"a\"]\n\tcolour = x\n";

	ok(load_len(&c, text, strlen(text), &msg, &d) == 0, "unknown settings are only warnings");
	is_str(msg,
	       "threatfeed: threatfeed.conf:4:2: warning: unknown setting 'site.colour' ignored (expected "
	       "site.title, url, description, language or author)\n"
	       "threatfeed: threatfeed.conf:9:2: warning: unknown setting 'theme.dark' ignored (expected "
	       "site.*, feed.*, scope \"name\".*, level \"name\".* or ping.*)\n"
	       "threatfeed: threatfeed.conf:11:2: warning: unknown setting 'scope.a.colour' ignored "
	       "(expected scope.<name>.title)\n", "warnings with line numbers");
	ok(d.warnings == 3 && d.errors == 0, "three warnings");
	is_str(c.language, "en-GB", "continued value");
	free(msg);
	config_release(&c);

	/* A byte order mark (Notepad writes one) hides neither the first section nor its lines. */
	text = "\xef\xbb\xbf[scope \"national\"]\n" SITE "\tcolour = red\n";
	ok(load_len(&c, text, strlen(text), &msg, &d) == 0 && c.nscopes == 1,
	   "after a byte order mark, an empty first [scope] still declares it");
	is_str(msg, "threatfeed: threatfeed.conf:5:2: warning: unknown setting 'site.colour' ignored "
	       "(expected site.title, url, description, language or author)\n",
	       "after a byte order mark, lines are still right");
	free(msg);
	config_release(&c);
	fails("\xef\xbb\xbf[site]\n\ttitle = T\n\turl = ftp://t.example/\n",
	      "threatfeed: threatfeed.conf:3:8: invalid site.url 'ftp://t.example/' (expected an absolute "
	      "http:// or https:// URL)\n", "an error in the first section after a byte order mark");

	/* libgit2 takes keys that git would not: a warning about one still gives its line. */
	text = SITE "\t2nd-title = x\n\t-x = y\n";
	ok(load_len(&c, text, strlen(text), &msg, &d) == 0, "keys starting with a digit or '-'");
	is_str(msg, "threatfeed: threatfeed.conf:4:2: warning: unknown setting 'site.2nd-title' ignored "
	       "(expected site.title, url, description, language or author)\n"
	       "threatfeed: threatfeed.conf:5:2: warning: unknown setting 'site.-x' ignored (expected "
	       "site.title, url, description, language or author)\n", "... each on its line");
	free(msg);
	config_release(&c);

	/* A misspelt feed.id-host is told that id-host exists. */
	text = SITE "[feed]\n\tidhost = t.example\n";
	ok(load_len(&c, text, strlen(text), &msg, &d) == 0, "an unknown feed setting is a warning");
	is_str(msg, "threatfeed: threatfeed.conf:5:2: warning: unknown setting 'feed.idhost' ignored "
	       "(expected feed.entries or id-host)\n", "every feed setting named");
	free(msg);
	config_release(&c);

	text = "orphan = 1\n" SITE;
	ok(load_len(&c, text, strlen(text), &msg, &d) == 0, "a key before any section is a warning");
	is_str(msg, "threatfeed: threatfeed.conf:1:1: warning: unknown setting 'orphan' ignored (expected "
	       "it under [site], [feed], [scope \"name\"], [level \"name\"] or [ping])\n",
	       "orphan key warning");
	free(msg);
	config_release(&c);
}

/*
 * Each message gives the column it is about, counted in bytes from 1: a value's first character as
 * written (its opening quote, if quoted), a key's first, a section header's '['.
 */
static void
test_columns(void)
{
	struct config c;
	struct diag d;
	char *msg;
	const char *text;

	fails(SITE "\tlanguage =   \"en GB\"\n",
	      "threatfeed: threatfeed.conf:4:15: invalid site.language 'en GB' (expected a language "
	      "tag such as en-GB)\n", "a quoted value: at its opening quote");
	fails(SITE "[feed]\n\tentries\t=\t\t0\n",
	      "threatfeed: threatfeed.conf:5:13: invalid feed.entries '0' (expected a whole number "
	      "from 1 to 10000)\n", "a value after tabs: a tab is one column");
	fails(SITE "\t\ttitle = Again\n",
	      "threatfeed: threatfeed.conf:4:3: 'site.title' is set twice (first on line 2)\n",
	      "a key indented by two tabs");
	text = SITE "\t\tcolour = red\n";
	ok(load_len(&c, text, strlen(text), &msg, &d) == 0, "an unknown key indented by tabs loads");
	is_str(msg, "threatfeed: threatfeed.conf:4:3: warning: unknown setting 'site.colour' ignored "
	       "(expected site.title, url, description, language or author)\n",
	       "a warning about a key: at the key");
	free(msg);
	config_release(&c);
	fails(SITE "\tlanguage = en\\\n-GB-northernireland\n[feed]\n  entries = 0\n",
	      "threatfeed: threatfeed.conf:4:13: invalid site.language 'en-GB-northernireland' "
	      "(expected a language tag such as en-GB)\n"
	      "threatfeed: threatfeed.conf:7:13: invalid feed.entries '0' (expected a whole number "
	      "from 1 to 10000)\n",
	      "a value continued over lines: at its start; the next key counts afresh");
	fails(SITE "[level \"severe\"]\n\trank = 4\n\tcolour =\t#b30000\n",
	      "threatfeed: threatfeed.conf:6:11: empty level.severe.colour (write it in quotes, "
	      "colour = \"#c62828\": an unquoted '#' starts a comment)\n",
	      "an empty value: where it would start");

	/* Editors do not show a byte order mark: the first character after it is column 1. */
	fails("\xef\xbb\xbf[scope \"History\"]\n" SITE,
	      "threatfeed: threatfeed.conf:1:1: invalid scope name 'History' (expected 1 to 40 "
	      "lowercase letters, digits or '-')\n", "a section header after a byte order mark");
	text = "\xef\xbb\xbforphan = \"1\n" SITE;
	ok(load_len(&c, text, strlen(text), &msg, &d) == -1, "an open quote after a byte order mark");
	is_str(msg, "threatfeed: threatfeed.conf:1:10: unterminated quote in the value of 'orphan' "
	       "(expected a closing '\"' before the line ends)\n"
	       "threatfeed: threatfeed.conf:1:1: warning: unknown setting 'orphan' ignored (expected "
	       "it under [site], [feed], [scope \"name\"], [level \"name\"] or [ping])\n",
	       "after a byte order mark, a key and a quote at their columns");
	free(msg);
	config_release(&c);

	/* The same for the checks of the whole text: a lone CR, a character XML forbids. */
	fails("\xef\xbb\xbf[site]\r\ttitle = T\n",
	      "threatfeed: threatfeed.conf:1:7: a line ends in a carriage return alone (expected "
	      "line endings of LF or CRLF: save the file with those)\n"
	      "threatfeed: threatfeed.conf: missing site.url (expected where site/ is published, e.g. "
	      "url = https://threat.example.org/, under [site])\n",
	      "a lone CR after a byte order mark: at its column");
	ok(config_column("\xef\xbb\xbf[si\x01te]\n", 11, 1, 7) == 4 &&
	   config_column("\xef\xbb\xbf[site]\n[si\x01", 16, 2, 4) == 4 &&
	   config_column("[si\x01te]\n", 8, 1, 4) == 4,
	   "config_column: a byte order mark is not counted, on the first line only");

	/* A problem with a section is at its '[', however it is indented. */
	fails(SITE "  [level \"Severe\"]\n\trank = 4\n",
	      "threatfeed: threatfeed.conf:4:3: invalid level name 'Severe' (expected 1 to 40 "
	      "lowercase letters, digits or '-')\n", "a section header error: at the '['");
	fails(SITE "\t[level \"a\"]\n\tsummary = no rank\n",
	      "threatfeed: threatfeed.conf:4:2: level 'a' has no rank (expected rank = a whole number, "
	      "higher is more severe)\n", "a level without a rank: at its header");
	fails(SITE "[level \"a\"]\n\trank = 1\n[level \"b\"]\n\trank = \"1\"\n",
	      "threatfeed: threatfeed.conf:7:9: duplicate rank 1 for level 'b' (level 'a' has it "
	      "already)\n", "a duplicate rank: at the second value");
}

/* Quotes that close, escaped quotes and quotes in comments are all fine. */
static void
test_quotes(void)
{
	struct config c;
	char *msg;

	ok(load(&c, SITE "\tauthor = The \\\"Example\\\" Service # a lone \" in a comment\n"
		"\tdescription = \"a ; b \\\" c\" ; another \"\n"
		"# a comment line with \" alone\n"
		"; and \" another\n"
		"\tlanguage = \"en\"\"-GB\"\n", &msg) == 0, "closed and escaped quotes load");
	is_str(msg, "", "closed and escaped quotes: nothing reported");
	is_str(c.author, "The \"Example\" Service", "escaped quotes kept, the comment dropped");
	is_str(c.description, "a ; b \" c", "a quoted ';' and an escaped quote kept");
	is_str(c.language, "en-GB", "two quoted parts joined");
	free(msg);
	config_release(&c);

	/* A comment inside a word or before a number was most likely meant as part of the value. */
	ok(load(&c, SITE "\tauthor = Example; Service\n\tdescription = Level #1 today\n"
		"\tlanguage = en ; a note\n", &msg) == 0, "values cut by comments load");
	is_str(msg, "threatfeed: threatfeed.conf:4:18: warning: '; Service' is a comment, left out "
	       "of 'site.author' (put the whole value in quotes to keep it)\n"
	       "threatfeed: threatfeed.conf:5:22: warning: '#1 today' is a comment, left out of "
	       "'site.description' (put the whole value in quotes to keep it)\n",
	       "a comment inside a word, or before a number, is warned about; a note is not");
	is_str(c.author, "Example", "... and the value is what git reads, up to the comment");
	free(msg);
	config_release(&c);
}

static void
test_syntax(void)
{
	char text[] = SITE "bad\0";

	fails(SITE "[feed\n\tentries = 3\n",
	      "threatfeed: threatfeed.conf:4:1: invalid config: missing ']' in section header\n",
	      "syntax error with its line, at the header's '['");
	fails(SITE "\tbad key = x\n",
	      "threatfeed: threatfeed.conf:4:2: invalid config: invalid configuration key\n",
	      "key with a space, at the key");
	/* libgit2 counts these columns from the '[', not from the start of the line. */
	fails(SITE "  [fe!ed]\n",
	      "threatfeed: threatfeed.conf:4:6: invalid config: unexpected character in header\n",
	      "a character a header may not hold, at that character");
	fails("\xef\xbb\xbf [si!te]\n",
	      "threatfeed: threatfeed.conf:1:5: invalid config: unexpected character in header\n",
	      "... after a byte order mark, which is no column");
	fails("\xef\xbb\xbf\t[site\n",
	      "threatfeed: threatfeed.conf:1:2: invalid config: missing ']' in section header\n",
	      "a header's '[' after a byte order mark and a tab");
	/* libgit2 reads a line's headers one after another: the one it refused is meant. */
	fails(SITE "[feed] [scope \"x\"] [fe!ed]\n",
	      "threatfeed: threatfeed.conf:4:23: invalid config: unexpected character in header\n",
	      "... in a header after others on its line");
	fails(SITE "[feed] [scope\n",
	      "threatfeed: threatfeed.conf:4:8: invalid config: missing ']' in section header\n",
	      "a header's '[' after another header on its line");
	fails(SITE "[feed] bad key = 1\n",
	      "threatfeed: threatfeed.conf:4:8: invalid config: invalid configuration key\n",
	      "a key after a header on its line");
	/* libgit2 skips a carriage return before a header, yet it is a column. */
	fails(SITE "\r[fe!ed]\n",
	      "threatfeed: threatfeed.conf:4:5: invalid config: unexpected character in header\n",
	      "a character a header may not hold, after a carriage return");
	/* These columns libgit2 counts from the subsection's first quotation mark. */
	fails(SITE "  [scope \"x\" ]\n",
	      "threatfeed: threatfeed.conf:4:13: invalid config: unexpected text after closing "
	      "quotes\n", "text after a subsection's name, at that text");
	fails(SITE "[scope \"nat\"ional\"]\n",
	      "threatfeed: threatfeed.conf:4:13: invalid config: unexpected text after closing "
	      "quotes\n", "a quotation mark inside a subsection's name: at what follows it");
	fails(SITE "\tauthor = \"a\\qb\"\n",
	      "threatfeed: threatfeed.conf:4:13: invalid config: invalid escape at qb\" (expected "
	      "\\\\, \\\", \\n, \\t or \\b after a backslash)\n",
	      "invalid escape, at the line and column libgit2 does not give");
	fails("\xef\xbb\xbf title = \"a\\qb\"\n" SITE,
	      "threatfeed: threatfeed.conf:1:12: invalid config: invalid escape at qb\" (expected "
	      "\\\\, \\\", \\n, \\t or \\b after a backslash)\n",
	      "an invalid escape after a byte order mark, which is no column");
	fails(SITE "# a comment may hold \\q\n\tauthor = a \\\\ b # or \\q\n\tdescription = \"\\t \\q\"\n",
	      "threatfeed: threatfeed.conf:6:20: invalid config: invalid escape at q\" (expected "
	      "\\\\, \\\", \\n, \\t or \\b after a backslash)\n",
	      "an invalid escape is looked for in values, not in comments");
	fails(SITE "\tauthor = a\\bb\n",
	      "threatfeed: threatfeed.conf:4:11: the value of 'site.author', once its escapes are read: "
	      "control character that XML 1.0 forbids\n",
	      "an escape read as a character XML forbids, at its setting's line");
	fails("[include]\n\tpath = /etc/passwd\n" SITE,
	      "threatfeed: threatfeed.conf:1:1: invalid config: includes are not allowed (a published "
	      "site's settings must all be in this file)\n", "include refused");
	fails(SITE "  [IncludeIf \"gitdir:/\"]\n\tpath = /etc/passwd\n",
	      "threatfeed: threatfeed.conf:4:3: invalid config: includes are not allowed (a published "
	      "site's settings must all be in this file)\n", "includeIf refused, any case");
	fails(SITE "[include.x]\n\tpath = x\n",
	      "threatfeed: threatfeed.conf:4:1: invalid config: includes are not allowed (a published "
	      "site's settings must all be in this file)\n", "old-style include refused");
	/* libgit2 sees these headers too, and would read the file before anything was refused. */
	fails("\xef\xbb\xbf[include]\n\tpath = /nonexistent/threatfeed-include\n" SITE,
	      "threatfeed: threatfeed.conf:1:1: invalid config: includes are not allowed (a published "
	      "site's settings must all be in this file)\n", "include after a byte order mark refused");
	fails(SITE "\r[include]\n\tpath = /nonexistent/threatfeed-include\n",
	      "threatfeed: threatfeed.conf:4:2: invalid config: includes are not allowed (a published "
	      "site's settings must all be in this file)\n", "include after a carriage return refused");
	fails(SITE "[feed] [include]\n\tpath = /nonexistent/threatfeed-include\n",
	      "threatfeed: threatfeed.conf:4:8: invalid config: includes are not allowed (a published "
	      "site's settings must all be in this file)\n", "include after another header refused");
	/* git refuses an unclosed quote; libgit2 1.5 would take "Threat level" and go on. */
	fails("[site]\n\ttitle = \"Threat level\n\turl = https://t.example/\n",
	      "threatfeed: threatfeed.conf:2:10: unterminated quote in the value of 'site.title' "
	      "(expected a closing '\"' before the line ends)\n", "unterminated quote");
	fails(SITE "\tauthor = a \"b\" \"c # d\n\tdescription = \"x\\\"\n",
	      "threatfeed: threatfeed.conf:4:17: unterminated quote in the value of 'site.author' "
	      "(expected a closing '\"' before the line ends)\n"
	      "threatfeed: threatfeed.conf:5:16: unterminated quote in the value of 'site.description' "
	      "(expected a closing '\"' before the line ends)\n",
	      "a quote left open after a closed one, a '#' inside it, one closed only by an escape");
	fails(SITE "\tauthor = \"a \\\nb\n",
	      "threatfeed: threatfeed.conf:4:11: unterminated quote in the value of 'site.author' "
	      "(expected a closing '\"' before the line ends)\n",
	      "a quote left open over a continued line, at its opening");
	fails(SITE "\tauthor = \xff\n",
	      "threatfeed: threatfeed.conf:4:11: invalid UTF-8\n", "invalid UTF-8");
	{
		struct config c;
		char *msg;

		ok(load_len(&c, text, sizeof(text) - 1, &msg, NULL) == -1, "NUL byte fails");
		is_str(msg, "threatfeed: threatfeed.conf:4:4: invalid config: NUL byte\n", "NUL byte");
		free(msg);
	}
	{
		static const char bom_nul[] = "\xef\xbb\xbf[\0";
		struct config c;
		char *msg;

		ok(load_len(&c, bom_nul, sizeof(bom_nul) - 1, &msg, NULL) == -1 &&
		   strcmp(msg, "threatfeed: threatfeed.conf:1:2: invalid config: NUL byte\n") == 0,
		   "a NUL byte after a byte order mark, which is no column");
		free(msg);
	}
	ok(tmpdir_empty(), "no temporary file left behind after errors");
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/threatfeed-test-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	setenv("TMPDIR", tmpdir, 1);

	test_sample();
	test_defaults();
	test_id_host();
	test_colours();
	test_levels();
	test_scopes_pings();
	test_errors();
	test_warnings();
	test_columns();
	test_syntax();
	test_quotes();

	rmdir(tmpdir);
	return tests_done();
}
