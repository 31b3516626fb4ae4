#!/usr/bin/env bash
# Replay throughput against plain verification of the same inputs, in the
# same run (target: replay within 80% of verify), one thread each, then the
# 1,000,000-entry log benchmark (cargo bench --bench log): appends, proofs,
# log verify, and transparency: publishing as C2SP tiles from scratch and
# incrementally, auditing the published tree (each with its peak RSS),
# cosigning and checking a tlog-proof.
#
#     bash benches/log.sh [UNITS]        (default 5000)
#     HWPROV_BENCH_ENTRIES=100000 bash benches/log.sh   (a smaller log)
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-5000}
cargo build --release --quiet
cargo build --release --quiet --example supply-chain
hw=target/release/hwprov
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/examples/supply-chain --out "$work/d" --units "$units" >/dev/null
$hw key generate --out "$work/log.pem" >/dev/null
$hw log init "$work/log" --key "$work/log.pem" --origin bench.example/log >/dev/null
policy="$work/d/policy.toml"
$hw vet --policy "$policy" --at 2026-11-21T00:00:00Z --jobs 1 --log "$work/log" --format json "$work/d/shipment" >/dev/null 2>&1 || true
t0=$(date +%s.%N); $hw vet --policy "$policy" --at 2026-11-21T00:00:00Z --jobs 1 --format json "$work/d/shipment" >/dev/null || true; t1=$(date +%s.%N)
$hw replay "$work/log" > "$work/replay.out" || { tail -3 "$work/replay.out"; exit 1; }
t2=$(date +%s.%N)
v=$(echo "$t1 - $t0" | bc -l); r=$(echo "$t2 - $t1" | bc -l)
tail -1 "$work/replay.out"
printf 'machine: %s cores; %d units, one thread each\n' "$(nproc)" "$units"
printf 'verify (vet --jobs 1): %.2f s, %.0f units/s\n' "$v" "$(echo "$units / $v" | bc -l)"
printf 'replay:                %.2f s, %.0f entries/s (includes log verify and loading stored inputs)\n' "$r" "$(echo "$units / $r" | bc -l)"
printf 'replay throughput = %.1f%% of verify (target >= 80%%)\n' "$(echo "100 * $v / $r" | bc -l)"
echo
cargo bench --quiet --bench log
