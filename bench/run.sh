#!/usr/bin/env bash
# rubric's benchmark: baseline vs rubric payroll vs rubric eval on generated
# voice-agent snapshots, and rubric rollup vs DuckDB on a call export.
# Usage: bench/run.sh [-n 1000000] [-runs 3] [-rollup-rows 2000000]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/run "$@"
