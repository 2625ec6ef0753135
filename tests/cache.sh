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

put "$repo" content/levels/2024-01-01-national-low.md <<'EOF2'
---
level: low
date: 2024-01-01T10:00:00Z
scope: national
---
Lowered for the benchmark of the cache.
EOF2
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

done_testing
