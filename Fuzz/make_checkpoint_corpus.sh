#!/usr/bin/env bash
# Makes the checkpoint seeds of Fuzz/corpus/checkpoint with the built stylize (swift build -c release first):
# two small valid checkpoints (one scale; two scales with a noise start) and damaged copies named bad_*, which the
# regression tests expect refused. Relative paths only, so the seeds hold no path of this machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stylize="$root/.build/release/stylize"
out="$root/Fuzz/corpus/checkpoint"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
ln -s "$root/images" "$work/images"
cd "$work"
common=(--content images/building.jpg --style images/starry_night.jpg --weights random:3 --quiet)
"$stylize" "${common[@]}" --size 32 --iterations 4 --history 2 -o a.png --checkpoint one_scale.ckpt --checkpoint-every 3 >/dev/null
"$stylize" "${common[@]}" --scales 32,40 --iterations 3 --init noise -o b.png --checkpoint two_scales.ckpt --checkpoint-every 2 >/dev/null
cp one_scale.ckpt two_scales.ckpt "$out/"
python3 - "$out" <<'PY'
import sys, struct
out = sys.argv[1]
good = open(f"{out}/one_scale.ckpt", "rb").read()
header_length = struct.unpack_from("<I", good, 12)[0]
def save(name, data): open(f"{out}/bad_{name}.ckpt", "wb").write(data)
save("truncated", good[:len(good) - 7])
save("flipped_vector", good[:-40] + bytes([good[-40] ^ 1]) + good[-39:])
save("version_2", good[:8] + struct.pack("<I", 2) + good[12:])
save("header_length_huge", good[:12] + struct.pack("<I", 0xFFFFFFFF) + good[16:])
header = good[16:16 + header_length].replace(b'"values":', b'"values":1', 1)   # 10x the values, same length + 1
save("values_changed", good[:12] + struct.pack("<I", len(header)) + header + good[16 + header_length:])
save("not_json", good[:16] + b"}" * header_length + good[16 + header_length:])
PY
ls -la "$out"
