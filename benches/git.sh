#!/usr/bin/env bash
# Git benchmarks (whole process, warm cache):
#  1. history throughput, MB/s of distinct blob bytes, on this repository and on a generated
#     repository with thousands of commits;
#  2. wall time of `scan --staged` on a repository of 10,000 files with a 5-file change staged.
#  3. with a second argument, a large repository's whole history against git's own read of
#     every object (`git cat-file --batch-all-objects --batch --unordered`, one core), with
#     keyrot's peak memory: anonymous (its own) and file-backed (the packs it maps, as git does);
#     LARGE_RUNS interleaved runs (default 3), the median ratio printed. keyrot runs with
#     --allow-incomplete there: a partial clone's missing blobs are noted, not fatal.
# Usage: benches/git.sh [COMMITS] [LARGE_REPO]   (default 3000). Needs git, hyperfine, python3.
# Builds keyrot without the aws feature (what history scans use).
set -euo pipefail
commits=${1:-3000}
large=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v hyperfine >/dev/null || { echo "git.sh: hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet --no-default-features --manifest-path "$root/Cargo.toml"
keyrot="${CARGO_TARGET_DIR:-$root/target}/release/keyrot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

throughput() { # DIR LABEL
  local json="$work/out.json"
  "$keyrot" scan --git "$1" --quiet --format json --output "$json" --fail-on none
  hyperfine --warmup 1 --runs 5 --export-json "$work/h.json" \
    "$keyrot scan --git $1 --quiet --format json --output /dev/null --fail-on none" >/dev/null
  python3 - "$json" "$work/h.json" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
t = json.load(open(sys.argv[2]))["results"][0]["mean"]
mb = s["bytes_scanned"] / 1e6
print(f"{sys.argv[3]}: {s['scope']}, {mb:.1f} MB of distinct blobs in {t*1000:.0f} ms = {mb/t:.0f} MB/s")
PY
}

throughput "$root" "this repository"

# A generated history: COMMITS commits over 500 files of source-like text, via fast-import.
gen="$work/gen"
git init -q "$gen"
python3 - "$commits" <<'PY' | git -C "$gen" fast-import --quiet
import sys, random
random.seed(1)
n = int(sys.argv[1])
words = "fn let mut return struct impl pub use match if else for while loop self Some None Ok Err".split()
def blob(i, v):
    lines = [" ".join(random.choice(words) for _ in range(8)) + f" // {i}.{v}.{k}" for k in range(60)]
    return ("\n".join(lines) + "\n").encode()
mark = 0
for c in range(n):
    files = random.sample(range(500), 500 if c == 0 else 5)
    out = sys.stdout.buffer
    out.write(f"commit refs/heads/main\ncommitter Bench <b@example.com> {1700000000 + c * 60} +0000\ndata 8\ncommit {c % 10}\n".encode())
    for f in files:
        data = blob(f, c)
        out.write(f"M 100644 inline src/f{f}.rs\ndata {len(data)}\n".encode() + data + b"\n")
    out.write(b"\n")
PY
git -C "$gen" checkout -q main
throughput "$gen" "generated ($commits commits)"

# --staged on 10,000 files with a 5-file change.
big="$work/big"
mkdir -p "$big"
git init -q "$big"
python3 - "$big" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/pkg{d}", exist_ok=True)
    for f in range(100):
        with open(f"{root}/pkg{d}/m{f}.py", "w") as fh:
            fh.write(f"def f{f}():\n    return {d * 100 + f}\n" * 20)
PY
git -C "$big" add -A
git -C "$big" -c user.name=b -c user.email=b@example.com commit -q -m init
for f in 0 1 2 3 4; do echo "# change $f" >> "$big/pkg7/m$f.py"; done
git -C "$big" add -A
hyperfine --warmup 3 --runs 20 --export-json "$work/s.json" "$keyrot scan --staged $big --quiet" >/dev/null
python3 - "$work/s.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"--staged, 10,000 files, 5 staged: mean {r['mean']*1000:.1f} ms (min {r['min']*1000:.1f}, max {r['max']*1000:.1f})")
PY

if [ -n "$large" ]; then
  # Peak RSS split in two, sampled every 100 ms from /proc (GNU time's figure counts the
  # mapped pack, as it would for git).
  peak() {
    "$@" & local pid=$! anon=0 file=0 a f
    while [ -e "/proc/$pid/status" ]; do
      read -r a f < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
      [ "${a:-0}" -gt "$anon" ] && anon=$a
      [ "${f:-0}" -gt "$file" ] && file=$f
      sleep 0.1
    done
    wait "$pid" || true
    echo "$((anon / 1024)) MiB anonymous, $((file / 1024)) MiB file-backed"
  }
  # Interleaved, LARGE_RUNS times (default 3): git's read, then keyrot, so both see the same
  # load; the ratio printed is the median of the runs' ratios. Memory is sampled on the first.
  runs=${LARGE_RUNS:-3} times=()
  for ((run = 0; run < runs; run++)); do
    start=$(date +%s%N)
    git -C "$large" cat-file --batch-all-objects --batch --unordered > /dev/null
    git_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    start=$(date +%s%N)
    if [ "$run" -eq 0 ]; then
      mem=$(peak "$keyrot" scan --git "$large" --quiet --format json --output "$work/large.json" --fail-on none --allow-incomplete)
    else
      "$keyrot" scan --git "$large" --quiet --format json --output /dev/null --fail-on none --allow-incomplete || true
    fi
    times+=("$(( ($(date +%s%N) - start) / 1000000 )):$git_ms")
  done
  python3 - "$work/large.json" "$mem" "${times[@]}" <<'PY'
import json, statistics, sys
s = json.load(open(sys.argv[1]))["summary"]
runs = [tuple(float(x) / 1000 for x in t.split(":")) for t in sys.argv[3:]]
ratios = sorted(k / g for k, g in runs)
k = statistics.median(k for k, _ in runs)
g = statistics.median(g for _, g in runs)
mb = s["bytes_scanned"] / 1e6
each = ", ".join(f"{k:.1f}/{g:.1f} s" for k, g in runs)
print(f"large: {s['scope']}, {mb:.0f} MB of distinct blobs in {k:.1f} s = {mb/k:.0f} MB/s (median); "
      f"git cat-file reads every object in {g:.1f} s; keyrot/git {statistics.median(ratios):.2f} "
      f"(median of {len(runs)} interleaved runs: {each}); peak {sys.argv[2]}")
PY
fi
