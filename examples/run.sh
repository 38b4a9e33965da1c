#!/usr/bin/env bash
# The main example: a Llama-3-8B-shaped decode step compiled to a CPU bundle
# (prune, loops lowering, flatten, LLVM), its flat ABI table read from the
# manifest, and one run of it on generated inputs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
work=${KVCACHE_EXAMPLE_DIR:-$build/example}
rm -rf "$work" && mkdir -p "$work"

echo "== kvcache-compile examples/llama3-8b-decode.mlir --target=cpu"
"$build/bin/kvcache-compile" "$here/llama3-8b-decode.mlir" --target=cpu \
  -o "$work/bundle"
python3 "$here/manifest_table.py" "$work/bundle/manifest.json"

echo
echo "== kvcache-run --generate: 2 requests with 200 and 700 cached tokens"
"$build/bin/kvcache-run" --generate "$work/inputs" --context-lengths 200,700 \
  --prompt-length 1 --num-q-heads 32 --num-kv-heads 8 --head-dim 128 \
  --page-size 128 --num-layers 32 --dtype bf16 --seed 1

echo "== kvcache-run: one decode step through all 32 layers"
time "$build/bin/kvcache-run" "$work/bundle" --entry decode_step \
  --inputs "$work/inputs" --outputs "$work/outputs"
/usr/bin/python3 - "$work/outputs/out.npy" <<'PY'
import sys
import numpy as np
bits = np.load(sys.argv[1]).astype(np.uint32) << 16  # bf16 bit patterns
out = bits.view(np.float32)
print(f"out: shape {out.shape}, all finite: {bool(np.isfinite(out).all())}, "
      f"first values {np.round(out[0, 0, :4], 4).tolist()}")
PY
