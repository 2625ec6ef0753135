#!/usr/bin/env bash
# End-to-end tests of `threatfeed build` on small repositories: the files it writes, reproducible
# and untouched output, committed content only, --ref, bare repositories, finding the repository,
# no personal data, stable ids through renames and edits, and safe, self-contained HTML.
. "$(dirname "$0")/lib.sh"

# Distinctive identities: none of them may reach the site (invariant 2).
export GIT_AUTHOR_NAME="Leaky Author" GIT_AUTHOR_EMAIL=leak-author@example.invalid
export GIT_COMMITTER_NAME="Leaky Committer" GIT_COMMITTER_EMAIL=leak-committer@example.invalid

S=$TMP_ROOT/sites
mkdir -p "$S"
repo=$(base_repo)
site=$repo/site

# ---- the base site ----

build_ok "base repository builds (default output folder REPO/site)" -C "$repo" ||
	bail "nothing else can be tested"
for f in $BASE_FILES .threatfeed-files; do
	[ -f "$site/$f" ]
	ok $? "base site has $f"
done
extra=$(comm -13 <(printf '%s\n' $BASE_FILES .threatfeed-files | LC_ALL=C sort) <(files_of "$site"))
is "$extra" "" "base site has no unexpected file (no temporary file left behind)"
# The default site folder is in the work tree: an editor's `git add -A` must not commit it. A
# repository that ignores it already (the base one has a .gitignore) is left as it is.
! grep -qs site "$repo/.git/info/exclude"
ok $? "a repository whose .gitignore lists /site/ gets no line in .git/info/exclude"
unignored=$(new_repo)
rm "$unignored/.gitignore"
base_content "$unignored"
commit "$unignored" "no .gitignore" >/dev/null
printf '# the editor'"'"'s own\n*.swp' >"$unignored/.git/info/exclude"
build_ok "a repository that ignores nothing builds into its default folder" -C "$unignored"
is "$(git -C "$unignored" status --porcelain)" "" "... which git status does not show"
rm -rf "$unignored/site" "$unignored/.git/threatfeed"
build_ok "... and builds into it again" -C "$unignored"
is "$(cat "$unignored/.git/info/exclude")" "# the editor's own
*.swp
# The site 'threatfeed build' writes by default.
/site/" "... after which .git/info/exclude has the editor's lines, then the site's line once"
tf build -q -C "$unignored" -o "$unignored/elsewhere" >/dev/null
is "$(git -C "$unignored" status --porcelain)" "?? elsewhere/" "... and a folder given with -o is left alone"
# A new site folder is built beside it and appears with one rename (src/output.c).
is "$(find "$repo" -maxdepth 1 -name '.site.*')" "" "the first build leaves no folder beside the site"
(umask 077 && tf build -q -C "$repo" -o "$S/private" >/dev/null)
ok $? "a first build under umask 077"
is "$(stat -c %a "$S/private") $(stat -c %a "$S/private/2014")" "755 755" \
	"... gives a site folder and folders a web server can enter"
is "$(find "$S/private" \( -type d ! -perm 755 \) -o \( -type f ! -perm 644 \))" "" \
	"... and every folder 755 and every file 644"
# A default ACL on the folder that holds the site takes bits away as the umask does, from the
# folders and files of a new site and from the temporary files that replace a file later.
if command -v setfacl >/dev/null && mkdir "$S/acl" && setfacl -d -m o::---,g::--- "$S/acl" 2>/dev/null; then
	build_ok "a first build into a folder with a default ACL that hides files from others" \
		-C "$repo" -o "$S/acl/site"
	is "$(find "$S/acl/site" \( -type d ! -perm 755 \) -o \( -type f ! -perm 644 \))" "" \
		"... still makes every folder 755 and every file 644"
	check_quiet "... and writes the same site" diff -r "$S/private" "$S/acl/site"
	rm "$S/acl/site/index.html" "$S/acl/site/2014/2014-08-29-national-severe/index.html"
	build_ok "... and a build that writes two files again" -C "$repo" -o "$S/acl/site"
	is "$(stat -c %a "$S/acl/site/index.html" "$S/acl/site/2014/2014-08-29-national-severe/index.html")" \
		"644
