#!/usr/bin/env bash
# End-to-end tests of the pinger (issue 4) against real servers on 127.0.0.1 that this script
# starts (tests/ping/server.py): a WebSub hub that records every request, Python's own
# xmlrpc.server answering weblogUpdates calls, and misbehaving peers (connection refused, never
# answering, 500 then success, 429 with Retry-After, a redirect to file:, a 303 See Other, an
# endless body, 404).
# Each test checks the exact requests received, the exit status, stderr and the time taken.
# Settings use timeout = 1 and retries = 1 so that the worst peer fails within about 2.5 s.
. "$(dirname "$0")/lib.sh"

PYTHON=${PYTHON:-python3}
SERVER=$TESTS_DIR/ping/server.py
VERSION=$(tf --version | sed 's/^threatfeed //')
SITE_URL=https://threat.example.org/
# libcurl would send 127.0.0.1 requests to a proxy named in the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy='*' NO_PROXY='*'

server_pids=()
stop_servers() {
	local p
	for p in "${server_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${server_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
}
trap 'stop_servers; rm -rf "$TMP_ROOT"' EXIT

# start_server NAME MODE: starts a peer, waits for its port; sets ${NAME}_port, ${NAME}_log.
start_server() {
	local name=$1 mode=$2 portfile=$TMP_ROOT/$1.port i
	rm -f "$portfile"
	: >"$TMP_ROOT/$name.log"
	"$PYTHON" "$SERVER" "$mode" "$portfile" "$TMP_ROOT/$name.log" &
	server_pids+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$portfile" ] && break
		sleep 0.05
	done
	[ -s "$portfile" ] || bail "server $name ($mode) did not start"
	printf -v "${name}_port" '%s' "$(cat "$portfile")"
	printf -v "${name}_log" '%s' "$TMP_ROOT/$name.log"
}

now() { date +%s.%N; }
# elapsed START: seconds since START, to the millisecond.
elapsed() { "$PYTHON" -c 'import sys, time; print("%.3f" % (time.time() - float(sys.argv[1])))' "$1"; }
# within X LOW HIGH: LOW <= X <= HIGH (decimals).
# A wrapper (valgrind) slows the program's own start by a second or two: widen upper bounds then.
slack=0
[ -n "${TEST_WRAPPER:-}" ] && slack=3
within() { "$PYTHON" -c 'import sys; a, lo, hi, s = map(float, sys.argv[1:]); sys.exit(0 if lo <= a <= hi + s else 1)' "$@" "$slack"; }

# requests LOG: one line per request, sorted: "METHOD PATH CONTENT-TYPE USER-AGENT BODY" (the body
# of an XML-RPC call as "method(param|param...)").
requests() {
	"$PYTHON" - "$1" <<'PY'
import json, sys
lines = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    body = r["body"]
    if r.get("rpc_method"):
        body = "%s(%s)" % (r["rpc_method"], "|".join(r["rpc_params"]))
    lines.append(" ".join([r["method"], r["path"], r["content_type"], r["user_agent"], body]))
print("\n".join(sorted(lines)))
PY
}

# first_request LOG START: seconds from START to the first request in LOG.
first_request() {
	"$PYTHON" -c 'import json, sys
t = min(json.loads(l)["time"] for l in open(sys.argv[1]))
print("%.3f" % (t - float(sys.argv[2])))' "$1" "$2"
}

count() { grep -c . "$1"; }

# watched LOG: the distinct SHA-256s of the watched file seen by the requests of LOG.
watched() {
	"$PYTHON" -c 'import json, sys
print(" ".join(sorted({json.loads(l).get("watched") or "none" for l in open(sys.argv[1])})))' "$1"
}

# publish: what a hub must receive for the three feeds of the single-scope test site.
publish() {
	local ua="threatfeed/$VERSION" f
	for f in atom.xml feed.json rss.xml; do
		echo "POST / application/x-www-form-urlencoded $ua hub.mode=publish&hub.url=https%3A%2F%2Fthreat.example.org%2F$f"
	done
}

# twice: each of those requests sent twice (a retry), in the order requests() sorts them.
twice() { (publish; publish) | LC_ALL=C sort; }

