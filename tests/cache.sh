#!/usr/bin/env bash
# End-to-end tests of the build cache (src/cache.h): it lives in the Git folder, never in the site;
# output is byte-identical with a cold, warm, truncated or damaged cache; a warm build of an
# unchanged commit writes nothing; and a site file deleted or edited by hand is restored even
# though the cache says nothing changed.
. "$(dirname "$0")/lib.sh"

repo=$(base_repo)
site=$repo/site
cache=$repo/.git/threatfeed/build-cache
S=$TMP_ROOT/sites
mkdir -p "$S"

# The reference: a build with no cache at all.
build_ok "cold build (no cache)" -C "$repo" -o "$S/ref" || bail "nothing else can be tested"
rm -rf "$repo/.git/threatfeed"

build_ok "cold build into the site" -C "$repo"
[ -s "$cache" ]
ok $? "a successful build records the cache in the Git folder"
is "$(files_of "$site" | grep -c cache)" "0" "no cache file in the site"
check_quiet "cold-cache output equals the reference" diff -r "$S/ref" "$site"

# ---- warm: nothing to do ----

age "$site"
snapshot "$site" >"$TMP_ROOT/snap0"
run_tf build -C "$repo"
is "$status" 0 "warm build of the same commit succeeds"
like "$out" " 0 written, [0-9]+ unchanged, 0 removed$" "warm build reports nothing written"
is "$err" "" "warm build says nothing on stderr"
snapshot "$site" >"$TMP_ROOT/snap1"
is "$(changed_files "$TMP_ROOT/snap0" "$TMP_ROOT/snap1")" "" "warm build touches no file"
check_quiet "warm-cache output equals the reference" diff -r "$S/ref" "$site"
like "$out" "$(files_of "$S/ref" | grep -vc '^\.threatfeed-files$') files" \
	"warm build counts every site file"

# ---- truncated and damaged caches are ignored ----

size=$(stat -c %s "$cache")
head -c $((size / 2)) "$cache" >"$cache.half" && mv "$cache.half" "$cache"
build_ok "build with a truncated cache" -C "$repo"
snapshot "$site" >"$TMP_ROOT/snap2"
is "$(changed_files "$TMP_ROOT/snap0" "$TMP_ROOT/snap2")" "" "a truncated cache: no file rewritten"
check_quiet "truncated-cache output equals the reference" diff -r "$S/ref" "$site"

# A damaged checksum, and a page deleted that the full build must notice.
build_ok "build records a fresh cache" -C "$repo"
rm -f "$site/index.html"
sed -i 's/^sum .*/sum 0123456789abcdef/' "$cache"
build_ok "build with a damaged cache" -C "$repo"
check_quiet "damaged-cache output equals the reference (the deleted page is back)" \
	diff -r "$S/ref" "$site"
printf 'not a cache at all\n' >"$cache"
build_ok "build with a cache of garbage" -C "$repo" -o "$S/garbage"
check_quiet "garbage-cache output equals the reference" diff -r "$S/ref" "$S/garbage"

# ---- the site is checked, not the cache trusted ----

build_ok "build records the cache again" -C "$repo"
rm "$site/history/index.html"
run_tf build -C "$repo"
is "$status" 0 "build after a page was deleted by hand succeeds"
like "$out" " 1 written," "the deleted page is written again"
check_quiet "the deleted page is restored" diff -r "$S/ref" "$site"

# An edit of the same size with the old mtime put back: only ctime and the bytes tell.
printf 'X' | dd of="$site/index.html" bs=1 seek=20 conv=notrunc status=none
touch -r "$S/ref/index.html" "$site/index.html"
build_ok "build after a page was edited by hand" -C "$repo"
check_quiet "the edited page is restored" diff -r "$S/ref" "$site"

printf 'stray\n' >"$site/levels/index.html"
build_ok "build after a page was replaced by hand" -C "$repo"
check_quiet "the replaced page is restored" diff -r "$S/ref" "$site"

# ---- a new commit, another ref, another folder ----

