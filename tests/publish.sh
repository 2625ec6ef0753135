#!/usr/bin/env bash
# Publishing by git push, end to end with real Git: `threatfeed hooks install` on a bare "server"
# repository and in an editor's clone, `threatfeed new`, the pre-commit hook (`check --staged`),
# a push that the pre-receive hook validates and the post-receive hook builds into the deploy
# folder; every kind of bad content (the tests/cases/bad-* cases) refused at push time with its
# messages, leaving the branch and the deploy folder untouched; and builds and pushes at once
# serialised by the build lock.
. "$(dirname "$0")/lib.sh"

# The hooks run the binary by the absolute path `hooks install` recorded, outside TEST_WRAPPER.
server=$TMP_ROOT/server.git
deploy=$TMP_ROOT/www/threat
ed=$TMP_ROOT/editor
S=$TMP_ROOT/sites
mkdir -p "$S" "$TMP_ROOT/www"

# remote_lines FILE: what the hooks printed, from `git push` output ("remote: " lines, trailing
# blanks that git pads them with removed).
remote_lines() {
	sed -n 's/^remote: //p' "$1" | sed 's/[[:space:]]*$//'
}

# ---- the server ----

git init -q --bare -b main "$server"
run_tf hooks install -C "$server" --deploy "$deploy" --branch main
is "$status" 0 "hooks install on a bare repository succeeds" || diag "$err"
like "$out" "installed $server/hooks/pre-receive" "hooks install: pre-receive installed"
like "$out" "installed $server/hooks/post-receive" "hooks install: post-receive installed"
[ ! -e "$server/hooks/pre-commit" ]
ok $? "hooks install: no pre-commit in a bare repository"
[ -x "$server/hooks/pre-receive" ] && [ -x "$server/hooks/post-receive" ]
ok $? "hooks install: the hooks are executable"
grep -qxF "# installed by threatfeed: 'threatfeed hooks install' rewrites this file, and" \
	"$server/hooks/pre-receive"
ok $? "hooks install: the hook carries the marker line"
is "$(git -C "$server" config --local --get threatfeed.deploy)" "$deploy" \
	"hooks install --deploy records the folder in the bare repository's own config"
is "$(git -C "$server" config --local --get threatfeed.branch)" "main" \
	"hooks install --branch records the branch"
cp "$server/hooks/pre-receive" "$TMP_ROOT/pre-receive.1"
run_tf hooks install -C "$server"
is "$status" 0 "hooks install a second time succeeds"
like "$out" "unchanged $server/hooks/pre-receive" "hooks install is idempotent (unchanged)"
same_file "$server/hooks/pre-receive" "$TMP_ROOT/pre-receive.1" "a second install leaves the same hook"
is "$(git -C "$server" config --local --get threatfeed.deploy)" "$deploy" \
	"a second install without --deploy keeps the deploy folder"
# A relative --deploy is made absolute: the hooks run in the Git folder, not here.
other=$TMP_ROOT/other.git
git init -q --bare -b main "$other"
(cd "$TMP_ROOT" && tf hooks install -C other.git --deploy rel/site >/dev/null)
is "$(git -C "$other" config --local --get threatfeed.deploy)" "$TMP_ROOT/rel/site" \
	"a relative --deploy is stored as an absolute path"

# A hook someone else wrote is never replaced; the other hook is still installed.
foreign=$TMP_ROOT/foreign.git
git init -q --bare -b main "$foreign"
printf '#!/bin/sh\necho mine\n' >"$foreign/hooks/pre-receive"
chmod +x "$foreign/hooks/pre-receive"
cp "$foreign/hooks/pre-receive" "$TMP_ROOT/foreign-hook"
run_tf hooks install -C "$foreign" --deploy "$TMP_ROOT/foreign-site"
is "$status" 1 "hooks install with a foreign hook exits 1"
like "$err" "^threatfeed: $foreign/hooks/pre-receive exists and was not written by threatfeed; left as it is" \
	"hooks install says the foreign hook was left as it is"
same_file "$foreign/hooks/pre-receive" "$TMP_ROOT/foreign-hook" "the foreign hook is unchanged"
grep -qF "# installed by threatfeed" "$foreign/hooks/post-receive"
ok $? "the hook beside the foreign one is still installed"

