#!/usr/bin/env bash
# The main example: a Llama-3-8B-shaped decode graph through the pipeline a
# graph compiler runs (prune, then flatten), printed as its flat ABI table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
opt=$build/bin/kvcache-opt

echo "== examples/llama3-8b-decode.mlir: verified and round-tripped"
"$opt" "$here/llama3-8b-decode.mlir" > /dev/null

echo "== kvcache-drop-optional-fields,kvcache-expand-inputs"
flat=$("$opt" "$here/llama3-8b-decode.mlir" \
  --pass-pipeline='builtin.module(kvcache-drop-optional-fields,kvcache-expand-inputs)')
echo "$flat" | grep -E 'func.func (private )?@attention_layer' | sed 's/^ */  /'
echo
echo "$flat" | python3 "$here/flat_abi_table.py"
