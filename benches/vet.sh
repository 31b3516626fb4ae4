#!/usr/bin/env bash
# vet throughput on generated shipments (20,000 and 100,000 units as a real
# supply chain shares its evidence, and 20,000 units whose every statement is
# distinct; each with the generator's deployment file of one row per serial)
# against the raw Ed25519
# verify_strict rate on the same signatures with the same number of threads,
# in the same run (best of 5 each, alternating; wall time to the
# nanosecond, as /usr/bin/time rounds to 10 ms); peak memory from
# /usr/bin/time -v; what the fleet caps and phase-out plans cost (the same
# vet with the policy's fleet and phase-out sections cut off and no
# deployment file, alternating with the full one);
# and a pycose baseline (what a user might write instead).
#
#     bash benches/vet.sh [JOBS]        (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
cargo build --release --quiet
cargo build --release --quiet --example supply-chain --example raw-verify
hw=target/release/hwprov
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); vet --jobs $jobs"
for run in 20000 100000 20000-distinct; do
  units=${run%-distinct}
  if [ "$run" = "$units" ]; then mode=""; target=3.0; else mode="--distinct"; target=1.0; fi
  dir="$work/s$run"
  gen=$( { /usr/bin/time -f %e target/release/examples/supply-chain --out "$dir" --units "$units" $mode >/dev/null; } 2>&1 )
  policy="$dir/policy.toml"
  deployment="$dir/deployment.csv"
  # The same policy without its fleet caps and phase-out plan (the
  # generator writes them last, after this comment line).
  sed '/^# Fleet caps and phase-out plans/,$d' "$policy" > "$dir/policy-nofleet.toml"
  find "$dir/shipment" -type f -exec cat {} + > /dev/null   # warm the page cache
  # Best of 5 for both, alternating, so a noisy neighbour on a shared
  # machine skews neither side of the ratio.
  raw_rate=0; wall=999999; rss=0; base_wall=999999; base_rss=0
  for _ in 1 2 3 4 5; do
    raw=$(target/release/examples/raw-verify --policy "$policy" --jobs "$jobs" "$dir/shipment")
    sigs=$(echo "$raw" | sed -E 's/.*signatures ([0-9]+) .*/\1/')
    r=$(echo "$raw" | sed -E 's/.*: ([0-9]+) signatures\/s.*/\1/')
    [ "$r" -gt "$raw_rate" ] && raw_rate=$r
    t0=$(date +%s%N)
    out=$( { /usr/bin/time -v $hw vet --policy "$policy" --deployment "$deployment" --at 2026-11-21T00:00:00Z --jobs "$jobs" --format json "$dir/shipment" >/dev/null; } 2>&1 || true)
    w=$(( $(date +%s%N) - t0 )); w=$(echo "$w / 1000000000" | bc -l)
    wall=$(echo "$w $wall" | awk '{print ($1 < $2) ? $1 : $2}')
    m=$(echo "$out" | awk '/Maximum resident set size/ {print $6}')
    [ "$m" -gt "$rss" ] && rss=$m
    [ -n "$mode" ] && continue   # the fleet's cost is measured on the realistic shipments
    t0=$(date +%s%N)
    out=$( { /usr/bin/time -v $hw vet --policy "$dir/policy-nofleet.toml" --at 2026-11-21T00:00:00Z --jobs "$jobs" --format json "$dir/shipment" >/dev/null; } 2>&1 || true)
    w=$(( $(date +%s%N) - t0 )); w=$(echo "$w / 1000000000" | bc -l)
    base_wall=$(echo "$w $base_wall" | awk '{print ($1 < $2) ? $1 : $2}')
    m=$(echo "$out" | awk '/Maximum resident set size/ {print $6}')
    [ "$m" -gt "$base_rss" ] && base_rss=$m
  done
  ups=$(echo "$units / $wall" | bc -l)
  sps=$(echo "$sigs / $wall" | bc -l)
  printf '%7d units%s (generated in %s s): vet %.2f s, %.0f units/s, %.0f statements/s; raw verify_strict %s signatures/s on %s threads; ratio %.2fx (issue 18 target >= %s); peak RSS %d MiB (target < 256)\n' \
    "$units" "${mode:+, every statement distinct}" "$gen" "$wall" "$ups" "$sps" "$raw_rate" "$jobs" "$(echo "$sps / $raw_rate" | bc -l)" "$target" "$((rss / 1024))"
  [ -n "$mode" ] && continue
  printf '  fleet caps, phase-out plan and a %d-row deployment file: vet %.2f s vs %.2f s without them (+%.1f%%, target < 5%%); peak RSS %d vs %d MiB (+%d MiB, target < 64)\n' \
    "$(($(wc -l < "$deployment") - 1))" "$wall" "$base_wall" "$(echo "100 * ($wall - $base_wall) / $base_wall" | bc -l)" "$((rss / 1024))" "$((base_rss / 1024))" "$(((rss - base_rss) / 1024))"
  if [ "$run" = 20000 ]; then
    # pycose from the project's own .venv (the one ./test.sh makes), never
    # the system Python.
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pycose, cbor2' 2>/dev/null; then
      python3 -m venv .venv && .venv/bin/python -m pip install --quiet -r tests/requirements.txt
    fi
    py=$(.venv/bin/python benches/pycose_vet.py "$policy" "$dir/shipment")
    echo "  $py"
    one=$( { /usr/bin/time -f %e $hw vet --policy "$policy" --at 2026-11-21T00:00:00Z --jobs 1 --format json "$dir/shipment" >/dev/null || true; } 2>&1 | tail -1)
    py_rate=$(echo "$py" | sed -E 's/.*s: ([0-9]+) statements\/s.*/\1/')
    printf '  hwprov vet --jobs 1: %.2f s, %.0f statements/s: %.1fx pycose on one core (and pycose checks signatures only)\n' \
      "$one" "$(echo "$sigs / $one" | bc -l)" "$(echo "$sigs / $one / $py_rate" | bc -l)"
  fi
done
