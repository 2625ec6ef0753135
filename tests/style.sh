#!/usr/bin/env bash
# What the default stylesheet and templates give a reader: level classes that cannot clash, and
# pages that reflow to a 320 px wide screen (WCAG 2.1, 1.4.10) whatever the editors write or name.
. "$(dirname "$0")/lib.sh"

css=$TOP_DIR/templates/style.css.mustache

# ---- a level's class never clashes with the stylesheet's own level-* classes ----

# style.css colours each level with .level-<name>; its other .level-* rules lay out boxes. A level
# named after one of those would give it that layout, or paint every such box in its colour.
own=$(grep -o '\.level-[a-z][a-z0-9-]*' "$css" | sed 's/^\.level-//' | LC_ALL=C sort -u)
[ -n "$own" ] || fail "style.css has level-* classes of its own"
for name in $own; do
	repo=$(new_repo)
	{ base_conf; printf '[level "%s"]\n\trank = 1\n' "$name"; } | put "$repo" threatfeed.conf
	announcement "$name" 2020-01-01T00:00:00Z national "Body." | put "$repo" content/levels/a.md
	commit "$repo" >/dev/null
	run_tf check -C "$repo"
	if [ "$status" -ne 0 ] && [[ $err == *"level name '$name' clashes with the stylesheet's class 'level-$name'"* ]]; then
		pass "a level named '$name' is refused (style.css has .level-$name)"
	else
		fail "a level named '$name' is refused (style.css has .level-$name)"
		diag "status $status: $err"
	fi
done

done_testing
