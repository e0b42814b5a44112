#!/usr/bin/env bash
# Whole-process comparison: `keyrot scan DIR` against ripgrep searching the same tree for the
# AWS key ID regex, warm cache, several runs (hyperfine), then each one's peak memory (GNU time).
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
peak() { /usr/bin/time -f "%M" bash -c "$1 >/dev/null 2>&1" 2>&1 | tail -1; }
echo "peak memory: keyrot $(( $(peak "$keyrot_cmd") / 1024 )) MiB, ripgrep $(( $(peak "$rg_cmd") / 1024 )) MiB"
