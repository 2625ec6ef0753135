#!/usr/bin/env bash
# The README's nginx server block, run as written in Debian's nginx on 127.0.0.1 and checked with
# real HTTP requests (curl): media types, ETag and Last-Modified with 304 answers (after a rebuild
# that changed nothing, and after one that changed other files) and new ones for a file changed
# twice in one second, Cache-Control, the security headers against the pages' own policy, no
# cookie, hidden files and /.well-known/, and compression on the fly (never a stale .gz).
# The block is read from README.md between its nginx-begin and nginx-end markers; only its
# `listen 80;` line and its root path are replaced.
. "$(dirname "$0")/lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || bail "nginx is not installed (Debian: apt-get install nginx-light; make deps-test)"
command -v curl >/dev/null || bail "curl is not installed (Debian: apt-get install curl)"

# ---- the block, from the README ----

block=$TMP_ROOT/threatfeed.nginx
sed -n '/^<!-- nginx-begin/,/^<!-- nginx-end/p' "$TOP_DIR/README.md" | sed '1,2d;$d' | sed '$d' >"$block"
is "$(grep -c '^	listen 80;$' "$block")" 1 "README: the nginx block has one 'listen 80;' line"
is "$(grep -c '^	root /var/www/threat;$' "$block")" 1 "README: the nginx block has one 'root /var/www/threat;' line"
like "$(head -n 1 "$block")" '^# ' "README: the nginx block starts inside the fence"

root=$TMP_ROOT/www
mkdir -p "$root" "$TMP_ROOT/nginx"

# A free port: the kernel picks one, then it is released for nginx (retried below if taken).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Around the block, what Debian's /etc/nginx/nginx.conf puts in its http context (so the block is
# tested where a host puts it), with every file nginx writes kept in the test's folder.
write_conf() {
	local n=$TMP_ROOT/nginx
	{
		# As root, workers would run as nobody, who cannot read the test's private folder.
		[ "$(id -u)" -eq 0 ] && echo "user root;"
		cat <<EOF
daemon off;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log;
events {
	worker_connections 64;
}
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log $n/access.log;
	gzip on;
	client_body_temp_path $n/body;
	proxy_temp_path $n/proxy;
	fastcgi_temp_path $n/fastcgi;
	uwsgi_temp_path $n/uwsgi;
	scgi_temp_path $n/scgi;
EOF
		sed -e "s|^	listen 80;\$|	listen 127.0.0.1:$1;|" -e "s|^	root /var/www/threat;\$|	root $root;|" \
			"$block"
		echo "}"
	} >"$n/nginx.conf"
}

nginx_pid=
stop_nginx() {
	if [ -n "$nginx_pid" ]; then
		kill "$nginx_pid" 2>/dev/null
		wait "$nginx_pid" 2>/dev/null
		nginx_pid=
	fi
}
trap 'stop_nginx; rm -rf "$TMP_ROOT"' EXIT

port=$(free_port)
write_conf "$port"
check_quiet "nginx -t accepts the README's block" "$NGINX" -t -q -e "$TMP_ROOT/nginx/error.log" \
	-c "$TMP_ROOT/nginx/nginx.conf" || { diag "$(cat "$TMP_ROOT/nginx/nginx.conf")"; bail "nginx config"; }

# The site: the two-scope base site, built by threatfeed straight into nginx's root.
repo=$(base_repo)
build_ok "build into the nginx root" -C "$repo" -o "$root" || bail "build"
age "$root"

started=1
for attempt in 1 2 3; do
	[ "$attempt" -gt 1 ] && { port=$(free_port); write_conf "$port"; }
	"$NGINX" -e "$TMP_ROOT/nginx/error.log" -c "$TMP_ROOT/nginx/nginx.conf" &
	nginx_pid=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && { started=0; break; }
		kill -0 "$nginx_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ "$started" -eq 0 ] && break
	stop_nginx
done
ok "$started" "nginx serves the site on 127.0.0.1:$port" || { diag "$(cat "$TMP_ROOT/nginx/error.log")"; bail "nginx"; }

base=http://127.0.0.1:$port

# get PATH [CURL ARGS...]: sets $code, $headers (lower-cased names, no CR) and the body in $TMP_ROOT/body.
get() {
	local path=$1
	shift
	: >"$TMP_ROOT/body"
	code=$(curl -s -o "$TMP_ROOT/body" -D "$TMP_ROOT/headers" -w '%{http_code}' "$@" "$base$path")
	headers=$(tr -d '\r' <"$TMP_ROOT/headers" | sed 's/^\([^:]*\):/\L\1:/')
}