644" "... makes them 644 too"
else
	pass "skipped: setfacl is missing, or this file system has no ACLs"
fi
build_ok "a first build into a folder whose parents do not exist yet" -C "$repo" -o "$S/new/er/site"
check_quiet "... writes the same site" diff -r "$S/private" "$S/new/er/site"
# A write that fails (files limited to 2 KiB): the message names the site folder, and neither it
# nor the folder the site was being built in is left behind.
(trap '' XFSZ; ulimit -f 2; tf build -q -C "$repo" -o "$S/limited" >/dev/null 2>"$TMP_ROOT/limited.err")
is "$?" 1 "a first build whose writes fail exits 1"
like "$(head -n 1 "$TMP_ROOT/limited.err")" "^threatfeed: $S/limited/[^ ]+: cannot write: File too large$" \
	"... naming the file in the site folder"
is "$(wc -l <"$TMP_ROOT/limited.err")" 1 "... once, whichever writer thread fails first"
is "$(find "$S" -maxdepth 1 -name '*limited*')" "" "... and leaves nothing behind"
# A file size limit that every site file is within, but not the HTML a cold build keeps between
# its passes (src/build.c, html_spill_max): it keeps what fits and reads the rest again, instead
# of being killed by SIGXFSZ.
fat=$(new_repo)
base_conf | put "$fat" threatfeed.conf
para=$(for _ in $(seq 100); do printf 'A paragraph with *emphasis* and [a link](https://example.org/). '; done)
# 80 bodies of 6 KB: about 640 KB of HTML, while the biggest site files, the feeds of 20 entries,
# are about 250 KB. Each is numbered: HTML read back from the wrong place must show.
for i in $(seq -w 1 80); do
	announcement severe "$(date -u -d @$((1262340000 + 10#$i * 60)) +%Y-%m-%dT%H:%M:%SZ)" national \
		"Number $i. $para" | put "$fat" "content/levels/2010-01-01-$i-national-severe.md"
done
commit "$fat" "80 long announcements" >/dev/null
build_ok "80 long announcements build" -C "$fat" -o "$S/fat"
rm -rf "$fat/.git/threatfeed"
(ulimit -f 320; tf build -q -C "$fat" -o "$S/fat-limited" >/dev/null 2>"$TMP_ROOT/fat.err")
is "$?" 0 "... and build under a file size limit below the HTML they make"
check_quiet "... into the same site" diff -r "$S/fat" "$S/fat-limited"
# That HTML is written in batches of whole blocks, and a body too big for a batch (128 KiB) alone
# (src/build.c, memo_keep_html). Read back, it must make the pages that a build keeping none
# makes: one with --ping, which reads no cache and keeps the HTML in memory.
huge=$(for _ in $(seq 2500); do printf 'A long paragraph with *emphasis* and [a link](https://example.org/). '; done)
announcement severe 2010-01-02T00:00:00Z national "$huge" |
	put "$fat" "content/levels/2010-01-02-national-severe.md"
commit "$fat" "an announcement bigger than a batch" >/dev/null
rm -rf "$fat/.git/threatfeed"
build_ok "a cold build with one announcement of more than 128 KiB of HTML" -C "$fat" -o "$S/fat-huge"
[ "$(stat -c %s "$S/fat-huge/2010/2010-01-02-national-severe/index.html")" -gt 200000 ]
ok $? "... whose page holds it all"
tf build -q --ping -C "$fat" -o "$S/fat-in-memory" >/dev/null 2>&1
is "$?" 0 "... and a build that keeps no HTML between its passes"
check_quiet "... write the same site" diff -r "$S/fat-huge" "$S/fat-in-memory"
# A build killed midway leaves its new folder behind: the next build that writes a site of that
# name removes it once nobody holds its lock and it is a quarter of an hour old. A live build's
# folder (its lock held), a young one, a link and names that only look alike stay, and no link is
# followed.
dead=$S/.reborn.new-Dead01 live=$S/.reborn.new-Live01 young=$S/.reborn.new-Young1
mkdir -p "$dead/2014/slug" "$live" "$young" "$S/.reborn.new-Short" "$S/.reborn.new-TooLong1" \
	"$S/.other.new-Other1" "$TMP_ROOT/outside-dir"
