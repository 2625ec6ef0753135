/*
 * ping: WebSub publish requests and weblogUpdates pings over libcurl's multi interface (see ping.h).
 */
#include "ping.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "repo.h"
#include "xmlout.h"

#ifndef THREATFEED_VERSION
#define THREATFEED_VERSION "unknown"
#endif

#define USER_AGENT "threatfeed/" THREATFEED_VERSION
#define MAX_FEED_FILE ((size_t)64 << 20)
#define MAX_STATE_FILE ((size_t)4 << 20)
#define MAX_REDIRECTS 5L
#define MAX_MESSAGE 200              /* bytes of a server's own words quoted in a message */
#define BACKOFF_FIRST_MS 500L
#define BACKOFF_MAX_MS 30000L
/*
 * Requests open at once to one server (scheme, host and port): a site with several scopes has a
 * dozen feeds or more to announce to the same hub, which need not take a dozen connections.
 */
#define PING_SERVER_CONNECTIONS 2

/* ---- the state file ---- */

static const char *const kind_names[] = { "websub", "xmlrpc" };

static int
is_hex_id(const char *s, size_t len)
{
	if (len != 40 && len != 64)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A URL the line format can carry: not empty, no tab, newline or other control character. */
static int
is_plain(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
parse_kind(enum ping_kind *out, const char *s, size_t len)
{
	if (len == 6 && memcmp(s, "websub", 6) == 0)
		*out = PING_WEBSUB;
	else if (len == 6 && memcmp(s, "xmlrpc", 6) == 0)
		*out = PING_XMLRPC;
	else
		return -1;
	return 0;
}

/* "wait  UNTIL  KIND  ENDPOINT": n is the index of the last field. */
static int
parse_hold(struct ping_state *out, const char *const *field, const size_t *flen, size_t n)
{
	struct timestamp t;
	enum ping_kind kind;
	const char *why;
	char when[40], *endpoint;
	struct buf same = BUF_INIT;
	int canonical;

	if (n != 3 || flen[1] == 0 || flen[1] >= sizeof(when) || parse_kind(&kind, field[2], flen[2]) < 0 ||
	    !is_plain(field[3], flen[3]))
		return -1;
	memcpy(when, field[1], flen[1]);
	when[flen[1]] = '\0';
	if (date_parse_rfc3339(&t, when, &why, NULL) < 0)
		return -1;
	/* Only the UTC form ping_state_format writes: what is read is then always written back. */
	canonical = date_format_utc(&same, t.epoch) == 0 && strcmp(same.ptr, when) == 0;
	buf_release(&same);
	if (!canonical)
		return -1;
	endpoint = xstrndup(field[3], flen[3]);
	ping_state_set_hold(out, kind, endpoint, t.epoch);
	free(endpoint);
	return 0;
}

int
ping_state_parse(struct ping_state *out, const char *path, const char *data, size_t len,
		 struct diag *d)
{
	const char *p = data, *end = data + len;
	unsigned line = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *field[5], *q;
		size_t flen[5], n = 0;
		char hash[65];
		int ok;

		if (!eol)
			eol = end;
		line++;
		if (p == eol || *p == '#') {
			p = eol + 1;
			continue;
		}
		for (q = p; n < 5; n++) {
			const char *tab = memchr(q, '\t', (size_t)(eol - q));

			field[n] = q;
			flen[n] = (size_t)((tab && n < 4 ? tab : eol) - q);
			if (!tab || n == 4)
				break;
			q = tab + 1;
		}
		if (flen[0] == 4 && memcmp(field[0], "wait", 4) == 0) {
			/* A damaged hold only means pinging that endpoint: warned about, like any line. */
			if (parse_hold(out, field, flen, n) < 0) {
				diag_warning(d, path, line, 0, "malformed line ignored (expected wait, a UTC "
					     "time, websub|xmlrpc and endpoint, tab-separated)");
				rc = -1;
			}
			p = eol + 1;
			continue;
		}
		ok = flen[0] == 2 && memcmp(field[0], "ok", 2) == 0;
		if (n != 4 || !(ok || (flen[0] == 6 && memcmp(field[0], "failed", 6) == 0)) ||
		    !is_hex_id(field[1], flen[1]) ||
		    flen[2] != 6 || (memcmp(field[2], "websub", 6) != 0 && memcmp(field[2], "xmlrpc", 6) != 0) ||
		    !is_plain(field[3], flen[3]) || !is_plain(field[4], flen[4])) {
			diag_warning(d, path, line, 0, "malformed line ignored (expected ok|failed, hash, "
				     "websub|xmlrpc, endpoint and feed, tab-separated)");
			rc = -1;
			p = eol + 1;
			continue;
		}
		memcpy(hash, field[1], flen[1]);
		hash[flen[1]] = '\0';
		{
			char *endpoint = xstrndup(field[3], flen[3]), *feed = xstrndup(field[4], flen[4]);

			ping_state_set(out, field[2][0] == 'w' ? PING_WEBSUB : PING_XMLRPC, endpoint, feed,
				       hash, ok);
			free(endpoint);
			free(feed);
		}
		p = eol + 1;
	}
	return rc;
}

int
ping_state_format(struct buf *out, const struct ping_state *s)
{
	buf_puts(out, "# threatfeed ping state: what each endpoint was last told about each feed "
		 "(safe to delete)\n");
	for (size_t i = 0; i < s->count; i++) {
		const struct ping_record *r = &s->items[i];

		if (!is_plain(r->endpoint, strlen(r->endpoint)) || !is_plain(r->feed, strlen(r->feed)) ||
		    strchr(r->endpoint, '\t') || strchr(r->feed, '\t'))
			return -1;
		if (buf_printf(out, "%s\t%s\t%s\t%s\t%s\n", r->ok ? "ok" : "failed", r->hash,
			       kind_names[r->kind], r->endpoint, r->feed) < 0)
			return -1;
	}
	for (size_t i = 0; i < s->nholds; i++) {
		const struct ping_hold *h = &s->holds[i];

		if (!is_plain(h->endpoint, strlen(h->endpoint)) || buf_puts(out, "wait\t") < 0 ||
		    date_format_utc(out, h->until) < 0 ||
		    buf_printf(out, "\t%s\t%s\n", kind_names[h->kind], h->endpoint) < 0)
			return -1;
	}
	return 0;
}

struct ping_record *
ping_state_find(const struct ping_state *s, enum ping_kind kind, const char *endpoint,
		const char *feed)
{
	for (size_t i = 0; i < s->count; i++) {
		struct ping_record *r = &s->items[i];

		if (r->kind == kind && strcmp(r->endpoint, endpoint) == 0 && strcmp(r->feed, feed) == 0)
			return r;
	}
	return NULL;
}

void
ping_state_set(struct ping_state *s, enum ping_kind kind, const char *endpoint, const char *feed,
	       const char *hash, int ok)
{
	struct ping_record *r = ping_state_find(s, kind, endpoint, feed);

	if (!r) {
		s->items = xreallocarray(s->items, s->count + 1, sizeof(*s->items));
		r = &s->items[s->count++];
		r->kind = kind;
		r->endpoint = xstrdup(endpoint);
		r->feed = xstrdup(feed);
	}
	r->ok = ok;
	snprintf(r->hash, sizeof(r->hash), "%s", hash);
}

struct ping_hold *
ping_state_hold(const struct ping_state *s, enum ping_kind kind, const char *endpoint)
{
	for (size_t i = 0; i < s->nholds; i++) {
		struct ping_hold *h = &s->holds[i];

		if (h->kind == kind && strcmp(h->endpoint, endpoint) == 0)
			return h;
	}
	return NULL;
}

void
ping_state_set_hold(struct ping_state *s, enum ping_kind kind, const char *endpoint, int64_t until)
{
	struct ping_hold *h = ping_state_hold(s, kind, endpoint);

	if (!h) {
		s->holds = xreallocarray(s->holds, s->nholds + 1, sizeof(*s->holds));
		h = &s->holds[s->nholds++];
		h->kind = kind;
		h->endpoint = xstrdup(endpoint);
		h->until = until;
	} else if (until > h->until) {
		h->until = until;
	}
}

void
ping_state_release(struct ping_state *s)
{
	for (size_t i = 0; i < s->count; i++) {
		free(s->items[i].endpoint);
		free(s->items[i].feed);
	}
	free(s->items);
	for (size_t i = 0; i < s->nholds; i++)
		free(s->holds[i].endpoint);
	free(s->holds);
	memset(s, 0, sizeof(*s));
}

/* ---- XML-RPC ---- */

int
ping_build_rpc_call(struct buf *out, const char *method, const char *const *params, size_t n)
{
	struct xmlout *x = xmlout_new();
	int rc;

	if (!x)
		return -1;
	xmlout_start(x, "methodCall");
	xmlout_element(x, "methodName", method);
	xmlout_start(x, "params");
	for (size_t i = 0; i < n; i++) {
		xmlout_start(x, "param");
		xmlout_start(x, "value");
		xmlout_element(x, "string", params[i]);
		xmlout_end(x);
		xmlout_end(x);
	}
	rc = xmlout_finish(x, out);
	xmlout_free(x);
	return rc;
}

static xmlNode *
child(xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!name || xmlStrcmp(c->name, BAD_CAST name) == 0))
			return c;
	return NULL;
}

