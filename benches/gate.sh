#!/usr/bin/env bash
# Gate on a 1 GiB image versus openssl dgst -sha256 and sha256sum of the
# same file, in the same run, warm cache. Targets: gate wall time <= 1.10x
# openssl's (both use the SHA extensions; no --install) and peak memory
# under 32 MiB whatever the image size.
#
#     bash benches/gate.sh [SIZE_MIB]        (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
cargo build --release --quiet
hw=target/release/hwprov
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "SHA extensions: $(grep -q sha_ni /proc/cpuinfo && echo yes || echo no)"
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/image.bin"
digest=$(sha256sum "$work/image.bin" | cut -d' ' -f1)
bytes=$(stat -c %s "$work/image.bin")
cat > "$work/release.json" <<JSON
{"v": 1, "type": "firmware", "issuer": "aurora-networks", "issued": "2026-03-01T00:00:00Z",
 "target": {"vendor": "aurora-networks", "model": "AX-5000", "component": "U1"},
 "name": "bmc", "version": "9.0.0", "svn": 9, "image": "sha256:$digest", "size": $bytes}
JSON
$hw sign --key examples/data/keys/aurora-networks.pem "$work/release.json" --out "$work/release.cose" >/dev/null
cp examples/data/device-state.json "$work/state.json"
gate() {
  cp examples/data/device-state.json "$work/state.json"
  $hw gate --policy examples/data/policy.toml --state "$work/state.json" --image "$work/image.bin" \
    --at 2026-11-21T00:00:00Z --format json "$work/release.cose" >/dev/null
}
best() { # best of 5 wall-clock seconds of "$@"
  local best=999999
  for _ in 1 2 3 4 5; do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    best=$(echo "$e - $s" | bc -l | awk -v b="$best" '{print ($1 < b) ? $1 : b}')
  done
  echo "$best"
}
cat "$work/image.bin" > /dev/null   # warm the page cache
t_sum=$(best sha256sum "$work/image.bin")
t_ossl=$(best openssl dgst -sha256 "$work/image.bin")
t_gate=$(best gate)
mbs() { echo "$size_mib / $1" | bc -l | xargs printf '%.0f'; }
echo "image: $size_mib MiB"
printf 'sha256sum:   %.3f s  (%s MiB/s)\n' "$t_sum" "$(mbs "$t_sum")"
printf 'openssl dgst -sha256: %.3f s  (%s MiB/s)\n' "$t_ossl" "$(mbs "$t_ossl")"
printf 'hwprov gate: %.3f s  (%s MiB/s)\n' "$t_gate" "$(mbs "$t_gate")"
printf 'ratio gate/sha256sum: %.3f\n' "$(echo "$t_gate / $t_sum" | bc -l)"
printf 'ratio gate/openssl:   %.3f (target <= 1.10)\n' "$(echo "$t_gate / $t_ossl" | bc -l)"
cp examples/data/device-state.json "$work/state.json"
rss=$(/usr/bin/time -v $hw gate --policy examples/data/policy.toml --state "$work/state.json" --image "$work/image.bin" \
    --at 2026-11-21T00:00:00Z "$work/release.cose" 2>&1 >/dev/null | awk '/Maximum resident set size/ {print $6}')
echo "peak memory (gate, /usr/bin/time -v): $((rss / 1024)) MiB ($rss KiB; target < 32 MiB)"
cp examples/data/device-state.json "$work/state.json"
rss=$(/usr/bin/time -v $hw gate --policy examples/data/policy.toml --state "$work/state.json" --image "$work/image.bin" \
    --install "$work/installed.bin" --at 2026-11-21T00:00:00Z "$work/release.cose" 2>&1 >/dev/null | awk '/Maximum resident set size/ {print $6}')
echo "peak memory (gate --install): $((rss / 1024)) MiB ($rss KiB)"