echo keep >"$TMP_ROOT/outside-dir/file"
echo stale >"$dead/2014/slug/index.html"
ln -s "$TMP_ROOT/outside-dir" "$dead/2014/dirlink"
ln -s "$TMP_ROOT/outside-dir/file" "$dead/filelink"
ln -s "$TMP_ROOT/outside-dir" "$S/.reborn.new-Link01"
touch -h -d '1 hour ago' "$dead" "$live" "$S/.reborn.new-Short" "$S/.reborn.new-TooLong1" \
	"$S/.other.new-Other1" "$S/.reborn.new-Link01"
# --no-fork: killing the holder ends the lock, with no sleep left behind holding it.
flock --no-fork "$live" sleep 120 &
holder=$!
for _ in $(seq 100); do flock -n "$live" true || break; sleep 0.1; done
build_ok "a build beside a dead build's folder" -C "$repo" -o "$S/reborn"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
# Only where every build sees an flock on a folder (src/output.c, folder_locks_are_shared).
fs=$(stat -f -c %T "$S")
case $fs in
ext2/ext3 | xfs | btrfs | tmpfs | f2fs | overlayfs)
	[ ! -e "$dead" ]
	ok $? "... removes the folder a killed build left ($fs)"
	stays=""
	;;
*)
	[ -e "$dead" ]
	ok $? "... leaves it on $fs, where a build on another machine would not see a lock"
	stays=".reborn.new-Dead01 "
	;;
esac
is "$(cat "$TMP_ROOT/outside-dir/file")" "keep" "... without following the links in it"
is "$(cd "$S" && ls -d .reborn.new-* .other.new-* | LC_ALL=C sort | tr '\n' ' ')" \
	".other.new-Other1 $stays.reborn.new-Link01 .reborn.new-Live01 .reborn.new-Short .reborn.new-TooLong1 .reborn.new-Young1 " \
	"... and leaves a live build's, a young one, a link and other names alone"
rm -rf "$S"/.reborn.new-* "$S/.other.new-Other1" "$S/reborn"

# ---- reproducible ----

build_ok "build into folder a" -C "$repo" -o "$S/a"
build_ok "build into folder b" -C "$repo" -o "$S/b"
check_quiet "two builds of one commit are byte-identical" diff -r "$S/a" "$S/b"
check_quiet "-o output equals the default output" diff -r "$S/a" "$site"
git clone -q "$repo" "$TMP_ROOT/elsewhere/clone"
build_ok "a clone in another path builds" -C "$TMP_ROOT/elsewhere/clone" -o "$S/clone"
check_quiet "a clone elsewhere gives the same bytes" diff -r "$S/a" "$S/clone"

# ---- unchanged output is untouched ----

age "$site"
snapshot "$site" >"$TMP_ROOT/snap0"
build_ok "rebuild with no change" -C "$repo"
snapshot "$site" >"$TMP_ROOT/snap1"
changed=$(changed_files "$TMP_ROOT/snap0" "$TMP_ROOT/snap1")
is "$changed" "" "a rebuild with no change rewrites no file (bytes, inodes and mtimes equal)"

# ---- the machine's clock, time zone and locale do not matter ----

(export SOURCE_DATE_EPOCH=2000000000 TZ=Pacific/Kiritimati LC_ALL=C LANG=fr_FR.UTF-8
	tf build -q -C "$repo" -o "$S/tz" >/dev/null 2>&1)
ok $? "build with another clock, time zone and locale"
check_quiet "another clock, time zone and locale give the same bytes" diff -r "$S/tz" "$S/a"

