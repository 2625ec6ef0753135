#!/usr/bin/python3
"""Benchmark: threatfeed against Hugo on the same job (see README.md, "Performance").

    run.py [--sizes 1000,10000,100000] [--rounds 5,5,3] [--hugo-max 10000] [--work DIR]
           [--ram-sizes 10000] [--ram-rounds 3] [--ram-work /dev/shm/threatfeed-bench]
           [--threatfeed build/threatfeed] [--out tests/bench/results.md]

For each size N: makes the corpus (corpus.py, fixed seed), then runs rounds of three scenarios,
threatfeed's then Hugo's (A B A B), the first round a warm-up that is discarded:
  cold       empty output folder, no cache
  no change  the same build again
  one added  one announcement more (threatfeed: the commit `added`; Hugo: one more file)
Cold rounds do not delete the previous output, nor does a new corpus delete the one it replaces:
they move it into the work folder's trash, which is emptied in the background once the report is
written (see Trash). On ext4 without a journal (this project's build machines) the kernel scans
past recently deleted inodes when it creates new ones, so deleting 10,000 files just before a cold
round made either tool's timing mostly the kernel's (up to 5 s for what takes 0.3 s).
Every timed run starts after a sync: Hugo leaves its output for the kernel to write back within
30 s, and threatfeed's syncfs (part of its time, as it must make its site durable before putting it
in place) would otherwise write Hugo's previous 95 MB too; Hugo's own write-back is in no one's time.
Wall time is measured around the child, peak RSS comes from wait4's rusage. Files written are the
output files whose inode, size or mtime changed, counted outside the timed part. Medians over the
rounds are reported, and the median of the per-round ratios Hugo / threatfeed.

A cold build's floor is the file system's: after each cold round of threatfeed (for the sizes Hugo
runs at), `cp -r` of its output to a new folder on the same file system is timed too, as the cost
of creating that many files and folders that no generator can go below. Then the same rounds run
again for --ram-sizes with the corpus and output in memory (tmpfs), where that cost is small and
the times are the tools' own work; skipped when --ram-work is not on a tmpfs with room.
"""
import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = ["cold", "no change", "one added"]
ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", LC_ALL="C.UTF-8")


def corpus_stamp(n):
    h = hashlib.sha256(str(n).encode())
    for root, dirs, files in sorted(os.walk(HERE)):
        dirs.sort()
        for f in sorted(files):
            # What makes a corpus; a change to this script alone must not make it again.
            if f == "corpus.py" or "hugo-site" in root:
                with open(os.path.join(root, f), "rb") as fh:
                    h.update(f.encode() + fh.read())
    return h.hexdigest()


START = time.monotonic()