# ping_repo PING-SETTINGS...: a one-scope site with the given lines in [ping]; prints its path.
ping_repo() {
	local r line
	r=$(new_repo)
	{
		printf '[site]\n\ttitle = Ping & test\n\turl = %s\n[ping]\n\ttimeout = 1\n\tretries = 1\n' "$SITE_URL"
		for line in "$@"; do printf '\t%s\n' "$line"; done
	} | put "$r" threatfeed.conf
	announcement severe 2014-08-29T14:00:00+01:00 "" 'The threat level is **SEVERE**.' |
		put "$r" content/levels/2014-08-29-severe.md
	commit "$r" "first" >/dev/null
	echo "$r"
}

# announce REPO: commits a new announcement, so every feed changes.
announce() {
	announcement substantial 2019-11-04T10:00:00Z "" 'The threat level is **SUBSTANTIAL**.' |
		put "$1" content/levels/2019-11-04-substantial.md
	commit "$1" "lowered" >/dev/null
}

# ---- discovery (WebSub section 4) ----

# The hub notes what $TMP_ROOT/watched (a link to a feed of the site) held at each request.
PING_TEST_WATCH=$TMP_ROOT/watched start_server hub hub
start_server hub2 hub
repo=$(ping_repo "websub = http://127.0.0.1:$hub_port/" "websub = http://127.0.0.1:$hub2_port/hub")
build_ok "a site with two hubs builds" -C "$repo" || bail "no site"
site=$repo/site
disc=$("$PYTHON" - "$site" <<'PY'
import json, sys, xml.etree.ElementTree as ET
site = sys.argv[1]
A = "{http://www.w3.org/2005/Atom}"
out = []
for l in ET.parse(site + "/atom.xml").getroot().findall(A + "link"):
    if l.get("rel") in ("self", "hub"):
        out.append("atom %s %s" % (l.get("rel"), l.get("href")))
for l in ET.parse(site + "/rss.xml").getroot().find("channel").findall(A + "link"):
    out.append("rss %s %s" % (l.get("rel"), l.get("href")))
j = json.load(open(site + "/feed.json"))
out.append("json feed_url %s" % j.get("feed_url"))
for h in j.get("hubs", []):
    out.append("json %s %s" % (h["type"], h["url"]))
print("\n".join(out))
PY
)
is "$disc" "atom self ${SITE_URL}atom.xml
atom hub http://127.0.0.1:$hub_port/
atom hub http://127.0.0.1:$hub2_port/hub
rss self ${SITE_URL}rss.xml
rss hub http://127.0.0.1:$hub_port/
rss hub http://127.0.0.1:$hub2_port/hub
json feed_url ${SITE_URL}feed.json
json WebSub http://127.0.0.1:$hub_port/
json WebSub http://127.0.0.1:$hub2_port/hub" "every feed advertises its hubs and its own URL"
is "$(count "$hub_log")" 0 "a build without --ping sends nothing"

# ---- build --ping: hub and XML-RPC servers, all reached in parallel ----

start_server rpc xmlrpc
start_server basic xmlrpc-basic
repo=$(ping_repo "websub = http://127.0.0.1:$hub_port/" \
	"xmlrpc = http://127.0.0.1:$rpc_port/RPC2" "xmlrpc = http://127.0.0.1:$basic_port/RPC2")
site=$repo/site
: >"$hub_log"
t0=$(now)
ln -sfn "$site/atom.xml" "$TMP_ROOT/watched"
run_tf build -C "$repo" --ping
t=$(elapsed "$t0")
is "$status" 0 "build --ping exits 0 when every endpoint answers"
is "$err" "" "nothing on stderr"
like "$out" "^ping: 9 requests about 3 changed feeds, 0 failed$" "a summary line on stdout"
is "$(requests "$hub_log")" "$(publish)" "the hub got one form-encoded publish request per feed"
ext() { echo "POST /RPC2 text/xml threatfeed/$VERSION weblogUpdates.extendedPing(Ping & test|$SITE_URL|$SITE_URL|$SITE_URL$1)"; }
is "$(requests "$rpc_log")" "$(ext atom.xml; ext feed.json; ext rss.xml)" \
	"the XML-RPC server got weblogUpdates.extendedPing(title, site, page, feed) per feed"
