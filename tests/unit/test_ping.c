/* Unit tests of the pinger's pure parts: the state file, XML-RPC, Retry-After, backoff. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ping.h"

#define H1 "4d6d97471edc7e7b739e60a32e785d03e8c58d0e"
#define H2 "1b9c9755fb079ab007e38389b0cc184a6d1c10e9"

static const char good_state[] =
	"# threatfeed ping state: what each endpoint was last told about each feed (safe to delete)\n"
	"ok\t" H1 "\twebsub\thttp://hub.example/\thttps://t.example/atom.xml\n"
	"failed\t" H2 "\txmlrpc\thttp://rpc.example/RPC2\thttps://t.example/rss.xml\n";

static void
test_state(void)
{
	struct ping_state s;
	struct ping_record *r;
	struct buf out = BUF_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct diag d;

	diag_init(&d, f);
	ok(ping_state_parse(&s, "state", good_state, strlen(good_state), &d) == 0 && s.count == 2,
	   "a well-formed state file parses");
	r = ping_state_find(&s, PING_WEBSUB, "http://hub.example/", "https://t.example/atom.xml");
	ok(r && r->ok && strcmp(r->hash, H1) == 0, "the websub record is found, ok, with its hash");
	r = ping_state_find(&s, PING_XMLRPC, "http://rpc.example/RPC2", "https://t.example/rss.xml");
	ok(r && !r->ok && strcmp(r->hash, H2) == 0, "the failed xmlrpc record is found");
	ok(!ping_state_find(&s, PING_XMLRPC, "http://hub.example/", "https://t.example/atom.xml"),
	   "the kind is part of the key");
	ok(ping_state_format(&out, &s) == 0, "the state formats");
	is_str(out.ptr, good_state, "format(parse(x)) == x");

	ping_state_set(&s, PING_XMLRPC, "http://rpc.example/RPC2", "https://t.example/rss.xml", H1, 1);
	r = ping_state_find(&s, PING_XMLRPC, "http://rpc.example/RPC2", "https://t.example/rss.xml");
	ok(s.count == 2 && r && r->ok && strcmp(r->hash, H1) == 0, "set replaces an existing record");
	ping_state_set(&s, PING_WEBSUB, "http://hub.example/", "https://t.example/feed.json", H2, 0);
	ok(s.count == 3, "set adds a new record");
	ping_state_set(&s, PING_WEBSUB, "http://hub.example/\tx", "https://t.example/a", H2, 0);
	buf_reset(&out);
	ok(ping_state_format(&out, &s) < 0, "a URL with a tab cannot be recorded");
	ping_state_release(&s);
	ok(s.count == 0 && !s.items, "release empties the state");

	{
		static const char *const bad[] = {
			"ok\t" H1 "\twebsub\thttp://hub/\n",                        /* 4 fields */
			"maybe\t" H1 "\twebsub\thttp://hub/\thttps://f/\n",          /* status */
			"ok\t" H1 "x\twebsub\thttp://hub/\thttps://f/\n",            /* hash length */
			"ok\t4D6D97471EDC7E7B739E60A32E785D03E8C58D0E\twebsub\thttp://hub/\thttps://f/\n",
			"ok\t" H1 "\tpubsub\thttp://hub/\thttps://f/\n",             /* kind */
			"ok\t" H1 "\twebsub\t\thttps://f/\n",                        /* empty endpoint */
			"ok\t" H1 "\twebsub\thttp://hub/\thttps://f/\textra\n",      /* 6 fields */
			"ok\t" H1 "\twebsub\thttp://hub/\thttps://f/\r\n",           /* CR */
			"o\t" H1 "\twebsub\thttp://hub/\thttps://f/\n",
			"\t\t\t\t\n",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
			struct buf in = BUF_INIT;
			size_t warnings = d.warnings;
			int rc;

			buf_puts(&in, bad[i]);
			buf_puts(&in, "ok\t" H2 "\txmlrpc\thttp://rpc/\thttps://f/\n");
			rc = ping_state_parse(&s, "state", in.ptr, in.len, &d);
			ok(rc < 0 && s.count == 1 && d.warnings == warnings + 1 && d.errors == 0,
			   "bad line %zu is warned about and skipped, the good one kept", i);
			ping_state_release(&s);
			buf_release(&in);
		}
	}
	ok(ping_state_parse(&s, "state", "", 0, &d) == 0 && s.count == 0, "an empty file is no state");
	ping_state_release(&s);
	ok(ping_state_parse(&s, "state", "ok\t" H1 "\twebsub\thttp://h/\thttps://f/",
			    strlen("ok\t" H1 "\twebsub\thttp://h/\thttps://f/"), &d) == 0 &&
	   s.count == 1, "a last line without a newline still counts");
	ping_state_release(&s);
	fclose(f);
	ok(text && strstr(text, "threatfeed: state:1: warning: malformed line ignored"),
	   "the warning names the file and line");
	free(text);
	buf_release(&out);
}

