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

# ---- tables stay tables at every width ----

# A table, row or cell given another display (block, flex, grid...) loses its headers in several
# browser and screen reader pairs, so a narrow screen must not get one. The table parts are the
# elements, and the classes the default templates give them.
o=$("$PYTHON" - "$css" "$TOP_DIR"/templates/*.mustache <<'PY'
import re, sys
css = re.sub(r"/\*.*?\*/", "", open(sys.argv[1], encoding="utf-8").read(), flags=re.S)
parts = {"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col"}
classes = set()
for t in sys.argv[2:]:
    for m in re.finditer(r"<(?:%s)\b[^>]*\bclass=\"([^\"]*)\"" % "|".join(parts), open(t, encoding="utf-8").read()):
        classes.update(m.group(1).split())
# Each rule's selectors and declarations; an at-rule's block ({...} holding rules) is walked into.
for sel, body in re.findall(r"([^{};]*)\{([^{}]*)\}", css):
    m = re.search(r"(?:^|;)\s*display\s*:\s*([^;]+)", body)
    if not m or sel.strip().startswith("@") or re.match(r"(table|none)\b", m.group(1).strip()):
        continue
    for one in sel.split(","):
        subject = re.split(r"[\s>+~]+", one.strip())[-1]
        names = set(re.findall(r"^[a-z]+|(?<=\.)[\w-]+", re.sub(r"::?[\w-]+(\([^)]*\))?", "", subject)))
        if names & (parts | classes):
            print("%s { display: %s }" % (one.strip(), m.group(1).strip()))
PY
)
is "$o" "" "style.css gives no table, row or cell a display that is not a table's"

# ---- every page reflows to 320 CSS pixels (WCAG 2.1, 1.4.10: 1280 px zoomed to 400 %) ----

# measure SITE WIDTH JS: "PAGE FINDING" for each finding of JS about each page of SITE, laid out
# by Chromium from file:// WIDTH CSS pixels wide (headless windows are at least 500 px wide: each
# page is loaded in a frame WIDTH pixels wide of a page outside the site, so the site itself is
# measured untouched). JS is the body of a function of the page's document d that returns a list
# of strings.
measure() {
	"$PYTHON" - "$1" "$2" "$TMP_ROOT" "$3" <<'PY'
import json, os, subprocess, sys, tempfile
site, width, finder = os.path.abspath(sys.argv[1]), int(sys.argv[2]), sys.argv[4]
pages = sorted(os.path.relpath(os.path.join(d, f), site)
               for d, _, fs in os.walk(site) for f in fs if f.endswith(".html"))
with tempfile.TemporaryDirectory(dir=sys.argv[3]) as tmp:
    probe = os.path.join(tmp, "probe.html")
    with open(probe, "w", encoding="utf-8") as fh:
        fh.write("""<!DOCTYPE html><html><body><pre id="out">unfinished</pre><script>
const pages = %s, base = %s, width = %d, out = [];
function find(d) { %s }
function next(i) {
  if (i == pages.length) { document.getElementById("out").textContent = out.join("\\n") + "\\nend"; return; }
  const f = document.createElement("iframe");
  f.style.cssText = "width: " + width + "px; height: 600px; border: 0";
  f.onload = () => {
    for (const found of find(f.contentDocument)) out.push(pages[i] + " " + found);
    f.remove(); next(i + 1);
  };
  f.src = base + pages[i]; document.body.appendChild(f);
}
next(0);
</script></body></html>""" % (json.dumps(pages), json.dumps("file://" + site + "/"), width, finder))
    r = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--allow-file-access-from-files", "--user-data-dir=" + os.path.join(tmp, "profile"),
                        "--virtual-time-budget=60000", "--dump-dom", "file://" + probe],
                       capture_output=True, text=True, timeout=300)
    start, end = r.stdout.find('<pre id="out">'), r.stdout.find("</pre>")
    text = r.stdout[start + len('<pre id="out">'):end] if start >= 0 and end > start else ""
    if not text.endswith("end"):
        sys.exit("chromium measured nothing: " + r.stderr[-500:])
    for line in text.splitlines()[:-1]:
        print(line)