announcement low 2024-01-01T10:00:00Z national 'Lowered for the benchmark of the cache.' |
	put "$repo" content/levels/2024-01-01-national-low.md
commit "$repo" "lowered" >/dev/null
run_tf build -C "$repo"
is "$status" 0 "build of a new commit succeeds"
like "$out" " [1-9][0-9]* written," "a new commit is not taken for the cached one"
build_ok "the new commit without a cache" -C "$repo" -o "$S/new"
rm -rf "$repo/.git/threatfeed"
build_ok "the new commit with no cache at all" -C "$repo" -o "$S/new-cold"
check_quiet "new commit: output with and without cache is byte-identical" diff -r "$S/new" "$site"
check_quiet "new commit: cold and warm output are byte-identical" diff -r "$S/new-cold" "$site"

build_ok "build the new commit (records the cache)" -C "$repo"
run_tf build -C "$repo" --ref HEAD~1
like "$out" " [1-9][0-9]* written, [0-9]+ unchanged, 1 removed$" "an older ref is built, not skipped"
check_quiet "older ref with a cache equals the reference" diff -r "$S/ref" "$site"

# ---- what the cache never does ----

run_tf build -C "$repo" --worktree
is "$status" 0 "--worktree builds"
echo "unrelated" >"$repo/content/levels/README.txt"
run_tf build -C "$repo" --worktree
like "$err" "README.txt" "--worktree never takes the shortcut (warnings still reported)"
rm -f "$repo/content/levels/README.txt"

# A date far ahead of its commit is warned about, and the commit's time is not in its trees: an
# older commit of the same trees, built after a later one said nothing, must still warn.
ahead=$(new_repo)
base_conf | put "$ahead" threatfeed.conf
announcement severe 2025-01-05T10:00:00Z national 'Dated ahead of its commit.' |
	put "$ahead" content/levels/2025-01-05-national-severe.md
commit "$ahead" "dated four days ahead" >/dev/null
for i in 1 2 3 4; do
	echo "notes $i" >"$ahead/NOTES.txt"
	commit "$ahead" "notes, outside what a build reads" >/dev/null
done
run_tf build -C "$ahead" --ref HEAD~4
like "$err" "'date' 2025-01-05T10:00:00Z is 4 days ahead" "a date far ahead of its commit is warned about"
run_tf build -C "$ahead"
is "$err" "" "... not in a later commit of the same trees"
run_tf build -C "$ahead" --ref HEAD~4
like "$err" "'date' 2025-01-05T10:00:00Z is 4 days ahead" \
	"... and again in the older commit, built after the later one said nothing"
run_tf build -C "$ahead"
like "$out" " 0 written, [0-9]+ unchanged, 0 removed$" "the later commit again writes nothing"

# ---- what a killed build leaves in the cache folder ----

# Each cache file is written as "<name>.tmp-XXXXXX" and renamed: a build killed in between leaves
# the temporary file, which the next build that takes the lock removes, and nothing else.
tfdir=$repo/.git/threatfeed
for f in build-cache.tmp-Ab12Cd entries-cache.tmp-zzzzzz pages-cache.tmp-000000 html.tmp-9Qw3Er; do
	echo "half written" >"$tfdir/$f"
done
echo "keep" >"$tfdir/notes.tmp-1"
echo "outside" >"$TMP_ROOT/outside"
ln -s "$TMP_ROOT/outside" "$tfdir/build-cache.tmp-Linked"
run_tf check -C "$repo"
is "$(ls "$tfdir" | grep -c '\.tmp-')" 6 "check, which takes no build lock, removes nothing"
run_tf build -C "$repo"
is "$status" 0 "a build after a killed one succeeds"
is "$(cd "$tfdir" && ls | grep '\.tmp-' | tr '\n' ' ')" "build-cache.tmp-Linked notes.tmp-1 " \
	"... removes the killed build's temporary files, not a link or a name of another form"
is "$(cat "$TMP_ROOT/outside")" "outside" "... nor anything a link leads to"
rm -f "$tfdir/notes.tmp-1" "$tfdir/build-cache.tmp-Linked"

