#!/usr/bin/env bash
# YAML parsers measured against the YAML test suite and real CloudFormation templates: how
# keyrot's YAML reader was chosen (ARCHITECTURE.md, "YAML").
#
# Usage: benches/yaml-suite.sh SUITE_DATA_DIR TEMPLATE_DIR...
#   SUITE_DATA_DIR: a checkout of the yaml-test-suite repository's `data` branch (one folder
#                   per case with in.yaml, and a file `error` when the case is invalid YAML).
#   TEMPLATE_DIR:   folders of CloudFormation templates (*.yaml, *.yml, *.template holding
#                   `Resources`); cfn-lint's test/fixtures/templates/bad folders are left out.
# Prints a Markdown table: per parser, valid cases accepted, invalid cases rejected, templates
# rejected and panics. SUITE_VERBOSE=1 lists each case a parser gets wrong on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${1:?usage: benches/yaml-suite.sh SUITE_DATA_DIR TEMPLATE_DIR...}
shift
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$@" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.template' \) -not -path '*/bad/*' \
    -exec grep -l 'Resources' {} + | sort -u > "$list"
cargo build --quiet --release --manifest-path "$here/yaml-suite/Cargo.toml"
"$here/yaml-suite/target/release/keyrot-yaml-suite" "$suite" "$list"