# core.hooksPath sends git to another folder: hooks in hooks/ would never run, so none is written.
hp=$TMP_ROOT/hookspath.git
git init -q --bare -b main "$hp"
git -C "$hp" config core.hooksPath "$TMP_ROOT/shared-hooks"
run_tf hooks install -C "$hp" --deploy "$TMP_ROOT/hp-site"
is "$status" 1 "hooks install where core.hooksPath points elsewhere exits 1"
like "$err" "^threatfeed: core.hooksPath is set to '$TMP_ROOT/shared-hooks', so git would never run hooks in $hp/hooks/: none was installed \(unset it" \
	"... saying that git would never run them, and what to do"
[ ! -e "$hp/hooks/pre-receive" ] && [ ! -e "$hp/hooks/post-receive" ]
ok $? "... and writes no hook"
git -C "$hp" config core.hooksPath hooks
run_tf hooks install -C "$hp" --deploy "$TMP_ROOT/hp-site"
is "$status" 0 "hooks install where core.hooksPath names the hooks folder itself succeeds" || diag "$err"
# Set in the user's git config (a tool's shared hooks), which git reads and libgit2 here does not.
hg=$TMP_ROOT/global-hookspath.git
git init -q --bare -b main "$hg"
printf '[core]\n\thooksPath = %s\n' "$TMP_ROOT/shared-hooks" >"$TMP_ROOT/global-gitconfig"
GIT_CONFIG_GLOBAL=$TMP_ROOT/global-gitconfig run_tf hooks install -C "$hg" --deploy "$TMP_ROOT/hg-site"
is "$status" 1 "hooks install where the user's git config sets core.hooksPath exits 1"
like "$err" "^threatfeed: core.hooksPath is set to '$TMP_ROOT/shared-hooks' in git's global config, so git would never run hooks in $hg/hooks/: none was installed \(point this repository back at them with 'git -C $hg/ config core.hooksPath $hg/hooks/'" \
	"... saying where it is set, and how to override it for this repository"
[ ! -e "$hg/hooks/pre-receive" ] && [ ! -e "$hg/hooks/post-receive" ]
ok $? "... and writes no hook"
git -C "$hg" config core.hooksPath "$hg/hooks/"
GIT_CONFIG_GLOBAL=$TMP_ROOT/global-gitconfig run_tf hooks install -C "$hg" --deploy "$TMP_ROOT/hg-site"
is "$status" 0 "... and installs them once the repository's own setting names its hooks folder" ||
	diag "$err"
# From git's environment, above every config file: no file can undo it, so none is suggested.
GIT_CONFIG_PARAMETERS="'core.hookspath'='$TMP_ROOT/shared-hooks'" run_tf hooks install -C "$hg" \
	--deploy "$TMP_ROOT/hg-site"
is "$status" 1 "hooks install where git's environment sets core.hooksPath exits 1"
like "$err" "^threatfeed: core.hooksPath is set to '$TMP_ROOT/shared-hooks' by git's command line or environment \(GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT\), so git run this way would never run hooks in $hg/hooks/: none was installed \(install again without it\)$" \
	"... saying so"

run_tf hooks install -C "$server" --branch 'ma in'
is "$status" 1 "hooks install refuses an invalid branch name"
# Names of the right characters that git refuses for a branch: no push could ever match them.
for b in main.lock .hidden feature. topic/.x a.lock/b HEAD; do
	run_tf hooks install -C "$server" --branch "$b"
	is "$status:$err" "1:threatfeed: invalid branch name '$b' (expected a short name such as main)" \
		"hooks install refuses '$b', a name git refuses"
done

# ---- the first push publishes ----

seed=$(base_repo)
git -C "$seed" push -q "$server" main:main 2>"$TMP_ROOT/push.err"
ok $? "the first push is accepted" || diag "$(cat "$TMP_ROOT/push.err")"
[ -f "$deploy/index.html" ] && [ -f "$deploy/atom.xml" ] && [ -f "$deploy/level.json" ]
ok $? "post-receive built the site into the deploy folder" || diag "$(cat "$TMP_ROOT/push.err")"
build_ok "a fresh build of the same commit" -C "$seed" -o "$S/seed"
check_quiet "the deploy folder is the build of the pushed commit" diff -r "$S/seed" "$deploy"