basic_ping="POST /RPC2 text/xml threatfeed/$VERSION weblogUpdates.ping(Ping & test|$SITE_URL)"
is "$(requests "$basic_log")" "$(ext atom.xml; ext feed.json; ext rss.xml; printf '%s\n' "$basic_ping" "$basic_ping" "$basic_ping")" \
	"a server that faults on extendedPing gets weblogUpdates.ping instead"
ok "$(within "$t" 0 3 && echo 0 || echo 1)" "all that in under 3 s ($t s)"
first=$(first_request "$hub_log" "$t0")
ok "$(within "$first" 0 2 && echo 0 || echo 1)" "the hub heard within 2 s of the start ($first s)"
is "$(watched "$hub_log")" "$(sha256sum <"$site/atom.xml" | cut -d' ' -f1)" \
	"every request arrived after the new atom.xml was in place"
state=$repo/.git/threatfeed/ping-state
is "$(grep -c '^ok	' "$state")" 9 "the state records 9 successful pairs in the Git folder"
is "$(grep -rl 'ping-state\|hub.mode' "$site" | wc -l)" 0 "nothing about pinging is in the site folder"
is "$(git -C "$repo" status --porcelain)" "" "the state is not in the work tree"

# ---- nothing changed: nothing sent ----

before=$(snapshot "$site")
cp "$state" "$TMP_ROOT/state.before"
run_tf ping -C "$repo"
is "$status" 0 "ping with nothing changed exits 0"
is "$out" "ping: no feed changed since the last ping; nothing sent" "and says so"
is "$(count "$hub_log") $(count "$rpc_log") $(count "$basic_log")" "3 3 6" "and sends nothing"
run_tf build -C "$repo" --ping -q
is "$status:$out:$err" "0::" "build --ping -q of the same commit sends nothing and prints nothing"
is "$(count "$hub_log")" 3 "still nothing sent"
same_file "$state" "$TMP_ROOT/state.before" "the state is as it was"

# ---- the content's warnings are the build's to say ----

printf -- '---\nlevel: low\ndate: 2019-11-03T10:00:00Z\ncolour: red\n---\nA key no announcement has.\n' |
	put "$repo" content/levels/2019-11-03-low.md
commit "$repo" "a warning" >/dev/null
run_tf build -C "$repo" -q
like "$err" "2019-11-03-low.md:4:1: warning: unknown key 'colour'" "the build warns about the content"
run_tf ping -C "$repo" --dry-run
is "$status:$err" "0:" "ping says nothing about it again"
git -C "$repo" rm -q content/levels/2019-11-03-low.md && commit "$repo" "no warning" >/dev/null
build_ok "... and the site builds again without it, its feeds as last pinged" -C "$repo"

# ---- --dry-run ----

announce "$repo"
build_ok "the new commit builds" -C "$repo"
before=$(snapshot "$site")
run_tf ping -C "$repo" --dry-run
is "$status" 0 "ping --dry-run exits 0"
is "$(printf '%s\n' "$out" | grep -c "^would POST http://127.0.0.1:$hub_port/ (websub): hub.mode=publish&hub.url=https%3A%2F%2Fthreat.example.org%2F")" 3 \
	"--dry-run prints the three publish requests"
like "$out" "would POST http://127.0.0.1:$rpc_port/RPC2 \\(xmlrpc\\): weblogUpdates.extendedPing\\(\"Ping & test\", \"$SITE_URL\", \"$SITE_URL\", \"${SITE_URL}atom.xml\"\\)" \
	"--dry-run prints the XML-RPC calls"
like "$out" "ping: dry run, 9 requests not sent" "and says nothing was sent"
is "$(count "$hub_log") $(count "$rpc_log") $(count "$basic_log")" "3 3 6" "--dry-run sends nothing"
same_file "$state" "$TMP_ROOT/state.before" "--dry-run keeps the state"
run_tf ping -C "$repo"
is "$status" 0 "then ping sends"
is "$(count "$hub_log") $(count "$rpc_log") $(count "$basic_log")" "6 6 12" "every endpoint heard about every changed feed"
is "$(snapshot "$site")" "$before" "pinging never touches the site folder"

# ---- requests to one server take turns, two at a time ----