# header NAME: the value of header NAME (lower case) in the last response, "" if absent.
header() {
	printf '%s\n' "$headers" | sed -n "s/^$1: *//p" | head -n 1
}

# ---- media types, charset and caching ----

page_cache="max-age=60, must-revalidate"
while read -r path type cache; do
	get "$path"
	is "$code" 200 "GET $path: 200"
	type=${type//_/ }
	is "$(header content-type)" "$type" "GET $path: Content-Type $type"
	is "$(header cache-control)" "${cache//_/ }" "GET $path: Cache-Control ${cache//_/ }"
	like "$(header etag)" '^"[0-9a-f]+-[0-9a-f]+"$' "GET $path: a strong ETag"
	like "$(header last-modified)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$' \
		"GET $path: Last-Modified"
	file=${path#/}
	case $file in '' | */) file=${file}index.html ;; esac
	cmp -s "$TMP_ROOT/body" "$root/$file"
	ok $? "GET $path: the bytes threatfeed wrote"
done <<EOF
/ text/html;_charset=utf-8 ${page_cache// /_}
/index.html text/html;_charset=utf-8 ${page_cache// /_}
/history/ text/html;_charset=utf-8 ${page_cache// /_}
/2014/2014-08-29-national-severe/ text/html;_charset=utf-8 ${page_cache// /_}
/pages/about/ text/html;_charset=utf-8 ${page_cache// /_}
/national/ text/html;_charset=utf-8 ${page_cache// /_}
/atom.xml application/atom+xml;_charset=utf-8 ${page_cache// /_}
/rss.xml application/rss+xml;_charset=utf-8 ${page_cache// /_}
/feed.json application/feed+json ${page_cache// /_}
/national/atom.xml application/atom+xml;_charset=utf-8 ${page_cache// /_}
/northern-ireland/rss.xml application/rss+xml;_charset=utf-8 ${page_cache// /_}
/northern-ireland/feed.json application/feed+json ${page_cache// /_}
/level.json application/json ${page_cache// /_}
/style.css text/css;_charset=utf-8 max-age=86400
/sitemap.xml text/xml;_charset=utf-8 max-age=3600
/robots.txt text/plain;_charset=utf-8 max-age=3600
EOF

# ---- security headers, on every answer, and never a cookie ----

# The policy in the pages' <meta>, directive by directive.
meta_csp=$(python3 - "$root/index.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            print(a.get("content") or "")
P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
)
like "$meta_csp" "default-src 'none'" "the pages carry a Content-Security-Policy meta"

for path in / /atom.xml /feed.json /level.json /style.css /2014/2014-08-29-national-severe/ \
	/no-such-page/ /.threatfeed-files; do
	get "$path"
	csp=$(header content-security-policy)
	missing=
	IFS=';' read -ra directives <<<"$meta_csp"
	for dir in "${directives[@]}"; do
		dir=$(echo "$dir" | sed 's/^ *//; s/ *$//')
		[ -n "$dir" ] || continue
		case "; $csp;" in *"; $dir;"*) ;; *) missing="$missing [$dir]" ;; esac
	done
	is "$missing" "" "GET $path ($code): Content-Security-Policy has every directive of the pages' meta"
	like "$csp" "(^|; )frame-ancestors 'none'(;|$)" "GET $path: frame-ancestors 'none'"
	is "$(header referrer-policy)" "no-referrer" "GET $path: Referrer-Policy no-referrer"
	is "$(header x-content-type-options)" "nosniff" "GET $path: X-Content-Type-Options nosniff"
	like "$(header permissions-policy)" '^[a-z-]+=\(\)(, [a-z-]+=\(\))*$' "GET $path: Permissions-Policy denies features"
	is "$(header set-cookie)" "" "GET $path: no Set-Cookie"
	is "$(header server)" "nginx" "GET $path: the Server header names no version"
done

# ---- what is not served ----

get /.threatfeed-files
is "$code" 404 "GET /.threatfeed-files: 404 (hidden files are not served)"
echo secret >"$root/.hidden-by-host"
get /.hidden-by-host
is "$code" 404 "GET a hidden file: 404"
get /national/.tmp-example
is "$code" 404 "GET a hidden path in a subfolder: 404"
get /no-such-page/
is "$code" 404 "GET a missing page: 404"
get /national
is "$code" 301 "GET a folder without its slash: 301"
is "$(header location)" "/national/" "GET a folder without its slash: redirected to the folder, by path"
# What the host puts in /.well-known/ (an ACME challenge, security.txt) is served; hidden files
# there are not.
mkdir -p "$root/.well-known/acme-challenge"
echo token-for-acme >"$root/.well-known/acme-challenge/abc123"
echo secret >"$root/.well-known/.hidden"
get /.well-known/acme-challenge/abc123
is "$code:$(cat "$TMP_ROOT/body")" "200:token-for-acme" "GET /.well-known/acme-challenge/...: served"
get /.well-known/.hidden
is "$code" 404 "GET a hidden file in /.well-known/: 404"
rm -r "$root/.well-known"

# ---- 304 Not Modified ----

get /atom.xml
etag=$(header etag)
lastmod=$(header last-modified)
get /pages/about/
about_etag=$(header etag)
about_lastmod=$(header last-modified)

get /atom.xml -H "If-None-Match: $etag"
is "$code" 304 "If-None-Match with the ETag: 304"
is "$(header etag)" "$etag" "304: repeats the ETag"
is "$(header cache-control)" "$page_cache" "304: repeats Cache-Control"
is "$(stat -c %s "$TMP_ROOT/body")" 0 "304: no body"
get /atom.xml -H "If-Modified-Since: $lastmod"
is "$code" 304 "If-Modified-Since with Last-Modified: 304"
get /atom.xml -H 'If-None-Match: "0-0"'
is "$code" 200 "If-None-Match with another ETag: 200"

before=$TMP_ROOT/before.snap
snapshot "$root" >"$before"
build_ok "rebuild with no change" -C "$repo" -o "$root"
snapshot "$root" >"$TMP_ROOT/after.snap"
is "$(changed_files "$before" "$TMP_ROOT/after.snap")" "" "rebuild with no change: no file touched"
for path in /atom.xml /rss.xml /feed.json /level.json / /pages/about/; do
	get "$path"
	e=$(header etag)
	l=$(header last-modified)
	get "$path" -H "If-None-Match: $e"
	is "$code" 304 "after a no-change rebuild: $path If-None-Match: 304"
	get "$path" -H "If-Modified-Since: $l"
	is "$code" 304 "after a no-change rebuild: $path If-Modified-Since: 304"
done
get /atom.xml -H "If-None-Match: $etag"
is "$code" 304 "after a no-change rebuild: atom.xml keeps the ETag of the first build"

# A change to a free page changes that page only (and perhaps the sitemap), never the feeds.
put "$repo" content/pages/about.md <<'EOF'
---
title: About this site
---
This site publishes the [threat level](https://www.mi5.gov.uk/threat-levels), and nothing else.
EOF
commit "$repo" "about: one more clause" >/dev/null
build_ok "rebuild after editing a free page" -C "$repo" -o "$root"
snapshot "$root" >"$TMP_ROOT/after2.snap"
changed=$(changed_files "$TMP_ROOT/after.snap" "$TMP_ROOT/after2.snap" | grep -v '^sitemap\.xml$' |
	grep -v '^\.threatfeed-files$' | tr '\n' ' ')
is "$changed" "pages/about/index.html " "rebuild after editing a free page: only that page changed"
for path in /atom.xml /rss.xml /feed.json /national/atom.xml /level.json; do
	get "$path"
	e=$(header etag)
	l=$(header last-modified)
	get "$path" -H "If-None-Match: $e"
	is "$code" 304 "after another file changed: $path If-None-Match: 304"
	get "$path" -H "If-Modified-Since: $l"
	is "$code" 304 "after another file changed: $path If-Modified-Since: 304"
done
get /atom.xml -H "If-None-Match: $etag"
is "$code" 304 "after another file changed: atom.xml keeps the ETag of the first build"
get /atom.xml -H "If-Modified-Since: $lastmod"
is "$code" 304 "after another file changed: atom.xml keeps the Last-Modified of the first build"
get /pages/about/ -H "If-None-Match: $about_etag"
is "$code" 200 "the changed page: 200 for its old ETag"
grep -q 'nothing else' "$TMP_ROOT/body"
ok $? "the changed page: the new text"
new_about_etag=$(header etag)
ok "$([ -n "$new_about_etag" ] && [ "$new_about_etag" != "$about_etag" ] && echo 0 || echo 1)" \
	"the changed page: a new ETag"
get /pages/about/ -H "If-Modified-Since: $about_lastmod"
is "$code" 200 "the changed page: 200 for its old Last-Modified"
get /pages/about/ -H "If-None-Match: $new_about_etag"
is "$code" 304 "the changed page: 304 for its new ETag"

# ---- a file changed again within the second it was written ----

# nginx makes ETag and Last-Modified from the mtime in whole seconds (and the size): a feed
# replaced in the same second as its last version, by bytes of the same length (a quick second
# push correcting a word), must still get new ones, or whoever fetched the version in between
# gets 304 for the correction until the feed changes again. Both builds start early in a second.
feed_edit() {
	sed -i "s/^This means an attack is .*/This means an attack is $1./" \
		"$repo/content/levels/2014-08-29-national-severe.md"
	commit "$repo" "$1" >/dev/null
}
python3 -c 'import time; time.sleep(1.02 - time.time() % 1)'
feed_edit "*HIGHLY likely*"
build_ok "a build in a fresh second" -C "$repo" -o "$root"
get /atom.xml
first_etag=$(header etag)
first_lastmod=$(header last-modified)
grep -q 'HIGHLY likely' "$TMP_ROOT/body"
ok $? "... serves its feed"
feed_edit "*highly LIKELY*"
build_ok "a build in the same second, changing the feed to as many bytes" -C "$repo" -o "$root"
get /atom.xml -H "If-None-Match: $first_etag"
is "$code" 200 "the feed of the second build: 200 for the first one's ETag"
grep -q 'highly LIKELY' "$TMP_ROOT/body"
ok $? "... with the second build's text"
get /atom.xml -H "If-Modified-Since: $first_lastmod"
is "$code" 200 "the feed of the second build: 200 for the first one's Last-Modified"

# ---- compression on the fly ----

for path in /atom.xml /feed.json /level.json /style.css /sitemap.xml /; do
	get "$path" -H 'Accept-Encoding: gzip'
	is "$code:$(header content-encoding)" "200:gzip" "GET $path accepting gzip: sent gzip-compressed"
	file=$root$path
	[ "${path%/}" = "$path" ] || file=${file}index.html
	gzip -dc <"$TMP_ROOT/body" | cmp -s - "$file"
	ok $? "GET $path accepting gzip: the body decompresses to the file"
	like "$(header vary)" '(^|, *)Accept-Encoding(,|$)' "GET $path accepting gzip: Vary: Accept-Encoding"
done
get /atom.xml -H 'Accept-Encoding: gzip'
is "$(header content-type)" "application/atom+xml; charset=utf-8" "atom.xml compressed: still the Atom media type"
is "$(header cache-control)" "$page_cache" "atom.xml compressed: the same Cache-Control"
gz_lastmod=$(header last-modified)
like "$gz_lastmod" ' GMT$' "atom.xml compressed: a Last-Modified"
is "$gz_lastmod" "$(get /atom.xml; header last-modified)" "atom.xml compressed: the same Last-Modified"
get /atom.xml -H 'Accept-Encoding: gzip'
gz_etag=$(header etag)
like "$gz_etag" '^W/"' "atom.xml compressed: a weak ETag"
get /atom.xml -H 'Accept-Encoding: gzip' -H "If-None-Match: $gz_etag"
is "$code" 304 "atom.xml compressed: 304 for its ETag"
get /atom.xml
is "$(header content-encoding)" "" "atom.xml: sent as is to a client that does not accept gzip"
like "$(header vary)" '(^|, *)Accept-Encoding(,|$)' \
	"atom.xml as is: Vary: Accept-Encoding too, so that a shared cache keeps both forms apart"
cmp -s "$TMP_ROOT/body" "$root/atom.xml"
ok $? "atom.xml: the plain form is atom.xml"
# A .gz left beside a file (a host's old recipe) is never what is sent: it may be stale.
printf 'a stale level\n' | gzip -n >"$root/atom.xml.gz"
get /atom.xml -H 'Accept-Encoding: gzip'
gzip -dc <"$TMP_ROOT/body" | cmp -s - "$root/atom.xml"
ok $? "a stale atom.xml.gz beside atom.xml is not sent"
rm "$root/atom.xml.gz"

stop_nginx
done_testing
