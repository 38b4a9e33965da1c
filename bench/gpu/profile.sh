#!/usr/bin/env bash
# One Nsight Compute profile of the decode kernels at two benchmark points
# (batch 64 x 4k and batch 1 x 32k; bf16, 32 q / 8 kv heads, head_dim 128,
# page 128), on the prebuilt bundles of bench/gpu/build_bundles.sh. Writes
# OUT/<point>.ncu-rep and a text summary OUT/<point>.txt.
#   usage: bench/gpu/profile.sh BUNDLES_DIR OUT_DIR
set -uo pipefail
bundles=$1 out=$2
run=$bundles/bin/kvcache-run
bundle=$bundles/$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bench']['bundles']['128'])" "$bundles/cases.json")
ncu=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
scratch=$(mktemp -d /dev/shm/kvcache-profile-XXXX)
mkdir -p "$out"
for point in "64 4096" "1 32768"; do
  set -- $point
  name=b$1x$2
  "$run" --generate "$scratch/$name" --batch "$1" --context-length "$2" \
    --prompt-length 1 --num-q-heads 32 --num-kv-heads 8 --head-dim 128 \
    --page-size 128 --num-layers 1 --dtype bf16 --seed 0 > /dev/null
  # Every kernel of one entry call: store, decode (split-K partials), combine.
  timeout 100 "$ncu" --set full --launch-skip 0 --launch-count 3 \
    -o "$out/$name" -f "$run" "$bundle" --entry step --inputs "$scratch/$name" \
    --outputs "$scratch/$name-out" --write out > "$out/$name.log" 2>&1
  "$ncu" --import "$out/$name.ncu-rep" --page details > "$out/$name.txt" 2>&1
  grep -E "kvcache_|Duration|Memory Throughput|DRAM Throughput|Achieved Occupancy|Registers Per|Waves Per SM|Grid Size|Block Size" "$out/$name.txt" | head -40
  rm -rf "$scratch/$name" "$scratch/$name-out"
done
rm -rf "$scratch"