# three_scopes_repo HUB...: a site of three scopes (twelve feeds) pinging each HUB, with a timeout
# of 1 s and no retry; prints its path.
three_scopes_repo() {
	local r hub
	r=$(new_repo)
	{
		printf '[site]\n\ttitle = Turns\n\turl = %s\n[ping]\n\ttimeout = 1\n\tretries = 0\n' "$SITE_URL"
		for hub in "$@"; do printf '\twebsub = %s\n' "$hub"; done
		printf '[scope "%s"]\n\ttitle = %s\n' national National wales Wales scotland Scotland
	} | put "$r" threatfeed.conf
	announcement severe 2014-08-29T14:00:00Z national 'The threat level is **SEVERE**.' |
		put "$r" content/levels/2014-08-29-severe.md
	commit "$r" "first" >/dev/null
	echo "$r"
}

# Each slow hub (half a second an answer) must see at most two connections at once, and get all
# twelve requests: each one's timeout (1 s) counts from when it is sent, not from when it began to
# wait for its turn. The two hubs are two servers (two ports), so neither waits for the other.
start_server turnsA slow
start_server turnsB slow
turns=$(three_scopes_repo "http://127.0.0.1:$turnsA_port/" "http://127.0.0.1:$turnsB_port/")
t0=$(now)
run_tf build -C "$turns" --ping
t=$(elapsed "$t0")
is "$status:$err" "0:" "build --ping to two slow hubs of three scopes exits 0, nothing on stderr"
like "$out" "^ping: 24 requests about 12 changed feeds, 0 failed$" "... every request answered in time"
# Six turns of half a second each, the next request sent as soon as one is answered.
ok "$(within "$t" 2.9 4.5 && echo 0 || echo 1)" "... in six turns, one after the other ($t s)"
most_connections() {
	"$PYTHON" -c 'import json, sys
print(max(json.loads(l)["connections"] for l in open(sys.argv[1])))' "$1"
}
for hub in turnsA turnsB; do
	log=${hub}_log
	is "$(count "${!log}")" 12 "$hub heard about each of the twelve feeds once"
	is "$(most_connections "${!log}")" 2 "... over two connections at most, both in use"
	first=$(first_request "${!log}" "$t0")
	ok "$(within "$first" 0 2 && echo 0 || echo 1)" "... from within 2 s of the start ($first s)"
done
# A hub that does not answer takes no more turns once its first two requests have timed out: the
# other ten are sent at once, and the run (a push, in a hook) waits two timeouts, not six.
start_server silent hang
silent_repo=$(three_scopes_repo "http://127.0.0.1:$silent_port/")
t0=$(now)
run_tf build -C "$silent_repo" --ping -q
t=$(elapsed "$t0")
is "$status:$(grep -c 'Operation timed out' <<<"$err")" "3:12" "a hub that never answers: exit 3, each request timed out"
is "$(count "$silent_log")" 12 "... and each was sent"
ok "$(within "$t" 1.9 3.5 && echo 0 || echo 1)" "... two turns, then the rest at once ($t s)"

# A hub that asks (503, Retry-After: 120) to be left alone in its first turn is not sent the
# third feed's request: the summary counts it as held back, not as a request, and the state
# keeps it to send (no record of a ping never made), with the hold.
start_server shut unavailable
shut_repo=$(ping_repo "websub = http://127.0.0.1:$shut_port/")
build_ok "a site pinging a hub that is shut builds" -C "$shut_repo"
run_tf ping -C "$shut_repo"
is "$status" 3 "a hub shut in its first turn: exit 3"
like "$out" "^ping: 2 requests about 3 changed feeds, 2 failed, 1 held back$" \
	"... the summary counts the request not sent as held back"
is "$(count "$shut_log")" 2 "... two requests sent"
shut_state=$shut_repo/.git/threatfeed/ping-state
is "$(grep -c '^failed	' "$shut_state"):$(grep -c 'feed\.json$' "$shut_state"):$(grep -c '^wait	' "$shut_state")" \
	"2:0:1" "... the state records the two sent and the hold, nothing for the one not sent"

# ---- two runs at once take turns ----

# Two quick pushes: the second run waits for the first, then finds nothing left to send.
start_server slow slow
slow_repo=$(ping_repo "websub = http://127.0.0.1:$slow_port/")
build_ok "a site with a slow hub builds" -C "$slow_repo"
tf ping -C "$slow_repo" >"$TMP_ROOT/first.out" 2>&1 &
first_pid=$!
tf ping -C "$slow_repo" >"$TMP_ROOT/second.out" 2>&1
second=$?
wait "$first_pid"
is "$?:$second" "0:0" "two pings at once both exit 0"
is "$(requests "$slow_log")" "$(publish)" "the hub heard about each feed once"
is "$(LC_ALL=C sort "$TMP_ROOT/first.out" "$TMP_ROOT/second.out")" \
	"ping: 3 requests about 3 changed feeds, 0 failed
