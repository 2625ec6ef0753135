#!/usr/bin/env bash
# End-to-end tests of the feeds: Atom (RELAX NG and Schematron of RFC 4287, then feedparser), RSS,
# JSON Feed 1.1, level.json and sitemap.xml, for a site with two scopes, three announcements and
# [feed] entries = 2, with characters that need escaping in a title.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cat >"$repo/threatfeed.conf" <<'EOF'
[site]
	title = Feed test & <level>
	url = https://threat.example.org/sub/
	description = Feeds under test
	author = Example Security Service
[feed]
	entries = 2
[scope "national"]
	title = National threat level
[scope "northern-ireland"]
	title = Northern Ireland-related terrorism
EOF
put "$repo" content/levels/2014-08-29-national-severe.md <<'EOF'
---
level: severe
date: 2014-08-29T14:00:00+01:00
scope: national
title: "Café & <friends> 🚨 raised"
---
Body **A** with [a link](https://example.org/a) & more.

Second paragraph.
EOF
announcement substantial 2016-05-11T08:00:00+01:00 northern-ireland 'Body *B*.' |
	put "$repo" content/levels/2016-05-11-northern-ireland-substantial.md
put "$repo" content/levels/2019-11-04-national-substantial.md <<'EOF'
---
level: substantial
date: 2019-11-04T10:00:00Z
updated: 2019-11-05T12:30:00Z
scope: national
id: tag:threat.example.org,2019-11-04:custom-id
title: Threat level lowered to SUBSTANTIAL
---
Body `C`.
EOF
printf -- '---\ntitle: About\n---\nWho we are.\n' | put "$repo" content/pages/about.md
commit "$repo" "three announcements" >/dev/null
site=$TMP_ROOT/site
build_ok "the feed test site builds" -C "$repo" -o "$site" || bail "no site"

for f in atom.xml national/atom.xml northern-ireland/atom.xml; do
	check_quiet "$f is valid against RFC 4287's RELAX NG schema" \
		xmllint --noout --relaxng "$TESTS_DIR/schemas/atom.rng" "$site/$f"
	check_quiet "$f passes RFC 4287's Schematron rules" \
		xmllint --noout --schematron "$TESTS_DIR/schemas/atom-rfc4287-rules.sch" "$site/$f"
done
for f in rss.xml national/rss.xml northern-ireland/rss.xml sitemap.xml; do
	check_quiet "$f is well-formed XML" xmllint --noout "$site/$f"
done

py=$(find_python_with_feedparser) || bail "no python3 with feedparser (Debian: python3-feedparser)"

# The checks below print "STATUS<TAB>what" lines (0 = pass) and "# ..." comments.
results=$("$py" - "$site" 2>&1 <<'PY'
import calendar, datetime, json, os, sys, time
import xml.etree.ElementTree as ET
import feedparser

site = sys.argv[1]
URL = "https://threat.example.org/sub/"
A = "{http://www.w3.org/2005/Atom}"
T_A = "Café & <friends> 🚨 raised"
T_C = "Threat level lowered to SUBSTANTIAL"
ID_C = "tag:threat.example.org,2019-11-04:custom-id"

def t(cond, what, detail=None):
    print("%d\t%s" % (0 if cond else 1, what))
    if not cond and detail is not None:
        for line in str(detail).splitlines()[:20]:
            print("# " + line)

def epoch(s):
    """RFC 3339 (with an offset) -> seconds, else None."""
    try:
        d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        return None
    return int(d.timestamp()) if d.tzinfo else None

def E(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))

def site_file(url):
    """The file of the site an absolute URL under URL points to, or None."""
    if not url.startswith(URL):
        return None
    rel = url[len(URL):].split("#")[0].split("?")[0]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    path = os.path.join(site, rel)
    return path if os.path.isfile(path) else None

# ---- Atom, read exactly with ElementTree ----
atom = {}
for d in ("", "national/", "northern-ireland/"):
    root = ET.parse(os.path.join(site, d + "atom.xml")).getroot()
    atom[d] = root
    entries = root.findall(A + "entry")
    name = d + "atom.xml"
    t(root.tag == A + "feed", name + ": root is atom:feed")
    fid = root.findtext(A + "id", "")
    t(fid == URL + d + "atom.xml", name + ": feed id is its absolute URL", fid)
    selfl = [l.get("href") for l in root.findall(A + "link") if l.get("rel") == "self"]
    t(selfl == [URL + d + "atom.xml"], name + ": rel=self link is its absolute URL", selfl)
    alt = [l.get("href") for l in root.findall(A + "link") if l.get("rel", "alternate") == "alternate"]
    t(len(alt) == 1 and site_file(alt[0]) is not None, name + ": alternate link is an existing page", alt)
    for e in entries:
        eid = e.findtext(A + "id", "")
        links = [l.get("href") for l in e.findall(A + "link") if l.get("rel", "alternate") == "alternate"]
        t(len(links) == 1 and site_file(links[0]) is not None,
          "%s: entry %s links to its page, absolute under site.url" % (name, eid), links)
        c = e.find(A + "content")
        t(c is not None and c.get("type") == "html" and (c.text or "").strip() != "",
          "%s: entry %s has HTML content" % (name, eid))

def by_id(d):
    return {e.findtext(A + "id"): e for e in atom[d].findall(A + "entry")}

root_ids = list(by_id(""))
nat = by_id("national/")
ni = by_id("northern-ireland/")
t(len(root_ids) == 2, "atom.xml holds only the newest 2 entries ([feed] entries = 2)", root_ids)
t(len(nat) == 2, "national/atom.xml holds its 2 entries", list(nat))
t(len(ni) == 1, "northern-ireland/atom.xml holds its 1 entry", list(ni))
all_entries = dict(nat)
all_entries.update(ni)
t(len(all_entries) == 3, "three distinct ids over the scope feeds", list(all_entries))
t(all(i.startswith("tag:") for i in all_entries), "every id is a tag: URI", list(all_entries))
t(ID_C in nat, "an explicit id: is kept as written", list(nat))

def find_title(entries, title):
    return [i for i, e in entries.items() if e.findtext(A + "title") == title]

idA = find_title(nat, T_A)
t(len(idA) == 1, "the title with &, <, é and an emoji survives exactly in Atom",
  [e.findtext(A + "title") for e in nat.values()])
idA = idA[0] if idA else None
idB = list(ni)[0] if ni else None
t(idA is not None and idA.startswith("tag:threat.example.org,2014-08-29:"),
  "a default id is tag:HOST,DATE:... from site.url's host and the entry's date", idA)
t(idA is not None and "café" not in idA.lower() and "2014-08-29-national" not in idA,
  "a default id holds neither the title nor the file name", idA)
t(idB is not None and "northern-ireland" in idB, "a default id names its scope", idB)
t(idA is not None and "/sub/" not in idA and "https" not in idA, "a default id is not a URL", idA)
t(set(root_ids) == {ID_C, idB}, "atom.xml holds the 2 newest entries of all scopes", root_ids)
t(set(nat) == {ID_C, idA}, "national/atom.xml holds only national entries", list(nat))
t(set(ni) == {idB}, "northern-ireland/atom.xml holds only its entry", list(ni))

def times(e):
    return epoch(e.findtext(A + "updated")), epoch(e.findtext(A + "published"))

if idA:
    u, p = times(nat[idA])
    t(u == E("2014-08-29T13:00:00Z"), "entry A: <updated> is its date (no 'updated:')",
      nat[idA].findtext(A + "updated"))
    t(p in (None, E("2014-08-29T13:00:00Z")), "entry A: <published> is its date",
      nat[idA].findtext(A + "published"))
    c = nat[idA].find(A + "content").text or ""
    t("<strong>A</strong>" in c and 'href="https://example.org/a"' in c and "&amp; more" in c,
      "entry A: content is the Markdown's HTML rendering", c)
u, p = times(nat[ID_C]) if ID_C in nat else (None, None)
t(u == E("2019-11-05T12:30:00Z"), "entry C: <updated> is its 'updated:'",
  nat[ID_C].findtext(A + "updated") if ID_C in nat else None)
t(p in (None, E("2019-11-04T10:00:00Z")), "entry C: <published> is its date")
for d, want in (("", "2019-11-05T12:30:00Z"), ("national/", "2019-11-05T12:30:00Z"),
                ("northern-ireland/", "2016-05-11T07:00:00Z")):
    got = atom[d].findtext(A + "updated")
    t(epoch(got) == E(want), "%satom.xml: feed <updated> is its newest entry's, %s" % (d, want), got)
if idB:
    title = ni[idB].findtext(A + "title") or ""
    t("SUBSTANTIAL" in title.upper(), "entry B: a title is derived from its level", title)

# ---- feedparser: Atom and RSS ----
for d in ("", "national/", "northern-ireland/"):
    for kind in ("atom.xml", "rss.xml"):
        name = d + kind
        f = feedparser.parse(os.path.join(site, name))
        t(not f.bozo, name + ": feedparser finds no problem (bozo false)",
          f.get("bozo_exception"))
        want = {"": set(root_ids), "national/": set(nat), "northern-ireland/": set(ni)}[d]
        got = [e.get("id") for e in f.entries]
        t(set(got) == want and len(got) == len(want), name + ": the same entries (ids) as Atom", got)
        t(all(site_file(e.get("link", "")) for e in f.entries),
          name + ": every entry links to its page, absolute under site.url",
          [e.get("link") for e in f.entries])
        t(site_file(f.feed.get("link", "")) is not None, name + ": channel link is an existing page",
          f.feed.get("link"))
        for e in f.entries:
            if e.get("id") == idA:
                t(e.get("title") == T_A, name + ": the escaped title reads back exactly", e.get("title"))
                pub = e.get("published_parsed") or e.get("updated_parsed")
                t(pub is not None and calendar.timegm(pub) == E("2014-08-29T13:00:00Z"),
                  name + ": entry A's date", e.get("published") or e.get("updated"))
            if e.get("id") == ID_C:
                t(e.get("title") == T_C, name + ": entry C's title", e.get("title"))
            if e.get("id") == ID_C and kind == "rss.xml":
                pub = e.get("published_parsed")
                t(pub is not None and calendar.timegm(pub) == E("2019-11-04T10:00:00Z"),
                  name + ": entry C's pubDate is its date", e.get("published"))

rss = ET.parse(os.path.join(site, "rss.xml")).getroot()
t(rss.tag == "rss" and rss.get("version") == "2.0", "rss.xml is RSS 2.0")
for item in rss.iter("item"):
    g = item.find("guid")
    if g is not None and g.text and g.text.startswith("tag:"):
        t(g.get("isPermaLink") == "false", "rss.xml: a tag: guid is marked isPermaLink=false", g.text)

# ---- JSON Feed 1.1 ----
for d in ("", "national/", "northern-ireland/"):
    name = d + "feed.json"
    try:
        with open(os.path.join(site, name), encoding="utf-8") as fh:
            j = json.load(fh)
    except Exception as ex:
        t(False, name + " is JSON", ex)
        continue
    t(j.get("version") == "https://jsonfeed.org/version/1.1", name + ": version 1.1", j.get("version"))
    t(isinstance(j.get("title"), str) and j["title"] != "", name + ": has a title")
    t(j.get("feed_url") == URL + d + "feed.json", name + ": feed_url is its absolute URL",
      j.get("feed_url"))
    t(site_file(j.get("home_page_url", "")) is not None, name + ": home_page_url is an existing page",
      j.get("home_page_url"))
    items = j.get("items")
    t(isinstance(items, list), name + ": has items")
    items = items if isinstance(items, list) else []
    want = {"": set(root_ids), "national/": set(nat), "northern-ireland/": set(ni)}[d]
    ids = [i.get("id") for i in items]
    t(set(ids) == want and len(ids) == len(want), name + ": the same entries (ids) as Atom", ids)
    for i in items:
        ok_item = (isinstance(i.get("id"), str) and
                   (isinstance(i.get("content_html"), str) or isinstance(i.get("content_text"), str))
                   and site_file(i.get("url", "")) is not None
                   and epoch(i.get("date_published")) is not None)
        t(ok_item, "%s: item %s has id, content, url and date_published" % (name, i.get("id")), i)
        if i.get("id") == idA:
            t(i.get("title") == T_A, name + ": the title reads back exactly", i.get("title"))
            t("<strong>A</strong>" in i.get("content_html", ""), name + ": content_html is the rendering")
        if i.get("id") == ID_C:
            t(epoch(i.get("date_modified")) == E("2019-11-05T12:30:00Z"),
              name + ": date_modified is 'updated:'", i.get("date_modified"))
            t(epoch(i.get("date_published")) == E("2019-11-04T10:00:00Z"),
              name + ": date_published is the date", i.get("date_published"))

# ---- level.json ----
try:
    with open(os.path.join(site, "level.json"), encoding="utf-8") as fh:
        lj = json.load(fh)
except Exception as ex:
    lj = None
    t(False, "level.json is JSON", ex)

def objects(x):
    if isinstance(x, dict):
        yield x
        for v in x.values():
            yield from objects(v)
    elif isinstance(x, list):
        for v in x:
            yield from objects(v)

def current_of(scope):
    """Level names in objects that name the scope (under a key with 'scope' or 'name')."""
    found = set()
    for o in objects(lj):
        if any(isinstance(v, str) and v == scope and ("scope" in k or k == "name") for k, v in o.items()):
            for k, v in o.items():
                if "level" in k and isinstance(v, str):
                    found.add(v.lower())
                if "level" in k and isinstance(v, dict):
                    found.update(str(x).lower() for x in v.values() if isinstance(x, str))
    return found

if lj is not None:
    t("substantial" in current_of("national") and "severe" not in current_of("national"),
      "level.json: national is at SUBSTANTIAL", json.dumps(lj, indent=1)[:1500])
    t("substantial" in current_of("northern-ireland") and "severe" not in current_of("northern-ireland"),
      "level.json: northern-ireland is at SUBSTANTIAL", current_of("northern-ireland"))

# ---- sitemap.xml ----
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
sm = ET.parse(os.path.join(site, "sitemap.xml")).getroot()
t(sm.tag == SM + "urlset", "sitemap.xml: a sitemaps.org urlset", sm.tag)
locs = [u.findtext(SM + "loc", "") for u in sm.findall(SM + "url")]
t(all(l.startswith(URL) for l in locs), "sitemap.xml: every loc is absolute under site.url", locs)
files = set()
for l in locs:
    f = site_file(l)
    files.add(os.path.relpath(f, site) if f else "MISSING " + l)
pages = set()
for dirpath, _, names in os.walk(site):
    for n in names:
        if n.endswith(".html"):
            pages.add(os.path.relpath(os.path.join(dirpath, n), site))
t(files == pages and len(locs) == len(pages), "sitemap.xml: one entry per HTML page",
  "missing: %s\nextra: %s" % (sorted(pages - files), sorted(files - pages)))
lastmods = [u.findtext(SM + "lastmod") for u in sm.findall(SM + "url")]
t(all(l is None or epoch(l) is not None for l in lastmods), "sitemap.xml: lastmod values are dates",
  lastmods)
lastmod = {u.findtext(SM + "loc", ""): u.findtext(SM + "lastmod") for u in sm.findall(SM + "url")}
t(epoch(lastmod.get(URL + "northern-ireland/") or "") == E("2016-05-11T07:00:00Z"),
  "sitemap.xml: a scope page's lastmod is its own newest update, not another scope's",
  lastmod.get(URL + "northern-ireland/"))
t(epoch(lastmod.get(URL) or "") == E("2019-11-05T12:30:00Z"),
  "sitemap.xml: the home page's lastmod is the newest update of all", lastmod.get(URL))
t(URL + "pages/about/" in lastmod and lastmod[URL + "pages/about/"] is None,
  "sitemap.xml: a free page has no lastmod (no announcement's date is its own)",
  lastmod.get(URL + "pages/about/", "MISSING"))
PY
)
# tap_results TEXT: turns the checks' "STATUS<TAB>what" lines into TAP, passing comments on.
tap_results() {
	local line
	while IFS= read -r line; do
		case $line in
		"#"*) echo "$line" ;;
		[01]"	"*) ok "${line%%	*}" "${line#*	}" ;;
		*) fail "feed checks: unexpected output: $line" ;;
		esac
	done <<<"$1"
}
tap_results "$results"

