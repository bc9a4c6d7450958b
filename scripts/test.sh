#!/usr/bin/env bash
# The test command (README.md): unit, property, golden and corpus tests.
# Set OTWATCH_CORPUS to the real-capture folder to run the corpus tests; when it is
# set but missing, those tests fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-deps.sh
cargo test --workspace