# ---- the editor's checkout ----

git clone -q "$server" "$ed"
run_tf hooks install -C "$ed"
is "$status" 0 "hooks install in a checkout succeeds" || diag "$err"
like "$out" "installed $ed/.git/hooks/pre-commit" "hooks install: pre-commit installed in a checkout"
[ ! -e "$ed/.git/hooks/pre-receive" ]
ok $? "hooks install: no pre-receive in a checkout"
run_tf hooks install -C "$ed" --deploy "$TMP_ROOT/x"
is "$status" 1 "hooks install --deploy in a checkout is refused"
like "$err" "for the bare repository on the web host" "... saying --deploy is for the server"

# ---- threatfeed new ----

run_tf new sever --scope national -C "$ed"
is "$status" 1 "new with an unknown level exits 1"
is "$err" "threatfeed: unknown level 'sever' (expected low, moderate, substantial, severe or critical)" \
	"new lists the valid levels"
run_tf new severe --scope wales -C "$ed"
is "$status" 1 "new with an unknown scope exits 1"
is "$err" "threatfeed: unknown scope 'wales' (expected national or northern-ireland)" \
	"new lists the valid scopes"
run_tf new severe -C "$ed"
is "$status" 1 "new without --scope on a site with several scopes exits 1"
is "$err" "threatfeed: missing --scope (expected national or northern-ireland)" "... naming the scopes"
run_tf new severe --scope national --date 2024-06-01 -C "$ed"
is "$status" 2 "new with an invalid --date is a usage error"
like "$err" "invalid --date '2024-06-01'" "... naming the date"
is "$(grep -o '(expected' <<<"$err" | wc -l)" 1 "... and saying once what was expected"
is "$(git -C "$ed" status --porcelain)" "" "the refused new commands wrote nothing"

(cd "$ed/content" && tf new severe --scope national --date 2024-06-01T12:30:00+01:00 \
	>"$TMP_ROOT/new.out" 2>"$TMP_ROOT/new.err")
ok $? "new severe --scope national --date D succeeds" || diag "$(cat "$TMP_ROOT/new.err")"
is "$(cat "$TMP_ROOT/new.out")" "levels/2024-06-01-national-severe.md" \
	"new prints the path, relative to the current folder"
file=$ed/content/levels/2024-06-01-national-severe.md
id='tag:threat.example.org,2024-06-01:national/20240601T113000Z'
cat >"$TMP_ROOT/want.md" <<EOF
---
level: severe
date: 2024-06-01T12:30:00+01:00
scope: national
id: $id
---
Say what changed, why, and what the public should do.
EOF
same_file "$file" "$TMP_ROOT/want.md" "new writes complete front matter with a fixed id"
run_tf check -C "$ed" --worktree
is "$status" 1 "check refuses the file as new wrote it, before its body is written"
is "$err" "threatfeed: content/levels/2024-06-01-national-severe.md:7:1: the body is still the placeholder 'threatfeed new' wrote (replace that line with the announcement)" \
	"... naming the placeholder's line"
sed -i 's/^Say what changed.*/The national threat level is raised to SEVERE./' "$file"
run_tf check -C "$ed" --worktree
is "$status" 0 "... and accepts it once that line is replaced"
cp "$file" "$TMP_ROOT/new.copy"
run_tf new severe --scope national --date 2024-06-01T12:30:00+01:00 -C "$ed"
is "$status" 1 "new never overwrites: exit 1"
like "$err" "content/levels/2024-06-01-national-severe.md: already exists" "... saying it already exists"
same_file "$file" "$TMP_ROOT/new.copy" "... and the file is unchanged"
# The file is named after the day: another time on the same day is the same file.
run_tf new severe --scope national --date 2024-06-01T18:00:00+01:00 -C "$ed"
is "$status:$err" "1:threatfeed: content/levels/2024-06-01-national-severe.md: already exists (edit it, or give a --date on another day)" \
	"new at another time of the same day: the same file, and a hint that holds"
same_file "$file" "$TMP_ROOT/new.copy" "... and the file is unchanged"