# The title with & and < reaches HTML escaped, never as markup.
! grep -rqF '<friends>' "$site" --include=*.html
ok $? "the title's <friends> is escaped in every HTML page"
! grep -rqF '<level>' "$site" --include=*.html
ok $? "the site title's <level> is escaped in every HTML page"
grep -qF 'Café &amp; &lt;friends&gt; 🚨 raised' "$site/2014/2014-08-29-national-severe/index.html"
ok $? "the announcement's page shows the title, escaped"

# ---- links in a body: the page keeps them relative, every feed makes them absolute ----
#
# A feed reader resolves a relative URL in an entry's content against the feed's own address:
# "../../2014/x/" from https://gov.example/threat/atom.xml would lose /threat/, and "#advice"
# would point into the feed. feedparser is told where each feed was fetched from, as a reader
# knows, and each entry's links must come out as the ones its page's links resolve to.

links=$(new_repo)
cat >"$links/threatfeed.conf" <<'EOF'
[site]
	title = Links test
	url = https://gov.example/threat/
[scope "national"]
	title = National threat level
[scope "northern-ireland"]
	title = Northern Ireland-related terrorism
EOF
announcement severe 2014-08-29T14:00:00+01:00 national 'Raised.' |
	put "$links" content/levels/2014-08-29-national-severe.md
