#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from test-vectors/ and examples/data/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/envelope corpus/statement corpus/bundle corpus/policy corpus/state corpus/log corpus/mutate
printf '\000\003\000\006\001\001\007\002\000' > corpus/mutate/seed
cp ../examples/data/device-state.json corpus/state/
for d in ../test-vectors/*/; do
  [ -f "$d/bundle.cbor" ] || continue
  n=$(basename "$d")
  cp "$d/bundle.cbor" "corpus/bundle/$n.cbor"
  cp "$d/policy.toml" "corpus/policy/$n.toml"
done
cp ../examples/data/*.cbor ../examples/ocp-safe/*.cbor corpus/bundle/
# S.A.F.E. reports, raw (a leading 0 byte selects raw input in both targets).
mkdir -p corpus/jws corpus/corim
for r in ../test-vectors/outside/ocp-safe/reports/*.jws ../test-vectors/outside/ocp-safe/samples/*.jws ../test-vectors/outside/ocp-safe/samples/manifest/*.jws; do
  { printf '\000'; tr -d '\n' < "$r"; } > "corpus/jws/$(basename "$r")"
done
for r in ../test-vectors/outside/ocp-safe/reports/*.cbor; do
  { printf '\000'; cat "$r"; } > "corpus/corim/$(basename "$r")"
done
# Log material: a fresh log's checkpoint and verifier key.
tmp=$(mktemp -d)
cargo run -q --release --manifest-path ../Cargo.toml -- key generate --out "$tmp/k.pem" >/dev/null
cargo run -q --release --manifest-path ../Cargo.toml -- log init "$tmp/log" --key "$tmp/k.pem" --origin fuzz.example/log >/dev/null
cargo run -q --release --manifest-path ../Cargo.toml -- verify --policy ../examples/data/policy.toml --at 2026-11-21T00:00:00Z --log "$tmp/log" ../examples/data/device-clean.cbor >/dev/null
cp "$tmp/log/checkpoint" corpus/log/checkpoint; cp "$tmp/log/log.vkey" corpus/log/vkey; cp "$tmp/log/entries" corpus/log/entries
rm -rf "$tmp"
# Split bundles into statements and payloads with the library's own tools.
cargo run -q --release --manifest-path seed/Cargo.toml -- corpus
echo "seeded: $(ls corpus/bundle | wc -l) bundles, $(ls corpus/envelope | wc -l) envelopes, $(ls corpus/statement | wc -l) payloads"