# ---- a date far ahead of its commit is said, on every build ----

# A typo in the year would keep a level current for decades: every build says so, whether it reads
# the announcement or takes it from the entries cache, and check --worktree measures against now.
ahead=$(new_repo)
base_content "$ahead"
announcement low 2052-01-02T10:00:00Z national "A typo in the year." |
	put "$ahead" content/levels/2025-01-02-national-low.md
commit "$ahead" "a date far ahead" >/dev/null
for run in first second; do
	run_tf build -q -C "$ahead" -o "$S/ahead"
	is "$status" 0 "the $run build of a date far ahead of its commit succeeds"
	like "$err" "^threatfeed: content/levels/2025-01-02-national-low.md:3:7: warning: 'date' \
2052-01-02T10:00:00Z is [0-9]+ days ahead of the commit it is in \(20[0-9-]+T00:00:00Z\), yet a build \
publishes it at once \(is the date right\?\)$" "... and warns of it, at the date's line and column"
done
run_tf check -C "$ahead" --worktree
like "$err" "2052-01-02T10:00:00Z is [0-9]+ days ahead of now \\(" "check --worktree measures it against now"

# ---- one announcement edited: only what shows it changes ----

old_entry=$(atom_entries "$site/atom.xml" | grep -F '2014-08-29-national-severe' | head -n 1)
like "$old_entry" '^[^	]+	[^	]+	https?://' "atom.xml has the 2014 entry with an id, updated and link"
sed -i 's/This means an attack is \*highly likely\*\./This means an attack is highly likely: EDITEDBODY./' \
	"$repo/content/levels/2014-08-29-national-severe.md"
commit "$repo" "fix a sentence" >/dev/null
build_ok "rebuild after editing one announcement's body" -C "$repo"
snapshot "$site" >"$TMP_ROOT/snap2"
changed=$(changed_files "$TMP_ROOT/snap1" "$TMP_ROOT/snap2")
diag "changed: $(echo $changed)"
for f in 2014/2014-08-29-national-severe/index.html atom.xml national/atom.xml; do
	grep -qxF "$f" <<<"$changed"
	ok $? "edited body: $f changed"
done
grep -q EDITEDBODY "$site/2014/2014-08-29-national-severe/index.html"
ok $? "edited body: its page shows the new text"
# What may also show the body (feeds, lists with summaries, the sitemap's lastmod from Git).
may="atom.xml rss.xml feed.json national/atom.xml national/rss.xml national/feed.json sitemap.xml
history/index.html index.html national/index.html 2014/2014-08-29-national-severe/index.html"
unexpected=$(comm -23 <(printf '%s\n' $changed) <(printf '%s\n' $may | LC_ALL=C sort))
is "$unexpected" "" "edited body: every other file keeps its bytes and mtime"
new_entry=$(atom_entries "$site/atom.xml" | grep -F '2014-08-29-national-severe' | head -n 1)
is "$(cut -f1,2 <<<"$new_entry")" "$(cut -f1,2 <<<"$old_entry")" \
	"edited body without 'updated:': Atom id and <updated> unchanged"

# ---- committed content only ----

announcement critical 2020-03-01T12:00:00Z national 'UNCOMMITTEDNEW announcement.' |
	put "$repo" content/levels/2020-03-01-national-critical.md
