#!/usr/bin/env bash
# Golden tests of bad input. Each folder tests/cases/NAME/ holds files to lay over a known-good base
# repository (content/levels/bad.md, a replacement threatfeed.conf...), optionally a `setup` script
# run in the repository for what plain files cannot hold (binary bytes, symlinks, submodules, big
# files), and the expected outcome: `expected-status` and `expected-stderr` (compared exactly).
#
# For each case: the base site is already built; the case is committed; `threatfeed build` must
# give the expected status and messages and, when it fails, leave the site exactly as it was (bytes,
# inodes and mtimes: invariant 4) and not create a new output folder; `threatfeed check` must report
# the same and write nothing.
#   bash tests/bad-input.sh [NAME...]    runs only the named cases
. "$(dirname "$0")/lib.sh"

base=$(base_repo)
build_ok "the base repository builds" -C "$base" || bail "no base site"
age "$base/site"

cases=()
if [ $# -gt 0 ]; then
	for n in "$@"; do cases+=("$TESTS_DIR/cases/$n"); done
else
	for c in "$TESTS_DIR"/cases/*/; do cases+=("${c%/}"); done
fi

for c in "${cases[@]}"; do
	name=${c##*/}
	if [ ! -f "$c/expected-status" ] || [ ! -f "$c/expected-stderr" ]; then
		fail "$name: case has expected-status and expected-stderr"
		continue
	fi
	want_status=$(tr -d ' \n' <"$c/expected-status")
	repo=$TMP_ROOT/case-$name
	cp -a "$base" "$repo"
	(cd "$c" && find . -type f ! -name expected-stderr ! -name expected-status ! -name setup \
		-printf '%P\0') |
		while IFS= read -r -d '' f; do
			mkdir -p "$repo/$(dirname "$f")" && cp "$c/$f" "$repo/$f"
		done
	if [ -f "$c/setup" ]; then
		(cd "$repo" && bash -e "$c/setup") || { fail "$name: setup script"; continue; }
	fi
	commit "$repo" "$name" >/dev/null 2>&1 || { fail "$name: commit the case"; continue; }

	snapshot "$repo/site" >"$TMP_ROOT/before"
	run_tf build -C "$repo"
	is "$status" "$want_status" "$name: build exits with status $want_status"
	same_file "$TMP_ROOT/last.err" "$c/expected-stderr" "$name: build reports exactly the expected messages"
	snapshot "$repo/site" >"$TMP_ROOT/after"
	changed=$(changed_files "$TMP_ROOT/before" "$TMP_ROOT/after")
	if [ "$want_status" -ne 0 ]; then
		is "$changed" "" "$name: the failed build changed nothing in the site"
	else
		# Every status-0 case adds an announcement: its page must appear.
		grep -q '^20[0-9][0-9]/.*/index.html$' <<<"$changed"
		ok $? "$name: the successful build published the new announcement"
	fi

	if [ "$want_status" -ne 0 ]; then
		run_tf build -q -C "$repo" -o "$TMP_ROOT/fresh"
		[ ! -e "$TMP_ROOT/fresh" ] && ! compgen -G "$TMP_ROOT/.fresh.*" >/dev/null
		ok $? "$name: a failed build into a new folder does not create it, nor one beside it"
		rm -rf "$TMP_ROOT/fresh"
	fi

	snapshot "$repo/site" >"$TMP_ROOT/before"
	run_tf check -C "$repo"
	is "$status" "$want_status" "$name: check exits with status $want_status"
	same_file "$TMP_ROOT/last.err" "$c/expected-stderr" "$name: check reports the same messages"
	snapshot "$repo/site" >"$TMP_ROOT/after"
	is "$(changed_files "$TMP_ROOT/before" "$TMP_ROOT/after")" "" "$name: check writes nothing"
	rm -rf "$repo"
done

done_testing