def say(text):
    """A line of progress, after the minutes and seconds since the bench started."""
    t = int(time.monotonic() - START)
    print("[%2d:%02d] %s" % (t // 60, t % 60, text), flush=True)


class Trash:
    """Where cold rounds move old output (see above). Emptied by `rm -rf` in the background once
    the report is written: deleting is slow where freed blocks are discarded at once (this
    machine's ext4 is mounted with `discard`: 7 s for one 10,000-page site, some 5 minutes for a
    whole run's trash). A run first waits for the last run's emptying to end, so that nothing is
    deleted while it times a build."""

    def __init__(self, work):
        self.dir = os.path.join(work, "trash")
        self.pidfile = os.path.join(work, "trash.pid")
        self.wait_for_emptying()
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0
        # What an emptying that was stopped left: emptied with this run's trash.
        for name in os.listdir(work):
            if name.startswith("trash-"):
                self.discard(os.path.join(work, name))

    def wait_for_emptying(self):
        try:
            with open(self.pidfile) as f:
                pid, path = f.read().split("\n", 1)
            cmdline = "/proc/%d/cmdline" % int(pid)
        except (OSError, ValueError):
            return
        said = False
        while True:
            try:
                with open(cmdline, "rb") as f:
                    if path.encode() not in f.read():
                        break
            except OSError:
                break
            if not said:
                say("waiting for the last run's trash to be emptied (pid %s)" % pid)
                said = True
            time.sleep(1)
        os.unlink(self.pidfile)

    def discard(self, path):
        if os.path.lexists(path):
            self.count += 1
            os.rename(path, os.path.join(self.dir, "%d-%d" % (os.getpid(), self.count)))

    def empty_later(self):
        gone = "%s-%d" % (self.dir, os.getpid())
        os.rename(self.dir, gone)
        p = subprocess.Popen(["rm", "-rf", "--", gone], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        with open(self.pidfile, "w") as f:
            f.write("%d\n%s" % (p.pid, gone))
        say("emptying %s in the background (rm, pid %d)" % (gone, p.pid))


def make_corpus(n, work, trash):
    d = os.path.join(work, "n%d" % n)
    stamp = os.path.join(d, "stamp")
    want = corpus_stamp(n)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return d
    # Moved, not deleted: deleting it would slow the timed rounds that follow (see above).
    trash.discard(d)
    t = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(HERE, "corpus.py"), str(n), d], check=True, env=ENV)
    with open(stamp, "w") as f:
        f.write(want)
    say("corpus of %d made in %.1f s" % (n, time.perf_counter() - t))
    return d


def snapshot(root):
    snap = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.lstat(p)
            snap[p] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return snap


def changed(before, after):
    return sum(1 for p, v in after.items() if before.get(p) != v)


def file_system(path):
    """The type of the file system path is on, from the longest mount point above it."""
    path, best, kind = os.path.realpath(path), "", "unknown"
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            mnt = fields[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, fields[2]
    return kind


def timed(cmd, cwd):
    """(wall seconds, peak RSS bytes) of one run; the run must succeed."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("bench: %s failed with status %d" % (" ".join(cmd), p.returncode))
    return wall, ru.ru_maxrss * 1024


class Threatfeed:
    name = "threatfeed"

    def __init__(self, binary, corpus, trash):
        self.binary = binary
        self.trash = trash
        self.repo = os.path.join(corpus, "repo")
        self.out = os.path.join(corpus, "tf-site")

    def prepare(self, scenario):
        if scenario == "cold":
            self.trash.discard(self.out)
            self.trash.discard(os.path.join(self.repo, ".git", "threatfeed"))

    def command(self, scenario):
        ref = "added" if scenario == "one added" else "main"
        return [self.binary, "build", "-q", "-C", self.repo, "--ref", ref, "-o", self.out]


class Hugo:
    name = "hugo"

    def __init__(self, corpus, trash):
        self.trash = trash
        self.site = os.path.join(corpus, "hugo")
        self.extra = os.path.join(corpus, "extra.md")
        self.extra_dest = os.path.join(self.site, "content", "levels", "zz-extra.md")
        self.out = os.path.join(corpus, "hugo-public")
        self.cache = os.path.join(corpus, "hugo-cache")

    def prepare(self, scenario):
        if scenario == "cold":
            for d in (self.out, self.cache, os.path.join(self.site, "resources")):
                self.trash.discard(d)
            if os.path.exists(self.extra_dest):
                os.unlink(self.extra_dest)
        elif scenario == "one added":
            shutil.copyfile(self.extra, self.extra_dest)

    def command(self, scenario):
        return ["hugo", "--quiet", "-s", self.site, "-d", self.out, "--cacheDir", self.cache]


def copy_floor(tool, trash):
    """Seconds `cp -r` takes to copy tool's output to a new folder beside it."""
    dest = tool.out + "-copy"
    trash.discard(dest)
    os.sync()
    wall, _ = timed(["cp", "-r", tool.out, dest], TOP)
    return wall


def run_size(n, rounds, tools, floor=None):
    """results[tool][scenario] = list of (wall, rss, files) for the kept rounds; with floor (a
    Trash), results["cp -r"]["cold"] the copy of threatfeed's cold output, as (wall, 0, 0)."""
    res = {t.name: {s: [] for s in SCENARIOS} for t in tools}
    res["cp -r"] = {"cold": []}
    for r in range(rounds + 1):
        for tool in tools:
            for s in SCENARIOS:
                tool.prepare(s)
                before = snapshot(tool.out)
                # Each tool's time is its own: nothing another run left to the kernel is written
                # back during it (threatfeed's syncfs would otherwise write Hugo's last output).
                os.sync()
                wall, rss = timed(tool.command(s), TOP)
                files = changed(before, snapshot(tool.out))
                if r > 0:
                    res[tool.name][s].append((wall, rss, files))
                say("N=%d round %d%s %-10s %-9s %7.3f s %6.0f MiB %6d files" % (
                    n, r, " (warm-up)" if r == 0 else "", tool.name, s, wall, rss / 2**20, files))
                if floor and s == "cold" and tool.name == "threatfeed":
                    copy = copy_floor(tool, floor)
                    if r > 0:
                        res["cp -r"]["cold"].append((copy, 0, 0))
                    say("N=%d round %d%s cp -r of threatfeed's cold output %7.3f s" % (
                        n, r, " (warm-up)" if r == 0 else "", copy))
    return res


def med(xs):
    return statistics.median(xs)


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    return "%s, %d cores, %.1f GiB RAM, Linux %s" % (model, os.cpu_count(), mem / 2**30,
                                                     platform.release())


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def table(all_res):
    """The Markdown table of one pass, and its growth line when it has 10,000 and 100,000."""
    L = []
    L.append("| N | scenario | threatfeed | Hugo | Hugo / threatfeed | threatfeed RSS | Hugo RSS "
             "| RSS ratio | files written (threatfeed / Hugo) | cp -r of the output |")
    L.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for n, res in all_res:
        tf = res["threatfeed"]
        hg = res.get("hugo")
        for s in SCENARIOS:
            t = tf[s]
            tw, tr, tfiles = med([x[0] for x in t]), med([x[1] for x in t]), med([x[2] for x in t])
            copies = res["cp -r"].get(s)
            copy = "%.3f s" % med([x[0] for x in copies]) if copies else ""
            if hg:
                h = hg[s]
                hw, hr, hfiles = med([x[0] for x in h]), med([x[1] for x in h]), med([x[2] for x in h])
                ratios = [b[0] / a[0] for a, b in zip(t, h)]
                L.append("| %d | %s | %.3f s | %.3f s | **%.1fx** (%.1f to %.1f) | %.0f MiB | %.0f MiB "
                         "| %.1fx | %d / %d | %s |" % (
                             n, s, tw, hw, med(ratios), min(ratios), max(ratios), tr / 2**20,
                             hr / 2**20, hr / tr, tfiles, hfiles, copy))
            else:
                L.append("| %d | %s | %.3f s | skipped | | %.0f MiB | | | %d / | %s |" % (
                    n, s, tw, tr / 2**20, tfiles, copy))
    by_n = dict(all_res)
    if 10000 in by_n and 100000 in by_n:
        L.append("")
        parts = []
        for s in SCENARIOS:
            a = med([x[0] for x in by_n[10000]["threatfeed"][s]])
            b = med([x[0] for x in by_n[100000]["threatfeed"][s]])
            parts.append("%s %.1fx" % (s, b / a))
        L.append("Growth, threatfeed time at 100,000 / at 10,000: " + ", ".join(parts) + ".")
    return L


def report(passes, args):
    L = []
    L.append("Machine: %s. threatfeed %s; %s." % (
        machine(), version([args.threatfeed, "--version"]).split()[-1],
        version(["hugo", "version"]).split("+")[0].split(" linux")[0]))
    L.append("Medians of %s rounds per size after a discarded warm-up; ratio = Hugo / threatfeed, "
             "median of the per-round ratios (min to max). RSS = peak resident memory (wait4). "
             "cp -r: copying threatfeed's cold output to a new folder on the same file system, "
             "the floor of any cold build there." % "/".join(str(r) for r in args.rounds_list))
    for title, all_res in passes:
        L.append("")
        L.append(title)
        L.append("")
        L.extend(table(all_res))
    L.append("")
    L.append("Made with `make bench`, which runs `%s`." % " ".join(["tests/bench/run.py"] + sys.argv[1:]))
    return "\n".join(L) + "\n"


def ram_work(path, need):
    """path, made, when it is on a tmpfs with need bytes free; else None, and why is printed."""
    os.makedirs(path, exist_ok=True)
    st = os.statvfs(path)
    kind = file_system(path)
    if kind != "tmpfs" or st.f_bavail * st.f_frsize < need:
        print("bench: %s is %s with %.1f GiB free: no in-memory pass" % (
            path, kind, st.f_bavail * st.f_frsize / 2**30), flush=True)
        return None
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--rounds", default="5,5,3")
    ap.add_argument("--hugo-max", type=int, default=10000)
    ap.add_argument("--work", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--ram-sizes", default="10000")
    ap.add_argument("--ram-work", default="/dev/shm/threatfeed-bench")
    ap.add_argument("--ram-rounds", type=int, default=3)
    ap.add_argument("--threatfeed", default=os.path.join(TOP, "build", "threatfeed"))
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    args.rounds_list = [int(x) for x in args.rounds.split(",")]
    args.threatfeed = os.path.abspath(args.threatfeed)
    args.work = os.path.abspath(args.work)
    if len(args.rounds_list) != len(sizes):
        sys.exit("bench: --rounds needs one count per size")
    have_hugo = shutil.which("hugo") is not None
    if not have_hugo:
        print("bench: hugo not found: threatfeed only", flush=True)
    os.makedirs(args.work, exist_ok=True)
    trash = Trash(args.work)
    all_res = []
    corpora = {}
    for n, rounds in zip(sizes, args.rounds_list):
        corpus = corpora[n] = make_corpus(n, args.work, trash)
        tools = [Threatfeed(args.threatfeed, corpus, trash)]
        if have_hugo and n <= args.hugo_max:
            tools.append(Hugo(corpus, trash))
        all_res.append((n, run_size(n, rounds, tools, trash if len(tools) > 1 else None)))
    passes = [("On disk: corpus and output in %s (%s)." % (
        os.path.relpath(args.work, TOP), file_system(args.work)), all_res)]
    ram_sizes = [int(x) for x in args.ram_sizes.split(",") if x and int(x) in corpora]
    # Room for a corpus, both tools' output and their copies: about 1.2 MB an announcement.
    ram = ram_work(args.ram_work, 2 * 2**20 * max(ram_sizes)) if ram_sizes else None
    if ram:
        ram_res = []
        ram_trash = Trash(ram)
        for n in ram_sizes:
            corpus = os.path.join(ram, "n%d" % n)
            ram_trash.discard(corpus)
            # The corpus alone: the disk pass's output and caches stay there.
            shutil.copytree(corpora[n], corpus, symlinks=True, ignore=lambda d, names: [
                x for x in names if os.path.samefile(d, corpora[n]) and
                x.startswith(("tf-site", "hugo-public", "hugo-cache"))])
            tools = [Threatfeed(args.threatfeed, corpus, ram_trash)]
            if have_hugo and n <= args.hugo_max:
                tools.append(Hugo(corpus, ram_trash))
            ram_res.append((n, run_size(n, args.ram_rounds, tools,
                                        ram_trash if len(tools) > 1 else None)))
        shutil.rmtree(ram, ignore_errors=True)
        passes.append(("In memory, medians of %d rounds: corpus and output in %s (tmpfs)." % (
            args.ram_rounds, args.ram_work), ram_res))
    text = report(passes, args)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    trash.empty_later()


if __name__ == "__main__":
    main()