# ---- the entries and pages caches: unchanged announcements are not read, unchanged pages not rendered ----

inc=$(base_repo)
isite=$inc/site
icache=$inc/.git/threatfeed
# Builds the current commit with no cache at all into $S/$1, for comparison.
cold_ref() {
	mv "$icache" "$icache.away" 2>/dev/null
	build_ok "reference build without caches ($1)" -C "$inc" -o "$S/$1"
	rm -rf "$icache"
	mv "$icache.away" "$icache" 2>/dev/null
}
# Builds the current commit with no cache into $S/$1 and checks the warm site equals it ($2 says after what).
same_as_cold() {
	cold_ref "$1"
	check_quiet "$2: warm output equals a build without caches" diff -r "$S/$1" "$isite"
}
build_ok "incremental: first build" -C "$inc"
[ -s "$icache/entries-cache" ] && [ -s "$icache/pages-cache" ]
ok $? "the entries and pages caches are recorded in the Git folder"
# A first build writes its new site folder whole and records each file as it left it, with no
# stat of its own (output_file_state): every line of both caches must say what stat says now.
stat_lines() {
	(cd "$1" && find . -type f -printf '%P\n' | while IFS= read -r f; do
		stat -c '%i %s %.9Y %.9Z' -- "$f" | awk -v f="$f" '{ split($3, m, "."); split($4, c, ".");
			print $1, $2, m[1], m[2] + 0, c[1], c[2] + 0, f }'
	done) | LC_ALL=C sort
}
stat_lines "$isite" >"$TMP_ROOT/stat-lines"
grep -E '^[0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ ' "$icache/build-cache" | LC_ALL=C sort \
	>"$TMP_ROOT/build-cache-lines"
check_quiet "the build cache records every file of a first build as it stats" \
	diff "$TMP_ROOT/stat-lines" "$TMP_ROOT/build-cache-lines"
grep -E '^[0-9a-f+]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ ' "$icache/pages-cache" |
	cut -d' ' -f2- | LC_ALL=C sort >"$TMP_ROOT/pages-cache-lines"
is "$(LC_ALL=C comm -13 "$TMP_ROOT/stat-lines" "$TMP_ROOT/pages-cache-lines")" "" \
	"the pages cache records each page of a first build as it stats"
# Pages come from templates; the feeds, level.json and the sitemap do not.
is "$(wc -l <"$TMP_ROOT/pages-cache-lines")" "$(grep -cE '\.(html|css|txt)$' "$TMP_ROOT/stat-lines")" \
	"the pages cache records every page of a first build"
# A first build renders every page whatever its digest: an announcement's page is recorded by its
# key alone ("+KEY"), the others by the digest of what their template reads.
is "$(grep -cE ' [0-9]{4}/[^/]+/index\.html$' "$TMP_ROOT/pages-cache-lines")" \
	"$(grep -cE '^\+[0-9a-f]{40} .* [0-9]{4}/[^/]+/index\.html$' "$icache/pages-cache")" \
	"a first build records each announcement's page by its key alone"
is "$(grep -cE '^[0-9a-f]{40} .* (index|history/index|levels/index)\.html$' "$icache/pages-cache")" 3 \
	"... and the other pages by their digest"
cold_ref inc0
check_quiet "incremental: first build equals a build without caches" diff -r "$S/inc0" "$isite"

# An edited announcement: its page shows the new text, everything else is kept.
sed -i 's/has been lowered to/was lowered today to/' "$inc/content/levels/2019-11-04-national-substantial.md"
commit "$inc" "edit one announcement" >/dev/null
age "$isite"
snapshot "$isite" >"$TMP_ROOT/isnap0"
build_ok "incremental: build after an edit" -C "$inc"
grep -q "was lowered today to" "$isite/2019/2019-11-04-national-substantial/index.html"
ok $? "the edited announcement's page is rendered again"
snapshot "$isite" >"$TMP_ROOT/isnap1"
changed=$(changed_files "$TMP_ROOT/isnap0" "$TMP_ROOT/isnap1")
like "$changed" "2019-11-04-national-substantial/index.html" "the edited page is rewritten"
unlike_pages=$(printf '%s\n' "$changed" | grep -c '2014-08-29-national-severe/index.html')
is "$unlike_pages" "0" "an untouched announcement's page is left alone"
same_as_cold inc1 "after an edit"

