#!/usr/bin/env bash
# The GPU checks of the real-models issue, as one script for a machine with a CUDA GPU:
# the Qwen2-0.5B-shape latency on GPU and on CPU (same machine, same model files), then the
# architecture tests with the engine on CUDA. Results go to ${OUT:-./gpu-check}.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-./gpu-check}"
PY="${PYTHON:-python}"
mkdir -p "$OUT"
"$PY" -c "import ctranslate2; n = ctranslate2.get_cuda_device_count(); print('cuda devices:', n); \
print('cuda compute types:', sorted(ctranslate2.get_supported_compute_types('cuda')) if n else '-')"
WORK="$(mktemp -d)"
"$PY" scripts/latency_arch.py --workdir "$WORK" --prepare-only
"$PY" scripts/latency_arch.py --workdir "$WORK" --keep --device cuda --json "$OUT/latency-cuda.json" | tee "$OUT/latency-cuda.md"
"$PY" scripts/latency_arch.py --workdir "$WORK" --keep --device cpu --repeats 1 --json "$OUT/latency-cpu.json" | tee "$OUT/latency-cpu.md"
rm -rf "$WORK"
ENTROPY_COMPLETE_TEST_DEVICE=cuda "$PY" -m pytest tests/arch -q -n 0 -p no:cacheprovider 2>&1 | tee "$OUT/arch-tests-cuda.txt"
