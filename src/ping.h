/*
 * ping: tells WebSub hubs and weblogUpdates ping servers that feeds changed. The only file that
 * includes <curl/curl.h>.
 *
 * Readers pull the feeds; a ping only shortens the time until they see a change. For each feed of
 * the site (model["feeds"]: atom.xml, rss.xml and feed.json of the root and of every scope) whose
 * bytes in the site folder differ from what each endpoint was last told successfully, it sends
 *   - to every [ping] websub hub: POST hub.mode=publish&hub.url=<feed URL>, form-encoded;
 *   - to every [ping] xmlrpc server: weblogUpdates.extendedPing(site title, site URL, page URL,
 *     feed URL), and weblogUpdates.ping(site title, page URL) when the server faults on it.
 * A ping carries public URLs and the site title, nothing else (invariant 2).
 *
 * Requests run in parallel (curl multi), those to one server (scheme, host, port) two at a time
 * until one gets no answer at all. Each attempt is bounded by ping.timeout; connection errors,
 * timeouts, HTTP 5xx and 429 are retried ping.retries times with exponential backoff and jitter (a
 * 429's or 503's Retry-After of up to PING_MAX_RETRY_AFTER is waited for in the run, by every
 * request to that endpoint); any other failure is final. A longer Retry-After ends the endpoint's
 * requests for this run and is remembered in the state: until then a run sends nothing to that
 * endpoint, says until when on the diagnostics (an error, so the exit status is a partial ping
 * failure), and keeps its feeds as still to be sent; the first run after that time sends them. Only
 * http and https are allowed, redirects included; certificates are verified; responses are capped
 * (an error page cut at the cap is still its status). A failure's message gives the status and,
 * when the answer is plain text, its words ("HTTP 404: 'no such hub'").
 *
 * What was last pinged, per endpoint and feed, lives in "<git dir>/threatfeed/ping-state" (never
 * in the site folder, never committed), replaced atomically. A pair that failed is recorded as
 * failed and tried again on the next run even when its feed did not change. A run that sends
 * holds an exclusive lock, the state file's name plus PING_LOCK_SUFFIX, from before it reads the
 * feeds until the state is written: two runs at once take turns, and the second sends only what
 * the first did not.
 */
#ifndef THREATFEED_PING_H
#define THREATFEED_PING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "util.h"

#define PING_STATE_FILE "threatfeed/ping-state"   /* under the Git folder */
#define PING_LOCK_SUFFIX ".lock"                  /* the lock is the state file's name plus this */
#define PING_MAX_RESPONSE ((size_t)64 << 10)      /* bytes kept or read of any response */
#define PING_MAX_RETRY_AFTER 60                   /* seconds; a longer Retry-After ends the run's
						     tries at that endpoint and is remembered */
/*
 * Seconds; the longest Retry-After remembered. A hub that asks for a year (a typo, a broken
 * proxy) must not silence it for a year: a day is long enough for a hub's maintenance, and short
 * enough that a wrong answer costs a day of slower updates at most, with readers still polling.
 */
#define PING_MAX_HOLD (24L * 60 * 60)

struct ping_options {
	const char *site_dir;     /* where the feed files are read */
	const char *state_path;   /* the state file; its folder is created when missing */
	int dry_run;              /* print what would be sent on out; send nothing, keep the state,
				     take no lock */
	int quiet;                /* no summary line on out */
	FILE *out;                /* stdout in the program */
};

/*
 * Pings every endpoint of cfg about the changed feeds of model (see model.h). Returns -1, having
 * sent nothing, when the feeds or the state cannot be read (reported through d). Otherwise
 * returns 0 once every request has finished: each endpoint that still failed after its retries is
 * reported through d as an error ("threatfeed: ENDPOINT: ..."), so d->errors counts them.
 */
int ping_site(const json_t *model, const struct config *cfg, const struct ping_options *opt,
	      struct diag *d);