git -C "$repo" add content/levels/2020-03-01-national-critical.md   # staged, not committed
echo "UNCOMMITTEDEDIT" >>"$repo/content/levels/2019-11-04-national-substantial.md"
sed -i 's/^\ttitle = Test threat level$/\ttitle = UNCOMMITTEDCONF/' "$repo/threatfeed.conf"
build_ok "build with uncommitted changes in the work tree" -C "$repo" -o "$S/c"
! grep -rqE 'UNCOMMITTED(NEW|EDIT|CONF)' "$S/c"
ok $? "no uncommitted (staged or unstaged) text in the output"
[ ! -e "$S/c/2020" ]
ok $? "no page for an uncommitted announcement"
check_quiet "output equals the build of HEAD" diff -r "$S/c" "$site"
build_ok "build --worktree" -C "$repo" --worktree -o "$S/w"
grep -rq UNCOMMITTEDNEW "$S/w"
ok $? "--worktree shows the new uncommitted announcement"
grep -rq UNCOMMITTEDEDIT "$S/w"
ok $? "--worktree shows the uncommitted edit"
grep -rq UNCOMMITTEDCONF "$S/w"
ok $? "--worktree reads the uncommitted threatfeed.conf"
[ -f "$S/w/2020/2020-03-01-national-critical/index.html" ]
ok $? "--worktree writes the new announcement's page"
git -C "$repo" reset -q --hard

# ---- --ref ----

build_ok "build --ref HEAD~1" -C "$repo" --ref HEAD~1 -o "$S/old"
check_quiet "--ref HEAD~1 builds the older content (equal to the first build)" diff -r "$S/old" "$S/a"
run_tf build -q -C "$repo" --ref no-such-branch -o "$S/none"
[ "$status" -ne 0 ] && [ "$status" -ne 2 ]
ok $? "--ref to an unknown revision fails (status $status, not a usage error)"
like "$err" "no-such-branch" "the message names the unknown revision"
[ ! -e "$S/none" ] || [ -z "$(ls -A "$S/none")" ]
ok $? "a failed build creates no output"

# ---- bare repositories, -C, upward search ----

git clone -q --bare "$repo" "$TMP_ROOT/bare.git"
build_ok "a bare clone builds with -C and -o" -C "$TMP_ROOT/bare.git" -o "$S/bare"
check_quiet "the bare clone's site equals the work tree's" diff -r "$S/bare" "$site"

cd "$TMP_ROOT" || bail "cd"
build_ok "-C with a relative path from another folder" -C "${repo#"$TMP_ROOT"/}" -o "$S/rel"
check_quiet "-C from another folder gives the same site" diff -r "$S/rel" "$site"

rm -rf "$site"
cd "$repo/content/levels" || bail "cd"
build_ok "build from a subfolder of the repository, no -C"
[ -f "$site/index.html" ]
ok $? "the repository is found upward: REPO/site written"
[ ! -e "$repo/content/levels/site" ]
ok $? "nothing written in the current folder"
cd "$repo" || bail "cd"
build_ok "-o with a relative path is relative to the current folder" -o ../relative-out
[ -f "$TMP_ROOT/relative-out/index.html" ]
ok $? "relative -o written where expected"
cd "$TMP_ROOT" || bail "cd"

# A deploy folder reached through a link to nothing: the message says so, and where it points.
ln -s "$TMP_ROOT/not-made-yet/www" "$TMP_ROOT/dangling"
for dest in dangling dangling/sub; do
	run_tf build -C "$repo" -o "$TMP_ROOT/$dest"
	is "$status" 1 "-o $dest through a link to nothing: status 1"
	like "$err" "dangling: cannot create folder: it is a symbolic link to '$TMP_ROOT/not-made-yet/www', which does not exist" \
		"-o $dest through a link to nothing: the message names the link and its target"
done
[ -L "$TMP_ROOT/dangling" ] && [ ! -e "$TMP_ROOT/not-made-yet" ]
ok $? "a link to nothing: the link is left as it is, and nothing is made where it points"

# ---- the machine's git settings do not matter ----

home=$TMP_ROOT/home
mkdir -p "$home/.config/git"
cat >"$home/.gitconfig" <<'EOF'
[core]
	autocrlf = true
	eol = crlf
	abbrev = 12
[include]
	path = more.gitconfig
[user]
	name = Leaky Home
	email = leak-home@example.invalid
EOF
cat >"$home/more.gitconfig" <<'EOF'
[core]
	symlinks = false
	ignorecase = true
[i18n]
	commitEncoding = ISO-8859-1