/* The text of a <value>: of its typed child (<string>, <boolean>, <int>...) or its own. */
static char *
value_text(xmlNode *value)
{
	xmlNode *typed = child(value, NULL);
	xmlChar *s = xmlNodeGetContent(typed ? typed : value);
	char *copy = xstrdup(s ? (const char *)s : "");

	xmlFree(s);
	return copy;
}

/* The <value> of member `name` of a <value><struct>, or NULL. */
static xmlNode *
member(xmlNode *value, const char *name)
{
	xmlNode *st = child(value, "struct");

	for (xmlNode *m = st ? st->children : NULL; m; m = m->next) {
		xmlNode *n = m->type == XML_ELEMENT_NODE && xmlStrcmp(m->name, BAD_CAST "member") == 0 ?
			child(m, "name") : NULL;
		xmlChar *s = n ? xmlNodeGetContent(n) : NULL;
		int match = s && xmlStrcmp(s, BAD_CAST name) == 0;

		xmlFree(s);
		if (match)
			return child(m, "value");
	}
	return NULL;
}

/*
 * A server's words, trimmed, cut and with control characters made spaces, fit for one line. The
 * text is UTF-8 (libxml2 hands it so): a cut never splits a character.
 */
static void
put_words(struct buf *out, const char *s)
{
	size_t len, keep;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	keep = len;
	if (len > MAX_MESSAGE) {
		keep = MAX_MESSAGE;
		/* Back to the first byte of the character that would be cut (10xxxxxx continues one). */
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	}
	for (size_t i = 0; i < keep; i++)
		buf_putc(out, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
	if (len > MAX_MESSAGE)
		buf_puts(out, "...");
}

static int
is_true(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return strncmp(s, "1", 1) == 0 || strncmp(s, "true", 4) == 0;
}

int
ping_parse_rpc_response(enum ping_rpc_result *result, struct buf *message, const char *data,
			size_t len)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *n, *v;
	char *text = NULL;
	int rc = -1;

	buf_reset(message);
	*result = PING_RPC_FAULT;
	/* No network, no entity substitution, no DTD loading: a response is data, never a fetch. */
	if (len > PING_MAX_RESPONSE ||
	    !(doc = xmlReadMemory(data, (int)len, NULL, NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING))) {
		buf_puts(message, "not well-formed XML");
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		buf_puts(message, "a document type declaration (XML-RPC has none)");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, BAD_CAST "methodResponse") != 0) {
		buf_puts(message, "not a methodResponse");
		goto out;
	}
	if ((n = child(root, "fault"))) {
		v = member(child(n, "value"), "faultString");
		if (v) {
			text = value_text(v);
			put_words(message, text);
		}
		*result = PING_RPC_FAULT;
		rc = 0;
		goto out;
	}
	if (!(v = child(child(child(root, "params"), "param"), "value"))) {
		buf_puts(message, "a methodResponse without params or fault");
		goto out;
	}
	/* weblogUpdates answers { flerror: boolean, message: string }; flerror true means refused. */
	if ((n = member(v, "message"))) {
		text = value_text(n);
		put_words(message, text);
		free(text);
		text = NULL;
	}
	*result = PING_RPC_OK;
	if ((n = member(v, "flerror"))) {
		text = value_text(n);
		if (is_true(text))
			*result = PING_RPC_REFUSED;
	}
	rc = 0;
