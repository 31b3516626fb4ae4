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
# Transparency material: a published release, a cosigned checkpoint, a
# tlog-policy and a tlog-proof (the first byte picks the format).
hw() { cargo run -q --release --manifest-path ../Cargo.toml -- "$@"; }
mkdir -p corpus/tlog
hw sign --key ../examples/data/keys/aurora-networks.pem --out "$tmp/r.cose" ../examples/data/statements/release-bmc-2.4.1.json >/dev/null
hw log add "$tmp/log" "$tmp/r.cose" >/dev/null
hw log publish "$tmp/log" "$tmp/site" >/dev/null
hw key generate --out "$tmp/w.pem" >/dev/null
hw log cosign "$tmp/site" --key "$tmp/w.pem" --name w.example --log-vkey "$tmp/log/log.vkey" --state "$tmp/w.json" --at 2026-11-21T00:00:00Z >/dev/null
hw log prove "$tmp/log" --index 1 --format tlog-proof --checkpoint "$tmp/site/checkpoint" --out "$tmp/p" >/dev/null
{ echo "log $(cat "$tmp/log/log.vkey")"; echo "witness w $(hw key vkey --witness --name w.example "$tmp/w.pem")"; echo "group g 1 w"; echo "quorum g"; } > "$tmp/policy"
{ printf '\000'; cat "$tmp/p"; } > corpus/tlog/proof
{ printf '\001'; cat "$tmp/policy"; printf '\377'; cat "$tmp/p"; } > corpus/tlog/policy-and-proof
{ printf '\002'; cat "$tmp/site/checkpoint"; } > corpus/tlog/cosigned-checkpoint
hw bundle --out corpus/bundle/release-with-tlog-proof.cbor "$tmp/r.cose" "$tmp/p" >/dev/null
rm -rf "$tmp"
# Split bundles into statements and payloads with the library's own tools.
cargo run -q --release --manifest-path seed/Cargo.toml -- corpus
echo "seeded: $(ls corpus/bundle | wc -l) bundles, $(ls corpus/envelope | wc -l) envelopes, $(ls corpus/statement | wc -l) payloads"