/*
 * The state file, one line per endpoint and feed (tab-separated, after a "#" comment line):
 *   ok|failed  HASH  websub|xmlrpc  ENDPOINT-URL  FEED-URL
 * HASH is the Git blob id of the feed's bytes last sent (hex); a request never sent (its endpoint
 * asked to be left alone first) leaves its line as it was. Then one line per endpoint that
 * asked, with a Retry-After, to be left alone:
 *   wait  UNTIL  websub|xmlrpc  ENDPOINT-URL
 * UNTIL is an RFC 3339 UTC time ("2026-11-27T19:00:00Z"). Files written before holds existed
 * have no such line and read as they did; a program that predates them warns about the line and
 * ignores it, which only means pinging that endpoint.
 */
enum ping_kind { PING_WEBSUB, PING_XMLRPC };

struct ping_record {
	int ok;                   /* 0: the last attempt failed; ping again whatever the hash */
	char hash[65];
	enum ping_kind kind;
	char *endpoint;
	char *feed;
};

struct ping_hold {
	enum ping_kind kind;
	char *endpoint;
	int64_t until;            /* epoch seconds: nothing is sent to the endpoint before this */
};

struct ping_state {
	struct ping_record *items;
	size_t count;
	struct ping_hold *holds;
	size_t nholds;
};

/*
 * Parses data[0..len). A malformed line is reported through d as a warning (path:line: it only
 * means pinging that pair again) and makes it return -1;
 * the well-formed lines are kept in *out either way. Release with ping_state_release.
 */
int ping_state_parse(struct ping_state *out, const char *path, const char *data, size_t len,
		     struct diag *d);
/* Appends the file's text to out; -1 if a URL holds a tab, a newline or a control character. */
int ping_state_format(struct buf *out, const struct ping_state *s);
/* The record for (kind, endpoint, feed), or NULL. */
struct ping_record *ping_state_find(const struct ping_state *s, enum ping_kind kind,
				    const char *endpoint, const char *feed);
/* Adds or replaces the record for (kind, endpoint, feed) (strings are copied). */
void ping_state_set(struct ping_state *s, enum ping_kind kind, const char *endpoint,
		    const char *feed, const char *hash, int ok);
/* The hold of (kind, endpoint), or NULL; it may have passed: compare its until with the time. */
struct ping_hold *ping_state_hold(const struct ping_state *s, enum ping_kind kind,
				  const char *endpoint);
/* Holds (kind, endpoint) until `until`, or keeps its hold if that ends later (endpoint copied). */
void ping_state_set_hold(struct ping_state *s, enum ping_kind kind, const char *endpoint,
			 int64_t until);
void ping_state_release(struct ping_state *s);

/*
 * An XML-RPC methodResponse (XML-RPC specification, "Response format"): PING_RPC_OK for a response
 * whose struct has no true "flerror", PING_RPC_REFUSED when flerror is true (the server answered
 * but declined), PING_RPC_FAULT for a <fault>. *message gets the server's "message" or
 * "faultString" (may be empty). Returns -1 with *message set to the reason when data is not a
 * methodResponse (not XML, a DTD, another root).
 */
enum ping_rpc_result { PING_RPC_OK, PING_RPC_REFUSED, PING_RPC_FAULT };
int ping_parse_rpc_response(enum ping_rpc_result *result, struct buf *message, const char *data,
			    size_t len);

/* The methodCall for method with string params (built with libxml2's writer). -1 on failure. */
int ping_build_rpc_call(struct buf *out, const char *method, const char *const *params, size_t n);

/*
 * Retry-After (RFC 9110, section 10.2.3): delay-seconds or an HTTP-date, relative to now (epoch
 * seconds). *seconds gets the delay (0 for a date in the past). -1 for anything else.
 */
int ping_parse_retry_after(long *seconds, const char *value, int64_t now);

/* Until when an endpoint that answered "Retry-After: seconds" at now is left: PING_MAX_HOLD at most. */
int64_t ping_hold_until(int64_t now, long seconds);

/*
 * Delay before retry number `retry` (1 for the first retry): 500 ms doubled at each retry, capped at
 * 30 s, then "equal jitter": half of it fixed, the other half scaled by random (0..UINT32_MAX), so
 * endpoints that failed together do not retry in lockstep.
 */
long ping_backoff_ms(unsigned retry, uint32_t random);

#endif
