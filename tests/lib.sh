# Shared helpers for the end-to-end tests of the threatfeed binary. Source it from a test script:
#   . "$(dirname "$0")/lib.sh"
# It speaks TAP ("ok N - what" / "not ok N - what", the plan at the end) and gives:
#   ok, pass, fail, is, like, same_file, check, check_quiet, diag, done_testing, bail   TAP
#   tf ARGS...            runs $TEST_WRAPPER $THREATFEED ARGS...
#   run_tf ARGS...        runs tf, keeping stdout, stderr and status in $out, $err, $status
#   build_ok WHAT ARGS... `threatfeed build -q ARGS` must succeed
#   new_repo              makes an empty git repository in a fresh folder and prints its path
#   put REPO PATH         writes stdin to REPO/PATH (folders made as needed)
#   commit REPO [MSG]     git add -A and commit everything in REPO
#   base_conf, base_content REPO, base_repo   a small known-good site with two scopes
#   snapshot DIR          one line per file: path, inode, mtime (ns), sha256 (byte+mtime compare)
#   changed_files A B     the paths whose line differs between two snapshots
#   age DIR               sets every file's mtime far in the past so a rewrite always shows
#   atom_entries FILE     id, updated, link and title of each Atom entry
#   html_check MODE DIR   links, outline, inert, csp, referrer, discover, a11y checks of every HTML page
# tests/run sets THREATFEED, TESTS_DIR, TOP_DIR and TEST_WRAPPER; defaults let a script run alone.
set -u

TOP_DIR=${TOP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TESTS_DIR=${TESTS_DIR:-$TOP_DIR/tests}
THREATFEED=${THREATFEED:-$TOP_DIR/build/threatfeed}
TEST_WRAPPER=${TEST_WRAPPER:-}
export LC_ALL=C.UTF-8 TZ=UTC
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=${GIT_CONFIG_GLOBAL:-/dev/null}
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-Test Editor} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-editor@example.invalid}
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-Test Editor}
export GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-editor@example.invalid}
unset SOURCE_DATE_EPOCH

TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/threatfeed-test.XXXXXX")
trap 'rm -rf "$TMP_ROOT"' EXIT
trap 'exit 130' INT TERM

# ---- TAP ----

_tap_n=0
_tap_failed=0

# ok STATUS WHAT: STATUS 0 passes (use as `cmd; ok $? "what"` or `ok "$(( a == b ? 0 : 1 ))" ...`).
ok() {
	local st=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $*"
	fi
	return "$st"
}

pass() { ok 0 "$@"; }
fail() { ok 1 "$@"; }

# diag TEXT...: a TAP comment, each line prefixed with "# ".
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# check WHAT CMD...: runs CMD, passes when it succeeds.
check() {
	local what=$1
	shift
	"$@"
	ok $? "$what"
}

# check_quiet WHAT CMD...: like check; CMD's output is shown (as a comment) only when it fails.
check_quiet() {
	local what=$1 o st
	shift
	o=$("$@" 2>&1)
	st=$?
	ok $st "$what" || diag "$o"
	return $st
}

# is GOT WANT WHAT: exact string comparison, showing both on failure.
is() {
	if [ "$1" == "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "got:" "$1" "expected:" "$2"
		return 1
	fi
}

# like GOT PATTERN WHAT: GOT matches the extended regular expression PATTERN.
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "got:" "$1" "expected to match: $2"
		return 1
	fi
}

# same_file GOT_FILE WANT_FILE WHAT: byte comparison with a diff on failure.
same_file() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3"
		diff -u "$2" "$1" | head -n 40 | sed 's/^/# /'
		return 1
	fi
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# Stops early (the rest would only fail noisily) but keeps the TAP stream valid.
bail() {
	fail "$*"
	done_testing
}

# ---- running threatfeed ----

tf() {
	# shellcheck disable=SC2086 # TEST_WRAPPER is a command line to split
	$TEST_WRAPPER "$THREATFEED" "$@"
}

# run_tf ARGS...: sets $out, $err (text) and $status; the raw streams stay in $TMP_ROOT/last.out
# and $TMP_ROOT/last.err for byte comparisons. Never fails itself.
run_tf() {
	tf "$@" >"$TMP_ROOT/last.out" 2>"$TMP_ROOT/last.err"
	status=$?
	out=$(cat "$TMP_ROOT/last.out")
	err=$(cat "$TMP_ROOT/last.err")
	return 0
}

# build_ok WHAT ARGS...: `threatfeed build ARGS` must exit 0.
build_ok() {
	local what=$1
	shift
	run_tf build -q "$@"
	if [ "$status" -eq 0 ]; then
		pass "$what"
	else
		fail "$what (status $status)"
		diag "$err"
		return 1
	fi
}