/* Holds: "wait" lines after the records; older files without them read as before. */
static void
test_holds(void)
{
	static const char text[] =
		"# threatfeed ping state: what each endpoint was last told about each feed (safe to delete)\n"
		"ok\t" H1 "\twebsub\thttp://hub.example/\thttps://t.example/atom.xml\n"
		"wait\t2026-11-27T19:00:00Z\twebsub\thttp://hub.example/\n"
		"wait\t2026-11-27T20:00:00Z\txmlrpc\thttp://rpc.example/RPC2\n";
	static const char *const bad[] = {
		"wait\tsoon\twebsub\thttp://hub/\n",                         /* not a time */
		"wait\t2026-11-27T19:00:00\twebsub\thttp://hub/\n",          /* no offset */
		"wait\t2026-11-27T20:00:00+01:00\twebsub\thttp://hub/\n",    /* not written in UTC */
		"wait\t2026-11-27T19:00:00.5Z\twebsub\thttp://hub/\n",       /* a fraction */
		"wait\t2026-02-30T19:00:00Z\twebsub\thttp://hub/\n",         /* no such day */
		"wait\t\twebsub\thttp://hub/\n",                             /* empty time */
		"wait\t2026-11-27T19:00:00Z\tpubsub\thttp://hub/\n",         /* kind */
		"wait\t2026-11-27T19:00:00Z\twebsub\t\n",                    /* empty endpoint */
		"wait\t2026-11-27T19:00:00Z\twebsub\n",                       /* 3 fields */
		"wait\t2026-11-27T19:00:00Z\twebsub\thttp://hub/\tx\n",       /* 5 fields */
		"wait\t2026-11-27T19:00:00Z\twebsub\thttp://hub/\r\n",        /* CR */
	};
	struct ping_state s;
	struct ping_hold *h;
	struct buf out = BUF_INIT;
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);
	struct diag d;

	diag_init(&d, f);
	ok(ping_state_parse(&s, "state", text, strlen(text), &d) == 0 && s.count == 1 && s.nholds == 2,
	   "holds parse next to records");
	h = ping_state_hold(&s, PING_WEBSUB, "http://hub.example/");
	ok(h && h->until == 1795806000, "the websub hold is found, with its time");
	ok(!ping_state_hold(&s, PING_WEBSUB, "http://rpc.example/RPC2"), "the kind is part of a hold's key");
	ok(ping_state_format(&out, &s) == 0, "holds format");
	is_str(out.ptr, text, "format(parse(x)) == x, with holds");
	ping_state_set_hold(&s, PING_WEBSUB, "http://hub.example/", 1795800000);
	ok(s.nholds == 2 && h->until == 1795806000, "an earlier hold does not shorten a later one");
	ping_state_set_hold(&s, PING_WEBSUB, "http://hub.example/", 1795900000);
	ok(h->until == 1795900000, "a later hold replaces an earlier one");
	ping_state_set_hold(&s, PING_XMLRPC, "http://new.example/", 1);
	ok(s.nholds == 3, "a new endpoint's hold is added");
	ping_state_release(&s);
	ok(s.nholds == 0 && !s.holds, "release empties the holds");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct buf in = BUF_INIT;
		size_t warnings = d.warnings;
		int rc;

		buf_puts(&in, "ok\t" H2 "\txmlrpc\thttp://rpc/\thttps://f/\n");
		buf_puts(&in, bad[i]);
		buf_puts(&in, "wait\t2026-11-27T19:00:00Z\txmlrpc\thttp://rpc/\n");
		rc = ping_state_parse(&s, "state", in.ptr, in.len, &d);
		ok(rc < 0 && s.count == 1 && s.nholds == 1 && d.warnings == warnings + 1 && d.errors == 0,
		   "bad hold %zu is warned about and skipped, the good lines kept", i);
		ping_state_release(&s);
		buf_release(&in);
	}
	fclose(f);
	ok(msg && strstr(msg, "threatfeed: state:2: warning: malformed line ignored (expected wait, a "
			 "UTC time, websub|xmlrpc and endpoint, tab-separated)"),
	   "a bad hold's warning names its line and what a hold looks like");
	free(msg);
	buf_release(&out);
}