ping: no feed changed since the last ping; nothing sent" "one run sent, the other found nothing new"
ok "$([ -e "$slow_repo/.git/threatfeed/ping-state.lock" ] && echo 0 || echo 1)" \
	"the lock is in the Git folder, next to the state"

# ---- a new commit plus build --ping reaches the hub ----
announcement moderate 2021-02-09T10:00:00Z "" 'The threat level is **MODERATE**.' |
	put "$repo" content/levels/2021-02-09-moderate.md
commit "$repo" "lowered again" >/dev/null
: >"$hub_log"
ln -sfn "$site/feed.json" "$TMP_ROOT/watched"
t0=$(now)
run_tf build -C "$repo" --ping -q
is "$status:$err" "0:" "build --ping of a new commit exits 0"
is "$(requests "$hub_log")" "$(publish)" "the new commit reached the hub"
is "$(watched "$hub_log")" "$(sha256sum <"$site/feed.json" | cut -d' ' -f1)" \
	"after the new feed.json was in place"

# ---- the same hub twice: a warning, and one request per feed ----

dup_repo=$(ping_repo "websub = http://127.0.0.1:$hub_port/" "websub = http://127.0.0.1:$hub_port/")
: >"$hub_log"
run_tf build -C "$dup_repo" --ping -q
is "$status" 0 "a hub given twice: build --ping exits 0"
is "$err" "threatfeed: threatfeed.conf:8:11: warning: ping.websub 'http://127.0.0.1:$hub_port/' given again (already on line 7; pinged once)" \
	"a hub given twice: a warning at the second, naming the first"
is "$(requests "$hub_log")" "$(publish)" "a hub given twice: one request per feed, not two"

# ---- a content error: exit 1, nothing sent ----

announcement sever 2022-01-01T00:00:00Z "" 'x' | put "$repo" content/levels/2022-01-01-bad.md
commit "$repo" "typo" >/dev/null
: >"$hub_log"
run_tf build -C "$repo" --ping
is "$status" 1 "build --ping with a content error exits 1"
like "$err" "unknown level 'sever'" "and reports it"
is "$(count "$hub_log")" 0 "and pings nothing"

# ---- misbehaving peers, each next to a good hub ----

# peer_case NAME MODE: a site pinging the peer and the good hub; runs `build --ping` and sets
# $status $out $err, $t (seconds), $peer_port, $peer_log, $peer_repo; checks the good hub.
peer_case() {
	start_server "$1" "$2"
	local port_var=${1}_port log_var=${1}_log t0 first
	peer_port=${!port_var}
	peer_log=${!log_var}
	peer_repo=$(ping_repo "websub = http://127.0.0.1:$peer_port/" "websub = http://127.0.0.1:$hub_port/")
	: >"$hub_log"
	t0=$(now)
	run_tf build -C "$peer_repo" --ping -q
	t=$(elapsed "$t0")
	first=$(first_request "$hub_log" "$t0")
	is "$(requests "$hub_log")" "$(publish)" "$2: the good hub got its requests"
	ok "$(within "$first" 0 1 && echo 0 || echo 1)" "$2: and was not delayed ($first s)"
}

# expect_failures REGEX WHAT: stderr is exactly one line per feed, "threatfeed: PEER: WebSub
# publish for 'FEED' failed: " followed by text matching REGEX.
expect_failures() {
	"$PYTHON" - "$err" "$peer_port" "$SITE_URL" "$1" <<'PY'
import re, sys
err, port, site, tail = sys.argv[1:]
got = sorted(err.splitlines())
want = ["threatfeed: http://127\\.0\\.0\\.1:%s/: WebSub publish for '%s%s' failed: %s"
        % (port, re.escape(site), f, tail) for f in ("atom\\.xml", "feed\\.json", "rss\\.xml")]
sys.exit(0 if len(got) == 3 and all(re.fullmatch(w, g) for g, w in zip(got, want)) else 1)
PY
	ok $? "$2" || diag "got:" "$err"
}