out:
	free(text);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- retries ---- */

int
ping_parse_retry_after(long *seconds, const char *value, int64_t now)
{
	const char *p = value;
	char *end;
	long n;
	time_t t;

	*seconds = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '0' && *p <= '9') {
		/* delay-seconds = 1*DIGIT */
		errno = 0;
		n = strtol(p, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (errno || *end)
			return -1;
		*seconds = n;
		return 0;
	}
	/* An HTTP-date: IMF-fixdate, or the obsolete RFC 850 and asctime forms recipients must read. */
	if (!*p || (t = curl_getdate(p, NULL)) == -1)
		return -1;
	*seconds = (int64_t)t > now ? (long)((int64_t)t - now) : 0;
	return 0;
}

int64_t
ping_hold_until(int64_t now, long seconds)
{
	return now + (seconds > PING_MAX_HOLD ? PING_MAX_HOLD : seconds < 0 ? 0 : seconds);
}

long
ping_backoff_ms(unsigned retry, uint32_t random)
{
	long delay = BACKOFF_FIRST_MS;

	for (unsigned i = 1; i < retry && delay < BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	return delay / 2 + (long)((double)(delay / 2) * ((double)random / (double)UINT32_MAX));
}

/* ---- files ---- */

/* Reads at most cap bytes of path into out. -1 with errno set (EFBIG when larger). */
static int
read_file(struct buf *out, const char *path, size_t cap)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int rc = -1, saved;

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (out->len + (size_t)n > cap) {
			errno = EFBIG;
			goto out;
		}
		if (buf_add(out, chunk, (size_t)n) < 0)
			goto out;
	}
	rc = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Temporary file, fsync, rename, fsync of the folder (STYLE: writing output). */
