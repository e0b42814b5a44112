#!/usr/bin/env bash
# Whole-process comparison: `keyrot scan DIR` against ripgrep searching the same tree for the
# AWS key ID regex, warm cache, several runs (hyperfine, then interleaved pairs), then each
# one's peak memory (GNU time).
# Usage: benches/compare.sh DIR [RUNS]   (benches/mixed-tree.sh builds a large mixed DIR)
# ripgrep runs as `rg -uu` (no ignore files, hidden files), keyrot with its defaults (it honours
# ignore files but scans what git tracks): the issue's yardstick. keyrot is built without the
# aws feature. Needs: hyperfine, ripgrep and GNU time (apt-get install hyperfine ripgrep time).
set -euo pipefail
dir=${1:?usage: benches/compare.sh DIR [RUNS]}
runs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine rg /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install hyperfine ripgrep time)" >&2; exit 2; }
done
cargo build --release --quiet --no-default-features --manifest-path "$root/Cargo.toml"
keyrot="${CARGO_TARGET_DIR:-$root/target}/release/keyrot"
# Binary files are skipped by both.
keyrot_cmd="$keyrot scan --quiet --format json --fail-on none --output /dev/null $dir"
rg_cmd="rg -uu --count --no-messages -e '(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}' $dir"
size=$(du -sh "$dir" | cut -f1)
echo "tree: $dir ($size), $(nproc) cores, $runs runs each"
json=$(mktemp)
hyperfine -N --warmup 2 --runs "$runs" --ignore-failure --export-json "$json" \
  --command-name keyrot "$keyrot_cmd" --command-name ripgrep "$rg_cmd" >&2
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, g = r["keyrot"]["mean"], r["ripgrep"]["mean"]
print(f"wall time: keyrot {k*1000:.0f} ms, ripgrep {g*1000:.0f} ms, ratio {k/g:.2f}")
PY
rm -f "$json"
# The same again in interleaved pairs (keyrot, then ripgrep, RUNS times): on a shared machine
# either one's time drifts between runs, and a pair sees the same conditions.
pairs=()
for _ in $(seq "$runs"); do
  a=$(date +%s%N); $keyrot_cmd >/dev/null 2>&1 || true; b=$(date +%s%N)
  eval "$rg_cmd" >/dev/null 2>&1 || true; c=$(date +%s%N)
  pairs+=("$(( (b - a) / 1000 )):$(( (c - b) / 1000 ))")
done
python3 - "${pairs[@]}" <<'PY2'
import statistics, sys
pairs = [tuple(int(x) for x in p.split(":")) for p in sys.argv[1:]]
ratios = sorted(k / g for k, g in pairs)
k = statistics.median(p[0] for p in pairs) / 1000
g = statistics.median(p[1] for p in pairs) / 1000
print(f"interleaved pairs: keyrot {k:.0f} ms, ripgrep {g:.0f} ms (medians), ratio median "
      f"{statistics.median(ratios):.2f}, from {ratios[0]:.2f} to {ratios[-1]:.2f}")
PY2
peak() { /usr/bin/time -f "%M" bash -c "$1 >/dev/null 2>&1" 2>&1 | tail -1; }
echo "peak memory: keyrot $(( $(peak "$keyrot_cmd") / 1024 )) MiB, ripgrep $(( $(peak "$rg_cmd") / 1024 )) MiB"