peer_case refused refused
is "$status" 3 "connection refused: exit status 3"
expect_failures "Failed to connect to 127\\.0\\.0\\.1 port $peer_port after [0-9]+ ms: (Connection refused|Couldn't connect to server) \\(2 attempts\\)" \
	"connection refused: one message per feed, with curl's words and the attempts"
ok "$(within "$t" 0.2 2.5 && echo 0 || echo 1)" "connection refused: retried once after a backoff, done in $t s"
grep -q "^failed	.*	websub	http://127.0.0.1:$peer_port/	" "$peer_repo/.git/threatfeed/ping-state"
ok $? "connection refused: recorded as failed in the state"
# The next ping tries the failed endpoint again though no feed changed; now it answers.
: >"$hub_log"
PING_TEST_PORT=$peer_port start_server back hub
run_tf ping -C "$peer_repo"
is "$status:$err" "0:" "the next ping retries the failed endpoint, which now answers"
is "$(requests "$back_log")" "$(publish)" "the endpoint that was down gets every feed"
is "$(count "$hub_log")" 0 "the endpoint that had succeeded gets nothing"
is "$(grep -c '^ok	' "$peer_repo/.git/threatfeed/ping-state")" 6 "every pair is now ok in the state"

peer_case hang hang
is "$status" 3 "never answering: exit status 3"
expect_failures "Operation timed out after 1[0-9]{3} milliseconds with 0 bytes received \\(2 attempts\\)" \
	"never answering: one timeout message per feed"
ok "$(within "$t" 2.2 4 && echo 0 || echo 1)" "never answering: two attempts of 1 s and a backoff, done in $t s"
is "$(requests "$peer_log")" "$(twice)" "never answering: each request was sent twice"

peer_case flaky fail-then-ok
is "$status:$err" "0:" "500 then success: exit 0, nothing on stderr"
is "$(requests "$peer_log")" "$(twice)" "500 then success: each request sent twice"
ok "$(within "$t" 0.2 2 && echo 0 || echo 1)" "500 then success: done in $t s"

peer_case busy busy-then-ok
is "$status:$err" "0:" "429 with Retry-After: exit 0, nothing on stderr"
is "$(requests "$peer_log")" "$(twice)" "429 with Retry-After: each request sent twice"
gaps=$("$PYTHON" -c 'import json, sys
by = {}
for l in open(sys.argv[1]):
    r = json.loads(l); by.setdefault(r["body"], []).append(r["time"])
print(" ".join("%.2f" % (t[1] - t[0]) for t in by.values()))' "$peer_log")
# shellcheck disable=SC2086 # one argument per gap
"$PYTHON" -c 'import sys; sys.exit(0 if len(sys.argv) == 4 and all(0.95 <= float(g) <= 2 for g in sys.argv[1:]) else 1)' $gaps
ok $? "429 with Retry-After: 1: each retry came about 1 s later ($gaps)"
# The first turn's two requests get the 429; the third request waits out its second too.
"$PYTHON" -c 'import json, sys
t = sorted(json.loads(l)["time"] for l in open(sys.argv[1]))
sys.exit(0 if len(t) == 6 and t[2] >= t[0] + 0.95 else 1)' "$peer_log"
ok $? "429 with Retry-After: 1: the hub is sent nothing else during that second"
ok "$(within "$t" 0.95 3 && echo 0 || echo 1)" "429 with Retry-After: done in $t s"

# A hub that asks to be left alone for longer than a run waits is left alone until then, by
# every run; the first run after that time sends what it missed.
peer_case held unavailable
is "$status" 3 "503 with Retry-After: 120: exit status 3"
held_state=$peer_repo/.git/threatfeed/ping-state
until=$(sed -n "s|^wait	\([^	]*\)	websub	http://127.0.0.1:$peer_port/\$|\1|p" "$held_state")
"$PYTHON" -c 'import sys, time, datetime
u = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
sys.exit(0 if 110 <= u.timestamp() - time.time() <= 121 else 1)' "$until"
ok $? "503 with Retry-After: 120: the state holds the hub until about 120 s from now ($until)"
# The hub's two turns (two requests at a time) both get the 503; the third feed's request, whose
# turn comes after, is not sent.
failed_503() {
	echo "threatfeed: http://127.0.0.1:$peer_port/: WebSub publish for '$SITE_URL$1' failed: HTTP 503 (Retry-After 120 s: not pinged again before $until) (1 attempt)"
}
is "$(LC_ALL=C sort <<<"$err")" "$({ failed_503 atom.xml; failed_503 rss.xml
	echo "threatfeed: http://127.0.0.1:$peer_port/: asked (Retry-After) to be left alone until $until: 1 ping not sent, kept for the first run after then"
} | LC_ALL=C sort)" "503 with Retry-After: 120: not retried in this run, said until when, and the request not sent yet said once"
is "$(requests "$peer_log")" "$(publish | grep -v feed.json)" \
	"503 with Retry-After: 120: one request each for the two sent"
