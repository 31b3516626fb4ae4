#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from test-vectors/ and examples/data/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/envelope corpus/statement corpus/bundle corpus/policy
for d in ../test-vectors/*/; do
  n=$(basename "$d")
  cp "$d/bundle.cbor" "corpus/bundle/$n.cbor"
  cp "$d/policy.toml" "corpus/policy/$n.toml"
done
cp ../examples/data/*.cbor corpus/bundle/
# Split bundles into statements and payloads with the library's own tools.
cargo run -q --release --manifest-path seed/Cargo.toml -- corpus
echo "seeded: $(ls corpus/bundle | wc -l) bundles, $(ls corpus/envelope | wc -l) envelopes, $(ls corpus/statement | wc -l) payloads"