put "$links" content/levels/2024-01-01-national-substantial.md <<'EOF'
---
level: substantial
date: 2024-01-01T10:00:00Z
scope: national
---
See [the previous change](../../2014/2014-08-29-national-severe/), [this page's notes](notes/),
[the root](/elsewhere/), [the advice below](#advice), ![the scale](./scale.png "The levels"),
[the press office](mailto:press@gov.example) and [the police](https://police.example/report?a=1&b=2).
EOF
announcement moderate 2024-02-01T10:00:00Z northern-ireland \
	'As [the national level](../../2024/2024-01-01-national-substantial/#now) and [above](#top).' |
	put "$links" content/levels/2024-02-01-northern-ireland-moderate.md
commit "$links" "links in bodies" >/dev/null
lsite=$TMP_ROOT/links-site
build_ok "a site under a path with links in its bodies builds" -C "$links" -o "$lsite" ||
	bail "no links site"
for f in atom.xml national/atom.xml northern-ireland/atom.xml; do
	check_quiet "links site: $f is valid against RFC 4287's RELAX NG schema and Schematron rules" \
		sh -c 'xmllint --noout --relaxng "$1" "$3" && xmllint --noout --schematron "$2" "$3"' sh \
		"$TESTS_DIR/schemas/atom.rng" "$TESTS_DIR/schemas/atom-rfc4287-rules.sch" "$lsite/$f"
done

results=$("$py" - "$lsite" 2>&1 <<'PY'
import json, os, sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit
import feedparser

site = sys.argv[1]
URL = "https://gov.example/threat/"
AS_WRITTEN = ["../../2014/2014-08-29-national-severe/", "notes/", "/elsewhere/", "#advice",
              "./scale.png", "mailto:press@gov.example", "https://police.example/report?a=1&b=2"]

def t(cond, what, detail=None):
    print("%d\t%s" % (0 if cond else 1, what))
    if not cond and detail is not None:
        for line in str(detail).splitlines()[:20]:
            print("# " + line)

class Links(HTMLParser):
    """Each a/href and img/src, in order; with prose, only inside <div class="prose">."""
    def __init__(self, prose):
        super().__init__(convert_charrefs=True)
        self.prose, self.depth, self.urls = prose, 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.prose and tag == "div":
            if self.depth or a.get("class") == "prose":
                self.depth += 1
            return
        if self.prose and not self.depth:
            return
        if tag == "a" and "href" in a:
            self.urls.append(a["href"])
        if tag == "img" and "src" in a:
            self.urls.append(a["src"])

    def handle_endtag(self, tag):
        if self.prose and self.depth and tag == "div":
            self.depth -= 1

def links(html, prose=False):
    p = Links(prose)
    p.feed(html)
    p.close()
    return p.urls

def page_of(url):
    """The body links of the page at url, as written there."""
    path = os.path.join(site, url[len(URL):], "index.html") if url.startswith(URL) else None
    if not path or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return links(fh.read(), prose=True)

def site_file(url):
    u = urlsplit(url)
    if not url.startswith(URL):
        return None
    rel = u.path[len(urlsplit(URL).path):]
    path = os.path.join(site, rel, "index.html")
    return path if os.path.isfile(path) else None

NAT = URL + "2024/2024-01-01-national-substantial/"
NI = URL + "2024/2024-02-01-northern-ireland-moderate/"
t(page_of(NAT) == AS_WRITTEN, "the page keeps its body's links as written", page_of(NAT))
t(page_of(NI) == ["../../2024/2024-01-01-national-substantial/#now", "#top"],
  "the other scope's page too", page_of(NI))
resolved = [urljoin(NAT, h) for h in AS_WRITTEN]
t(resolved[0] == URL + "2014/2014-08-29-national-severe/" and site_file(resolved[0]),
  "the page's ../ link resolves under site.url's path to an existing page", resolved[0])

def same_as_page(name, link, urls):
    page = page_of(link)
    want = [urljoin(link, h) for h in page] if page is not None else None
    t(want is not None and urls == want,
      "%s: entry %s links where its page does" % (name, link[len(URL):]),
      "got:  %s\nwant: %s" % (urls, want))

seen = set()
for d in ("", "national/", "northern-ireland/"):
    for kind in ("atom.xml", "rss.xml"):
        name = d + kind
        f = feedparser.parse(os.path.join(site, name), response_headers={
            "content-location": URL + name,
            "content-type": "application/%s+xml" % kind.split(".")[0]})
        t(not f.bozo, name + ": feedparser finds no problem", f.get("bozo_exception"))
        t(len(f.entries) == (3 if d == "" else 2 if d == "national/" else 1),
          name + ": every entry", [e.get("link") for e in f.entries])
        for e in f.entries:
            html = (e.get("content") or [{}])[0].get("value") or e.get("summary", "")
            same_as_page(name, e.get("link", ""), links(html))
            seen.add(e.get("link"))
    name = d + "feed.json"
    with open(os.path.join(site, name), encoding="utf-8") as fh:
        items = json.load(fh)["items"]
    for i in items:
        urls = links(i["content_html"])
        t(all(urlsplit(u).scheme for u in urls), "%s: item %s holds absolute URLs only"
          % (name, i["url"][len(URL):]), urls)
        # However a reader resolves them (against the feed here), they are the page's.
        same_as_page(name, i["url"], [urljoin(URL + name, u) for u in urls])
t(seen == {NAT, NI, URL + "2014/2014-08-29-national-severe/"}, "every entry was checked", seen)

with open(os.path.join(site, "national/atom.xml"), encoding="utf-8") as fh:
    atom = fh.read()
t("href=&quot;https://police.example/report?a=1&amp;amp;b=2&quot;" in atom and
  "href=&quot;mailto:press@gov.example&quot;" in atom,
  "national/atom.xml: URLs with a scheme are kept as the page has them")
PY
)
tap_results "$results"

# ---- the same for a site.url that is not ASCII, host and path, which libxml2 parses only escaped ----

idn=$(new_repo)
printf '[site]\n\ttitle = IDN test\n\turl = https://bücher.example/menace-é/\n' >"$idn/threatfeed.conf"
announcement severe 2014-08-29T14:00:00+01:00 "" 'Raised.' | put "$idn" content/levels/2014-08-29-severe.md
announcement substantial 2024-01-01T10:00:00Z "" \
	'See [the previous change](../../2014/2014-08-29-severe/), [notes](notes/) and [advice](#advice).' |
	put "$idn" content/levels/2024-01-01-substantial.md
commit "$idn" "a site.url not in ASCII" >/dev/null
build_ok "a site whose url is not ASCII builds" -C "$idn" -o "$TMP_ROOT/idn-site" || bail "no IDN site"
results=$("$py" - "$TMP_ROOT/idn-site" 2>&1 <<'PY'
import json, os, sys
from html.parser import HTMLParser
from urllib.parse import urljoin
import feedparser

site = sys.argv[1]
URL = "https://bücher.example/menace-é/"
PAGE = URL + "2024/2024-01-01-substantial/"
WANT = [URL + "2014/2014-08-29-severe/", PAGE + "notes/", PAGE + "#advice"]

class Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.urls.append(dict(attrs).get("href"))

def links(html):
    p = Links()
    p.feed(html)
    p.close()
    return p.urls

for name in ("atom.xml", "rss.xml"):
    f = feedparser.parse(os.path.join(site, name), response_headers={
        "content-location": URL + name, "content-type": "application/%s+xml" % name.split(".")[0]})
    e = [e for e in f.entries if e.get("link") == PAGE]
    html = ((e[0].get("content") or [{}])[0].get("value") or e[0].get("summary", "")) if e else ""
    got = links(html)
    print("%d\t%s: the body's links lead where its page's do" % (0 if got == WANT else 1, name))
    if got != WANT:
        print("# got:  %s\n# want: %s" % (got, WANT))
with open(os.path.join(site, "feed.json"), encoding="utf-8") as fh:
    items = [i for i in json.load(fh)["items"] if i["url"] == PAGE]
got = [urljoin(URL + "feed.json", u) for u in links(items[0]["content_html"] if items else "")]
print("%d\tfeed.json: the body's links lead where its page's do" % (0 if got == WANT else 1))
if got != WANT:
    print("# got:  %s\n# want: %s" % (got, WANT))
PY
)
tap_results "$results"

# ---- edge sites: no announcement yet; a single unnamed scope ----

empty=$(new_repo)
sed '/^\[scope/,$d' <"$repo/threatfeed.conf" >"$empty/threatfeed.conf"
commit "$empty" "settings only" >/dev/null
build_ok "a site with no announcement yet builds" -C "$empty" -o "$TMP_ROOT/empty" || bail "no empty site"
single=$(new_repo)
printf '[site]\n\ttitle = One scope\n\turl = https://one.example.org\n' >"$single/threatfeed.conf"
announcement low 2015-01-01T10:00:00Z "" 'Body.' | put "$single" content/levels/2015-01-01-low.md
announcement moderate 2016-01-01T01:00:00+02:00 "" 'Raised.' |
	put "$single" content/levels/2016-01-01-moderate.md
commit "$single" "one scope" >/dev/null
build_ok "a site without scopes builds" -C "$single" -o "$TMP_ROOT/single" || bail "no single site"
for d in empty single; do
	check_quiet "$d site: atom.xml is valid against the RELAX NG schema" \
		xmllint --noout --relaxng "$TESTS_DIR/schemas/atom.rng" "$TMP_ROOT/$d/atom.xml"
	check_quiet "$d site: atom.xml passes the Schematron rules" \
		xmllint --noout --schematron "$TESTS_DIR/schemas/atom-rfc4287-rules.sch" "$TMP_ROOT/$d/atom.xml"
	for f in atom.xml rss.xml; do
		check_quiet "$d site: feedparser reads $f without problem" "$py" -c '
import sys, feedparser
f = feedparser.parse(sys.argv[1])
sys.exit("bozo: %r" % f.get("bozo_exception") if f.bozo else 0)' "$TMP_ROOT/$d/$f"
	done
	check_quiet "$d site: feed.json and level.json are JSON" \
		python3 -c 'import json, sys; [json.load(open(f)) for f in sys.argv[1:]]' \
		"$TMP_ROOT/$d/feed.json" "$TMP_ROOT/$d/level.json"
	check_quiet "$d site: links resolve" html_check links "$TMP_ROOT/$d"
done
is "$(atom_entries "$TMP_ROOT/empty/atom.xml")" "" "empty site: atom.xml has no entry"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$TMP_ROOT/empty/feed.json")" 0 \
	"empty site: feed.json has no item"
# Its feeds must give a date: the commit built (the first commit of a test repository is dated
# 2025-01-01), not 1970, which a reader subscribing then would show.
is "$(python3 -c 'import sys, xml.etree.ElementTree as E
print(E.parse(sys.argv[1]).getroot().findtext("{http://www.w3.org/2005/Atom}updated"))' "$TMP_ROOT/empty/atom.xml")" \
	2025-01-01T00:00:00Z "empty site: atom.xml is dated by the commit built"
like "$(cat "$TMP_ROOT/empty/rss.xml")" "<lastBuildDate>Wed, 01 Jan 2025 00:00:00 \+0000</lastBuildDate>" \
	"empty site: rss.xml too"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["updated"])' "$TMP_ROOT/empty/level.json")" \
	2025-01-01T00:00:00Z "empty site: level.json too"
# A preview has no commit: its feeds keep the epoch rather than a "now" that changes every run.
build_ok "a preview of the empty site builds" -C "$empty" --worktree -o "$TMP_ROOT/empty-preview"
like "$(cat "$TMP_ROOT/empty-preview/atom.xml")" "<updated>1970-01-01T00:00:00Z</updated>" \
	"empty site's preview: atom.xml dated by the epoch, the same at every run"
[ ! -e "$TMP_ROOT/single/national" ] && [ -z "$(find "$TMP_ROOT/single" -mindepth 2 -name atom.xml)" ]
ok $? "single scope: no per-scope folders or feeds"
ids=$(atom_entries "$TMP_ROOT/single/atom.xml" | cut -f1 | sort)
like "$ids" '^tag:one\.example\.org,2015-01-01:' "single scope: default ids from the host (url without a trailing '/')"
is "$(wc -l <<<"$ids" | tr -d ' ')" 2 "single scope: both entries in atom.xml"
[ -f "$TMP_ROOT/single/2016/2016-01-01-moderate/index.html" ]
ok $? "single scope: the page path uses the year of the date as written"

# ---- dates before 1970, and a scope with no announcement yet ----

# A feed's updated is its newest entry's; the newest of dates before the epoch is not the epoch.
# A scope with nothing yet takes the site's newest, as its sitemap item does; a site with nothing
# yet gives its sitemap items no lastmod (the feeds must give a date: the epoch).
early=$(new_repo)
printf '[site]\n\ttitle = Early\n\turl = https://early.example.org/\n[scope "national"]\n\ttitle = National\n[scope "wales"]\n\ttitle = Wales\n' \
	>"$early/threatfeed.conf"
announcement low 1965-03-01T10:00:00Z national 'Set.' | put "$early" content/levels/1965-03-01-low.md
announcement moderate 1968-05-02T12:30:00Z national 'Raised.' |
	put "$early" content/levels/1968-05-02-moderate.md
commit "$early" "announcements before 1970" >/dev/null
build_ok "a site whose announcements are all before 1970 builds" -C "$early" -o "$TMP_ROOT/early" ||
	bail "no early site"
atom_updated() {
	python3 -c 'import sys, xml.etree.ElementTree as E
print(E.parse(sys.argv[1]).getroot().findtext("{http://www.w3.org/2005/Atom}updated"))' "$1"
}
lastmods() {
	python3 -c 'import sys, xml.etree.ElementTree as E
n = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
for u in E.parse(sys.argv[1]).getroot():
	print(u.findtext(n + "loc"), u.findtext(n + "lastmod"))' "$1"
}
is "$(atom_updated "$TMP_ROOT/early/atom.xml")" 1968-05-02T12:30:00Z \
	"... and atom.xml is updated at its newest announcement, not at the epoch"
is "$(atom_updated "$TMP_ROOT/early/wales/atom.xml")" 1968-05-02T12:30:00Z \
	"a scope with no announcement yet: its atom.xml is updated at the site's newest"
like "$(cat "$TMP_ROOT/early/wales/rss.xml")" "<lastBuildDate>Thu, 02 May 1968 12:30:00 \+0000</lastBuildDate>" \
	"... and its rss.xml likewise"
is "$(lastmods "$TMP_ROOT/early/sitemap.xml" | grep -E '^https://early\.example\.org/(wales/|history/)? ' | LC_ALL=C sort)" \
	"https://early.example.org/ 1968-05-02T12:30:00Z
https://early.example.org/history/ 1968-05-02T12:30:00Z
https://early.example.org/wales/ 1968-05-02T12:30:00Z" "... and sitemap.xml gives that date to its page and the site's"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["updated"])' "$TMP_ROOT/early/level.json")" \
	1968-05-02T12:30:00Z "... and level.json is updated at its newest current level"
check_quiet "early site: wales/atom.xml is valid against the RELAX NG schema" \
	xmllint --noout --relaxng "$TESTS_DIR/schemas/atom.rng" "$TMP_ROOT/early/wales/atom.xml"
is "$(lastmods "$TMP_ROOT/empty/sitemap.xml" | grep -E '/sub/(history/|levels/)? None$' | LC_ALL=C sort)" \
	"https://threat.example.org/sub/ None
https://threat.example.org/sub/history/ None
https://threat.example.org/sub/levels/ None" \
	"empty site: its home, history and levels pages are in sitemap.xml without a lastmod"
is "$(lastmods "$TMP_ROOT/empty/sitemap.xml" | grep -v ' None$')" "" \
	"... and no other item has one"

# ---- an announcement's page changes when a later one comes ----

# Its status ("the current level", "still in force", "no longer in force") is on its page, so its
# sitemap lastmod is the date of the announcement that last changed it, when later than its own.
later=$(new_repo)
printf '[site]\n\ttitle = Status\n\turl = https://status.example.org/\n' >"$later/threatfeed.conf"
# later_add LEVEL DATE: one more announcement, committed and built.
later_add() {
	announcement "$1" "$2" "" "Body." | put "$later" "content/levels/${2%%T*}-$1.md"
	commit "$later" "$1" >/dev/null
	build_ok "a site with $1 on ${2%%T*} builds" -C "$later" -o "$TMP_ROOT/status"
}
entry_lastmods() { lastmods "$TMP_ROOT/status/sitemap.xml" | grep -E '/20[0-9]{2}/' | LC_ALL=C sort; }
later_add severe 2014-08-29T14:00:00Z
later_add substantial 2019-11-04T10:00:00Z
is "$(entry_lastmods)" "https://status.example.org/2014/2014-08-29-severe/ 2019-11-04T10:00:00Z
https://status.example.org/2019/2019-11-04-substantial/ 2019-11-04T10:00:00Z" \
	"a level no longer in force: its page is dated by the announcement that changed it"
later_add substantial 2021-01-01T09:00:00Z
is "$(entry_lastmods)" "https://status.example.org/2014/2014-08-29-severe/ 2019-11-04T10:00:00Z
https://status.example.org/2019/2019-11-04-substantial/ 2021-01-01T09:00:00Z
https://status.example.org/2021/2021-01-01-substantial/ 2021-01-01T09:00:00Z" \
	"a reaffirmation: the level it keeps is still in force, since then; the older page is not changed"
later_add severe 2022-03-01T08:00:00Z
is "$(entry_lastmods)" "https://status.example.org/2014/2014-08-29-severe/ 2019-11-04T10:00:00Z
https://status.example.org/2019/2019-11-04-substantial/ 2022-03-01T08:00:00Z
https://status.example.org/2021/2021-01-01-substantial/ 2022-03-01T08:00:00Z
https://status.example.org/2022/2022-03-01-severe/ 2022-03-01T08:00:00Z" \
	"a change: both pages of the level it ended are dated by it"

# ---- a revision of an announcement too old to be in the feeds ----

# A feed's updated is the newest of the entries it holds: revising one that has left it changes
# no byte of the feed (nor pings a hub), while the history page that lists it is dated by it.
revised=$(new_repo)
{
	printf '[site]\n\ttitle = Revised\n\turl = https://revised.example.org/\n[feed]\n\tentries = 2\n'
	printf '[scope "%s"]\n\ttitle = %s\n' national National wales Wales
} >"$revised/threatfeed.conf"
announcement low 2019-01-10T09:00:00Z national 'Set.' | put "$revised" content/levels/2019-01-10-low.md
announcement moderate 2020-02-20T09:00:00Z national 'Raised.' |
	put "$revised" content/levels/2020-02-20-moderate.md
announcement low 2021-03-30T09:00:00Z national 'Lowered.' | put "$revised" content/levels/2021-03-30-low.md
commit "$revised" "three announcements, two in the feeds" >/dev/null
build_ok "a site with two entries in its feeds builds" -C "$revised" || bail "no revised site"
snapshot "$revised/site" >"$TMP_ROOT/revised-before"
{ printf -- '---\nlevel: low\ndate: 2019-01-10T09:00:00Z\nupdated: 2022-06-01T08:00:00Z\nscope: national\n---\n'
  printf 'Set. Corrected.\n'; } | put "$revised" content/levels/2019-01-10-low.md
commit "$revised" "revise the oldest announcement" >/dev/null
build_ok "a build after revising the announcement the feeds no longer hold" -C "$revised" ||
	bail "no revised site"
snapshot "$revised/site" >"$TMP_ROOT/revised-after"
changed=$(changed_files "$TMP_ROOT/revised-before" "$TMP_ROOT/revised-after")
for d in "" national/ wales/; do
	is "$(atom_updated "$revised/site/${d}atom.xml")" 2021-03-30T09:00:00Z \
		"${d}atom.xml is updated at the newest of the entries it holds, not at a revision of an older one"
	for f in atom.xml rss.xml; do
		! grep -qx "$d$f" <<<"$changed"
		ok $? "... and $d$f is not rewritten"
	done
done
grep -qx 2019/2019-01-10-low/index.html <<<"$changed"
ok $? "... while the revised announcement's page is"
is "$(lastmods "$revised/site/sitemap.xml" | grep -E '^https://revised\.example\.org/history/ ')" \
	"https://revised.example.org/history/ 2022-06-01T08:00:00Z" \
	"... and sitemap.xml dates the history page, which lists it, by the revision"
is "$(lastmods "$revised/site/sitemap.xml" | grep -E '^https://revised\.example\.org/national/ ')" \
	"https://revised.example.org/national/ 2022-06-01T08:00:00Z" "... and the scope's page likewise"

# ---- a site that moves to another host keeps its entries' ids with feed.id-host ----

moved=$(base_repo)
build_ok "build before the site moves" -C "$moved"
atom_entries "$moved/site/atom.xml" | cut -f1 | sort >"$TMP_ROOT/ids-before"
sed -i 's|url = https://threat.example.org/|url = https://www.threat.example.org/|' "$moved/threatfeed.conf"
commit "$moved" "moved" >/dev/null
build_ok "build after site.url moves to another host" -C "$moved"
atom_entries "$moved/site/atom.xml" | cut -f1 | sort >"$TMP_ROOT/ids-moved"
grep -q 'tag:www.threat.example.org,' "$TMP_ROOT/ids-moved"
ok $? "without feed.id-host, default ids follow the new host (what the setting is for)"
sed -i 's|entries = 20|entries = 20\n\tid-host = threat.example.org|' "$moved/threatfeed.conf"
commit "$moved" "ids keep the old host" >/dev/null
build_ok "build with feed.id-host set to the old host" -C "$moved"
atom_entries "$moved/site/atom.xml" | cut -f1 | sort >"$TMP_ROOT/ids-kept"
check_quiet "... every entry has the id it had before the move" diff "$TMP_ROOT/ids-before" "$TMP_ROOT/ids-kept"

done_testing