static void
rpc_case(const char *xml, int want_rc, enum ping_rpc_result want, const char *want_msg,
	 const char *what)
{
	struct buf msg = BUF_INIT;
	enum ping_rpc_result got;
	int rc = ping_parse_rpc_response(&got, &msg, xml, strlen(xml));

	ok(rc == want_rc && (rc < 0 || got == want), "%s: result", what);
	is_str(msg.ptr ? msg.ptr : "", want_msg, what);
	buf_release(&msg);
}

#define RESPONSE(members) \
	"<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><struct>" members \
	"</struct></value></param></params></methodResponse>"

static void
test_rpc(void)
{
	struct buf b = BUF_INIT;
	const char *params[] = { "A & B <site>", "https://t.example/" };

	rpc_case(RESPONSE("<member><name>flerror</name><value><boolean>0</boolean></value></member>"
			  "<member><name>message</name><value><string>Thanks for the ping.</string>"
			  "</value></member>"), 0, PING_RPC_OK, "Thanks for the ping.", "success");
	rpc_case(RESPONSE("<member><name>flerror</name><value><boolean>1</boolean></value></member>"
			  "<member><name>message</name><value>Too many pings</value></member>"),
		 0, PING_RPC_REFUSED, "Too many pings", "flerror true, untyped message");
	rpc_case(RESPONSE("<member><name>flerror</name><value><boolean> true </boolean></value></member>"),
		 0, PING_RPC_REFUSED, "", "flerror written as true");
	rpc_case("<methodResponse><params><param><value><string>ok</string></value></param></params>"
		 "</methodResponse>", 0, PING_RPC_OK, "", "a plain value is success");
	rpc_case("<methodResponse><fault><value><struct>"
		 "<member><name>faultCode</name><value><int>1</int></value></member>"
		 "<member><name>faultString</name><value><string>&lt;class 'Exception'&gt;:method "
		 "\"weblogUpdates.extendedPing\" is not supported</string></value></member>"
		 "</struct></value></fault></methodResponse>", 0, PING_RPC_FAULT,
		 "<class 'Exception'>:method \"weblogUpdates.extendedPing\" is not supported", "a fault");
	rpc_case(RESPONSE("<member><name>message</name><value>line\none\ttab</value></member>"),
		 0, PING_RPC_OK, "line one tab", "control characters in a message become spaces");
	rpc_case("<html><body>502 Bad Gateway</body></html>", -1, PING_RPC_OK, "not a methodResponse",
		 "an HTML page");
	rpc_case("Thanks!", -1, PING_RPC_OK, "not well-formed XML", "plain text");
	rpc_case("<methodResponse><params>", -1, PING_RPC_OK, "not well-formed XML", "truncated");
	rpc_case("<methodResponse></methodResponse>", -1, PING_RPC_OK,
		 "a methodResponse without params or fault", "empty methodResponse");
	rpc_case("<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
		 "<methodResponse><params><param><value>&b;</value></param></params></methodResponse>",
		 -1, PING_RPC_OK, "a document type declaration (XML-RPC has none)", "a DTD is refused");
	rpc_case("<!DOCTYPE m SYSTEM \"file:///etc/passwd\"><methodResponse/>", -1, PING_RPC_OK,
		 "a document type declaration (XML-RPC has none)", "an external DTD is refused");
	{
		struct buf big = BUF_INIT, msg = BUF_INIT;
		enum ping_rpc_result r;

		buf_puts(&big, "<methodResponse><params><param><value>");
		while (big.len <= PING_MAX_RESPONSE)
			buf_puts(&big, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		buf_puts(&big, "</value></param></params></methodResponse>");
		ok(ping_parse_rpc_response(&r, &msg, big.ptr, big.len) < 0, "an oversized response is refused");
		buf_reset(&big);
		buf_puts(&big, "<methodResponse><params><param><value><struct>"
			 "<member><name>message</name><value>");
		for (int i = 0; i < 50; i++)
			buf_puts(&big, "0123456789");
		buf_puts(&big, "</value></member>" "</struct></value></param></params></methodResponse>");
		ok(ping_parse_rpc_response(&r, &msg, big.ptr, big.len) == 0 && msg.len == 203 &&
		   strcmp(msg.ptr + 200, "...") == 0, "a long message is cut to 200 bytes");
		/* U+00E9 as bytes 200 and 201: the cut comes before it, not between its two bytes. */
		buf_reset(&big);
		buf_puts(&big, "<methodResponse><params><param><value><struct>"
			 "<member><name>message</name><value>");
		for (int i = 0; i < 199; i++)
			buf_putc(&big, 'a');
		buf_puts(&big, "\xc3\xa9 and more words</value></member>"
			 "</struct></value></param></params></methodResponse>");
		ok(ping_parse_rpc_response(&r, &msg, big.ptr, big.len) == 0 && msg.len == 202 &&
		   msg.ptr[198] == 'a' && strcmp(msg.ptr + 199, "...") == 0,
		   "a long message is cut before a character, never inside it");
		buf_release(&big);
		buf_release(&msg);
	}

	ok(ping_build_rpc_call(&b, "weblogUpdates.ping", params, 2) == 0, "a call builds");
	is_str(b.ptr,
	       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<methodCall>\n"
	       "  <methodName>weblogUpdates.ping</methodName>\n"
	       "  <params>\n"
	       "    <param>\n"
	       "      <value>\n"
	       "        <string>A &amp; B &lt;site&gt;</string>\n"
	       "      </value>\n"
	       "    </param>\n"
	       "    <param>\n"
	       "      <value>\n"
	       "        <string>https://t.example/</string>\n"
	       "      </value>\n"
	       "    </param>\n"
	       "  </params>\n"
	       "</methodCall>\n", "the call is XML-RPC, escaped");
	{
		const char *bad[] = { "bad \xff utf-8" };
		struct buf c = BUF_INIT;

		ok(ping_build_rpc_call(&c, "weblogUpdates.ping", bad, 1) < 0 && c.len == 0,
		   "a param that is not UTF-8 fails the call, writing nothing");
		buf_release(&c);
	}
	buf_release(&b);
}

static void
retry_after_case(const char *value, int64_t now, int want_rc, long want, const char *what)
{
	long got = -7;
	int rc = ping_parse_retry_after(&got, value, now);

	if (!ok(rc == want_rc && (rc < 0 || got == want), "Retry-After %s", what))
		printf("#   rc %d, got %ld\n", rc, got);
}

static void
test_retry_after(void)
{
	/* 1994-11-06T08:49:37Z = 784111777 */
	retry_after_case("120", 0, 0, 120, "delay-seconds");
	retry_after_case(" 5 ", 0, 0, 5, "with spaces around");
	retry_after_case("0", 0, 0, 0, "zero");
	retry_after_case("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30, 0, 30, "IMF-fixdate");
	retry_after_case("Sunday, 06-Nov-94 08:49:37 GMT", 784111777 - 30, 0, 30, "RFC 850 date");
	retry_after_case("Sun Nov  6 08:49:37 1994", 784111777 - 30, 0, 30, "asctime date");
	retry_after_case("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30, 0, 0, "a date in the past");
	retry_after_case("", 0, -1, 0, "empty");
	retry_after_case("-1", 0, -1, 0, "negative");
	retry_after_case("1.5", 0, -1, 0, "a fraction");
	retry_after_case("10 s", 0, -1, 0, "a unit");
	retry_after_case("soon", 0, -1, 0, "a word");
	retry_after_case("99999999999999999999999", 0, -1, 0, "an overflow");
	ok(ping_hold_until(1000, 120) == 1120, "a hold: now plus the Retry-After");
	ok(ping_hold_until(1000, 365L * 24 * 60 * 60) == 1000 + PING_MAX_HOLD,
	   "a hold of a year is cut to PING_MAX_HOLD");
	ok(PING_MAX_HOLD == 86400, "PING_MAX_HOLD is the day the manual promises");
}

static void
test_backoff(void)
{
	ok(ping_backoff_ms(1, 0) == 250 && ping_backoff_ms(1, UINT32_MAX) == 500,
	   "the first retry waits 250..500 ms");
	ok(ping_backoff_ms(2, 0) == 500 && ping_backoff_ms(2, UINT32_MAX) == 1000,
	   "the second 500..1000 ms");
	ok(ping_backoff_ms(3, UINT32_MAX / 2) >= 1000 && ping_backoff_ms(3, UINT32_MAX / 2) <= 2000,
	   "the third 1..2 s");
	ok(ping_backoff_ms(40, 0) == 15000 && ping_backoff_ms(40, UINT32_MAX) == 30000,
	   "the delay is capped at 30 s");
	ok(ping_backoff_ms(UINT32_MAX, 12345) <= 30000, "a huge retry number is still capped");
}

int
main(void)
{
	test_state();
	test_holds();
	test_rpc();
	test_retry_after();
	test_backoff();
	return tests_done();
}