# An edit past the first paragraph changes no summary, only the body the page shows.
sed -i 's/an attack is \*highly likely\*/an attack is *highly likely* (edited)/' \
	"$inc/content/levels/2014-08-29-national-severe.md"
commit "$inc" "edit a second paragraph" >/dev/null
build_ok "incremental: build after an edit past the summary" -C "$inc"
grep -q "highly likely</em> (edited)" "$isite/2014/2014-08-29-national-severe/index.html"
ok $? "an edit past the first paragraph reaches the page"
same_as_cold inc1 "after an edit past the summary"

# A page edited by hand with its size and mtime kept is restored although its inputs did not change.
page=$isite/2014/2014-08-29-national-severe/index.html
printf 'X' | dd of="$page" bs=1 seek=30 conv=notrunc status=none
touch -r "$S/inc1/2014/2014-08-29-national-severe/index.html" "$page"
build_ok "incremental: build after a kept page was edited by hand" -C "$inc"
check_quiet "the hand-edited page is restored" diff -r "$S/inc1" "$isite"
rm "$page"
build_ok "incremental: build after a kept page was deleted by hand" -C "$inc"
check_quiet "the deleted page is restored" diff -r "$S/inc1" "$isite"

# Damaged caches are ignored, whichever file it is.
for f in entries-cache pages-cache; do
	build_ok "incremental: records the caches ($f)" -C "$inc"
	size=$(stat -c %s "$icache/$f")
	head -c $((size / 2)) "$icache/$f" >"$icache/$f.half" && mv "$icache/$f.half" "$icache/$f"
	rm -rf "$isite/2019"
	build_ok "incremental: build with a truncated $f" -C "$inc"
	check_quiet "truncated $f: output equals the reference" diff -r "$S/inc1" "$isite"
	sed -i 's/^sum .*/sum 0123456789abcdef/' "$icache/$f"
	build_ok "incremental: build with a damaged $f sum" -C "$inc" -o "$S/inc-$f"
	check_quiet "damaged $f: output equals the reference" diff -r "$S/inc1" "$S/inc-$f"
	# Same length, one byte changed, sum left alone.
	build_ok "incremental: records the caches again ($f)" -C "$inc"
	printf 'Z' | dd of="$icache/$f" bs=1 seek=60 conv=notrunc status=none
	rm -rf "$isite/2014" "$isite/index.html"
	build_ok "incremental: build with a flipped byte in $f" -C "$inc"
	check_quiet "flipped byte in $f: output equals the reference" diff -r "$S/inc1" "$isite"
	printf 'garbage\n' >"$icache/$f"
	build_ok "incremental: build with a $f of garbage" -C "$inc" -o "$S/inc-g-$f"
	check_quiet "garbage $f: output equals the reference" diff -r "$S/inc1" "$S/inc-g-$f"
done

# A well-formed entries cache (its sum right) whose record ids are not lowercase hex, as no build
# writes them: the cache is dropped, not trusted.
build_ok "incremental: records the caches (ids)" -C "$inc"
"$PYTHON" - "$icache/entries-cache" <<'EOF'
import re, sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
body = data[:data.rindex(b"sum ")]
body, n = re.subn(rb"^([0-9a-f]{40}) ", lambda m: m.group(1).upper() + b" ", body, flags=re.M)
assert n > 0
open(path, "wb").write(body + b"sum %016x\n" % zlib.crc32(body))
EOF
rm -rf "$isite/2014" "$isite/index.html"
build_ok "incremental: build with uppercase ids in the entries cache" -C "$inc"
check_quiet "uppercase ids: output equals the reference" diff -r "$S/inc1" "$isite"
grep -qE '^[0-9A-F]{40} ' "$icache/entries-cache"
is "$?" 1 "... and the entries cache is written again as builds write it"

