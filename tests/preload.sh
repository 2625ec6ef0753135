#!/usr/bin/env bash
# Builds under libraries that stand in for others (LD_PRELOAD, tests/shims/): a change the caches
# must notice though the threatfeed binary stays the same, a machine where no thread starts,
# threads that cannot open a repository object of their own, a site folder that another program
# makes while a first build writes the site beside it, the lock a first build holds there, a
# disk with no room for the HTML a build keeps between its two passes, a build killed midway, a
# branch that moves during a build, a stale file that cannot be removed, and the order of the
# renames that put a build in place.
. "$(dirname "$0")/lib.sh"

shims=$THREATFEED_BUILD/shims
for shim in cmark-upgrade cmark-patched no-threads main-thread-repository site-appears staging-locked spill-full \
	disk-full-late no-tmpfile killed-at-rename ref-moves unlink-refused renames-logged; do
	[ -f "$shims/$shim.so" ] || bail "no $shim.so in $shims (make unit)"
done
# A sanitizer's runtime wants to be loaded first; the shims, built without one, come before it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
S=$TMP_ROOT/sites
mkdir -p "$S"

# without_caches REPO OUT [PRELOAD]: builds REPO's commit into OUT as if no build had run before.
without_caches() {
	mv "$1/.git/threatfeed" "$1/.git/threatfeed.away"
	LD_PRELOAD=${3:-} build_ok "reference build without caches ($(basename "$2"))" -C "$1" -o "$2"
	rm -rf "$1/.git/threatfeed"
	mv "$1/.git/threatfeed.away" "$1/.git/threatfeed"
}

# shim_build SHIM OUT WHAT: builds $big into OUT with tests/shims/SHIM.c preloaded, which writes
# what it did to $TMP_ROOT/SHIM.report; the build must succeed and say nothing.
shim_build() {
	SHIM_REPORT=$TMP_ROOT/$1.report LD_PRELOAD=$shims/$1.so timeout 120 \
		$TEST_WRAPPER "$THREATFEED" build -q -C "$big" -o "$2" >"$TMP_ROOT/$1.out" 2>"$TMP_ROOT/$1.err"
	is "$?" 0 "$3 succeeds"
	is "$(cat "$TMP_ROOT/$1.err")" "" "... and says nothing on stderr"
}

