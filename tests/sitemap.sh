#!/usr/bin/env bash
# A sitemap past the protocol's limits (https://www.sitemaps.org/protocol.html): at 50,000 URLs
# sitemap.xml is one file, as for every smaller site; past them it is a sitemap index of parts
# sitemap-1.xml, sitemap-2.xml ... each valid against tests/schemas/sitemap.rng and within the
# limits. A new announcement rewrites the last part and the index alone, and parts no longer
# needed are removed. About 50,000 announcements, built four times: about 12 seconds. Skipped
# under a TEST_WRAPPER (valgrind) and under AddressSanitizer, where those builds take minutes
# (seven, mostly in the kernel, on 2 cores): tests/unit/test_feeds.c drives the same code with
# small limits under both.
. "$(dirname "$0")/lib.sh"

if [ -n "$TEST_WRAPPER" ] || [ -n "${TESTS_SANITIZED:-}" ]; then
	pass "skipped under ${TEST_WRAPPER:-AddressSanitizer}"
	done_testing
	exit 0
fi
PYTHON=${PYTHON:-python3}
URL=https://threat.example.org/

# Commits on main, one each: 49,997 announcements (with the home, history and levels pages,
# 50,000 URLs), then 4 more (50,000 announcements and 1 more), then 1 more, then the 5 removed.
# The blobs go through git fast-import, the trees through git mktree: fast-import takes seconds
# to add 50,000 files to one tree, mktree a fraction of one.
repo=$(new_repo)
"$PYTHON" - "$repo" <<'PY' || bail "cannot make the repository"
import hashlib, os, subprocess, sys, time
repo = sys.argv[1]
fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE)

def blob(data):
    fi.stdin.write(b"blob\ndata %d\n%s\n" % (len(data), data))
    return hashlib.sha1(b"blob %d\0%s" % (len(data), data)).hexdigest()

def git(args, stdin=b"", env=None):
    return subprocess.run(["git", "-C", repo] + args, input=stdin, stdout=subprocess.PIPE,
                          env=env, check=True).stdout.decode().strip()

def tree(entries):
    return git(["mktree"], "".join("%s %s %s\t%s\n" % e for e in entries).encode())

levels = []
for i in range(50002):
    t = time.gmtime(631152000 + i * 3600)
    name = "%s-%06d-severe.md" % (time.strftime("%Y-%m-%d", t), i)
    levels.append((name, blob(b"---\nlevel: severe\ndate: %s\n---\nAnnouncement %d.\n" %
                              (time.strftime("%Y-%m-%dT%H:%M:%SZ", t).encode(), i))))
conf = blob(b"[site]\n\ttitle = Big site\n\turl = https://threat.example.org/\n")
ignore = blob(b"/site/\n")
fi.stdin.close()
if fi.wait() != 0:
    sys.exit("git fast-import failed")