# A template override re-renders every page that uses it.
build_ok "incremental: warm before a template change" -C "$inc"
sed 's|<main id="main"|<main data-override="yes" id="main"|' "$TOP_DIR/templates/entry.html.mustache" |
	put "$inc" templates/entry.html.mustache
commit "$inc" "override the entry template" >/dev/null
build_ok "incremental: build after a template override" -C "$inc"
is "$(grep -l 'data-override="yes"' "$isite"/20*/*/index.html | wc -l)" "3" \
	"every announcement page shows the override"
same_as_cold inc2 "template override"
# A partial the entry template includes.
printf '<footer class="site-footer" data-new-footer="1"></footer>\n' | put "$inc" templates/footer.mustache
commit "$inc" "override a partial" >/dev/null
build_ok "incremental: build after a partial override" -C "$inc"
is "$(grep -l 'data-new-footer' "$isite"/20*/*/index.html | wc -l)" "3" \
	"every announcement page shows the new partial"
same_as_cold inc3 "partial override"
# A template that names "." in an entry's section depends on every member of the entry, the
# members entries share (level, scope, direction) included: renaming a scope reaches its pages.
sed 's|<main id="main"|{{#entry}}{{.}}{{/entry}}<main id="main"|' \
	"$TOP_DIR/templates/entry.html.mustache" | put "$inc" templates/entry.html.mustache
commit "$inc" "an entry template that names the whole entry" >/dev/null
build_ok "incremental: build with the whole entry named" -C "$inc"
sed -i 's/title = National threat level/title = National level, all members/' "$inc/threatfeed.conf"
commit "$inc" "rename a scope under that template" >/dev/null
build_ok "incremental: build after a rename under that template" -C "$inc"
grep -q "National level, all members" "$isite/2014/2014-08-29-national-severe/index.html"
ok $? "a shared member's change reaches a page whose template names the whole entry"
same_as_cold inc3b "whole entry named"
sed -i 's/title = National level, all members/title = National threat level/' "$inc/threatfeed.conf"
sed 's|<main id="main"|<main data-override="yes" id="main"|' "$TOP_DIR/templates/entry.html.mustache" |
	put "$inc" templates/entry.html.mustache
commit "$inc" "back to the overrides before" >/dev/null
# A template that shows every announcement's body on every page.
printf '{{#entries}}<div>{{{content_html}}}</div>{{/entries}}\n' | put "$inc" templates/footer.mustache
commit "$inc" "bodies everywhere" >/dev/null
build_ok "incremental: build with every body on every page" -C "$inc"
grep -q "was lowered today to" "$isite/index.html"
ok $? "bodies of cached announcements are read when a template shows them"
same_as_cold inc4 "bodies everywhere"

# Settings the validation depends on: levels defined anew make the cached announcements invalid.
cp "$inc/threatfeed.conf" "$TMP_ROOT/conf.saved"
sed -i 's/^\[feed\]/[level "severe"]\n\trank = 4\n\tsummary = Changed summary\n\tcolour = "#b30000"\n[feed]/' \
	"$inc/threatfeed.conf"
git -C "$inc" rm -q --cached templates/footer.mustache && rm "$inc/templates/footer.mustache"
commit "$inc" "settings change" >/dev/null
run_tf build -C "$inc"
is "$status" 1 "settings that make cached announcements invalid fail the build"
like "$err" "unknown level 'substantial'" "the cached announcement is checked against the new settings"
# A valid change: a scope's title is on every national announcement's page.
sed 's/title = National threat level/title = National level, renamed/' "$TMP_ROOT/conf.saved" \
	>"$inc/threatfeed.conf"
commit "$inc" "rename a scope" >/dev/null
build_ok "incremental: build after a settings change" -C "$inc"
grep -q "National level, renamed" "$isite/2014/2014-08-29-national-severe/index.html"
ok $? "a settings change reaches the kept announcement pages"
same_as_cold inc5 "settings change"

