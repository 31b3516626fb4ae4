#!/usr/bin/env bash
# vet at inventory scale (issue 18): a generated shipment of 10,000 units and
# one of 1,000,000 (each with the generator's one-row-per-serial deployment
# file), three runs each, alternating; prints each run's time and peak RSS,
# and the 1,000,000-unit time against 100x the 10,000-unit time (target:
# within 15%; peak RSS target < 256 MiB). Needs ~4 GB of disk and ~2 minutes
# to generate the large shipment.
#
#     bash benches/vet-scale.sh [UNITS]      (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
big=${1:-1000000}
small=10000
cargo build --release --quiet
cargo build --release --quiet --example supply-chain
hw=target/release/hwprov
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in $small $big; do
  target/release/examples/supply-chain --out "$work/s$n" --units "$n" >/dev/null
done
echo "machine: $(nproc) cores; vet --jobs $(nproc) with --deployment, --format json to /dev/null"
run() {
  local n=$1
  /usr/bin/time -f '%e %M' $hw vet --policy "$work/s$n/policy.toml" --deployment "$work/s$n/deployment.csv" \
    --at 2026-11-21T00:00:00Z --format json "$work/s$n/shipment" 2>&1 >/dev/null | tail -1
}
for i in 1 2 3; do
  read -r ts ms < <(run $small)
  read -r tb mb < <(run $big)
  printf 'run %d: %d units %.2f s (%d MiB); %d units %.2f s (%d MiB, target < 256); ratio %.1fx for %dx the units (target within 15%% of %d)\n' \
    "$i" "$small" "$ts" "$((ms / 1024))" "$big" "$tb" "$((mb / 1024))" "$(echo "$tb / $ts" | bc -l)" "$((big / small))" "$((big / small))"
done
