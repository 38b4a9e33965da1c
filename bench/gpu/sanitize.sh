#!/usr/bin/env bash
# compute-sanitizer's racecheck and synccheck on the decode bundle of the
# benchmark (bf16, 32 q / 8 kv heads, head_dim 128, page 128), at points
# whose split counts exercise each combine layout: batch 1 x 16k (49 splits,
# four warps per head sharing partitions through workgroup memory), batch
# 1 x 6k (24 splits, two warps per head) and batch 16 x 1k (3 splits, one
# warp per head). run.sh's memcheck covers out-of-bounds accesses; these
# cover workgroup-memory races and barrier misuse. Writes OUT/<tool>-<point>.log
# and prints each one's summary line; exits 1 if any reported an error.
#   usage: bench/gpu/sanitize.sh BUNDLES_DIR OUT_DIR
set -uo pipefail
bundles=$1 out=$2
run=$bundles/bin/kvcache-run
bundle=$bundles/$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bench']['bundles']['128'])" "$bundles/cases.json")
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
scratch=$(mktemp -d /dev/shm/kvcache-sanitize-XXXX)
mkdir -p "$out"
status=0
for point in "1 16384" "1 6144" "16 1024"; do
  set -- $point
  name=b$1x$2
  "$run" --generate "$scratch/$name" --batch "$1" --context-length "$2" \
    --prompt-length 1 --num-q-heads 32 --num-kv-heads 8 --head-dim 128 \
    --page-size 128 --num-layers 1 --dtype bf16 --seed 0 > /dev/null
  for tool in racecheck synccheck; do
    # API errors are left out: the runtime probes cuFuncGetParamInfo past a
    # kernel's last parameter on purpose (see harness.py's memcheck).
    timeout 50 "$sanitizer" --tool "$tool" --report-api-errors no \
      --error-exitcode 99 --print-limit 20 "$run" "$bundle" --entry step \
      --inputs "$scratch/$name" --outputs "$scratch/$name-out" \
      > "$out/$tool-$name.log" 2>&1
    rc=$?
    echo "$tool $name: exit $rc, $(grep -hE '(ERROR|RACECHECK) SUMMARY' "$out/$tool-$name.log" | tail -1)"
    ((rc == 0)) || status=1
    rm -rf "$scratch/$name-out"
  done
  rm -rf "$scratch/$name"
done
rm -rf "$scratch"
exit $status