static int
write_atomically(const char *path, const struct buf *data, struct diag *d)
{
	struct buf tmp = BUF_INIT, dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	FILE *f;
	int fd, written, rc = -1;

	if (slash)
		buf_add(&dir, path, (size_t)(slash - path));
	else
		buf_putc(&dir, '.');
	if (mkdir(dir.ptr, 0777) < 0 && errno != EEXIST) {
		diag_error(d, dir.ptr, 0, 0, "cannot create the folder: %s", strerror(errno));
		goto out;
	}
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	/* A leftover of a killed run with the same process id; "x" then refuses links and races. */
	unlink(tmp.ptr);
	if (!(f = fopen(tmp.ptr, "wbx"))) {
		diag_error(d, tmp.ptr, 0, 0, "cannot create: %s", strerror(errno));
		goto out;
	}
	written = fwrite(data->ptr, 1, data->len, f) == data->len && fflush(f) == 0 &&
		  fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !written) {
		diag_error(d, tmp.ptr, 0, 0, "cannot write: %s", strerror(errno));
		unlink(tmp.ptr);
		goto out;
	}
	if (rename(tmp.ptr, path) < 0) {
		diag_error(d, path, 0, 0, "cannot replace: %s", strerror(errno));
		unlink(tmp.ptr);
		goto out;
	}
	if ((fd = open(dir.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	rc = 0;
out:
	buf_release(&tmp);
	buf_release(&dir);
	return rc;
}

/*
 * Two runs at once (two quick pushes, a timer and a push) would read the same state and both
 * send every ping. The lock, next to the state file, makes the second wait: it then reads the
 * feeds and the state the first left, and sends only what is still new. Returns the descriptor
 * to close, or -1.
 */
static int
take_lock(const char *state_path, struct diag *d)
{
	const char *slash = strrchr(state_path, '/');
	char *folder = slash ? xstrndup(state_path, (size_t)(slash - state_path)) : xstrdup(".");
	struct buf file = BUF_INIT;
	int fd;

	buf_printf(&file, "%s%s", slash ? slash + 1 : state_path, PING_LOCK_SUFFIX);
	fd = lock_wait(folder, file.ptr, "ping lock", d);
	buf_release(&file);
	free(folder);
	return fd;
}

/* ---- the requests ---- */

struct feed_file {
	const char *url;          /* the feed's own URL (borrowed from the model) */
	const char *page;         /* its home page */
	char hash[41];
};

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

struct job {
	enum ping_kind kind;
	const char *endpoint;
	char *server;             /* the endpoint's scheme, host and port: its requests take turns */
	const struct feed_file *feed;
	enum job_state state;
	int ok;
	int unanswered;           /* an attempt got no answer at all (no connection, a timeout) */
	int fallback;             /* xmlrpc: now sending weblogUpdates.ping */
	unsigned attempts;
	unsigned retries_left;
	int64_t start_at;         /* monotonic ms */
	int64_t asked_wait;       /* monotonic ms its last attempt's short Retry-After ends at, or 0 */
	int64_t hold_until;       /* epoch seconds the endpoint asked to be left alone until, or 0 */
	CURL *easy;
	struct curl_slist *headers;
	struct buf body;
	struct buf response;
	int too_large;
	char errbuf[CURL_ERROR_SIZE];
	struct buf why;           /* the last failure, for the message */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
random_u32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)now_ms() * 2654435761u;
	return r;
}

static size_t
on_response(char *data, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;

	if (j->response.len + len > PING_MAX_RESPONSE) {
		j->too_large = 1;
		return 0;   /* curl stops the transfer with CURLE_WRITE_ERROR */
	}
	if (buf_add(&j->response, data, len) < 0)
		return 0;
	return len;
}

struct site_info {
	const char *title;
	const char *url;
};

/* The request body: a form for a hub, a methodCall for a ping server. */
static int
make_body(struct job *j, const struct site_info *site)
{
	buf_reset(&j->body);
	if (j->kind == PING_WEBSUB) {
		/* WebSub leaves publishing to the hub; hub.mode=publish with hub.url is what hubs take. */
		char *url = curl_easy_escape(NULL, j->feed->url, 0);
		int rc;

		if (!url)
			return -1;
		rc = buf_printf(&j->body, "hub.mode=publish&hub.url=%s", url);
		curl_free(url);
		return rc;
	}
	if (j->fallback) {
		const char *params[] = { site->title, j->feed->page };

		return ping_build_rpc_call(&j->body, "weblogUpdates.ping", params, 2);
	} else {
		const char *params[] = { site->title, site->url, j->feed->page, j->feed->url };

		return ping_build_rpc_call(&j->body, "weblogUpdates.extendedPing", params, 4);
	}
}

static int
setup(struct job *j, long timeout)
{
	CURL *e = curl_easy_init();

	if (!e)
		return -1;
	j->easy = e;
	j->headers = curl_slist_append(NULL, j->kind == PING_WEBSUB ?
				       "Content-Type: application/x-www-form-urlencoded" :
				       "Content-Type: text/xml");
	if (j->headers)
		j->headers = curl_slist_append(j->headers, "Expect:");
	if (!j->headers ||
	    curl_easy_setopt(e, CURLOPT_URL, j->endpoint) != CURLE_OK ||
	    /* Only http and https, for redirects too: no file:, no other scheme (ping.h). */
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS) != CURLE_OK ||
	    /*
	     * A 301 or 302 redirect moved the endpoint: the POST goes on as a POST there (RFC 9110
	     * 15.4.2 and 15.4.3 let user agents change it to GET, which would lose the ping). A 303
	     * says the request was handled and points to its result (15.4.4): that is fetched with
	     * GET, never sent the ping again.
	     */
	    curl_easy_setopt(e, CURLOPT_POSTREDIR, (long)(CURL_REDIR_POST_301 | CURL_REDIR_POST_302)) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout * 1000) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout * 1000) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PING_MAX_RESPONSE) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, j) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, j) != CURLE_OK)
		return -1;
	return 0;
}

static int
start(struct job *j, CURLM *multi)
{
	buf_reset(&j->response);
	j->too_large = 0;
	j->errbuf[0] = '\0';
	j->attempts++;
	if (curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body.len) != CURLE_OK ||
	    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body.ptr) != CURLE_OK ||
	    curl_multi_add_handle(multi, j->easy) != CURLM_OK)
		return -1;
	j->state = JOB_RUNNING;
	return 0;
}

/* Connection errors and timeouts are worth another attempt; a refused scheme or certificate is not. */
static int
transient(CURLcode res)
{
	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Retry-After of the last response, in seconds, or -1 when absent or unreadable. */
static long
retry_after(CURL *e)
{
	struct curl_header *h;
	long s;

	if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
	    ping_parse_retry_after(&s, h->value, (int64_t)time(NULL)) < 0)
		return -1;
	return s;
}

/* Whether the response says it is plain text (text/plain, any parameters). */
static int
is_plain_text(CURL *easy)
{
	const char *type = NULL;

	return curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type &&
	       strncasecmp(type, "text/plain", 10) == 0 && (type[10] == '\0' || type[10] == ';' ||
							      type[10] == ' ');
}

