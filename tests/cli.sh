#!/usr/bin/env bash
# End-to-end tests of the command line: help, version, usage errors (status 2), running outside a
# repository, -o, check (including --staged), -v.
. "$(dirname "$0")/lib.sh"

empty=$TMP_ROOT/empty
mkdir -p "$empty"

# ---- help and version ----

run_tf --help
is "$status" 0 "--help exits 0"
like "$out" '\bbuild\b' "--help lists build"
like "$out" '\bcheck\b' "--help lists check"
is "$err" "" "--help writes nothing on stderr"
# Exit status 1 is also a failed write (a full disk, a folder it may not write), as in the manual.
like "$out" 'exit status: 0 success, 1 content, settings or I/O error, 2 usage error' \
	"--help gives exit status 1 to I/O errors too"

for cmd in build check; do
	run_tf help "$cmd"
	is "$status" 0 "help $cmd exits 0"
	like "$out$err" "$cmd" "help $cmd describes $cmd"
done
run_tf help build
like "$out" -- '--ref' "help build mentions --ref"
like "$out" -- '--worktree' "help build mentions --worktree"
like "$out" -- '-o' "help build mentions -o"
run_tf help check
like "$out" -- '--staged' "help check mentions --staged"

# The manual: every command takes -h "to describe itself, as help does". `hooks -h` is answered
# before `install`, the others by each command's own option parser.
for args in "build -h" "check --help" "new -h" "hooks -h" "hooks install --help" "ping -h"; do
	cmd=${args%% *}
	run_tf help "$cmd"
	want=$out
	run_tf $args
	is "$status" 0 "$args exits 0"
	is "$out" "$want" "$args prints what 'help $cmd' prints, usage line included"
done

run_tf help frobnicate
is "$status" 2 "help for an unknown command exits 2"
like "$err" "frobnicate" "help for an unknown command names it"

run_tf --version
is "$status" 0 "--version exits 0"
like "$out" '[0-9]+\.[0-9]+(\.[0-9]+)?' "--version prints a version number"
like "$out" 'threatfeed' "--version names the program"

# ---- usage errors ----

usage_error() {
	local what=$1
	shift
	run_tf "$@"
	is "$status" 2 "$what: exits 2"
	like "$err" '^threatfeed: ' "$what: message on stderr starts with 'threatfeed: '"
	[ ! -e "$empty/site" ]
	ok $? "$what: writes nothing"
}

cd "$empty" || bail "cd"
run_tf
is "$status" 2 "no command: exits 2"
like "$err" 'usage' "no command: the usage on stderr"
is "$out" "" "no command: nothing on stdout"
usage_error "unknown command" frobnicate
like "$err" "frobnicate" "unknown command: the message names it"
usage_error "unknown option" build --frobnicate
like "$err" -- "--frobnicate" "unknown option: the message names it"
usage_error "unknown option before the command" --frobnicate
usage_error "unknown short option" build -Z
usage_error "-o without its argument" build -o
usage_error "-C without its argument" check -C
usage_error "--ref without its argument" build --ref
usage_error "--ref with --worktree" build --ref HEAD --worktree
usage_error "--staged with --ref" check --staged --ref HEAD
usage_error "--staged for build" build --staged
# check writes nothing: build's output options are refused in their long forms as in their short.
usage_error "--output for check" check --output "$empty/site"
usage_error "--quiet for check" check --quiet
usage_error "--verbose for check" check --verbose
usage_error "an extra argument" build extra
usage_error "-q with -v" build -q -v
# A hook given an empty threatfeed.deploy runs exactly this.
usage_error "an empty output folder" build -o ''
like "$err" "needs a folder, not an empty value" "an empty output folder: said so"
usage_error "an empty --output=" build --output=
usage_error "an empty output folder for ping" ping -o ''

# ---- outside a repository ----

run_tf build
[ "$status" -ne 0 ] && [ "$status" -ne 2 ]
ok $? "build outside any repository fails (status $status, not a usage error)"
like "$err" '^threatfeed: .*repositor' "outside a repository: a clear message"
[ ! -e "$empty/site" ]
ok $? "outside a repository: nothing written"
run_tf check
[ "$status" -ne 0 ] && [ "$status" -ne 2 ]
ok $? "check outside any repository fails (status $status)"
run_tf build -C "$TMP_ROOT/no-such-folder"
[ "$status" -ne 0 ] && [ "$status" -ne 2 ]
ok $? "-C to a missing folder fails (status $status)"
like "$err" "no-such-folder" "-C to a missing folder: the message names it"