# at_least MIN REPORT WHAT: the count a shim wrote to $TMP_ROOT/REPORT is at least MIN.
at_least() {
	local n
	n=$(cat "$TMP_ROOT/$2" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
	ok $? "$3 ${n:-none})"
}

# ---- an upgraded libcmark: the caches' keys name it, so no cached page or summary is kept ----

repo=$(base_repo)
page=2014/2014-08-29-national-severe/index.html
build_ok "build with the installed libcmark" -C "$repo"
grep -q '<p>The national threat level' "$repo/site/$page"
ok $? "the page holds the installed libcmark's HTML"

LD_PRELOAD=$shims/cmark-upgrade.so build_ok "build after libcmark is upgraded" -C "$repo"
grep -q '<P>The national threat level' "$repo/site/$page"
ok $? "the page is rendered again by the upgraded libcmark"
without_caches "$repo" "$S/upgraded" "$shims/cmark-upgrade.so"
check_quiet "after the upgrade the site equals a build without caches" diff -r "$S/upgraded" "$repo/site"

build_ok "build after going back to the installed libcmark" -C "$repo"
without_caches "$repo" "$S/installed"
check_quiet "back again, the site equals a build without caches" diff -r "$S/installed" "$repo/site"

# A libcmark patched without a new version (a distribution's security fix) is another file: the
# caches' keys name the file each library was loaded from, not only its version.
LD_PRELOAD=$shims/cmark-patched.so build_ok "build after libcmark is patched, same version" -C "$repo"
grep -q '<P>The national threat level' "$repo/site/$page"
ok $? "the page is rendered again by the patched libcmark"
without_caches "$repo" "$S/patched" "$shims/cmark-patched.so"
check_quiet "after the patch the site equals a build without caches" diff -r "$S/patched" "$repo/site"
build_ok "build after going back to the unpatched libcmark" -C "$repo"
check_quiet "back again, the site equals a build without caches" diff -r "$S/installed" "$repo/site"

# ---- no thread can start: every stage does its work on the main thread ----

big=$(new_repo)
base_conf | put "$big" threatfeed.conf
# More announcements than the loader and the page renderer share out among threads.
for i in $(seq 1 300); do
	printf -- '---\nlevel: %s\ndate: 2001-01-01T00:00:00Z\nscope: national\n---\nAnnouncement %d, with *emphasis*.\n\nA second paragraph.\n' \
		"$([ $((i % 2)) -eq 0 ] && echo severe || echo substantial)" "$i" |
		sed "s/2001-01-01T00:00:00Z/$(date -u -d "@$((978307200 + i * 3600))" +%Y-%m-%dT%H:%M:%SZ)/" |
		put "$big" "content/levels/$(printf 'a%03d' "$i").md"
done
commit "$big" "300 announcements" >/dev/null
without_caches_first() { mkdir -p "$big/.git/threatfeed"; without_caches "$@"; }
without_caches_first "$big" "$S/threads"

LD_PRELOAD=$shims/no-threads.so timeout 120 $TEST_WRAPPER "$THREATFEED" build -q -C "$big" -o "$S/no-threads" \
	>"$TMP_ROOT/nt.out" 2>"$TMP_ROOT/nt.err"
is "$?" 0 "a build where no thread starts finishes and succeeds"
is "$(cat "$TMP_ROOT/nt.err")" "" "it says nothing on stderr"
check_quiet "its site equals the one built with threads" diff -r "$S/threads" "$S/no-threads"

LD_PRELOAD=$shims/no-threads.so timeout 120 $TEST_WRAPPER "$THREATFEED" build -q -C "$big" -o "$S/no-threads" \
	>"$TMP_ROOT/nt.out" 2>"$TMP_ROOT/nt.err"
is "$?" 0 "a warm build where no thread starts succeeds"
check_quiet "and leaves the same site" diff -r "$S/threads" "$S/no-threads"

# ---- the disk fills up part way: every folder the writer threads made goes ----

# late_full OUT WHAT: builds $big into OUT while the hundredth file of an announcement cannot be
# made (tests/shims/disk-full-late.c); the build must fail and say why.
late_full() {
	SHIM_REPORT=$TMP_ROOT/late.report LD_PRELOAD=$shims/disk-full-late.so timeout 120 \
		$TEST_WRAPPER "$THREATFEED" build -q -C "$big" -o "$1" >/dev/null 2>"$TMP_ROOT/late.err"
	is "$?" 1 "$2 fails"
	like "$(cat "$TMP_ROOT/late.err")" "^threatfeed: $1/2001/[^ ]+: cannot write: No space left on device" \
		"... naming a file it could not write"
	at_least 1 late.report "... as the shim refused one (refused:"
}
late_full "$S/late" "a first build that runs out of room"
is "$(find "$S" -maxdepth 1 -name '*late*')" "" "... and leaves nothing behind"
# Into a site that lacks the year's folder: the writers make it and folders inside it. Both may
# try to make it at once; the one that finds it made goes on.
cp -a "$S/threads" "$S/no-year"
rm -r "$S/no-year/2001"
build_ok "a build into a site without the year's folder" -C "$big" -o "$S/no-year"
check_quiet "... writes the same site" diff -r "$S/threads" "$S/no-year"
rm -r "$S/no-year"
cp -a "$S/threads" "$S/late-warm"
rm -r "$S/late-warm/2001"
cp -a "$S/late-warm" "$S/late-warm.before"
late_full "$S/late-warm" "a build into a site without the year's folder that runs out of room"
check_quiet "... and leaves the site as it was" diff -r "$S/late-warm.before" "$S/late-warm"
rm -r "$S/late-warm" "$S/late-warm.before"

# ---- only the main thread can open the repository: the others read through its object ----

# The entries cache is warm from the builds above and the site folder new: every page is rendered,
# from blobs the rendering threads read (a cold build's loading threads kept the HTML instead).
shim_build main-thread-repository "$S/main-repo" "a build whose threads cannot open the repository"
at_least 1 main-thread-repository.report "the rendering threads did try to open their own (refused:"
check_quiet "its site equals the one built without the shim" diff -r "$S/threads" "$S/main-repo"

# ---- the HTML kept between the passes: no room for it, no O_TMPFILE for it ----

# cold_under SHIM WHAT: a cold build of $big under SHIM, whose site must equal the one built
# without it, leaving nothing of that HTML in the Git folder.
cold_under() {
	rm -rf "$big/.git/threatfeed"
	shim_build "$1" "$S/$1" "$2"
	check_quiet "its site equals the one built without the shim" diff -r "$S/threads" "$S/$1"
	is "$(ls "$big/.git/threatfeed" | tr '\n' ' ')" "build-cache build.lock entries-cache pages-cache " \
		"and nothing of that HTML is left in the Git folder"
}
mv "$big/.git/threatfeed" "$big/.git/threatfeed.away"
cold_under spill-full "a cold build that cannot keep the HTML it makes"
at_least 1 spill-full.report "it did try to keep the HTML (refused:"
# Without O_TMPFILE the file is made with a name, which goes at once.
cold_under no-tmpfile "a cold build where O_TMPFILE is refused"
at_least 1 no-tmpfile.report "it did ask for O_TMPFILE (refused:"
at_least 1 no-tmpfile.report.writes "it kept the announcements' HTML in the file it made instead (writes:"
at_least 300 no-tmpfile.report.reads "... and read each one's back from there (reads:"
rm -rf "$big/.git/threatfeed"
mv "$big/.git/threatfeed.away" "$big/.git/threatfeed"

# ---- the site folder appears while a first build writes beside it: the build leaves it alone ----

LD_PRELOAD=$shims/site-appears.so timeout 120 $TEST_WRAPPER "$THREATFEED" build -q -C "$big" \
	-o "$S/appeared" >"$TMP_ROOT/ap.out" 2>"$TMP_ROOT/ap.err"
is "$?" 1 "a first build whose site folder appears meanwhile fails"
is "$(cat "$TMP_ROOT/ap.err")" "threatfeed: $S/appeared: cannot create folder: another program made it during the build (nothing was written to it)" \
	"... saying so"
is "$(ls -A "$S/appeared")" "theirs" "... leaving the folder that appeared as it was"
is "$(find "$S" -maxdepth 1 -name '.appeared.*')" "" "... and nothing of its own beside it"

# ---- a first build holds the lock on the folder it builds in, to the end ----

shim_build staging-locked "$S/locked" "a first build under the lock-checking shim"
is "$(cat "$TMP_ROOT/staging-locked.report" 2>/dev/null)" "held" \
	"its new folder is locked when it takes the site folder's name (a later build leaves it alone)"
check_quiet "... and its site equals the one built without the shim" diff -r "$S/threads" "$S/locked"

# ---- a build killed before its renames: the next one removes the temporary files it left ----

killed=$(base_repo)
build_ok "build of the site that a killed build then updates" -C "$killed"
announcement critical 2020-01-01T00:00:00Z national 'Raised to **CRITICAL**.' |
	put "$killed" content/levels/2020-01-01-national-critical.md
commit "$killed" "critical" >/dev/null
# The host's, named like a temporary file but listed nowhere: never touched.
echo host >"$killed/site/.notes.txt.tmp-AbCdE1"
LD_PRELOAD=$shims/killed-at-rename.so $TEST_WRAPPER "$THREATFEED" build -q -C "$killed" \
	>"$TMP_ROOT/kr.out" 2>&1
is "$?" 137 "a build killed at its first rename dies of SIGKILL"
left=$(cd "$killed/site" && find . -name '.*.tmp-*' ! -name '.notes.txt.tmp-AbCdE1' | wc -l)
[ "$left" -ge 10 ]
ok $? "it left its temporary files in the site ($left)"
list=$killed/.git/threatfeed/temporaries
[ "$(wc -l <"$list")" -eq $((left + 1)) ]
ok $? "... each listed in the Git folder, after the site folder's line"
# Lines the next build must not act on: out of the site by '..' or by a link, a site file, and a
# name a build listed but found taken by another file (the line with '/' after it cancels it).
mkdir -p "$killed/outside"
echo keep >"$killed/outside/.x.tmp-AAAAAA"
ln -s "$killed/outside" "$killed/site/link"
echo theirs >"$killed/site/.taken.html.tmp-ZZZZZZ"
printf '../outside/.x.tmp-AAAAAA\nlink/.x.tmp-AAAAAA\nindex.html\n.taken.html.tmp-ZZZZZZ\n' >>"$list"
printf '/.taken.html.tmp-ZZZZZZ\n' >>"$list"
run_tf build -v -C "$killed"
is "$status" 0 "the next build succeeds"
like "$out" "cleared $killed/site/2020/2020-01-01-national-critical/\\.index\\.html\\.tmp-[A-Za-z0-9]{6} \\(left by a build that did not finish\\)" \
	"... says what it cleared"
is "$(grep -c '^cleared ' <<<"$out")" "$left" "... clears every temporary file listed"
is "$(cd "$killed/site" && find . -name '.*.tmp-*' | LC_ALL=C sort | tr '\n' ' ')" \
	"./.notes.txt.tmp-AbCdE1 ./.taken.html.tmp-ZZZZZZ " "... and none it did not list, or cancelled"
is "$(cat "$killed/outside/.x.tmp-AAAAAA")" keep "... nor any out of the site"
[ -f "$killed/site/index.html" ]
ok $? "... nor a file of the site that the list names"
[ ! -e "$list" ]
ok $? "... and leaves no list behind"
without_caches "$killed" "$S/killed"
check_quiet "its site equals a build without caches" \
	diff -r -x link -x .notes.txt.tmp-AbCdE1 -x .taken.html.tmp-ZZZZZZ "$S/killed" "$killed/site"
# Killed again, and the branch set back to the commit the site has: that build writes nothing
# (the build cache says the site is current), but still clears what the killed one left.
announcement low 2021-01-01T00:00:00Z national 'Lowered to **LOW**.' |
	put "$killed" content/levels/2021-01-01-national-low.md
commit "$killed" "low" >/dev/null
LD_PRELOAD=$shims/killed-at-rename.so $TEST_WRAPPER "$THREATFEED" build -q -C "$killed" \
	>"$TMP_ROOT/kr.out" 2>&1
is "$?" 137 "a second build killed at its first rename"
git -C "$killed" reset -q --hard HEAD~1
run_tf build -C "$killed"
like "$out" " 0 written," "the build of the commit the site has writes nothing"
is "$(cd "$killed/site" && find . -name '.*.tmp-*' | LC_ALL=C sort | tr '\n' ' ')" \
	"./.notes.txt.tmp-AbCdE1 ./.taken.html.tmp-ZZZZZZ " "... and clears what the killed build left all the same"
[ ! -e "$list" ]
ok $? "... and its list"

# ---- the branch moves during a build: all of the build is of the commit it found ----

moving=$(base_repo)
build_ok "build of the site before its branch moves" -C "$moving"
sed -i 's/has been raised from SUBSTANTIAL/has been raised (C1) from SUBSTANTIAL/' \
	"$moving/content/levels/2014-08-29-national-severe.md"
commit "$moving" "C1" >/dev/null
c1=$(git -C "$moving" rev-parse HEAD)
sed -i 's/(C1)/(C2)/' "$moving/content/levels/2014-08-29-national-severe.md"
commit "$moving" "C2" >/dev/null
c2=$(git -C "$moving" rev-parse HEAD)
git -C "$moving" update-ref refs/heads/main "$c1"
SHIM_REPORT=$TMP_ROOT/ref-moves.report SHIM_MOVE_REF="git -C $moving update-ref refs/heads/main $c2" \
	LD_PRELOAD=$shims/ref-moves.so $TEST_WRAPPER "$THREATFEED" build -q -C "$moving" \
	>"$TMP_ROOT/rm.out" 2>"$TMP_ROOT/rm.err"
is "$?" 0 "a build during which its branch moves succeeds"
is "$(cat "$TMP_ROOT/ref-moves.report" 2>/dev/null)" "moved" "... the branch did move during it"
moved_page=$moving/site/2014/2014-08-29-national-severe/index.html
grep -q '(C1)' "$moved_page"
ok $? "... and it built the commit the branch named when it took the lock"
git -C "$moving" update-ref refs/heads/main "$c1"
build_ok "a build once the branch is set back" -C "$moving"
grep -q '(C1)' "$moved_page"
ok $? "... has that commit's site: no cache was recorded under the wrong commit"
without_caches "$moving" "$S/moving"
check_quiet "... equal to a build without caches" diff -r "$S/moving" "$moving/site"
git -C "$moving" update-ref refs/heads/main "$c2"
build_ok "a build once the branch moves on" -C "$moving"
grep -q '(C2)' "$moved_page"
ok $? "... builds the commit it names now"

# ---- a stale file cannot be removed once the others are replaced: the message says so ----

partly=$(base_repo)
build_ok "build of the site whose stale page cannot be removed" -C "$partly"
git -C "$partly" mv content/levels/2019-11-04-national-substantial.md \
	content/levels/2019-11-04-national-lowered.md
commit "$partly" "renamed" >/dev/null
SHIM_REPORT=$TMP_ROOT/unlink-refused.report SHIM_REFUSE=/2019-11-04-national-substantial/ \
	LD_PRELOAD=$shims/unlink-refused.so $TEST_WRAPPER "$THREATFEED" build -q -C "$partly" \
	>"$TMP_ROOT/ur.out" 2>"$TMP_ROOT/ur.err"
is "$?" 1 "a build that cannot remove a stale page fails"
is "$(cat "$TMP_ROOT/ur.err")" "threatfeed: $partly/site/2019/2019-11-04-national-substantial/index.html: cannot remove: Permission denied
threatfeed: the site is partly updated: some files were written before this problem; the next build that succeeds completes it" \
	"... saying that the site is partly updated, not that nothing was written"
at_least 1 unlink-refused.report "the removal was refused (refused:"
[ -f "$partly/site/2019/2019-11-04-national-lowered/index.html" ]
ok $? "... which it is: the renamed announcement's page is there"
build_ok "the next build" -C "$partly"
[ ! -e "$partly/site/2019/2019-11-04-national-substantial" ]
ok $? "... removes the stale page"
without_caches "$partly" "$S/partly"
check_quiet "... and completes the site" diff -r "$S/partly" "$partly/site"

# ---- between two renames of one build, no file links to one that is not there yet ----

# A web server serves each file as it is renamed into place: between two renames, readers and
# crawlers get the new version of some files and the old one of others. No page, feed or sitemap
# may then link to a page that is not there yet. A new free page is linked from every page's menu;
# a new announcement from the home page, the history, the feeds and the sitemap.
order=$(base_repo)
build_ok "a site to deploy over" -C "$order"
files_of "$order/site" >"$TMP_ROOT/order.before"
put "$order" content/pages/contact.md <<'EOF'
---
title: Contact
---
Write to the press office.
EOF
announcement critical 2024-05-01T08:00:00Z national 'The national threat level has been raised to **CRITICAL**.' |
	put "$order" content/levels/2024-05-01-national-critical.md
commit "$order" "a new page and a new announcement" >/dev/null
SHIM_REPORT=$TMP_ROOT/renames.report LD_PRELOAD=$shims/renames-logged.so build_ok \
	"a build that adds pages, its renames logged" -C "$order"
[ -f "$order/site/pages/contact/index.html" ] && [ -f "$order/site/2024/2024-05-01-national-critical/index.html" ]
ok $? "... adds both pages"
dangling=$(python3 - "$order/site" "$TMP_ROOT/order.before" "$TMP_ROOT/renames.report" \
	https://threat.example.org/ <<'PY'
import posixpath, re, sys
from html.parser import HTMLParser
site, before, log, url = sys.argv[1:]
there = set(open(before).read().split())

def target(rel, link):
    link = link.split("#")[0].split("?")[0]
    if link.startswith(url):
        path = link[len(url):]
    elif link == "" or re.match(r"^[a-z][a-z0-9+.-]*:|^/", link):
        return None
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), link))
        path = "" if path == "." else path + ("/" if link.endswith("/") else "")
    return path + "index.html" if path == "" or path.endswith("/") else path

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []
    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("href", "src") and v]

# A new file is out of reach until a file that was there before links to it: its own links are
# checked when the first such file is replaced, and those of a file replaced when it is.
def check(rel):
    text = open(posixpath.join(site, rel), encoding="utf-8").read()
    # Atom's category schemes are names, not addresses to follow.
    links = re.findall(r'(?<!scheme=")' + re.escape(url) + r'[^"<>\s\\]*', text)
    if rel.endswith(".html"):
        p = Links()
        p.feed(text)
        links += p.links
    for link in links:
        t = target(rel, link)
        if t is not None and t not in there:
            print("%s links to %s before it is there" % (rel, t))

reachable, unseen = set(there), []
for line in open(log):
    to = line.rstrip("\n").split("\t")[1]
    if not to.startswith(site + "/"):
        continue
    rel = to[len(site) + 1:]
    there.add(rel)
    if rel.startswith(".") or "/." in rel:
        continue
    if rel not in reachable:
        unseen.append(rel)
        continue
    for new in unseen:
        check(new)
    unseen = []
    check(rel)
PY
)
is "$dangling" "" "no file readers can reach is put in place before a new file it links to"

done_testing