/* Decides what follows a finished attempt: done, a retry later, or the fallback call at once. */
static void
finish(struct job *j, CURLcode res, const struct site_info *site)
{
	long status = 0, wait_s = -1;
	int retry = 0;
	enum ping_rpc_result result;
	struct buf words = BUF_INIT;

	buf_reset(&j->why);
	j->asked_wait = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	/* An error page past the cap was cut short, but its status says all that matters. */
	if (res != CURLE_OK && !(j->too_large && status >= 400)) {
		if (j->too_large || res == CURLE_FILESIZE_EXCEEDED)
			buf_printf(&j->why, "response larger than %zu bytes", PING_MAX_RESPONSE);
		else
			buf_printf(&j->why, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(res));
		retry = transient(res);
		j->unanswered = j->unanswered || (retry && status == 0);
	} else if (status >= 200 && status < 300) {
		if (j->kind == PING_WEBSUB) {
			j->ok = 1;
		} else if (ping_parse_rpc_response(&result, &words, j->response.ptr ? j->response.ptr : "",
						   j->response.len) < 0) {
			buf_printf(&j->why, "HTTP %ld but not an XML-RPC response: %s", status, words.ptr);
		} else if (result == PING_RPC_OK) {
			j->ok = 1;
		} else if (result == PING_RPC_FAULT && !j->fallback) {
			/* Servers that only know the original call fault on extendedPing: fall back once. */
			j->fallback = 1;
			if (make_body(j, site) < 0) {
				buf_puts(&j->why, "cannot build the weblogUpdates.ping call");
			} else {
				j->state = JOB_WAITING;
				j->start_at = now_ms();
				goto out;
			}
		} else {
			buf_printf(&j->why, "%s: '%s'", result == PING_RPC_FAULT ? "XML-RPC fault" :
				   "the server refused the ping", words.ptr ? words.ptr : "");
		}
	} else {
		buf_printf(&j->why, "HTTP %ld", status);
		/* A hub's reason ("topic not allowed") tells the host what to fix; an HTML page would not. */
		if (is_plain_text(j->easy) && j->response.len) {
			put_words(&words, j->response.ptr);
			if (words.len)
				buf_printf(&j->why, ": '%s'", words.ptr);
		}
		/* RFC 6585 section 4 (429) and RFC 9110 section 15.6 (5xx) invite a later retry. */
		if (status == 429 || status >= 500) {
			retry = 1;
			wait_s = retry_after(j->easy);
			if (wait_s >= 0 && wait_s <= PING_MAX_RETRY_AFTER)
				j->asked_wait = now_ms() + wait_s * 1000;
			if (wait_s > PING_MAX_RETRY_AFTER) {
				/* Too long to wait in this run: the state remembers it for the next ones. */
				j->hold_until = ping_hold_until((int64_t)time(NULL), wait_s);
				buf_printf(&j->why, " (Retry-After %ld s%s: not pinged again before ", wait_s,
					   wait_s > PING_MAX_HOLD ? ", more than the day threatfeed waits at most" :
					   "");
				date_format_utc(&j->why, j->hold_until);
				buf_putc(&j->why, ')');
				retry = 0;
			}
		}
	}
	if (j->ok) {
		j->state = JOB_DONE;
	} else if (retry && j->retries_left > 0) {
		j->retries_left--;
		j->state = JOB_WAITING;
		j->start_at = now_ms() + (wait_s >= 0 ? wait_s * 1000 :
					  ping_backoff_ms(j->attempts, random_u32()));
	} else {
		j->state = JOB_DONE;
	}
out:
	buf_release(&words);
}

static void
describe(FILE *out, const struct job *j, const struct site_info *site)
{
	if (j->kind == PING_WEBSUB) {
		fprintf(out, "would POST %s (websub): %s\n", j->endpoint, j->body.ptr);
		return;
	}
	fprintf(out, "would POST %s (xmlrpc): weblogUpdates.extendedPing(\"%s\", \"%s\", \"%s\", \"%s\")\n",
		j->endpoint, site->title, site->url, j->feed->page, j->feed->url);
}

/* Whether two requests go to one endpoint (one address may be both a hub and an XML-RPC server). */
static int
same_endpoint(const struct job *a, const struct job *b)
{
	return a->kind == b->kind && strcmp(a->endpoint, b->endpoint) == 0;
}

/*
 * Ends a waiting request, failed, because its endpoint asked to be left alone until then; what
 * its last attempt got, if anything, is still said.
 */
static void
end_held(struct job *k, int64_t until)
{
	k->state = JOB_DONE;
	k->hold_until = until;
	if (k->why.len)
		buf_puts(&k->why, "; ");
	buf_puts(&k->why, "not retried: the endpoint asked to be left alone until ");
	date_format_utc(&k->why, until);
}

/*
 * After a request to j's endpoint ended, its waiting requests (j too, when it would go again: a
 * retry, or XML-RPC's fallback call) heed what the endpoint asked of any of them in this run. A
 * long Retry-After (a hold) ends them, failed, held as long; a short one (a 429's pause) makes
 * them wait for its end. Returns how many it ended.
 */
static size_t
settle_endpoint(struct job *jobs, size_t n, const struct job *j)
{
	int64_t until = 0, pause = 0;
	size_t ended = 0;

	for (size_t i = 0; i < n; i++) {
		if (!same_endpoint(&jobs[i], j))
			continue;
		if (jobs[i].hold_until > until)
			until = jobs[i].hold_until;
		if (jobs[i].asked_wait > pause)
			pause = jobs[i].asked_wait;
	}
	for (size_t i = 0; i < n; i++) {
		struct job *k = &jobs[i];

		if (k->state != JOB_WAITING || !same_endpoint(k, j))
			continue;
		if (until) {
			end_held(k, until);
			ended++;
		} else if (k->start_at < pause) {
			k->start_at = pause;
		}
	}
	return ended;
}

/*
 * Whether j's server already has PING_SERVER_CONNECTIONS requests of this run open. A server that
 * left a request unanswered (down, or a firewall dropping the connection) takes no more turns:
 * its requests would each wait out a timeout in turn, and a post-receive hook (the push) with
 * them, for minutes instead of one timeout.
 */
static int
server_busy(const struct job *jobs, size_t n, const struct job *j)
{
	size_t open = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(jobs[i].server, j->server) == 0 && jobs[i].unanswered)
			return 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].state == JOB_RUNNING && strcmp(jobs[i].server, j->server) == 0 &&
		    ++open >= PING_SERVER_CONNECTIONS)
			return 1;
	return 0;
}

/*
 * Runs every job to its end, in parallel: a slow endpoint delays no other, and the requests to one
 * server take turns, PING_SERVER_CONNECTIONS at a time. The turns are kept here rather than by
 * libcurl's CURLMOPT_MAX_HOST_CONNECTIONS, whose queued requests spend their timeout waiting.
 */