EOF
cp "$home/.gitconfig" "$home/.config/git/config"
(
	unset GIT_CONFIG_GLOBAL GIT_CONFIG_NOSYSTEM
	export HOME=$home XDG_CONFIG_HOME=$home/.config
	tf build -q -C "$repo" -o "$S/home" >/dev/null 2>"$TMP_ROOT/home.err"
)
ok $? "build with a user gitconfig (autocrlf, include) succeeds" || diag "$(cat "$TMP_ROOT/home.err")"
check_quiet "a user gitconfig does not change the output" diff -r "$S/home" "$site"
printf '[core\n\tthis is = = not git config\n' >"$home/.gitconfig"
printf '[broken\n' >"$home/.config/git/config"
(
	unset GIT_CONFIG_GLOBAL GIT_CONFIG_NOSYSTEM
	export HOME=$home XDG_CONFIG_HOME=$home/.config
	tf build -q -C "$repo" -o "$S/home2" >/dev/null 2>"$TMP_ROOT/home.err"
)
ok $? "a broken user gitconfig is not even read" || diag "$(cat "$TMP_ROOT/home.err")"

# ---- renames keep ids; stale pages go ----

build_ok "build before the rename" -C "$repo"
before=$(atom_entries "$site/atom.xml" | grep -F '/2014-08-29-national-severe/' | head -n 1)
git -C "$repo" mv content/levels/2014-08-29-national-severe.md content/levels/2014-08-29-raised.md
commit "$repo" "rename" >/dev/null
build_ok "build after renaming an announcement" -C "$repo"
after=$(atom_entries "$site/atom.xml" | grep -F '/2014-08-29-raised/' | head -n 1)
like "$after" . "the renamed announcement is in atom.xml under its new link"
is "$(cut -f1 <<<"$after")" "$(cut -f1 <<<"$before")" "renaming the file keeps the entry's id"
is "$(cut -f2 <<<"$after")" "$(cut -f2 <<<"$before")" "renaming the file keeps the entry's <updated>"
[ -f "$site/2014/2014-08-29-raised/index.html" ]
ok $? "the new page exists"
[ ! -e "$site/2014/2014-08-29-national-severe/index.html" ]
ok $? "the old page is removed"
! grep -rqF '2014-08-29-national-severe' "$site"
ok $? "nothing links to the old page any more"

# The old address, given in 'aliases:', is a page again: one that sends readers on to the new one.
sed -i 's|^date: 2014-08-29T14:00:00+01:00$|&\naliases: [2014/2014-08-29-national-severe/]|' \
	"$repo/content/levels/2014-08-29-raised.md"
commit "$repo" "the old address as an alias" >/dev/null
build_ok "build after giving the old address in 'aliases:'" -C "$repo"
moved=$(tr -d '\n' <"$site/2014/2014-08-29-national-severe/index.html" 2>/dev/null)
like "$moved" '<meta http-equiv="refresh" content="0; url=\.\./\.\./2014/2014-08-29-raised/index\.html">' \
	"the old address sends readers on to the new page at once"
like "$moved" '<link rel="canonical" href="https://threat\.example\.org/2014/2014-08-29-raised/">' \
	"... names the new page as its canonical address"
like "$moved" '<meta name="robots" content="noindex">.*<a href="\.\./\.\./2014/2014-08-29-raised/index\.html">' \
	"... is not for search engines, and links to the new page for a reader whose browser stays"
! grep -qF '2014-08-29-national-severe' "$site/sitemap.xml" "$site/atom.xml" "$site/rss.xml" \
	"$site/feed.json" "$site/history/index.html"
ok $? "... and no feed, sitemap or list of the site gives the old address"
ids=$(atom_entries "$site/atom.xml" | cut -f1)
like "$ids" '^tag:' "default ids are tag: URIs"
! grep -qiE 'raised|national-severe|2014-08-29-' <<<"$(cut -f1 <<<"$after")"
ok $? "the default id holds neither the file name nor the title: $(cut -f1 <<<"$after")"