PY
}

# overflow SITE WIDTH: "PAGE PIXELS" for each page of SITE that is wider than WIDTH CSS pixels.
overflow() {
	measure "$1" "$2" 'const e = d.documentElement, over = e.scrollWidth - e.clientWidth;
		return over > 0 ? [String(over)] : [];'
}

# broken_names SITE WIDTH: "PAGE NAME" for each level name of SITE's pages (the big box, the
# scale's steps) laid out on more than one line at WIDTH CSS pixels. The default levels' names
# are one word each, so for them that is a break inside the word.
broken_names() {
	measure "$1" "$2" 'const out = [];
		for (const e of d.querySelectorAll(".level-name, .scale-step")) {
			const r = d.createRange();
			r.selectNodeContents(e.firstChild);
			if (r.getClientRects().length > 1) out.push(e.firstChild.textContent.trim());
		}
		return out;'
}

# cut_tables SITE WIDTH: "PAGE PIXELS" for each history table of SITE wider than its box at
# WIDTH CSS pixels, which a reader would have to scroll sideways to see the rest of.
cut_tables() {
	measure "$1" "$2" 'const out = [];
		for (const e of d.querySelectorAll(".table-scroll"))
			if (e.scrollWidth > e.clientWidth) out.push(String(e.scrollWidth - e.clientWidth));
		return out;'
}

if command -v chromium >/dev/null; then
	repo=$(base_repo)
	build_ok "the base site builds" -C "$repo"
	# 250 px: the narrowest the big box keeps SUBSTANTIAL whole; 683 px: a 1366 px screen at 200 %.
	for w in 250 320 360 683 800 1280; do
		o=$(broken_names "$repo/site" $w 2>&1)
		is "$o" "" "no level name (SUBSTANTIAL the longest) breaks inside the word at $w px"
	done
	for w in 320 360 683 1280; do
		o=$(cut_tables "$repo/site" $w 2>&1)
		is "$o" "" "every history table, its links and levels, fits a $w px screen whole"
	done
fi

repo=$(new_repo)
{
	base_conf
	printf '[level "low"]\n\trank = 1\n[level "vigilance"]\n\trank = 2\n'
	printf '\ttitle = HEIGHTENED PUBLIC VIGILANCE REQUIRED\n'
} | put "$repo" threatfeed.conf
announcement vigilance 2020-01-01T00:00:00Z national "Raised." | put "$repo" content/levels/a.md
announcement low 2020-02-01T00:00:00Z national "Lowered." | put "$repo" content/levels/b.md
put "$repo" content/pages/long.md <<'EOF'
---
title: Long lines
---
See <https://www.example.org/a/long/address/that/has/no/space/in/it/anywhere/from/end/to/end/at/all>
or Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogochllanfairpwllgwyngyll.

    a code block whose single line goes on well past the width of any phone held upright
EOF
commit "$repo" >/dev/null
if ! command -v chromium >/dev/null; then
	pass "skipped: no chromium to lay the pages out"
elif build_ok "a site with a long level title and long words builds" -C "$repo"; then
	for w in 320 660; do
		o=$(overflow "$repo/site" $w 2>&1)
		is "$o" "" "no page is wider than a $w px screen (long level title, address, word, code)"
	done
fi

# ---- a moved page's old address takes a browser on to where it is now ----

repo=$(base_repo)
git -C "$repo" mv content/pages/about.md content/pages/who-we-are.md
sed -i 's|^title: .*|&\naliases: pages/about/|' "$repo/content/pages/who-we-are.md"
commit "$repo" "the about page renamed" >/dev/null
if ! command -v chromium >/dev/null; then
	pass "skipped: no chromium to follow the old address"
elif build_ok "a site with a page renamed, its old address given, builds" -C "$repo"; then
	o=$(chromium --headless=new --no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom \
		"file://$repo/site/pages/about/index.html" 2>/dev/null | tr -d '\n')
	like "$o" '<article class="free-page"><h1>About this site</h1>' \
		"Chromium, sent to the old address, shows the page at its new one"
fi

done_testing