static int
run_jobs(struct job *jobs, size_t n, const struct site_info *site, struct diag *d)
{
	CURLM *multi = curl_multi_init();
	size_t done = 0;
	int rc = -1;

	if (!multi)
		return diag_error(d, NULL, 0, 0, "cannot start libcurl");
	while (done < n) {
		int64_t now = now_ms(), next = -1;
		int running, left, ended = 0;
		CURLMsg *msg;
		long timeout;

		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];

			if (j->state != JOB_WAITING)
				continue;
			if (j->start_at <= now) {
				/* Its turn comes when a request to its server ends ('ended' below). */
				if (server_busy(jobs, n, j))
					continue;
				if (start(j, multi) < 0) {
					diag_error(d, j->endpoint, 0, 0, "cannot start a request with libcurl");
					goto out;
				}
			} else if (next < 0 || j->start_at < next) {
				next = j->start_at;
			}
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			diag_error(d, NULL, 0, 0, "libcurl failed to run the requests");
			goto out;
		}
		while ((msg = curl_multi_info_read(multi, &left))) {
			char *priv = NULL;
			struct job *j;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			j = (struct job *)(void *)priv;
			curl_multi_remove_handle(multi, msg->easy_handle);
			finish(j, msg->data.result, site);
			ended = 1;
			if (j->state == JOB_DONE)
				done++;
			done += settle_endpoint(jobs, n, j);
			if (j->state == JOB_WAITING && (next < 0 || j->start_at < next))
				next = j->start_at;
		}
		if (done == n)
			break;
		timeout = 1000;
		if (ended) {
			timeout = 0; /* a request waiting for its server's turn may start now */
		} else if (next >= 0) {
			now = now_ms();
			timeout = next <= now ? 0 : next - now < 1000 ? (long)(next - now) : 1000;
		}
		if (curl_multi_poll(multi, NULL, 0, (int)timeout, NULL) != CURLM_OK) {
			diag_error(d, NULL, 0, 0, "libcurl failed to wait for the requests");
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		if (jobs[i].state == JOB_RUNNING)
			curl_multi_remove_handle(multi, jobs[i].easy);
	curl_multi_cleanup(multi);
	return rc;
}

/* ---- the whole run ---- */

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The feed files of the site: atom.xml, rss.xml and feed.json of every FEED of the model. */
static int
load_feeds(struct feed_file **out, size_t *count, const json_t *model, const char *site_dir,
	   struct diag *d)
{
	static const char *const files[] = { "atom.xml", "rss.xml", "feed.json" };
	static const char *const keys[] = { "atom_url", "rss_url", "json_url" };
	const json_t *feeds = json_object_get(model, "feeds");
	struct feed_file *list = NULL;
	struct buf path = BUF_INIT, bytes = BUF_INIT;
	size_t n = 0, i;
	json_t *f;
	int rc = -1;

	json_array_foreach(feeds, i, f) {
		for (size_t k = 0; k < 3; k++) {
			struct feed_file *ff;

			buf_reset(&path);
			buf_reset(&bytes);
			buf_printf(&path, "%s%s%s%s", site_dir,
				   site_dir[0] && site_dir[strlen(site_dir) - 1] != '/' ? "/" : "",
				   str(f, "dir"), files[k]);
			if (read_file(&bytes, path.ptr, MAX_FEED_FILE) < 0) {
				diag_error(d, path.ptr, 0, 0, "cannot read the feed: %s (build the site first)",
					   strerror(errno));
				goto out;
			}
			list = xreallocarray(list, n + 1, sizeof(*list));
			ff = &list[n++];
			ff->url = str(f, keys[k]);
			ff->page = str(f, "home_url");
			if (repo_hash_bytes(ff->hash, bytes.ptr ? bytes.ptr : "", bytes.len) < 0) {
				diag_error(d, path.ptr, 0, 0, "cannot hash the feed");
				goto out;
			}
		}
	}
	rc = 0;
out:
	buf_release(&path);
	buf_release(&bytes);
	if (rc < 0) {
		free(list);
		list = NULL;
		n = 0;
	}
	*out = list;
	*count = n;
	return rc;
}

static int
load_state(struct ping_state *state, const char *path, struct diag *d)
{
	struct buf data = BUF_INIT;
	int rc = 0;

	memset(state, 0, sizeof(*state));
	if (read_file(&data, path, MAX_STATE_FILE) < 0) {
		if (errno != ENOENT)
			rc = diag_error(d, path, 0, 0, "cannot read the ping state: %s", strerror(errno));
		goto out;
	}
	/* A damaged line only means pinging that pair again: warn and go on. */
	ping_state_parse(state, path, data.ptr ? data.ptr : "", data.len, d);
out:
	buf_release(&data);
	return rc;
}

/* Whether the endpoint has yet to hear about the feed's bytes. */
static int
to_send(const struct ping_state *state, enum ping_kind kind, const char *endpoint,
	const struct feed_file *feed)
{
	const struct ping_record *r = ping_state_find(state, kind, endpoint, feed->url);

	/* Unchanged bytes already told to this endpoint: nothing to send (ping.h). */
	return !(r && r->ok && strcmp(r->hash, feed->hash) == 0);
}

/* The time before which nothing is sent to the endpoint, or 0 when it may be pinged now. */
static int64_t
held_until(const struct ping_state *state, enum ping_kind kind, const char *endpoint, int64_t now)
{
	const struct ping_hold *h = ping_state_hold(state, kind, endpoint);

	return h && h->until > now ? h->until : 0;
}

/*
 * "scheme://host:port" of an endpoint, the default port made explicit so that two spellings of
 * one server are one. An address libcurl cannot parse is its own server (the request then fails
 * with libcurl's own message).
 */
static char *
server_of(const char *endpoint)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *server = NULL;
	struct buf b = BUF_INIT;

	if (u && curl_url_set(u, CURLUPART_URL, endpoint, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    buf_printf(&b, "%s://%s:%s", scheme, host, port) == 0)
		server = buf_detach(&b, NULL);
	buf_release(&b);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return server ? server : xstrdup(endpoint);
}

