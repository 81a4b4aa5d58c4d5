#!/usr/bin/env bash
# Installs every Debian package mfhrl needs to build, test, run jobs and analyse results.
# Idempotent: when every package is already present it returns in well under a second.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang-format
  # core libraries
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
  # simulator (MuJoCo's CMake config references qhull headers)
  libmujoco-dev libqhull-dev
  # learner (openblas-openmp: without it LibTorch uses reference BLAS, ~14x slower)
  libtorch-dev libopenblas0-openmp
  # distribution and I/O
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # cluster workflow (local single-node Slurm for tests)
  slurm-wlm slurmctld slurmd slurm-client munge libpmix-dev
  # analysis (run under /usr/bin/python3)
  python3 python3-h5py python3-numpy python3-matplotlib python3-pandas python3-yaml
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