sed -i 's/^date: 2014-08-29T14:00:00+01:00$/&\nupdated: 2014-08-30T09:00:00+01:00/' \
	"$repo/content/levels/2014-08-29-raised.md"
commit "$repo" "significant revision" >/dev/null
build_ok "build after adding 'updated:'" -C "$repo"
revised=$(atom_entries "$site/atom.xml" | grep -F '/2014-08-29-raised/' | head -n 1)
is "$(cut -f1 <<<"$revised")" "$(cut -f1 <<<"$before")" "adding 'updated:' keeps the id"
like "$(cut -f2 <<<"$revised")" '^2014-08-30T(08:00:00Z|09:00:00\+01:00)$' \
	"adding 'updated:' sets the entry's Atom <updated>"

# ---- Markdown cannot inject script ----

put "$repo" content/levels/2021-01-01-national-moderate.md <<'EOF'
---
level: moderate
date: 2021-01-01T12:00:00Z
scope: national
---
Injection attempts follow.

<script>alert(1)</script>

Inline <script>alert(2)</script> and <img src=x onerror="alert(3)"> and <a href="javascript:alert(4)">a</a>.

[x](javascript:alert(5)) and ![y](javascript:alert(6)) and [z](JaVaScRiPt:alert(7))

[ref][r]

[r]: javascript:alert(9)
EOF
put "$repo" content/pages/inject.md <<'EOF'
---
title: Injection page
---
<script>alert(10)</script> [x](javascript:alert(11))
EOF
commit "$repo" "injection attempts" >/dev/null
build_ok "build with script and javascript: links in Markdown" -C "$repo"
hits=$(grep -rilF '<script' "$site")
is "$hits" "" "no '<script' anywhere in the site"
hits=$(grep -rilF 'javascript:' "$site")
is "$hits" "" "no 'javascript:' anywhere in the site"
put "$repo" content/pages/autolink.md <<'EOF'
---
title: Autolink page
---
An autolink shows its text, but must not link: <javascript:alert(8)>, <vbscript:msgbox(1)>,
<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>.
EOF
commit "$repo" "autolinks" >/dev/null
build_ok "build with unsafe autolinks in Markdown" -C "$repo"
hits=$(grep -rilE '(href|src)=("|'"'"'|&quot;|&#34;|\\")? *(javascript|vbscript|data):' "$site")
is "$hits" "" "no javascript:, vbscript: or data: URL in any href or src"
hits=$(grep -rlE '<[^>]* onerror=' "$site")
is "$hits" "" "no onerror attribute anywhere in the site"

# ---- a reaffirmed level is in force since it was set, raised or lowered ----

reaf=$(new_repo)
base_conf | put "$reaf" threatfeed.conf
announcement substantial 2019-11-04T10:00:00Z national 'Lowered.' |
	put "$reaf" content/levels/2019-11-04-national-substantial.md
announcement severe 2020-11-03T20:30:00Z national 'Raised.' |
	put "$reaf" content/levels/2020-11-03-national-severe.md
announcement severe 2021-01-05T12:00:00Z national 'Reviewed: it stays SEVERE.' |
	put "$reaf" content/levels/2021-01-05-national-severe.md
commit "$reaf" "a reaffirmation" >/dev/null
build_ok "a site whose current announcement reaffirms its level builds" -C "$reaf" -o "$S/reaf"
like "$(grep 'class="since"' "$S/reaf/index.html")" "SEVERE since 3 November 2020, 20:30 UTC" \
	"the home page: the level is in force since it was raised"
like "$(grep 'class="since"' "$S/reaf/national/index.html")" "SEVERE since 3 November 2020" \
	"the scope's page too"
like "$(grep -o 'since [^<]*</a>' "$S/reaf/levels/index.html")" "since 3 November 2020" \
	"the levels page too"
like "$(grep '"since"' "$S/reaf/level.json")" '"2020-11-03T20:30:00Z"' "level.json's since too"
like "$(grep -A1 '<dt>Status' "$S/reaf/2020/2020-11-03-national-severe/index.html")" "Still in force" \
	"the raise's page says its level is still in force"