static void
add_jobs(struct job **jobs, size_t *n, enum ping_kind kind, char *const *endpoints, size_t nendpoints,
	 const struct feed_file *feeds, size_t nfeeds, const struct ping_state *state, long retries,
	 int64_t now)
{
	for (size_t e = 0; e < nendpoints; e++) {
		char *server;

		if (held_until(state, kind, endpoints[e], now))
			continue;
		server = server_of(endpoints[e]);
		for (size_t f = 0; f < nfeeds; f++) {
			struct job *j;

			if (!to_send(state, kind, endpoints[e], &feeds[f]))
				continue;
			*jobs = xreallocarray(*jobs, *n + 1, sizeof(**jobs));
			j = &(*jobs)[(*n)++];
			memset(j, 0, sizeof(*j));
			j->kind = kind;
			j->endpoint = endpoints[e];
			j->server = xstrdup(server);
			j->feed = &feeds[f];
			j->retries_left = (unsigned)retries;
			j->state = JOB_WAITING;
		}
		free(server);
	}
}

/* Says, as an error, that an endpoint's held pings were not sent and wait for a later run. */
static void
say_held(struct diag *d, const char *endpoint, int64_t until, size_t held)
{
	struct buf when = BUF_INIT;

	date_format_utc(&when, until);
	diag_error(d, endpoint, 0, 0, "asked (Retry-After) to be left alone until %s: %zu %s not sent, "
		   "kept for the first run after then", when.ptr, held, held == 1 ? "ping" : "pings");
	buf_release(&when);
}

/*
 * Reports each endpoint left alone at its request, with how many pings wait for it (through d,
 * or on out for a dry run). Returns how many pings were held back.
 */
static size_t
report_holds(const struct config *cfg, const struct feed_file *feeds, size_t nfeeds,
	     const struct ping_state *state, int64_t now, const struct ping_options *opt,
	     struct diag *d)
{
	size_t total = 0;
	struct buf when = BUF_INIT;

	for (int kind = PING_WEBSUB; kind <= PING_XMLRPC; kind++) {
		char *const *ends = kind == PING_WEBSUB ? cfg->websub : cfg->xmlrpc;
		size_t nends = kind == PING_WEBSUB ? cfg->nwebsub : cfg->nxmlrpc;

		for (size_t e = 0; e < nends; e++) {
			int64_t until = held_until(state, (enum ping_kind)kind, ends[e], now);
			size_t held = 0;

			if (!until)
				continue;
			for (size_t f = 0; f < nfeeds; f++)
				held += (size_t)to_send(state, (enum ping_kind)kind, ends[e], &feeds[f]);
			if (!held)
				continue;
			total += held;
			if (!opt->dry_run) {
				say_held(d, ends[e], until, held);
				continue;
			}
			buf_reset(&when);
			date_format_utc(&when, until);
			fprintf(opt->out, "would not POST %s (%s): it asked to be left alone until %s; %zu "
				"pings wait for then\n", ends[e], kind_names[kind], when.ptr, held);
		}
	}
	buf_release(&when);
	return total;
}

/*
 * Reports the requests of this run that were never sent, as their server's turn came only after
 * the endpoint had asked to be left alone: once for each endpoint, as a later run says it
 * (report_holds). Returns how many there were.
 */
static size_t
report_unsent(const struct job *jobs, size_t n, struct diag *d)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		size_t held = 0, k;
		int64_t until = 0;

		if (jobs[i].attempts)
			continue;
		for (k = 0; k < i; k++)
			if (!jobs[k].attempts && same_endpoint(&jobs[k], &jobs[i]))
				break;
		if (k < i)
			continue; /* said with the endpoint's first */
		/* Its requests not sent, and the latest hold any of its requests got, as the state keeps. */
		for (k = 0; k < n; k++) {
			if (!same_endpoint(&jobs[k], &jobs[i]))
				continue;
			held += !jobs[k].attempts;
			if (jobs[k].hold_until > until)
				until = jobs[k].hold_until;
		}
		say_held(d, jobs[i].endpoint, until, held);
		total += held;
	}
	return total;
}

/*
 * The new state: this run's outcomes, the other current pairs as they were, the holds that have
 * not passed, nothing stale. A held endpoint's pairs stay as they were: still to be sent, as do
 * those of this run's requests that were never sent.
 */
static void
next_state(struct ping_state *out, const struct ping_state *old, const struct config *cfg,
	   const struct feed_file *feeds, size_t nfeeds, const struct job *jobs, size_t njobs,
	   int64_t now)
{
	memset(out, 0, sizeof(*out));
	for (int kind = PING_WEBSUB; kind <= PING_XMLRPC; kind++) {
		char *const *ends = kind == PING_WEBSUB ? cfg->websub : cfg->xmlrpc;
		size_t nends = kind == PING_WEBSUB ? cfg->nwebsub : cfg->nxmlrpc;

		for (size_t e = 0; e < nends; e++) {
			int64_t until = held_until(old, (enum ping_kind)kind, ends[e], now);

			for (size_t f = 0; f < nfeeds; f++) {
				const struct ping_record *r =
					ping_state_find(old, (enum ping_kind)kind, ends[e], feeds[f].url);

				if (r)
					ping_state_set(out, r->kind, r->endpoint, r->feed, r->hash, r->ok);
			}
			if (until)
				ping_state_set_hold(out, (enum ping_kind)kind, ends[e], until);
		}
	}
	for (size_t i = 0; i < njobs; i++) {
		/* A request never sent (report_unsent) leaves its pair as it was: still to be sent. */
		if (jobs[i].attempts)
			ping_state_set(out, jobs[i].kind, jobs[i].endpoint, jobs[i].feed->url,
				       jobs[i].feed->hash, jobs[i].ok);
		if (jobs[i].hold_until)
			ping_state_set_hold(out, jobs[i].kind, jobs[i].endpoint, jobs[i].hold_until);
	}
}

