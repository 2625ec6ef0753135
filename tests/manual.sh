#!/usr/bin/env bash
# The manual (src/threatfeed.1, mdoc) against the program: the commands of `threatfeed --help` are
# the manual's, and for each command the options that `threatfeed help COMMAND` lists (its usage
# line and its option list) are those of the command's entry in the manual's Commands list and of
# its SYNOPSIS line. The manual must also render without warnings (groff's man, and mandoc's lint
# when it is installed).
. "$(dirname "$0")/lib.sh"

manual=$TOP_DIR/src/threatfeed.1
[ -f "$manual" ] || bail "no $manual"

# mdoc_parse FILE: prints "commands: A B C" and, for each command, "item CMD: OPTIONS" (the options
# of the .It lines of its own option list in the Commands list) and "synopsis CMD: OPTIONS"
# (every Fl of its SYNOPSIS line). Options are sorted and spelled as typed: -C, --repo.
mdoc_parse() {
	python3 - "$1" <<'PY'
import sys

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")

def flags(words):
    """The options named by the Fl macros among words: "Fl C , Fl -repo" -> -C, --repo."""
    out = []
    for i, w in enumerate(words):
        if w == "Fl":
            arg = words[i + 1] if i + 1 < len(words) else ""
            # A Fl with no argument, or followed by punctuation or another macro, is a bare "-".
            if arg and (arg[0] == "-" or arg[0].isalnum()) and not (arg[0].isupper() and arg[1:2].islower()):
                out.append("-" + arg)
    return out

section = sub = None
commands = []
items = {}
synopsis = {}
depth = 0
current = None          # the command whose Commands entry we are in
syn_cmd = None
syn_expect_cmd = False
for line in lines:
    if not line.startswith("."):
        continue
    words = line[1:].split()
    if not words:
        continue
    macro = words[0]
    if macro == "Sh":
        section, sub, current, syn_cmd = " ".join(words[1:]), None, None, None
        continue
    if macro == "Ss":
        sub, current = " ".join(words[1:]), None
        continue
    if section == "SYNOPSIS":
        if macro == "Nm":
            syn_cmd, syn_expect_cmd = None, True
        elif macro == "Cm" and syn_expect_cmd:
            syn_cmd, syn_expect_cmd = words[1], False
            synopsis.setdefault(syn_cmd, [])
        elif syn_cmd:
            synopsis[syn_cmd] += flags(words)
        continue
    if section == "DESCRIPTION" and sub == "Commands":
        if macro == "Bl":
            depth += 1
        elif macro == "El":
            depth -= 1
        elif macro == "It" and depth == 1:
            current = words[2] if len(words) > 2 and words[1] == "Cm" else None
            if current:
                commands.append(current)
                items.setdefault(current, [])
        elif macro == "It" and depth == 2 and current:
            items[current] += flags(words)

print("commands: " + " ".join(commands))
for c in commands:
    print("item %s: %s" % (c, " ".join(sorted(set(items[c])))))
for c in synopsis:
    print("synopsis %s: %s" % (c, " ".join(sorted(set(synopsis[c])))))
PY
}

# help_options TEXT: the options of `threatfeed help CMD`: "usage" and the usage line's options,
# then "list" and those of the option list (lines that start with blanks and a dash).
help_options() {
	python3 -c '
import re, sys
text = sys.stdin.read().split("\n")
usage = [l for l in text if l.startswith("usage:")]
opt_re = re.compile(r"(?:(?<=^)|(?<=[\s\[|,]))(--?[A-Za-z0-9][A-Za-z0-9-]*)")
u = set(opt_re.findall(usage[0])) if usage else set()
listed = set()
for l in text:
    if re.match(r"^\s+-", l):
        # The option column ends at the first run of two blanks.
        listed |= set(opt_re.findall(re.split(r"\s{2,}", l.strip())[0]))
print("usage: " + " ".join(sorted(u)))
print("list: " + " ".join(sorted(listed)))
'
}

parsed=$(mdoc_parse "$manual") || bail "cannot parse $manual"
man_commands=$(printf '%s\n' "$parsed" | sed -n 's/^commands: //p')
[ -n "$man_commands" ] || bail "no command found in the manual's Commands list"

# ---- the command list ----

run_tf --help
is "$status" 0 "--help exits 0"
help_commands=$(printf '%s\n' "$out" | sed -n 's/^  threatfeed \([a-z][a-z-]*\).*/\1/p' | LC_ALL=C sort | tr '\n' ' ')
is "$help_commands" "$(printf '%s\n' $man_commands | LC_ALL=C sort | tr '\n' ' ')" \
	"the commands of --help are the manual's"
synopsis_commands=$(printf '%s\n' "$parsed" | sed -n 's/^synopsis \([^:]*\):.*/\1/p' | LC_ALL=C sort | tr '\n' ' ')
is "$synopsis_commands" "$(printf '%s\n' $man_commands | LC_ALL=C sort | tr '\n' ' ')" \
	"the manual's SYNOPSIS names every command of its Commands list"
grep -q '^\.It Fl -help$' "$manual"
ok $? "the manual documents --help"
grep -q '^\.It Fl -version$' "$manual"
ok $? "the manual documents --version"

# ---- each command's options ----

for cmd in $man_commands; do
	run_tf help "$cmd"
	is "$status" 0 "help $cmd exits 0" || { diag "$err"; continue; }
	opts=$(printf '%s\n' "$out" | help_options)
	usage_opts=$(printf '%s\n' "$opts" | sed -n 's/^usage: //p')
	list_opts=$(printf '%s\n' "$opts" | sed -n 's/^list: //p')
	item_opts=$(printf '%s\n' "$parsed" | sed -n "s/^item $cmd: //p")
	syn_opts=$(printf '%s\n' "$parsed" | sed -n "s/^synopsis $cmd: //p")
	is "$list_opts" "$item_opts" "$cmd: the options 'help $cmd' lists are those of the manual's entry"
	# The usage line shows the short form of an option that has one; the manual's SYNOPSIS too.
	is "$usage_opts" "$syn_opts" "$cmd: the options of the usage line are those of the manual's SYNOPSIS"
done

# ---- rendering ----

if command -v groff >/dev/null; then
	warnings=$(groff -mandoc -Tutf8 -ww -z "$manual" 2>&1)
	is "$warnings" "" "groff renders the manual without a warning"
	rendered=$(groff -mandoc -Tutf8 -P-c -P-b -P-o -P-u "$manual" 2>/dev/null)
	like "$rendered" 'EXIT STATUS' "the manual renders an EXIT STATUS section"
	# An empty .Pa or .Ar renders as "~": a macro given only punctuation.
	if printf '%s\n' "$rendered" | grep -q '~'; then
		fail "no empty macro in the rendered manual"
		diag "$(printf '%s\n' "$rendered" | grep '~')"
	else
		pass "no empty macro in the rendered manual"
	fi
else
	pass "groff is not installed: rendering not checked"
fi
if command -v mandoc >/dev/null; then
	check_quiet "mandoc -T lint finds nothing above style notes" mandoc -T lint -W warning "$manual"
fi

# Every exit status the program uses is in the manual.
for st in 0 1 2 3; do
	grep -q "^\.It $st\$" "$manual"
	ok $? "the manual's EXIT STATUS has $st"
done

done_testing