: >"$hub_log"
announce "$peer_repo"
run_tf build -C "$peer_repo" --ping
is "$status" 3 "a run before that time: exit status 3, as a ping that partly failed"
is "$err" "threatfeed: http://127.0.0.1:$peer_port/: asked (Retry-After) to be left alone until $until: 3 pings not sent, kept for the first run after then" \
	"a run before that time says until when, once for the hub"
like "$out" "^ping: 3 requests about 3 changed feeds, 0 failed, 3 held back$" "and counts what it held back"
is "$(count "$peer_log")" 2 "a run before that time sends the hub nothing"
is "$(requests "$hub_log")" "$(publish)" "the other hub still hears about the change"
run_tf ping -C "$peer_repo"
is "$status:$out" "3:ping: 3 requests held back at the endpoints' request; nothing sent" \
	"a run with only held pings says so and exits 3"
is "$(count "$peer_log")" 2 "and still sends the hub nothing"
run_tf ping -C "$peer_repo" --dry-run
is "$status:$err" "0:" "a dry run during the hold exits 0"
is "$out" "would not POST http://127.0.0.1:$peer_port/ (websub): it asked to be left alone until $until; 3 pings wait for then
ping: 3 requests held back at the endpoints' request; nothing sent" "a dry run says what is held back and until when"
grep -q "^wait	$until	websub	http://127.0.0.1:$peer_port/\$" "$held_state"
ok $? "the hold is kept in the state, unchanged"
# Time passes: the hold ends (the recorded time is moved, not the clock). The hub now answers.
sed -i "s|^wait	$until	|wait	2001-01-01T00:00:00Z	|" "$held_state"
kill "${server_pids[-1]}" && wait "${server_pids[-1]}" 2>/dev/null
PING_TEST_PORT=$peer_port start_server awake hub
run_tf ping -C "$peer_repo"
is "$status:$err" "0:" "a run after that time exits 0"
is "$(requests "$awake_log")" "$(publish)" "and sends the hub the pings it held back"
ok "$(grep -q '^wait	' "$held_state" && echo 1 || echo 0)" "the hold that passed is gone from the state"
# A hub asking for a year is left alone for a day at most.
PING_TEST_RETRY_AFTER=31536000 start_server yearly unavailable
year_repo=$(ping_repo "xmlrpc = http://127.0.0.1:$yearly_port/RPC2")
run_tf build -C "$year_repo" --ping -q
like "$err" "HTTP 503 \\(Retry-After 31536000 s, more than the day threatfeed waits at most: not pinged again before " \
	"a Retry-After of a year: said to be more than threatfeed waits"
until=$(sed -n 's|^wait	\([^	]*\)	xmlrpc	.*|\1|p' "$year_repo/.git/threatfeed/ping-state")
"$PYTHON" -c 'import sys, time, datetime
u = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
sys.exit(0 if 86390 <= u.timestamp() - time.time() <= 86401 else 1)' "$until"
ok $? "a Retry-After of a year holds the endpoint for a day ($until)"
# A damaged hold does not stop pinging: warned about, and the endpoint is pinged.
printf 'wait\tsoon\txmlrpc\thttp://127.0.0.1:%s/RPC2\n' "$yearly_port" >"$year_repo/.git/threatfeed/ping-state"
before=$(count "$yearly_log")
run_tf ping -C "$year_repo"
like "$err" "ping-state:1: warning: malformed line ignored \\(expected wait, a UTC time, websub\\|xmlrpc and endpoint, tab-separated\\)" \
	"a damaged hold is warned about"