# Without --date: now, with the local UTC offset.
(cd "$ed" && TZ=Asia/Kolkata tf new low --scope northern-ireland >"$TMP_ROOT/now.out")
ok $? "new without --date succeeds"
nowfile=$ed/$(cat "$TMP_ROOT/now.out")
like "$(sed -n 's/^date: //p' "$nowfile")" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-9]{2}\+05:30$' \
	"new without --date writes the current time with the local offset"
rm -f "$nowfile"
# A time zone past RFC 3339's offsets (+25:00) would give a date that no check accepts: UTC then.
(cd "$ed" && TZ='<+25>-25' tf new low --scope northern-ireland >"$TMP_ROOT/now.out")
nowfile=$ed/$(cat "$TMP_ROOT/now.out")
like "$(sed -n 's/^date: //p' "$nowfile")" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-9]{2}Z$' \
	"new in a time zone 25 hours ahead writes the time in UTC"
rm -f "$nowfile"

# --title is quoted as YAML needs; --edit runs $VISUAL/$EDITOR with the file.
cat >"$TMP_ROOT/editor.sh" <<'EOF'
#!/bin/sh
# A scripted editor: replaces the placeholder body with the text in $NEW_BODY.
f=$1
sed -i '/^Say what changed/d' "$f"
printf '%s\n' "$NEW_BODY" >>"$f"
EOF
chmod +x "$TMP_ROOT/editor.sh"
(cd "$ed" && VISUAL='' EDITOR="$TMP_ROOT/editor.sh" NEW_BODY='Edited by the *editor*.' \
	tf new moderate --scope northern-ireland --date 2024-07-01T09:00:00Z \
	--title 'NI level: "moderate" \ test' --edit >/dev/null)
ok $? "new --edit runs \$EDITOR"
nifile=$ed/content/levels/2024-07-01-northern-ireland-moderate.md
grep -qxF 'Edited by the *editor*.' "$nifile"
ok $? "the editor edited the new file"
grep -qxF 'title: "NI level: \"moderate\" \\ test"' "$nifile"
ok $? "new --title writes a double-quoted YAML string"
run_tf build -C "$ed" --worktree --dump-model
grep -qF '"title": "NI level: \"moderate\" \\ test"' "$TMP_ROOT/last.out"
ok $? "the quoted title reads back exactly"
rm -f "$nifile"
(cd "$ed" && VISUAL=false tf new moderate --scope northern-ireland --date 2024-07-01T09:00:00Z \
	--edit >/dev/null 2>"$TMP_ROOT/ed.err")
is "$?" 1 "new --edit with a failing editor exits 1"
like "$(cat "$TMP_ROOT/ed.err")" "the editor 'false' exited with status 1 \(the file is kept\)" \
	"... and says so"
[ -f "$nifile" ]
ok $? "... keeping the file"
rm -f "$nifile"

# ---- edit, commit through the pre-commit hook, push ----

cat >"$file" <<EOF
---
level: severe
date: 2024-06-01T12:30:00+01:00
scope: national
id: $id
---
The national threat level has been raised to **SEVERE**: PUBLISHED-BY-PUSH.
EOF
git -C "$ed" add content
# A bad file staged beside it: the pre-commit hook refuses the commit with the path:line message.
printf -- '---\nlevel: sever\ndate: 2024-06-02T10:00:00Z\nscope: national\n---\nBody.\n' \
	>"$ed/content/levels/2024-06-02-national-sever.md"
git -C "$ed" add content
head_before=$(git -C "$ed" rev-parse HEAD)
git -C "$ed" commit -q -m "raise to severe" 2>"$TMP_ROOT/commit.err"
is "$?" 1 "git commit with bad staged content fails (pre-commit hook)"
is "$(cat "$TMP_ROOT/commit.err")" \
	"threatfeed: content/levels/2024-06-02-national-sever.md:2:8: unknown level 'sever' (expected low, moderate, substantial, severe or critical)" \
	"the pre-commit hook prints the path:line:col message"