fresh=$(new_repo)
run_tf build -C "$fresh" -o "$TMP_ROOT/from-empty"
[ "$status" -ne 0 ] && [ "$status" -ne 2 ]
ok $? "build of a repository with no commit fails (status $status)"
like "$err" '^threatfeed: .*commit' "no commit yet: a clear message"
[ ! -e "$TMP_ROOT/from-empty" ]
ok $? "no commit yet: nothing written"

# Another user's repository: its settings could send a build anywhere, so git and libgit2 refuse
# it; the message must say so rather than libgit2's words about safe.directory. Needs root.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	theirs=$(base_repo)
	chown -R nobody "$theirs"
	run_tf check -C "$theirs"
	is "$status" 1 "another user's repository: status 1"
	like "$err" "^threatfeed: the git repository '.*' is owned by another user \\(run threatfeed as" \
		"another user's repository: the message says whose it is and what to do"
	(cd "$theirs/content" && tf build -o "$TMP_ROOT/theirs-site") >/dev/null 2>"$TMP_ROOT/theirs.err"
	like "$(cat "$TMP_ROOT/theirs.err")" "^threatfeed: the git repository is owned by another user" \
		"another user's repository found upward: the same message"
	[ ! -e "$TMP_ROOT/theirs-site" ]
	ok $? "another user's repository: nothing written"
else
	pass "skipped: another user's repository needs root and a user 'nobody'"
fi

# ---- -o, check, -v ----

repo=$(base_repo)
build_ok "build -o to a new folder" -C "$repo" -o "$TMP_ROOT/custom"
[ -f "$TMP_ROOT/custom/index.html" ] && [ -f "$TMP_ROOT/custom/atom.xml" ]
ok $? "-o: the site is in the given folder"
[ ! -e "$repo/site" ]
ok $? "-o: nothing written in REPO/site"
build_ok "build -o to a folder that does not exist yet, two levels deep" -C "$repo" -o "$TMP_ROOT/new/deeper"
[ -f "$TMP_ROOT/new/deeper/index.html" ]
ok $? "-o: missing parent folders are created"
mkdir -p "$TMP_ROOT/shared"
echo "not ours" >"$TMP_ROOT/shared/keep.txt"
build_ok "build -o to a folder holding other files" -C "$repo" -o "$TMP_ROOT/shared"
is "$(cat "$TMP_ROOT/shared/keep.txt" 2>/dev/null)" "not ours" "-o: files the build did not write are left alone"
run_tf build -C "$repo" -o "$TMP_ROOT/shared"
is "$status" 0 "a second build into that folder succeeds"
is "$(cat "$TMP_ROOT/shared/keep.txt" 2>/dev/null)" "not ours" "-o: still left alone on the next build"

run_tf build -v -C "$repo" -o "$TMP_ROOT/verbose"
is "$status" 0 "build -v exits 0"
like "$out$err" 'atom\.xml' "build -v lists the files it writes"
run_tf build -q -C "$repo" -o "$TMP_ROOT/verbose"
is "$out" "" "build -q prints nothing on stdout"
is "$err" "" "build -q prints nothing on stderr"

run_tf check -C "$repo"
is "$status" 0 "check of a good repository exits 0"
is "$err" "" "check of a good repository reports nothing"
[ ! -e "$repo/site" ]
ok $? "check writes nothing"

cd "$repo/content" || bail "cd"
run_tf check
is "$status" 0 "check finds the repository upward"
cd "$empty" || bail "cd"

announcement sever 2015-01-01T10:00:00Z national 'Staged, not committed.' |
	put "$repo" content/levels/staged.md
git -C "$repo" add content/levels/staged.md
run_tf check -C "$repo" --staged
is "$status" 1 "check --staged sees a bad staged file"
like "$err" "content/levels/staged.md:2:8: unknown level 'sever'" "check --staged names it"
run_tf check -C "$repo"
is "$status" 0 "check (HEAD) ignores the staged file"
run_tf check -C "$repo" --worktree
is "$status" 1 "check --worktree sees the file"
git -C "$repo" rm -q --cached content/levels/staged.md
run_tf check -C "$repo" --staged
is "$status" 0 "check --staged ignores an unstaged file"

done_testing