is "$(( $(count "$yearly_log") - before ))" 2 \
	"and the endpoint is pinged all the same (in its two turns, before it asks again to be left alone)"

# A request still running when its hub asks to be left alone is not retried when it then fails.
peer_case running slow-500-then-unavailable
is "$status" 3 "a hold asked while a request runs: exit status 3"
until=$(sed -n "s|^wait	\([^	]*\)	websub	http://127.0.0.1:$peer_port/\$|\1|p" \
	"$peer_repo/.git/threatfeed/ping-state")
is "$(count "$peer_log")" 2 "a hold asked while a request runs: that request's 500 is not retried"
like "$err" "failed: HTTP 500; not retried: the endpoint asked to be left alone until $until \\(1 attempt\\)" \
	"a hold asked while a request runs: its failure and why it was not retried are said"
like "$err" "HTTP 503 \\(Retry-After 120 s: not pinged again before $until\\) \\(1 attempt\\)" \
	"a hold asked while a request runs: the request that asked it is reported too"

# Nor is it retried before the end of a pause its hub asked for (a 429's Retry-After: 1) meanwhile.
peer_case paused slow-500-then-busy
is "$status:$err" "0:" "a pause asked while a request runs: exit 0, nothing on stderr"
"$PYTHON" -c 'import json, sys
t = sorted(json.loads(l)["time"] for l in open(sys.argv[1]))
sys.exit(0 if len(t) == 6 and t[2] >= t[1] + 0.95 else 1)' "$peer_log"
ok $? "a pause asked while a request runs: that request's retry waits for its end too"

peer_case redirect redirect-file
is "$status" 3 "a redirect to file:///etc/passwd: exit status 3"
expect_failures "Protocol \"file\" not supported( or disabled in libcurl)? \\(1 attempt\\)" \
	"a redirect to file:: refused, not retried"
is "$(requests "$peer_log")" "$(publish)" "a redirect to file:: one request each"
ok "$(within "$t" 0 1.5 && echo 0 || echo 1)" "a redirect to file:: done in $t s"

peer_case handled see-other
is "$status:$err" "0:" "303 See Other after a publish: exit 0, nothing on stderr"
# (curl keeps the request's own headers, Content-Type included, on the GET that follows.)
is "$(requests "$peer_log")" "$({ publish; for _ in 1 2 3; do
	echo "GET /published application/x-www-form-urlencoded threatfeed/$VERSION "; done; } | LC_ALL=C sort)" \
	"303 See Other: the result is fetched with GET, the ping is not posted again"

peer_case endless endless
is "$status" 3 "an endless response body: exit status 3"
expect_failures "response larger than 65536 bytes \\(1 attempt\\)" \
	"an endless response body: cut at 64 KiB, not retried"
ok "$(within "$t" 0 2 && echo 0 || echo 1)" "an endless response body: done in $t s"

peer_case missing status-404
is "$status" 3 "HTTP 404: exit status 3"
expect_failures "HTTP 404: 'no such hub' \\(1 attempt\\)" \
	"HTTP 404: final at once, not retried; the hub's reason in plain text is shown"
is "$(requests "$peer_log")" "$(publish)" "HTTP 404: one request each"

peer_case missingpage endless-404
is "$status" 3 "HTTP 404 with an endless HTML page: exit status 3"
expect_failures "HTTP 404 \\(1 attempt\\)" \
	"HTTP 404 with an endless HTML page: the status, not the page's size; no HTML in the message"
ok "$(within "$t" 0 2 && echo 0 || echo 1)" "HTTP 404 with an endless HTML page: done in $t s"

# ---- usage ----

run_tf build -C "$repo" --ping --dump-model
is "$status" 2 "build --ping --dump-model is a usage error"
run_tf check -C "$repo" --ping
is "$status" 2 "check --ping is a usage error"
run_tf ping -C "$repo" extra
is "$status" 2 "ping takes no argument"
run_tf help ping
like "$out" "--dry-run" "help ping lists --dry-run"
run_tf ping -C "$peer_repo" -o "$TMP_ROOT/no-site"
is "$status" 1 "ping without a built site exits 1"
like "$err" "^threatfeed: $TMP_ROOT/no-site/atom.xml: cannot read the feed: No such file or directory \\(build the site first\\)$" \
	"and says which feed is missing"

done_testing
