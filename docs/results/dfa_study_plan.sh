#!/usr/bin/env bash
# The DFA study's stage 1 (docs/results/dfa_study.md): every run it plans, as
# benchmark commands that skip finished runs and resume interrupted ones.
# `bash docs/results/dfa_study_plan.sh A` and `... B` run the two halves, one
# training each, side by side; DATA names the data root (default data).
set -u
queue=${1:?usage: dfa_study_plan.sh A|B}
data=${DATA:-data}
study=${STUDY_DIR:-work_dirs/dfa_study}
common=(--seeds 1 --jobs 1 --data-root "$data" --resume)
iters=(train_cfg.max_iters=2000 train_cfg.val_interval=500)

bench() {  # bench WORK_SUBDIR CONFIG [CFG_OPTIONS...]
  local sub=$1 config=$2
  shift 2
  python tools/benchmark.py "$config" "${common[@]}" \
    --work-dir "$study/$sub" --out "$study/$sub/$(echo "$config" | tr / _).md" \
    --cfg-options "${iters[@]}" "$@"
}

if [ "$queue" = A ]; then
  # References on seed 1: the paper's DFA-MCD and round 1's live variants.
  bench . configs/dfa_mcd/mnist_usps.py
  bench . configs/dfa_mcd/energy/mnist_usps.py
  # Weights on seed 1: x0.3 and x3 of each candidate's first weight.
  bench weight_x0.3 configs/dfa_mcd/two_sided/mnist_usps.py model.aligner.alpha=3.0 model.aligner.beta=3.0
  bench weight_x3 configs/dfa_mcd/two_sided/mnist_usps.py model.aligner.alpha=30.0 model.aligner.beta=30.0
  bench weight_x0.3 configs/dfa_mcd/rectified/mnist_usps.py model.aligner.beta=3.0
  bench weight_x3 configs/dfa_mcd/rectified/mnist_usps.py model.aligner.beta=30.0
  bench weight_x0.3 configs/dfa_mcd/two_sided_rectified/mnist_usps.py model.aligner.alpha=3.0 model.aligner.beta=3.0
  bench weight_x3 configs/dfa_mcd/two_sided_rectified/mnist_usps.py model.aligner.alpha=30.0 model.aligner.beta=30.0
else
  bench . configs/dfa_mcd/swd/mnist_usps.py
  bench weight_x0.3 configs/dfa_mcd/class_conditional/mnist_usps.py model.aligner.alpha=0.03 model.aligner.beta=0.03
  bench weight_x3 configs/dfa_mcd/class_conditional/mnist_usps.py model.aligner.alpha=0.3 model.aligner.beta=0.3
  bench weight_x0.3 configs/mcd/mmd/mnist_usps.py model.aligner.beta=0.3
  bench weight_x3 configs/mcd/mmd/mnist_usps.py model.aligner.beta=3.0
  bench weight_x0.3 configs/mcd/sinkhorn/mnist_usps.py model.aligner.beta=0.3
  bench weight_x3 configs/mcd/sinkhorn/mnist_usps.py model.aligner.beta=3.0
  bench weight_x0.3 configs/mcd/coral/mnist_usps.py model.aligner.beta=3.0
  bench weight_x3 configs/mcd/coral/mnist_usps.py model.aligner.beta=30.0
fi
