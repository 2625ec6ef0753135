#!/usr/bin/python3
"""Benchmark corpus: N announcements as Markdown in a Git repository, one commit each
(up to 10,000; see main() for larger N).

    corpus.py N DIR

Deterministic (fixed seed): the same N always gives the same bytes and the same commit ids. Makes
  DIR/repo   a threatfeed content repository; branch `main` has N announcements, one commit each,
             and ref `refs/heads/added` one more commit with announcement N + 1
  DIR/hugo   the same N announcements laid out as a Hugo site doing the same job: a page per
             announcement, an index listing all, an RSS feed (see hugo-site/)
  DIR/extra.md  announcement N + 1 in Hugo's layout, for the "one added" scenario
The history is written with `git fast-import`, so 100,000 commits take seconds, not hours, and
then repacked as `git gc` packs the objects of commits made one by one (see the end of main()).
"""
import os
import random
import shutil
import subprocess
import sys

SEED = 20240505
LEVELS = ["low", "moderate", "substantial", "severe", "critical"]
WORDS = ("threat level assessment public vigilance security police report agency review "
         "attack likely unlikely possible national region transport event venue travel advice "
         "community information guidance officers response change raised lowered remains "
         "intelligence partners evidence current period update statement continue risk").split()
HERE = os.path.dirname(os.path.abspath(__file__))
START = 631152000  # 1990-01-01T00:00:00Z
STEP = 3 * 3600    # one announcement every three hours keeps dates unique and years plenty

CONF = """[site]
\ttitle = Benchmark threat level
\turl = https://threat.example.org/
\tdescription = A generated history for benchmarks
\tlanguage = en-GB
\tauthor = Benchmark Service
[feed]
\tentries = 20
"""


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    i = rng.randrange(len(words))
    words[i] = "*%s*" % words[i]
    if rng.random() < 0.5:
        j = rng.randrange(len(words))
        words[j] = "**%s**" % words[j]
    if rng.random() < 0.3:
        k = rng.randrange(len(words))
        words[k] = "[%s](https://www.example.org/%s/%d)" % (words[k], rng.choice(WORDS),
                                                            rng.randint(1, 9999))
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


def body(rng):
    """About 2 KB: paragraphs, a bulleted list, links and emphasis."""
    parts = []
    size = 0
    target = rng.randint(1500, 2500)
    while size < target:
        if rng.random() < 0.25:
            block = "\n".join("- " + sentence(rng) for _ in range(rng.randint(2, 5)))
        else:
            block = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        parts.append(block)
        size += len(block) + 2
    return "\n\n".join(parts) + "\n"


def announcement(rng, i):
    """(name, threatfeed bytes, hugo bytes) of announcement i (0-based)."""
    epoch = START + i * STEP
    date = "%sZ" % __import__("datetime").datetime.utcfromtimestamp(epoch).isoformat()
    level = rng.choice(LEVELS)
    name = "%s-%06d-%s" % (date[:10], i, level)
    text = body(rng)
    front = "---\nlevel: %s\ndate: %s\n" % (level, date)
    tf = front + "---\n" + text
    hugo = front + "title: Threat level %s\nslug: %s\n---\n" % (level.upper(), name) + text
    return name, tf.encode(), hugo.encode()


def main():
    n = int(sys.argv[1])
    out = os.path.abspath(sys.argv[2])
    if os.path.exists(out):
        shutil.rmtree(out)
    repo = os.path.join(out, "repo")
    hugo = os.path.join(out, "hugo")
    os.makedirs(repo)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=env)
    with open(os.path.join(repo, ".gitignore"), "w") as f:
        f.write("/site/\n")
    shutil.copytree(os.path.join(HERE, "hugo-site"), hugo)
    os.makedirs(os.path.join(hugo, "content", "levels"))
    fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE,
                          env=env)
    w = fi.stdin
    rng = random.Random(SEED)

    def commit(ref, when, msg, files, first):
        """first: the first commit of a new branch, which starts from main."""
        w.write(b"commit %s\n" % ref)
        w.write(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
        w.write(b"data %d\n%s\n" % (len(msg), msg))
        if first:
            w.write(b"from refs/heads/main\n")
        for p, d in files:
            w.write(b"M 100644 inline %s\ndata %d\n" % (p, len(d)))
            w.write(d)
            w.write(b"\n")

    conf = CONF.encode()
    w.write(b"commit refs/heads/main\ncommitter Bench <bench@example.invalid> %d +0000\n" % START)
    w.write(b"data 8\nsettings\n")
    w.write(b"M 100644 inline threatfeed.conf\ndata %d\n%s\n" % (len(conf), conf))
    w.write(b"M 100644 inline .gitignore\ndata 7\n/site/\n\n")
    # Every commit writes a new content/levels tree listing all announcements so far, so one commit
    # per announcement costs fast-import O(N^2) bytes to hash: fine at 10,000 (seconds), hours at
    # 100,000. Above 10,000 announcements a commit adds a batch, keeping about 1,000 commits.
    # threatfeed reads one commit's tree and never walks the history, so its depth does not matter.
    batch = 1 if n <= 10000 else -(-n // 1000)
    files = []
    for i in range(n + 1):
        name, tf, hg = announcement(rng, i)
        files.append((b"content/levels/" + name.encode() + b".md", tf))
        if i < n and (len(files) == batch or i == n - 1):
            commit(b"refs/heads/main", START + i * STEP, b"announce " + name.encode(), files, False)
            files = []
        elif i == n:
            commit(b"refs/heads/added", START + i * STEP, b"announce " + name.encode(), files, True)
        dest = os.path.join(hugo, "content", "levels", name + ".md") if i < n else \
            os.path.join(out, "extra.md")
        with open(dest, "wb") as f:
            f.write(hg)
    w.close()
    if fi.wait() != 0:
        sys.exit("corpus: git fast-import failed")
    # fast-import stores each blob as a delta against the blob written before it, alike or not, in
    # chains up to 50 long; git's documentation (git-fast-import, "Packfile optimization") says to
    # repack with -f afterwards. A repository whose editors commit one file at a time gets its
    # deltas from `git gc`, which searches them as `repack -f` does. Left as imported, reading the
    # 10,000 blobs took libgit2 0.21 s instead of 0.10 s.
    subprocess.run(["git", "-C", repo, "repack", "-a", "-d", "-f", "-q"], check=True, env=env)
    # No checkout: threatfeed builds the commit, and the work tree is not needed.


if __name__ == "__main__":
    main()