/*
 * A hold longer than PING_MAX_HOLD from now (the clock went back, or the file was edited) is
 * shortened to it, so that nothing silences an endpoint for longer.
 */
static void
cap_holds(struct ping_state *state, int64_t now)
{
	for (size_t i = 0; i < state->nholds; i++)
		if (state->holds[i].until > now + PING_MAX_HOLD)
			state->holds[i].until = now + PING_MAX_HOLD;
}

int
ping_site(const json_t *model, const struct config *cfg, const struct ping_options *opt,
	  struct diag *d)
{
	struct site_info site = { cfg->title, cfg->url };
	struct feed_file *feeds = NULL;
	struct job *jobs = NULL;
	struct ping_state state = { 0 }, next = { 0 };
	struct buf text = BUF_INIT;
	size_t nfeeds = 0, njobs = 0, failed = 0, changed = 0, held = 0, unsent = 0;
	int curl_up = 0, lock = -1, rc = -1;
	/* The wall clock, for holds: they are times a hub named, kept from one run to the next. */
	int64_t now = (int64_t)time(NULL);

	if (cfg->nwebsub + cfg->nxmlrpc == 0) {
		if (!opt->quiet)
			fprintf(opt->out, "ping: no [ping] websub or xmlrpc endpoint set; nothing sent\n");
		return 0;
	}
	/* A dry run changes nothing and need not wait. */
	if (!opt->dry_run && (lock = take_lock(opt->state_path, d)) < 0)
		goto out;
	if (load_feeds(&feeds, &nfeeds, model, opt->site_dir, d) < 0 ||
	    load_state(&state, opt->state_path, d) < 0)
		goto out;
	cap_holds(&state, now);
	add_jobs(&jobs, &njobs, PING_WEBSUB, cfg->websub, cfg->nwebsub, feeds, nfeeds, &state,
		 cfg->ping_retries, now);
	add_jobs(&jobs, &njobs, PING_XMLRPC, cfg->xmlrpc, cfg->nxmlrpc, feeds, nfeeds, &state,
		 cfg->ping_retries, now);
	held = report_holds(cfg, feeds, nfeeds, &state, now, opt, d);
	if (njobs == 0) {
		if (!opt->quiet && held)
			fprintf(opt->out, "ping: %zu requests held back at the endpoints' request; nothing "
				"sent\n", held);
		else if (!opt->quiet)
			fprintf(opt->out, "ping: no feed changed since the last ping; nothing sent\n");
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < njobs; i++)
		if (make_body(&jobs[i], &site) < 0) {
			diag_error(d, jobs[i].endpoint, 0, 0, "cannot build the request for '%s'",
				   jobs[i].feed->url);
			goto out;
		}
	if (opt->dry_run) {
		for (size_t i = 0; i < njobs; i++)
			describe(opt->out, &jobs[i], &site);
		fprintf(opt->out, "ping: dry run, %zu requests not sent\n", njobs);
		rc = 0;
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		diag_error(d, NULL, 0, 0, "cannot initialise libcurl");
		goto out;
	}
	curl_up = 1;
	for (size_t i = 0; i < njobs; i++)
		if (setup(&jobs[i], cfg->ping_timeout) < 0) {
			diag_error(d, jobs[i].endpoint, 0, 0, "cannot set up a request with libcurl");
			goto out;
		}
	/* From here on requests may have gone out: problems are counted in d, not a refusal. */
	rc = 0;
	if (run_jobs(jobs, njobs, &site, d) < 0)
		goto out;
	unsent = report_unsent(jobs, njobs, d);
	held += unsent;
	for (size_t i = 0; i < njobs; i++) {
		const struct job *j = &jobs[i];

		if (j->ok || !j->attempts)
			continue;
		failed++;
		diag_error(d, j->endpoint, 0, 0, "%s for '%s' failed: %s (%u %s)",
			   j->kind == PING_WEBSUB ? "WebSub publish" :
			   j->fallback ? "weblogUpdates.ping" : "weblogUpdates.extendedPing",
			   j->feed->url, j->why.ptr ? j->why.ptr : "unknown error", j->attempts,
			   j->attempts == 1 ? "attempt" : "attempts");
	}
	for (size_t f = 0; f < nfeeds; f++)
		for (size_t i = 0; i < njobs; i++)
			if (jobs[i].feed == &feeds[f]) {
				changed++;
				break;
			}
	next_state(&next, &state, cfg, feeds, nfeeds, jobs, njobs, now);
	if (ping_state_format(&text, &next) < 0)
		diag_error(d, opt->state_path, 0, 0, "cannot record an endpoint or feed URL");
	else
		write_atomically(opt->state_path, &text, d);
	if (!opt->quiet && held)
		fprintf(opt->out, "ping: %zu requests about %zu changed feeds, %zu failed, %zu held back\n",
			njobs - unsent, changed, failed, held);
	else if (!opt->quiet)
		fprintf(opt->out, "ping: %zu requests about %zu changed feeds, %zu failed\n", njobs,
			changed, failed);
out:
	for (size_t i = 0; i < njobs; i++) {
		curl_easy_cleanup(jobs[i].easy);
		curl_slist_free_all(jobs[i].headers);
		buf_release(&jobs[i].body);
		buf_release(&jobs[i].response);
		buf_release(&jobs[i].why);
		free(jobs[i].server);
	}
	free(jobs);
	if (curl_up)
		curl_global_cleanup();
	buf_release(&text);
	ping_state_release(&next);
	ping_state_release(&state);
	free(feeds);
	if (lock >= 0)
		close(lock);
	return rc;
}