is "$(git -C "$ed" rev-parse HEAD)" "$head_before" "... and nothing was committed"
# Fixed in the work tree only: what is staged is still bad, so the commit is still refused.
sed -i 's/^level: sever$/level: severe/' "$ed/content/levels/2024-06-02-national-sever.md"
git -C "$ed" commit -q -m "raise to severe" 2>/dev/null
is "$?" 1 "pre-commit checks the staged content, not the work tree"
git -C "$ed" reset -q -- content/levels/2024-06-02-national-sever.md
rm "$ed/content/levels/2024-06-02-national-sever.md"
# A draft made known to git with `git add -N` is not staged: the commit leaves it out, and so
# does the hook (libgit2 shows it as an empty file).
draft=$ed/content/levels/2024-06-05-national-severe.md
printf -- '---\nlevel: severe\ndate: 2024-06-05T10:00:00Z\nscope: national\n---\nDraft.\n' >"$draft"
git -C "$ed" add -N "$draft"
git -C "$ed" commit -q -m "raise to severe" 2>"$TMP_ROOT/commit.err"
ok $? "git commit with good staged content passes the hook, a draft added with -N left out" ||
	diag "$(cat "$TMP_ROOT/commit.err")"
git -C "$ed" cat-file -e HEAD:content/levels/2024-06-05-national-severe.md 2>/dev/null
ok "$((! $?))" "... and the draft was not committed"
git -C "$ed" reset -q -- "$draft"
rm "$draft"

# `git commit -a` and `git commit PATH` stage into a temporary index (GIT_INDEX_FILE).
sed -i 's/^level: severe$/level: sever/' "$file"
git -C "$ed" commit -q -a -m "typo" 2>"$TMP_ROOT/commit.err"
is "$?" 1 "git commit -a with a bad tracked change fails (the hook reads GIT_INDEX_FILE)"
like "$(cat "$TMP_ROOT/commit.err")" "2024-06-01-national-severe.md:2:8: unknown level 'sever'" \
	"... with the message"
git -C "$ed" commit -q -m "typo" -- "$file" 2>/dev/null
is "$?" 1 "git commit PATH with a bad change fails"
sed -i 's/^level: sever$/level: severe/' "$file"
is "$(git -C "$ed" status --porcelain)" "" "the work tree is back to the committed state"

git -C "$ed" push origin main >"$TMP_ROOT/push.out" 2>&1
ok $? "git push of the new announcement is accepted" || diag "$(cat "$TMP_ROOT/push.out")"
is "$(git -C "$server" rev-parse main)" "$(git -C "$ed" rev-parse HEAD)" "the server's branch moved"
build_ok "a fresh build of the pushed commit" -C "$ed" -o "$S/pushed"
check_quiet "the deploy folder is the build of the pushed commit" diff -r "$S/pushed" "$deploy"
grep -q PUBLISHED-BY-PUSH "$deploy/2024/2024-06-01-national-severe/index.html"
ok $? "the new announcement's page is published"
grep -q PUBLISHED-BY-PUSH "$deploy/index.html"
ok $? "index.html shows the new announcement"
for f in atom.xml rss.xml feed.json national/atom.xml national/rss.xml national/feed.json; do
	grep -qF "$id" "$deploy/$f"
	ok $? "$f carries the new entry with the id fixed by new"
done
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["scopes"] if x["scope"] == "national"][0]
sys.exit(0 if s["level"] == "severe" and s["since"] == "2024-06-01T11:30:00Z" and s["id"] == sys.argv[2] else 1)
' "$deploy/level.json" "$id"
ok $? "level.json says severe since the new date"

# ---- a push with a warning: the pusher reads it once ----

# The pre-receive check would say it, and the build after the push again: only the build does.
printf -- '---\nlevel: severe\ndate: 2024-06-03T10:00:00Z\nscope: national\ncolour: red\n---\nBody.\n' \
	>"$ed/content/levels/2024-06-03-national-severe.md"
git -C "$ed" add content && git -C "$ed" commit -q -m "a key no announcement has" 2>/dev/null
git -C "$ed" push origin main >"$TMP_ROOT/push.out" 2>&1
ok $? "a push whose commit has a warning is accepted" || diag "$(cat "$TMP_ROOT/push.out")"
warned="threatfeed: content/levels/2024-06-03-national-severe.md:5:1: warning: unknown key 'colour'"
is "$(remote_lines "$TMP_ROOT/push.out" | grep -cF "$warned")" 1 "... and the pusher reads its warning once" ||
	diag "$(cat "$TMP_ROOT/push.out")"