# ---- repositories ----

new_repo() {
	local dir
	dir=$(mktemp -d "$TMP_ROOT/repo.XXXXXX")
	git -C "$dir" init -q -b main
	# As in a real content repository: the built site is not committed.
	echo /site/ >"$dir/.gitignore"
	echo "$dir"
}

put() {
	mkdir -p "$(dirname "$1/$2")"
	cat >"$1/$2"
}

# announcement LEVEL DATE SCOPE BODY: prints an announcement's Markdown, for `| put REPO PATH`;
# an empty SCOPE writes none, and BODY is one line.
announcement() {
	printf -- '---\nlevel: %s\ndate: %s\n' "$1" "$2"
	[ -z "$3" ] || printf 'scope: %s\n' "$3"
	printf -- '---\n%s\n' "$4"
}

# Commit dates are fixed (a day after the previous commit) so repositories are the same every run.
# They start on 2025-01-01, after every date the tests announce: a date more than a day after its
# commit is warned about.
commit() {
	local n when
	n=$(git -C "$1" rev-list --count HEAD 2>/dev/null || echo 0)
	when="$((1735689600 + n * 86400)) +0000"
	git -C "$1" -c advice.addEmbeddedRepo=false add -A &&
		GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$1" commit -q --allow-empty -m "${2:-change}"
}

base_conf() {
	cat <<'EOF'
# A small two-scope site for the tests.
[site]
	title = Test threat level
	url = https://threat.example.org/
	description = The test threat level and its history
	language = en-GB
	author = Example Security Service
[feed]
	entries = 20
[scope "national"]
	title = National threat level
[scope "northern-ireland"]
	title = Northern Ireland-related terrorism
EOF
}

# The files of the base site (paths relative to the site folder), HTML pages first.
BASE_HTML="index.html history/index.html levels/index.html pages/about/index.html
2010/2010-09-24-northern-ireland-severe/index.html 2014/2014-08-29-national-severe/index.html
2019/2019-11-04-national-substantial/index.html national/index.html northern-ireland/index.html"
BASE_FILES="$BASE_HTML atom.xml rss.xml feed.json level.json style.css sitemap.xml robots.txt
national/atom.xml national/rss.xml national/feed.json
northern-ireland/atom.xml northern-ireland/rss.xml northern-ireland/feed.json"