# A file with a warning is never taken from the cache: the warning is repeated.
put "$inc" content/levels/2020-01-01-national-low.md <<'EOF2'
---
level: low
date: 2020-01-01T10:00:00Z
scope: national
colour: blue
---
With an unknown key.
EOF2
commit "$inc" "a warning" >/dev/null
run_tf build -C "$inc"
like "$err" "unknown key 'colour'" "the warning is reported"
run_tf build -C "$inc" -o "$S/inc-warn"
like "$err" "unknown key 'colour'" "the warning is reported again with a warm entries cache"
# A removed announcement disappears.
git -C "$inc" rm -q content/levels/2019-11-04-national-substantial.md
commit "$inc" "remove one" >/dev/null
run_tf build -C "$inc"
[ ! -e "$isite/2019/2019-11-04-national-substantial/index.html" ]
ok $? "a removed announcement's page is removed"
same_as_cold inc6 "removal"

# What an entry page is made from besides its own file (render.h, the pages' keys): the
# announcement before it, whether it is the newest of its scope, and the site's settings.
announcement critical 2016-05-01T10:00:00+01:00 national 'Raised for a while.' |
	put "$inc" content/levels/2016-05-01-national-critical.md
commit "$inc" "one in between" >/dev/null
build_ok "incremental: build after an announcement in between" -C "$inc"
grep -q "CRITICAL" "$isite/2020/2020-01-01-national-low/index.html"
ok $? "the next announcement's page names its new previous level"
same_as_cold inc7 "in between"
announcement moderate 2021-02-01T10:00:00Z national 'The newest.' |
	put "$inc" content/levels/2021-02-01-national-moderate.md
commit "$inc" "a newer one" >/dev/null
build_ok "incremental: build after a newer announcement" -C "$inc"
grep -q "no longer in force" "$isite/2020/2020-01-01-national-low/index.html"
ok $? "the announcement that was current says it no longer is"
same_as_cold inc8 "newer"
sed -i 's/title = Test threat level/title = Test threat level, renamed/' "$inc/threatfeed.conf"
commit "$inc" "rename the site" >/dev/null
build_ok "incremental: build after the site is renamed" -C "$inc"
grep -q "Test threat level, renamed" "$isite/2014/2014-08-29-national-severe/index.html"
ok $? "the new site title reaches every announcement page"
same_as_cold inc9 "site renamed"
# The entries cache knows a file by its bytes: renamed to a name that is no URL, the same bytes
# must be refused as they would be without it.
snapshot "$isite" >"$TMP_ROOT/inc-before-rename"
git -C "$inc" mv content/levels/2021-02-01-national-moderate.md "content/levels/2021-02-01 Moderate.md"
commit "$inc" "a name with a space" >/dev/null
run_tf build -C "$inc"
is "$status" 1 "a build after a rename to a name that is no URL fails, with a warm entries cache"
is "$(grep -v warning <<<"$err")" "threatfeed: content/levels/2021-02-01 Moderate.md: file name '2021-02-01 Moderate.md' is not usable in a URL (expected lowercase letters, digits, '-', '_' or '.', not starting with '-' or '.')" \
	"... saying so, as a build without caches does"
snapshot "$isite" >"$TMP_ROOT/inc-after-rename"
check_quiet "... and leaves the site as it was" diff "$TMP_ROOT/inc-before-rename" "$TMP_ROOT/inc-after-rename"
git -C "$inc" mv "content/levels/2021-02-01 Moderate.md" content/levels/2021-02-01-national-moderate.md
commit "$inc" "its name back" >/dev/null
# A clash is reported where the date is, also in an announcement taken from the entries cache.
announcement critical 2014-08-29T13:00:00Z national 'At the same instant.' |
	put "$inc" content/levels/2014-08-29-a.md
commit "$inc" "the same instant" >/dev/null
run_tf build -C "$inc"
is "$(grep -v warning <<<"$err")" "threatfeed: content/levels/2014-08-29-national-severe.md:3:7: announces a level for the same scope at the same instant as content/levels/2014-08-29-a.md (expected one announcement per moment)" \
	"an announcement from the entries cache is reported at its date's line and column"
