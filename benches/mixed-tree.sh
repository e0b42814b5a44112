#!/usr/bin/env bash
# Builds a large mixed tree of real code for benches/compare.sh: this machine's crate sources
# (~/.cargo/registry/src), the Rust standard library's sources when rustup has them, and the
# HEAD of each git repository given (or each folder) (Terraform, CloudFormation, Serverless, SDK repositories
# bring the IaC half), with PAIRS key pairs planted in copies of random files.
# Usage: benches/mixed-tree.sh OUT [REPO...]   (PAIRS=240 by default)
set -euo pipefail
out=${1:?usage: benches/mixed-tree.sh OUT [REPO...]}
shift
pairs=${PAIRS:-240}
mkdir -p "$out"
if [ -d "$HOME/.cargo/registry/src" ]; then
  cp -r "$HOME/.cargo/registry/src" "$out/crates"
fi
std="$(rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library"
if [ -d "$std" ]; then cp -r "$std" "$out/rust-std"; fi
for repo in "$@"; do
  name=$(basename "$repo" .git)
  # A mirror's git directory is often `.../OWNER+NAME/repo`: name it by its parent then.
  [ "$name" = repo ] && name=$(basename "$(dirname "$repo")")
  mkdir -p "$out/$name"
  if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    # A partial mirror may miss objects: take what it has.
    git -C "$repo" archive HEAD 2>/dev/null | tar -x -C "$out/$name" 2>/dev/null || true
  else
    cp -r "$repo/." "$out/$name"   # a folder (an extracted tree)
  fi
done
python3 - "$out" "$pairs" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith((".rs", ".py", ".go", ".tf", ".json", ".yaml"))]
b32, b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
for i in range(min(n, len(files))):
    src = random.choice(files)
    key = "AKIA" + "".join(random.choice(b32) for _ in range(16))
    secret = "".join(random.choice(b64) for _ in range(40))
    with open(src, "rb") as fh:
        text = fh.read()
    with open(f"{src}.planted{i}.env", "wb") as fh:
        fh.write(text[:2000] + f"\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n".encode() + text[2000:4000])
PY
echo "mixed-tree: $(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1) in $out"
