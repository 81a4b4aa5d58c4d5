#!/usr/bin/env bash
# Submits a study: one `mfhrl pretrain` job per seed, then per seed a job array over
# strategies x budgets that starts when that seed's pretrain job succeeded (afterok).
#   jobs/study.sh [--dry-run] STUDY.yaml
# The study file is validated completely before anything is submitted; --dry-run prints every
# sbatch command (and each array task's arguments) without writing or submitting anything.
# Layout of the study directory and the study file fields: jobs/study_plan.py, jobs/README.md.
set -euo pipefail
PYTHON=${MFHRL_PYTHON:-/usr/bin/python3}
exec "$PYTHON" "$(dirname "$(readlink -f "$0")")/study_plan.py" "$@"
