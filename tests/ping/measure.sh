#!/usr/bin/env bash
# Measures the time from `threatfeed build --ping` starting to a local WebSub hub receiving the
# first publish request, on this repository's own content (a throwaway clone with [ping] websub
# set), for RUNS new announcements (default 5); prints each time and the median.
#   tests/ping/measure.sh [BUILD] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
runs=${2:-5}
case $build in /*) ;; *) build=$top/$build ;; esac
tf=$build/threatfeed
py=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/threatfeed-measure.XXXXXX")
hub_pid=
trap '[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; rm -rf "$work"' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=Measure GIT_AUTHOR_EMAIL=measure@example.invalid
export GIT_COMMITTER_NAME=Measure GIT_COMMITTER_EMAIL=measure@example.invalid

"$py" "$top/tests/ping/server.py" hub "$work/hub.port" "$work/hub.log" &
hub_pid=$!
for _ in $(seq 100); do [ -s "$work/hub.port" ] && break; sleep 0.05; done
git clone -q "$top" "$work/repo"
printf '[ping]\n\twebsub = http://127.0.0.1:%s/\n' "$(cat "$work/hub.port")" >>"$work/repo/threatfeed.conf"
git -C "$work/repo" commit -qam "ping the local hub"
"$tf" build -q -C "$work/repo" --ping >/dev/null    # the first build and ping: everything is new

times=()
for i in $(seq "$runs"); do
	level=$([ $((i % 2)) -eq 1 ] && echo substantial || echo severe)
	printf -- '---\nlevel: %s\ndate: 2030-01-%02dT10:00:00Z\nscope: national\n---\nMeasured.\n' "$level" "$i" \
		>"$work/repo/content/levels/2030-01-$(printf %02d "$i")-national-$level.md"
	git -C "$work/repo" add -A && git -C "$work/repo" commit -qm "announcement $i"
	: >"$work/hub.log"
	t0=$(date +%s.%N)
	"$tf" build -q -C "$work/repo" --ping
	times+=("$("$py" -c 'import json, sys
t = min(json.loads(l)["time"] for l in open(sys.argv[1]))
print("%.1f" % ((t - float(sys.argv[2])) * 1000))' "$work/hub.log" "$t0")")
	echo "run $i: ${times[-1]} ms"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print "median: " a[int((NR + 1) / 2)] " ms"}'