git -C "$inc" rm -q content/levels/2014-08-29-a.md
commit "$inc" "not at the same instant" >/dev/null
# A clash of ids is reported at the id's line and column, also in one from the entries cache.
put "$inc" content/levels/2022-01-09-z.md <<'EOF2'
---
level: low
date: 2022-01-09T10:00:00Z
scope: national
id: tag:threat.example.org,2022:one
---
Kept in the entries cache.
EOF2
commit "$inc" "an explicit id" >/dev/null
build_ok "incremental: build with an explicit id" -C "$inc"
put "$inc" content/levels/2022-01-02-a.md <<'EOF2'
---
level: moderate
date: 2022-01-02T10:00:00Z
scope: national
id: tag:threat.example.org,2022:one
---
The same id.
EOF2
commit "$inc" "the same id" >/dev/null
run_tf build -C "$inc"
is "$status/$(grep -v warning <<<"$err")" "1/threatfeed: content/levels/2022-01-09-z.md:5:5: id 'tag:threat.example.org,2022:one' is already used by content/levels/2022-01-02-a.md (expected a unique id)" \
	"an id from the entries cache is reported at its line and column"
git -C "$inc" rm -q content/levels/2022-01-02-a.md content/levels/2022-01-09-z.md
commit "$inc" "no clash" >/dev/null

# Whether a link leads to a page is known only once every file is: a file taken from the entries
# cache is checked again against what the others are now.
put "$inc" content/levels/2022-03-01-national-low.md <<'EOF2'
---
level: low
date: 2022-03-01T10:00:00Z
scope: national
---
Lowered. See [the next one](../../2023/2023-01-01-national-moderate/).
EOF2
commit "$inc" "a link ahead" >/dev/null
# The announcement of 2020 warns of an unknown key, said above.
links_said() { grep -v "unknown key 'colour'" <<<"$err"; }
dead="threatfeed: content/levels/2022-03-01-national-low.md:6:29: warning: link to '../../2023/2023-01-01-national-moderate/' leads to no page of the site (expected an announcement's address: ../../<year>/<its file name without .md>/)"
run_tf build -C "$inc"
is "$status/$(links_said)" "0/$dead" "a link to an announcement not yet published is a warning"
run_tf build -C "$inc" -o "$S/inc-link"
is "$status/$(links_said)" "0/$dead" "... said again with a warm entries cache"
announcement moderate 2023-01-01T10:00:00Z national 'Raised.' |
	put "$inc" content/levels/2023-01-01-national-moderate.md
commit "$inc" "the link's page" >/dev/null
run_tf build -C "$inc"
is "$status/$(links_said)" "0/" "once that announcement is published, the link it had from the cache is quiet"
git -C "$inc" mv content/levels/2023-01-01-national-moderate.md content/levels/2023-01-01-moderate.md
commit "$inc" "its page renamed" >/dev/null
run_tf build -C "$inc"
is "$status/$(links_said)" "0/$dead" "renamed, the link to it is a warning again"
git -C "$inc" rm -q content/levels/2022-03-01-national-low.md content/levels/2023-01-01-moderate.md
commit "$inc" "no links" >/dev/null

# An old address from the entries cache still makes its page, and is still checked against the
# addresses of the others.
put "$inc" content/levels/2022-05-01-national-low.md <<'EOF2'
---
level: low
date: 2022-05-01T10:00:00Z
scope: national
aliases: [2022/lowered/]
---
Lowered.
EOF2
commit "$inc" "an old address" >/dev/null
build_ok "incremental: build with an old address" -C "$inc"
announcement moderate 2022-06-01T10:00:00Z national 'Raised.' |
	put "$inc" content/levels/2022-06-01-national-moderate.md