base_content() {
	base_conf | put "$1" threatfeed.conf
	announcement severe 2010-09-24T09:00:00+01:00 northern-ireland 'The threat level for Northern Ireland-related terrorism in Great Britain is **SEVERE**.' |
		put "$1" content/levels/2010-09-24-northern-ireland-severe.md
	put "$1" content/levels/2014-08-29-national-severe.md <<'EOF'
---
level: severe
date: 2014-08-29T14:00:00+01:00
scope: national
---
The national threat level has been raised from SUBSTANTIAL to **SEVERE**.

This means an attack is *highly likely*.
EOF
	put "$1" content/levels/2019-11-04-national-substantial.md <<'EOF'
---
level: substantial
date: 2019-11-04T10:00:00Z
scope: national
title: Threat level lowered to SUBSTANTIAL
---
The national threat level has been lowered to **SUBSTANTIAL**.
EOF
	put "$1" content/pages/about.md <<'EOF'
---
title: About this site
---
This site publishes the [threat level](https://www.mi5.gov.uk/threat-levels).
EOF
}

# base_repo: a fresh repository holding the base site, committed; prints its path.
base_repo() {
	local r
	r=$(new_repo)
	base_content "$r"
	commit "$r" "base site" >/dev/null
	echo "$r"
}

# ---- site folders ----

# snapshot DIR: every regular file (hidden ones too), by path in byte order, with its inode, mtime
# to the nanosecond and sha256. Two equal snapshots mean no file was created, removed, replaced or
# changed. One process for the lot: a stat and a sha256sum apiece made it most of a case's time.
snapshot() {
	"${PYTHON:-python3}" - "$1" <<-'EOF'
		import hashlib, os, stat, sys
		root = os.fsencode(sys.argv[1])
		lines = []
		for folder, _, names in os.walk(root):
		    for name in names:
		        path = os.path.join(folder, name)
		        st = os.lstat(path)
		        if not stat.S_ISREG(st.st_mode):
		            continue
		        with open(path, "rb") as f:
		            digest = hashlib.sha256(f.read()).hexdigest().encode()
		        rel = os.path.relpath(path, root)
		        lines.append((rel, b"%s %d %d.%09d %s\n" % (rel, st.st_ino, st.st_mtime_ns // 10**9,
		                                                    st.st_mtime_ns % 10**9, digest)))
		sys.stdout.buffer.write(b"".join(line for _, line in sorted(lines)))
	EOF
}

# age DIR: mtimes to 2001, so that a rewrite within the same clock tick still changes the mtime.
age() {
	find "$1" -type f -exec touch -h -d @1000000000 {} +
}

# files_of DIR: sorted paths of every file under DIR.
files_of() {
	(cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort)
}

# changed_files SNAP_BEFORE SNAP_AFTER: sorted paths whose line differs (added, removed, changed).
changed_files() {
	diff <(cat "$1") <(cat "$2") | sed -n 's/^[<>] \([^ ]*\) .*/\1/p' | LC_ALL=C sort -u
}

# A python3 that has feedparser (Debian's python3-feedparser lives in /usr/bin/python3).
find_python_with_feedparser() {
	local p
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import feedparser' 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# atom_entries FILE: one line per entry of an Atom feed: "id<TAB>updated<TAB>alternate link<TAB>title".
atom_entries() {
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
for e in ET.parse(sys.argv[1]).getroot().iter(A + "entry"):
    link = ""
    for l in e.findall(A + "link"):
        if l.get("rel", "alternate") == "alternate":
            link = l.get("href", "")
    print("\t".join([e.findtext(A + "id", ""), e.findtext(A + "updated", ""), link,
                     e.findtext(A + "title", "")]))
PY
}

# html_check MODE DIR: checks every HTML page of the site DIR; prints each problem, fails if any.
#   links     every href/src is relative and resolves to a file of the site, or is "#...", or is an
#             absolute http(s) URL in an <a> or a <link rel=alternate|canonical>; never "/..."
#   inert     no <script>, <form>, <iframe>, <object>, <embed>, no on* event attributes
#   csp       a Content-Security-Policy <meta http-equiv> on every page, from default-src 'none',
#             with no unsafe-*, wildcard or other origin
#   referrer  a <meta name="referrer"> on every page
#   discover  an Atom autodiscovery <link rel="alternate" type="application/atom+xml"> with an
#             absolute http(s) href on every page
#   a11y      a lang on <html>; one <main>, the target of the first link (the skip link); ids
#             unique and every aria-labelledby naming one; every <table> captioned, its header
#             cells scoped, and held by a focusable region that its caption labels (so that a
#             table wider than a phone scrolls inside itself and stays a table)
html_check() {
	python3 - "$1" "$2" <<'PY'
import os, sys, posixpath
from html.parser import HTMLParser
from urllib.parse import urlsplit, unquote

mode, root = sys.argv[1], sys.argv[2]
problems = []

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict, line)
        self.open = []          # indices in tags of the elements open here
        self.parent = []        # index in tags of each element's parent, or -1
    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: (v or "") for k, v in attrs}, self.getpos()[0]))
        self.parent.append(self.open[-1] if self.open else -1)
        if tag not in VOID:
            self.open.append(len(self.tags) - 1)
    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {k: (v or "") for k, v in attrs}, self.getpos()[0]))
        self.parent.append(self.open[-1] if self.open else -1)
    def handle_endtag(self, tag):
        # Close up to the nearest open element of that name (<p> and <li> may be left open).
        for k in range(len(self.open) - 1, -1, -1):
            if self.tags[self.open[k]][0] == tag:
                del self.open[k:]
                break

pages = []
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith(".html"):
            pages.append(os.path.relpath(os.path.join(d, f), root))
pages.sort()
if not pages:
    problems.append("no HTML page in " + root)

