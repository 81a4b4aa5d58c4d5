#!/usr/bin/env bash
# Installs, builds and runs every test (unit, MPI and end-to-end) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "${MFHRL_BUILD:-build}"
ctest --output-on-failure -j 2 "$@"