parent = []
for n, (count, msg) in enumerate([(49997, "49,997 announcements"), (50001, "4 more"),
                                  (50002, "1 more"), (49997, "the last 5 removed")]):
    lv = tree([("100644", "blob", sha, name) for name, sha in levels[:count]])
    root = tree([("100644", "blob", conf, "threatfeed.conf"), ("100644", "blob", ignore, ".gitignore"),
                 ("040000", "tree", tree([("040000", "tree", lv, "levels")]), "content")])
    when = "%d +0000" % (1735689600 + n * 86400)
    env = dict(os.environ, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    parent = ["-p", git(["commit-tree", root, "-m", msg] + parent, env=env)]
git(["update-ref", "refs/heads/main", parent[1]])
PY
# The site's 50,000 pages (400 MB) go to a tmpfs when there is one with room: on a disk, syncing
# them takes the first build 20 seconds instead of 2.
site=$TMP_ROOT/site
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
	[ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 2000000 ] &&
	shm=$(mktemp -d /dev/shm/threatfeed-test.XXXXXX); then
	trap 'rm -rf "$TMP_ROOT" "$shm"' EXIT
	site=$shm/site
fi

# check_sitemap WHAT: every sitemap file of $site against the protocol, and all HTML pages in it.
check_sitemap() {
	local f files
	files=$(cd "$site" && ls sitemap*.xml)
	for f in $files; do
		check_quiet "$1: $f is valid for the sitemap protocol's structure" \
			xmllint --noout --relaxng "$TESTS_DIR/schemas/sitemap.rng" "$site/$f"
	done
	while IFS= read -r line; do
		ok "${line%%	*}" "$1: ${line#*	}"
	done < <("$PYTHON" - "$site" "$URL" <<'PY'
import os, sys, xml.etree.ElementTree as ET
site, url = sys.argv[1], sys.argv[2]
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
def t(cond, what):
    print("%d\t%s" % (0 if cond else 1, what))
def within(name, n):
    size = os.path.getsize(os.path.join(site, name))
    t(n <= 50000 and size <= 52428800, "%s holds %d entries, %d bytes: within 50,000 and 50 MB"
      % (name, n, size))
root = ET.parse(os.path.join(site, "sitemap.xml")).getroot()
locs = []
if root.tag == NS + "sitemapindex":
    parts = [s.findtext(NS + "loc") for s in root.findall(NS + "sitemap")]
    within("sitemap.xml", len(parts))
    names = ["sitemap-%d.xml" % i for i in range(1, len(parts) + 1)]
    t(parts == [url + n for n in names], "the index lists the parts in order, absolute: %s" % parts)
    on_disk = sorted(n for n in os.listdir(site) if n.startswith("sitemap"))
    t(on_disk == sorted(names + ["sitemap.xml"]), "no other sitemap file: %s" % on_disk)
    for n, s in zip(names, root.findall(NS + "sitemap")):
        part = ET.parse(os.path.join(site, n)).getroot()
        urls = part.findall(NS + "url")
        within(n, len(urls))
        mods = [u.findtext(NS + "lastmod") for u in urls]
        t(s.findtext(NS + "lastmod") == max(mods), "%s's lastmod in the index is its newest" % n)
        locs += [u.findtext(NS + "loc") for u in urls]
else:
    urls = root.findall(NS + "url")
    within("sitemap.xml", len(urls))
    locs = [u.findtext(NS + "loc") for u in urls]
pages = set()
for d, _, names in os.walk(site):
    pages.update(os.path.relpath(os.path.join(d, n), site) for n in names if n.endswith(".html"))
want = set(url + (p[:-len("index.html")] if p.endswith("index.html") else p) for p in pages)
t(len(locs) == len(set(locs)) and set(locs) == want,
  "every HTML page (%d) is in the sitemap once (%d URLs)" % (len(want), len(locs)))
PY
	)
}

build_ok "49,997 announcements build" -C "$repo" --ref main~3 -o "$site" || bail "no site"
is "$(cd "$site" && ls sitemap*.xml | tr '\n' ' ')" "sitemap.xml " "at 50,000 URLs: sitemap.xml alone"
like "$(sed -n 2p "$site/sitemap.xml")" "<urlset " "... and it is a urlset"
check_sitemap "50,000 URLs"
cp "$site/sitemap.xml" "$TMP_ROOT/sitemap-at-the-limit.xml"

build_ok "4 more build" -C "$repo" --ref main~2 -o "$site"
is "$(cd "$site" && ls sitemap*.xml | tr '\n' ' ')" "sitemap-1.xml sitemap-2.xml sitemap.xml " \
	"at 50,004 URLs: an index and two parts"
like "$(sed -n 2p "$site/sitemap.xml")" "<sitemapindex " "... sitemap.xml is the index"
check_sitemap "50,004 URLs"
is "$(grep -c '<url>' "$site/sitemap-2.xml")" 4 "the second part holds the newest announcement and 3 other pages"
is "$(grep -i '^sitemap:' "$site/robots.txt")" "Sitemap: ${URL}sitemap.xml" "robots.txt names sitemap.xml"

# Each sitemap file's inode and mtime (to the nanosecond), after setting the mtimes far back.
touch -h -d @1000000000 "$site"/sitemap*.xml
stats() { (cd "$site" && stat -c '%n %i %.9Y' sitemap*.xml); }
stats >"$TMP_ROOT/before"
build_ok "one more builds" -C "$repo" --ref main~1 -o "$site"
stats >"$TMP_ROOT/after"
is "$(changed_files "$TMP_ROOT/before" "$TMP_ROOT/after" | tr '\n' ' ')" "sitemap-2.xml sitemap.xml " \
	"one more announcement: the last part and the index are written, the first is left alone"
check_sitemap "50,005 URLs"

build_ok "the 5 removed build" -C "$repo" -o "$site"
is "$(cd "$site" && ls sitemap*.xml | tr '\n' ' ')" "sitemap.xml " "back at 50,000 URLs: the parts are removed"
check "... and sitemap.xml is as before, byte for byte" cmp -s "$site/sitemap.xml" "$TMP_ROOT/sitemap-at-the-limit.xml"

done_testing
