#!/usr/bin/env python3
"""Prints, as JSON, what a reader sees in a feed file, for test_feeds.c to compare.

    feedcheck.py FILE

Atom and RSS go through feedparser, the parser many feed readers share. feedparser 6.0 does not
read JSON Feed, so a JSON file is read with Python's json module into the same shape: a second,
independent reading beside the jansson checks in the C test.

Output: {"bozo": bool, "error": str, "version": str, "title": str, "subtitle": str,
"self": str, "hubs": [str], "entries": [{"id", "title", "link", "published", "updated",
"content", "tags": [str]}]}. Dates are normalised to RFC 3339 UTC ("...Z") so that every format
compares alike.
"""
import json
import sys
import time


def utc(parsed):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else ""


def from_feedparser(path):
    import feedparser

    d = feedparser.parse(path)
    links = d.feed.get("links", [])
    out = {
        "bozo": bool(d.bozo),
        "error": str(d.get("bozo_exception", "")),
        "version": d.version,
        "title": d.feed.get("title", ""),
        "subtitle": d.feed.get("subtitle", ""),
        "self": next((l["href"] for l in links if l.get("rel") == "self"), ""),
        "hubs": [l["href"] for l in links if l.get("rel") == "hub"],
        "entries": [],
    }
    for e in d.entries:
        content = e.get("content") or [{}]
        out["entries"].append({
            "id": e.get("id", ""),
            "title": e.get("title", ""),
            "link": e.get("link", ""),
            "published": utc(e.get("published_parsed")),
            "updated": utc(e.get("updated_parsed")),
            "content": content[0].get("value", e.get("description", "")),
            "tags": [t.get("term", "") for t in e.get("tags", [])],
        })
    return out


def iso_utc(s):
    # Python 3.7+ reads RFC 3339 with an offset once "Z" is spelled "+00:00".
    from datetime import datetime, timezone

    t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except ValueError as e:
        return {"bozo": True, "error": str(e), "entries": []}
    return {
        "bozo": False,
        "error": "",
        "version": d.get("version", ""),
        "title": d.get("title", ""),
        "subtitle": d.get("description", ""),
        "self": d.get("feed_url", ""),
        "hubs": [h.get("url", "") for h in d.get("hubs", [])],
        "entries": [{
            "id": e.get("id", ""),
            "title": e.get("title", ""),
            "link": e.get("url", ""),
            "published": iso_utc(e["date_published"]) if "date_published" in e else "",
            "updated": iso_utc(e["date_modified"]) if "date_modified" in e else "",
            "content": e.get("content_html", ""),
            "tags": e.get("tags", []),
        } for e in d.get("items", [])],
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: feedcheck.py FILE")
    with open(sys.argv[1], "rb") as f:
        is_json = f.read(1) == b"{"
    result = from_json(sys.argv[1]) if is_json else from_feedparser(sys.argv[1])
    json.dump(result, sys.stdout, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