[ -f "$deploy/2024/2024-06-03-national-severe/index.html" ]
ok $? "... and it is published"
# Without a deploy folder nothing is built after the push: the check says it.
nodeploy=$TMP_ROOT/nodeploy.git
git init -q --bare -b main "$nodeploy"
run_tf hooks install -C "$nodeploy"
is "$status" 0 "hooks install without a deploy folder succeeds" || diag "$err"
git -C "$ed" push "$nodeploy" main >"$TMP_ROOT/push.out" 2>&1
ok $? "a push there is accepted" || diag "$(cat "$TMP_ROOT/push.out")"
is "$(remote_lines "$TMP_ROOT/push.out" | grep -cF "$warned")" 1 "... and the pusher reads the warning once too" ||
	diag "$(cat "$TMP_ROOT/push.out")"
git -C "$ed" rm -q content/levels/2024-06-03-national-severe.md &&
	git -C "$ed" commit -q -m "without the warning" && git -C "$ed" push -q origin main 2>/dev/null
ok $? "the announcement with a warning is removed again"

# ---- bad pushes are refused: the branch and the deploy folder do not change ----

good=$(git -C "$server" rev-parse main)
age "$deploy"
snapshot "$deploy" >"$TMP_ROOT/deploy.before"
for c in "$TESTS_DIR"/cases/bad-*/; do
	c=${c%/}
	name=${c##*/}
	# read-tree first: an index entry no file system can hold (bad-file-name-too-long) makes
	# reset --hard fail; reading the good tree into the index alone drops it.
	{ git -C "$ed" read-tree "$good" && git -C "$ed" reset -q --hard "$good" &&
		git -C "$ed" clean -qffdx; } 2>/dev/null
	(cd "$c" && find . -type f ! -name expected-stderr ! -name expected-status ! -name setup \
		-printf '%P\0') |
		while IFS= read -r -d '' f; do
			mkdir -p "$ed/$(dirname "$f")" && cp "$c/$f" "$ed/$f"
		done
	if [ -f "$c/setup" ]; then
		(cd "$ed" && bash -e "$c/setup") || { fail "$name: setup script"; continue; }
	fi
	# --no-verify: an editor who skips the pre-commit hook is still stopped at the server. Made
	# when bad-input.sh makes it (2025-01-02): a warning of a date far ahead names that time.
	git -C "$ed" -c advice.addEmbeddedRepo=false add -A 2>/dev/null &&
		GIT_COMMITTER_DATE="1735776000 +0000" git -C "$ed" commit -q --no-verify --allow-empty -m "$name" ||
		{ fail "$name: commit the case"; continue; }
	git -C "$ed" push origin HEAD:main >"$TMP_ROOT/push.out" 2>&1
	st=$?
	remote_lines "$TMP_ROOT/push.out" | grep -v "^threatfeed: push to 'main' refused" >"$TMP_ROOT/remote.err"
	if [ "$st" -ne 0 ] && grep -qF "threatfeed: push to 'main' refused" "$TMP_ROOT/push.out"; then
		pass "$name: push refused by the pre-receive hook"
	else
		fail "$name: push refused by the pre-receive hook (status $st)"
		diag "$(cat "$TMP_ROOT/push.out")"
	fi
	same_file "$TMP_ROOT/remote.err" "$c/expected-stderr" "$name: the pusher sees every message"
	is "$(git -C "$server" rev-parse main)" "$good" "$name: the server's branch is unchanged"
done
snapshot "$deploy" >"$TMP_ROOT/deploy.after"
is "$(changed_files "$TMP_ROOT/deploy.before" "$TMP_ROOT/deploy.after")" "" \
	"after every refused push the deploy folder is unchanged (bytes, inodes, mtimes)"
{ git -C "$ed" read-tree "$good" && git -C "$ed" reset -q --hard "$good" &&
	git -C "$ed" clean -qffdx; } 2>/dev/null

git -C "$ed" push origin :main >"$TMP_ROOT/push.out" 2>&1
is "$?" 1 "deleting the published branch is refused"
like "$(remote_lines "$TMP_ROOT/push.out")" "the published branch 'main' cannot be deleted" "... with a message"
is "$(git -C "$server" rev-parse main)" "$good" "... and the branch is still there"

# Other branches are not published, so drafts there are not checked and build nothing.
printf -- '---\nlevel: sever\n---\n' >"$ed/content/levels/draft.md"
git -C "$ed" add -A && git -C "$ed" commit -q --no-verify -m draft
git -C "$ed" push origin HEAD:refs/heads/draft >"$TMP_ROOT/push.out" 2>&1
ok $? "a push to another branch is not checked"
is "$(remote_lines "$TMP_ROOT/push.out")" \
	"threatfeed: 'draft' is not the published branch 'main': nothing was checked or published" \
	"... and the pusher is told that it published nothing"
snapshot "$deploy" >"$TMP_ROOT/deploy.after"
is "$(changed_files "$TMP_ROOT/deploy.before" "$TMP_ROOT/deploy.after")" "" \
	"... and does not touch the deploy folder"
# A published branch set by hand as no ref can be named: every push would go unchecked and
# unpublished, so each is refused until the host sets it right.
git -C "$server" config threatfeed.branch refs/heads/main
git -C "$ed" push origin HEAD:refs/heads/draft2 >"$TMP_ROOT/push.out" 2>&1
is "$?" 1 "with threatfeed.branch set to a full ref name, a push is refused"
is "$(remote_lines "$TMP_ROOT/push.out")" \
	"threatfeed: threatfeed.branch 'refs/heads/main' is not a branch name (expected a short name such as main): nothing is checked or published until the web host sets it with 'threatfeed hooks install --branch'" \
	"... saying why and who must fix it"
git -C "$server" config threatfeed.branch main.lock
git -C "$ed" push origin HEAD:refs/heads/draft2 >"$TMP_ROOT/push.out" 2>&1
is "$?" 1 "with threatfeed.branch set to a name git refuses (main.lock), a push is refused"
like "$(remote_lines "$TMP_ROOT/push.out")" "threatfeed.branch 'main.lock' is not a branch name" \
	"... saying why"
git -C "$server" config threatfeed.branch main
git -C "$ed" reset -q --hard "$good"

# ---- concurrent builds into one folder ----

# Six commits, each adding an announcement, built at once into one folder: the lock serialises
# them, so the folder ends as exactly one of them built whole, never a mix.
conc=$(base_repo)
shas=()
for i in 1 2 3 4 5 6; do
	announcement low 2025-0$i-01T10:00:00Z national "Announcement number $i." |
		put "$conc" "content/levels/2025-0$i-01-national-low.md"
	commit "$conc" "announcement $i" >/dev/null
	shas+=("$(git -C "$conc" rev-parse HEAD)")
done
for i in 0 1 2 3 4 5; do
	tf build -q -C "$conc" --ref "${shas[$i]}" -o "$S/fresh-$i" >/dev/null 2>&1
done
pids=()
for i in 0 1 2 3 4 5; do
	tf build -q -C "$conc" --ref "${shas[$i]}" -o "$S/shared" >/dev/null 2>"$TMP_ROOT/conc-$i.err" &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
is "$failed" 0 "six concurrent builds into one folder all succeed"
matches=0
for i in 0 1 2 3 4 5; do
	diff -r -q "$S/fresh-$i" "$S/shared" >/dev/null 2>&1 && matches=$((matches + 1))
done
is "$matches" 1 "the folder is exactly one commit's site, whole (no interleaving, no temporary file)"
build_ok "a final build of the newest tip" -C "$conc" -o "$S/shared"
check_quiet "the folder then matches a fresh build of the newest tip" diff -r "$S/fresh-5" "$S/shared"

# ---- two pushes at once ----

# Two pushes of one history at once (the second a fast-forward of the first). Git itself decides
# which land (a push that raced and lost is refused); whatever it decided, the deploy folder ends
# as the site of the branch's final commit, built whole.
for i in 1 2; do
	announcement substantial 2025-0$i-15T10:00:00Z national "Pushed concurrently, number $i." |
		put "$ed" "content/levels/2025-0$i-15-national-substantial.md"
	git -C "$ed" add -A && git -C "$ed" commit -q -m "concurrent $i"
done
git -C "$ed" push -q origin HEAD~1:main >/dev/null 2>&1 &
p1=$!
git -C "$ed" push -q origin HEAD:main >/dev/null 2>&1 &
p2=$!
wait "$p1"
wait "$p2"
final=$(git -C "$server" rev-parse main)
[ "$final" != "$good" ]
ok $? "at least one of two concurrent pushes landed"
build_ok "a fresh build of the branch's final commit" -C "$ed" --ref "$final" -o "$S/newest"
check_quiet "after two concurrent pushes the deploy folder is the final commit's site" \
	diff -r "$S/newest" "$deploy"
git -C "$ed" push -q origin HEAD:main 2>/dev/null
is "$(git -C "$server" rev-parse main)" "$(git -C "$ed" rev-parse HEAD)" "the newest commit is pushed"
build_ok "a fresh build of the newest commit" -C "$ed" -o "$S/newest2"
check_quiet "the deploy folder is then the newest commit's site" diff -r "$S/newest2" "$deploy"
leftover=$(find "$deploy" -name '.*' ! -name .threatfeed-files)
is "$leftover" "" "no temporary file is left in the deploy folder"

# ---- a server whose objects/ is elsewhere ----

# A host that moved objects/ to another disk leaves a symbolic link in its place. git quarantines
# a push under that link; the check must still find the pushed commit there.
moved=$TMP_ROOT/moved.git
git init -q --bare -b main "$moved"
mv "$moved/objects" "$TMP_ROOT/moved-objects" && ln -s ../moved-objects "$moved/objects"
tf hooks install -C "$moved" --deploy "$TMP_ROOT/moved-site" >/dev/null
git -C "$seed" push "$moved" main:main >"$TMP_ROOT/push.out" 2>&1
ok $? "a push to a server whose objects/ is a symbolic link is accepted" ||
	diag "$(cat "$TMP_ROOT/push.out")"
build_ok "a fresh build of the seed" -C "$seed" -o "$S/moved"
check_quiet "... and the deploy folder is its site" diff -r "$S/moved" "$TMP_ROOT/moved-site"

# ---- a server that cannot run threatfeed ----

# The program the hooks were installed with has gone (moved, uninstalled): the push is refused,
# and the pusher is told that the server, not their content, must be fixed.
gone=$TMP_ROOT/gone.git
git init -q --bare -b main "$gone"
cp "$THREATFEED" "$TMP_ROOT/threatfeed-gone"
"$TMP_ROOT/threatfeed-gone" hooks install -C "$gone" --deploy "$TMP_ROOT/gone-site" >/dev/null
rm "$TMP_ROOT/threatfeed-gone"
git -C "$seed" push "$gone" main:main >"$TMP_ROOT/push.out" 2>&1
is "$?" 1 "a push to a server whose threatfeed has gone is refused"
is "$(remote_lines "$TMP_ROOT/push.out" | tail -n 1)" \
	"threatfeed: push to 'main' refused, nothing was published: the server could not check it; the web host must fix the problem above, then push again" \
	"... and the pusher is told that the web host must fix it"

# ---- a push the server cannot build ----

# The content passed pre-receive, so the push is accepted, but the deploy folder cannot be made
# (a file is in the way): the pusher is told that the site is not up to date, not left to guess.
broken=$TMP_ROOT/broken.git
git init -q --bare -b main "$broken"
: >"$TMP_ROOT/not-a-folder"
tf hooks install -C "$broken" --deploy "$TMP_ROOT/not-a-folder/site" >/dev/null
git -C "$seed" push "$broken" main:main >"$TMP_ROOT/push.out" 2>&1
is "$?" 0 "a push whose build fails on the server is still accepted (its content passed)"
like "$(remote_lines "$TMP_ROOT/push.out")" "not-a-folder: cannot create folder: a file is in the way" \
	"... the pusher sees the build's message"
like "$(remote_lines "$TMP_ROOT/push.out" | tail -n 1)" \
	"^threatfeed: the push to 'main' was accepted, but the site is not up to date with it" \
	"... and, last, that the site is not up to date with the push"

done_testing