like "$(grep -A1 '<dt>Status' "$S/reaf/2019/2019-11-04-national-substantial/index.html")" \
	"no longer in force" "the page of the level before it says it is no longer in force"
# The date of the raise corrected: a warm build, which keeps what its keys say is unchanged, says
# it as a cold one does.
announcement severe 2020-11-03T21:30:00Z national 'Raised.' |
	put "$reaf" content/levels/2020-11-03-national-severe.md
commit "$reaf" "the time of the raise corrected" >/dev/null
build_ok "... rebuilt after the raise's time is corrected" -C "$reaf" -o "$S/reaf"
rm -rf "$reaf/.git/threatfeed"
build_ok "... and built cold" -C "$reaf" -o "$S/reaf-cold"
like "$(grep '"since"' "$S/reaf/level.json")" '"2020-11-03T21:30:00Z"' "level.json follows the correction"
check_quiet "... and the warm build writes what the cold one does" diff -r "$S/reaf" "$S/reaf-cold"

# ---- self-contained, inert HTML ----

check_quiet "every link is relative and resolves (or is an allowed absolute link)" html_check links "$site"
check_quiet "no script, form, frame or event handler in any page" html_check inert "$site"
check_quiet "one <h1> on every page, and no heading skips a level" html_check outline "$site"
heads=$(new_repo)
base_conf | put "$heads" threatfeed.conf
announcement severe 2020-01-01T00:00:00Z national $'# Background\n\nText.\n\n## Detail\n\nMore.' |
	put "$heads" content/levels/2020-01-01-national-severe.md
printf -- '---\ntitle: About\n---\n### Who we are\n\nText.\n' | put "$heads" content/pages/about.md
commit "$heads" "bodies with headings" >/dev/null
build_ok "an announcement with '#' headings and a page with '###' ones build" -C "$heads" -o "$S/heads"
check_quiet "... with one <h1> on every page, and no heading skipping a level" \
	html_check outline "$S/heads"
like "$(tr -d '\n' <"$S/heads/2020/2020-01-01-national-severe/index.html")" \
	'<h2>Background</h2><p>Text.</p><h3>Detail</h3>' "... the announcement's headings one level down"
check_quiet "a Content-Security-Policy meta on every page" html_check csp "$site"
check_quiet "a referrer policy meta on every page" html_check referrer "$site"
check_quiet "Atom autodiscovery link on every page" html_check discover "$site"
check_quiet "a language, a skip link to <main>, and captioned tables that scroll inside a labelled region" \
	html_check a11y "$site"
check_quiet "links resolve in the --worktree build too" html_check links "$S/w"

# robots.txt is plain text: its sitemap address is the site's, not HTML-escaped.
amp=$(new_repo)
base_content "$amp"
sed -i "s|^\turl = .*|\turl = https://threat.example.org/a\&b'c/|" "$amp/threatfeed.conf"
commit "$amp" "an address with '&' and a quote" >/dev/null
build_ok "a site whose address holds '&' and a quote builds" -C "$amp" -o "$S/amp"
is "$(grep '^Sitemap:' "$S/amp/robots.txt")" "Sitemap: https://threat.example.org/a&b'c/sitemap.xml" \
	"robots.txt gives the sitemap's address as it is"

# ---- no personal data, no build-machine data ----

hits=$(grep -rilE 'leak-(author|committer|home)|Leaky' "$S" "$site")
is "$hits" "" "no author or committer name or e-mail in any output"
host=$(hostname 2>/dev/null || true)
# (Only a name long enough not to occur by chance, and not in the content itself.)
if [ ${#host} -ge 6 ] && ! grep -rqwF "$host" "$repo/content" "$repo/threatfeed.conf"; then
	hits=$(grep -rlwF "$host" "$S" "$site")
	is "$hits" "" "no host name ($host) in any output"
fi
hits=$(grep -rlF "$TMP_ROOT" "$S" "$site")
is "$hits" "" "no local path in any output"

done_testing