commit "$inc" "another" >/dev/null
build_ok "incremental: the old address's announcement from the entries cache" -C "$inc"
grep -qF 'url=../../2022/2022-05-01-national-low/index.html' "$inc/site/2022/lowered/index.html"
ok $? "... still sends readers on from its old address"
same_as_cold inc-alias "an old address from the entries cache"
announcement moderate 2022-07-01T10:00:00Z national 'Raised.' | put "$inc" content/levels/lowered.md
commit "$inc" "a page at the old address" >/dev/null
run_tf build -C "$inc"
is "$status/$(grep -v warning <<<"$err")" "1/threatfeed: content/levels/2022-05-01-national-low.md:5:11: 'aliases' names '2022/lowered/', the address of content/levels/lowered.md (expected an address no page of the site has)" \
	"an old address from the entries cache is checked against a new page there, at its line and column"
git -C "$inc" rm -q content/levels/2022-05-01-national-low.md content/levels/2022-06-01-national-moderate.md \
	content/levels/lowered.md
commit "$inc" "no old addresses" >/dev/null

# ---- a larger site: the content is loaded by several threads ----

big=$(new_repo)
base_conf | put "$big" threatfeed.conf
mkdir -p "$big/content/levels"
for i in $(seq -w 1 300); do
	case $((10#$i % 3)) in 0) level=low ;; 1) level=severe ;; *) level=critical ;; esac
	printf -- '---\nlevel: %s\ndate: %s\nscope: national\n---\nAnnouncement *%s*.\n' "$level" \
		"$(date -u -d @$((946684800 + 10#$i * 3600)) +%Y-%m-%dT%H:%M:%SZ)" "$i" \
		>"$big/content/levels/2000-$i-national.md"
done
commit "$big" "300 announcements" >/dev/null
build_ok "a site of 300 announcements builds" -C "$big" -o "$S/big"
is "$(find "$S/big" -path '*/2000-*/index.html' | wc -l)" "300" "every announcement has its page"
sed -i 's/^level: .*/level: sever/' "$big/content/levels/2000-007-national.md"
sed -i 's/^level: .*/level: hgih/' "$big/content/levels/2000-150-national.md"
sed -i 's/^date: .*/date: yesterday/' "$big/content/levels/2000-293-national.md"
echo "stray" >"$big/content/levels/2000-200-notes.txt"
commit "$big" "three mistakes" >/dev/null
run_tf build -C "$big" -o "$S/big-bad"
is "$status" 1 "a large site with mistakes fails"
is "$(printf '%s\n' "$err" | sed -n 's/^threatfeed: content\/levels\/\([^:]*\):.*/\1/p' | tr '\n' ' ')" \
	"2000-007-national.md 2000-150-national.md 2000-200-notes.txt 2000-293-national.md " \
	"every problem is reported, in file order, whichever thread found it"
[ ! -e "$S/big-bad" ]
ok $? "nothing is written"

# When the entries cache is rewritten: not for one announcement read afresh among 300 (a record of
# every one would cost more than reading it again), but once more than 32 have been.
git -C "$big" reset -q --hard HEAD~1
build_ok "the 300 announcements again" -C "$big" -o "$S/big"
ecache=$big/.git/threatfeed/entries-cache
before=$(stat -c '%i %.9Y' "$ecache")
announcement low 2001-01-01T10:00:00Z national 'One more.' |
	put "$big" content/levels/2001-001-national.md
commit "$big" "one more" >/dev/null
build_ok "one announcement more" -C "$big" -o "$S/big"
is "$(stat -c '%i %.9Y' "$ecache")" "$before" "... leaves the entries cache as it was"
for i in $(seq -w 2 40); do
	announcement low "2001-01-02T10:$i:00Z" national "More, $i." |
		put "$big" "content/levels/2001-0$i-national.md"
done
commit "$big" "39 more" >/dev/null
build_ok "39 announcements more" -C "$big" -o "$S/big"
[ "$(stat -c '%i %.9Y' "$ecache")" != "$before" ]
ok $? "... rewrites the entries cache, with the 40 read afresh"
grep -c '^[0-9a-f]\{40\} ' "$ecache" >"$TMP_ROOT/records"
is "$(cat "$TMP_ROOT/records")" "340" "... holding a record of every announcement"

done_testing