for rel in pages:
    p = Page()
    with open(os.path.join(root, rel), encoding="utf-8") as fh:
        p.feed(fh.read())
    p.close()
    tags = p.tags
    if mode == "links":
        for tag, a, line in tags:
            urls = {k: a[k] for k in ("href", "src", "srcset", "action", "poster", "data") if k in a}
            # A page that sends readers on: <meta http-equiv="refresh" content="0; url=...">.
            if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
                urls["content"] = a.get("content", "").partition("url=")[2]
            for attr, v in urls.items():
                v = v.strip()
                where = "%s:%d: <%s %s=%r>" % (rel, line, tag, attr, v)
                u = urlsplit(v)
                if v.startswith("/"):
                    problems.append(where + ": root-relative or protocol-relative link")
                elif u.scheme in ("http", "https"):
                    rels = a.get("rel", "").lower().split()
                    if not (attr == "href" and (tag == "a" or (tag == "link" and
                            ("alternate" in rels or "canonical" in rels)))):
                        problems.append(where + ": absolute URL loads from another origin")
                elif u.scheme == "mailto" and tag == "a" and attr == "href":
                    pass
                elif u.scheme or u.netloc:
                    problems.append(where + ": scheme not allowed")
                elif v.startswith("#") or v == "":
                    pass    # this page (cmark's safe mode empties unsafe URLs)
                else:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(u.path)))
                    if target.startswith("../") or target == "..":
                        problems.append(where + ": leaves the site folder")
                        continue
                    full = os.path.join(root, target)
                    if u.path.endswith("/") or os.path.isdir(full):
                        full = os.path.join(full, "index.html")
                    if not os.path.isfile(full):
                        problems.append(where + ": no such file " + os.path.relpath(full, root))
    elif mode == "outline":
        # One <h1>, the page's title, and no heading more than one level below the one before it.
        levels = [int(t[1]) for t, a, _ in tags if len(t) == 2 and t[0] == "h" and t[1] in "123456"]
        if levels.count(1) != 1 or not levels or levels[0] != 1:
            problems.append("%s: headings %s: not one <h1> first" % (rel, levels))
        for before, after in zip(levels, levels[1:]):
            if after > before + 1:
                problems.append("%s: headings %s: <h%d> after <h%d>" % (rel, levels, after, before))
                break
    elif mode == "inert":
        for tag, a, line in tags:
            if tag in ("script", "form", "iframe", "object", "embed", "frame", "frameset"):
                problems.append("%s:%d: <%s>" % (rel, line, tag))
            for k in a:
                if k.startswith("on"):
                    problems.append("%s:%d: <%s %s>" % (rel, line, tag, k))
    elif mode == "csp":
        csp = [a.get("content", "") for t, a, _ in tags
               if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
        if not csp:
            problems.append(rel + ": no Content-Security-Policy meta")
        for c in csp:
            # Nothing may run or load from elsewhere: start from nothing, never loosen to unsafe-*.
            if "default-src 'none'" not in c or "unsafe-" in c or "*" in c or "http" in c:
                problems.append(rel + ": Content-Security-Policy too loose: " + c)
    elif mode == "referrer":
        if not any(t == "meta" and a.get("name", "").lower() == "referrer" and a.get("content")
                   for t, a, _ in tags):
            problems.append(rel + ": no referrer meta")
    elif mode == "discover":
        if not any(t == "link" and "alternate" in a.get("rel", "").lower().split()
                   and a.get("type", "").lower() == "application/atom+xml"
                   and urlsplit(a.get("href", "")).scheme in ("http", "https")
                   for t, a, _ in tags):
            problems.append(rel + ": no Atom autodiscovery link with an absolute URL")
    elif mode == "a11y":
        html = [a for t, a, _ in tags if t == "html"]
        if not html or not html[0].get("lang", "").strip():
            problems.append(rel + ": no lang on <html>")
        ids = {}
        for t, a, line in tags:
            if "id" in a:
                if a["id"] in ids:
                    problems.append("%s:%d: id %r used twice" % (rel, line, a["id"]))
                ids[a["id"]] = t
        for t, a, line in tags:
            for ref in a.get("aria-labelledby", "").split():
                if ref not in ids:
                    problems.append("%s:%d: <%s aria-labelledby=%r>: no such id" % (rel, line, t, ref))
        mains = [a for t, a, _ in tags if t == "main"]
        links = [a for t, a, _ in tags if t == "a"]
        if len(mains) != 1:
            problems.append("%s: %d <main> elements" % (rel, len(mains)))
        elif not links or links[0].get("href") != "#" + mains[0].get("id", "-"):
            problems.append(rel + ": the first link does not skip to <main>")
        for i, (t, a, line) in enumerate(tags):
            where = "%s:%d: <%s>" % (rel, line, t)
            if t == "th" and a.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
                problems.append(where + " without scope")
            if t != "table":
                continue
            caps = [j for j in range(i + 1, len(tags)) if p.parent[j] == i and tags[j][0] == "caption"]
            box = tags[p.parent[i]][1] if p.parent[i] >= 0 else {}
            if not caps or not tags[caps[0]][1].get("id"):
                problems.append(where + " without a <caption id>")
            elif (box.get("role") != "region" or box.get("tabindex") != "0"
                  or box.get("aria-labelledby") != tags[caps[0]][1]["id"]):
                problems.append(where + " not held by a role=region tabindex=0 element that its caption labels")
    else:
        sys.exit("html_check: unknown mode " + mode)

for p in problems[:40]:
    print(p)
sys.exit(1 if problems else 0)
PY
}

[ -x "$THREATFEED" ] || { echo "not ok 1 - $THREATFEED is not built"; echo "1..1"; exit 1; }
