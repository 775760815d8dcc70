#!/usr/bin/env bash
# The DFA study's stages (docs/results/dfa_study.md): every run they plan, as
# benchmark commands that skip finished runs and resume interrupted ones.
#
#   bash docs/results/dfa_study_plan.sh grid A     # seed 1 at three weights,
#   bash docs/results/dfa_study_plan.sh grid B     # in two queues side by side
#   bash docs/results/dfa_study_plan.sh seed2 A    # seed 2 at each candidate's
#   bash docs/results/dfa_study_plan.sh seed2 B    # chosen weight
#   bash docs/results/dfa_study_plan.sh ent NAME.. # ENT and NAME.. on ENT, seeds 1-2
#   bash docs/results/dfa_study_plan.sh stage2 NAME.. # MCD and NAME.. on
#                                                  # USPS->MNIST, seeds 1-2
#   bash docs/results/dfa_study_plan.sh stage3 NAME.. # MCD, the paper's
#       # DFA-MCD and NAME.. on the three tasks, seeds 1-5 (SEEDS and TASKS,
#       # space-separated, select a part: two parts side by side); the
#       # paper's DFA-MCD on USPS->MNIST with env_cfg.flush_denormal=True, in
#       # STUDY_DIR/flush_denormal
#
# A candidate's weight is chosen on seed 1 alone: the best last-iteration
# accuracy of its runs (its config's weight, x0.3 and x3; `rectified`,
# `two_sided_rectified` and `coral` keep their config's weight alone, see
# dfa_study.md, "Weights tried"). DATA names
# the data root (default data), STUDY_DIR the work dir (default
# work_dirs/dfa_study): runs at the config's weight go to STUDY_DIR, the others
# to STUDY_DIR/weight_x0.3 and STUDY_DIR/weight_x3.
set -u
stage=${1:?usage: dfa_study_plan.sh grid|seed2 A|B, or ent|stage2|stage3 NAME...}
shift
data=${DATA:-data}
study=${STUDY_DIR:-work_dirs/dfa_study}
iters=(train_cfg.max_iters=2000 train_cfg.val_interval=500)

# name: MCD config, the weights it scales, its weight and, where tried, x0.3
# and x3.
declare -A config keys weights
add() { local name=$1; config[$name]=$2; keys[$name]=$3; shift 3; weights[$name]="$*"; }
add two_sided configs/dfa_mcd/two_sided/mnist_usps.py alpha,beta 10.0 3.0 30.0
add rectified configs/dfa_mcd/rectified/mnist_usps.py beta 10.0
add two_sided_rectified configs/dfa_mcd/two_sided_rectified/mnist_usps.py alpha,beta 10.0
add class_conditional configs/dfa_mcd/class_conditional/mnist_usps.py alpha,beta 0.1 0.03 0.3
add mmd configs/mcd/mmd/mnist_usps.py beta 1.0 0.3 3.0
add sinkhorn configs/mcd/sinkhorn/mnist_usps.py beta 1.0 0.3 3.0
add coral configs/mcd/coral/mnist_usps.py beta 10.0
subs=(. weight_x0.3 weight_x3)

run_name() {  # configs/dfa_mcd/rectified/mnist_usps.py -> dfa_mcd_rectified_mnist_usps
  local name=${1#configs/}
  name=${name%.py}
  echo "${name//\//_}"
}

bench() {  # bench SUB SEED CONFIG [CFG_OPTIONS...]
  local sub=$1 seed=$2 cfg=$3
  shift 3
  python tools/benchmark.py "$cfg" --seeds "$seed" --jobs 1 --data-root "$data" \
    --resume --work-dir "$study/$sub" \
    --out "$study/$sub/$(run_name "$cfg")_seed$seed.md" \
    --cfg-options "${iters[@]}" "$@"
}

options() {  # options NAME INDEX: the cfg options of weight INDEX (0, 1, 2)
  local name=$1 index=$2 key
  local -a ws=(${weights[$name]})
  [ "$index" = 0 ] && return
  for key in ${keys[$name]//,/ }; do
    echo "model.aligner.$key=${ws[$index]}"
  done
}

tried() {  # tried NAME: the work-dir folders of NAME's weights
  local -a ws=(${weights[$1]})
  echo "${subs[@]:0:${#ws[@]}}"
}

chosen() {  # chosen NAME: the index of the best seed-1 weight, or fail
  local method
  method=$(dirname "${config[$1]#configs/}")
  python - "$study" "$method" $(tried "$1") <<'PY'
import os.path as osp
import sys

sys.path.insert(0, 'tools')
from benchmarking.paired import load_seed_results, run_accuracy

study, method, subs = sys.argv[1], sys.argv[2], sys.argv[3:]
accuracy = []
for sub in subs:
    try:
        seeds = load_seed_results(osp.join(study, sub, method, 'mnist_usps'))
    except FileNotFoundError:
        seeds = {}
    if 1 not in seeds:
        sys.exit(f'{osp.join(study, sub, method)} has no seed 1: the weight '
                 'is chosen on all its seed-1 runs')
    accuracy.append(run_accuracy(seeds[1]))
print(accuracy.index(max(accuracy)))
PY
}

run_grid() {  # run_grid NAME: seed 1 at each weight NAME tries
  local name=$1 index
  local -a ws=(${weights[$name]})
  for index in "${!ws[@]}"; do
    bench "${subs[$index]}" 1 "${config[$name]}" $(options "$name" "$index")
  done
}

run_chosen() {  # run_chosen NAME SEED CONFIG: CONFIG at NAME's chosen weight
  local name=$1 index
  index=$(chosen "$name") || return 1
  bench "${subs[$index]}" "$2" "$3" $(options "$name" "$index")
}

run_host_and_candidates() {  # HOST_CONFIG FROM TO NAME...: seeds 1 and 2 of
  # HOST_CONFIG, and of each NAME's MNIST->USPS MCD config with its first FROM
  # replaced by TO, at the weight NAME chose
  local host=$1 from=$2 to=$3 seed name
  shift 3
  for seed in 1 2; do
    bench . "$seed" "$host"
    for name in "$@"; do
      run_chosen "$name" "$seed" "${config[$name]/$from/$to}" || exit 1
    done
  done
}

case "$stage" in
  grid|seed2)
    queue=${1:?give the queue, A or B}
    if [ "$queue" = A ]; then
      names=(two_sided rectified two_sided_rectified)
      # the references on seed 1: the paper's DFA-MCD and round 1's live forms
      [ "$stage" = grid ] && for cfg in configs/dfa_mcd/mnist_usps.py \
          configs/dfa_mcd/energy/mnist_usps.py configs/dfa_mcd/swd/mnist_usps.py; do
        bench . 1 "$cfg"
      done
    else
      names=(class_conditional mmd sinkhorn coral)
    fi
    for name in "${names[@]}"; do
      if [ "$stage" = grid ]; then
        run_grid "$name"
      else
        run_chosen "$name" 2 "${config[$name]}"
      fi
    done
    ;;
  ent)
    # ENT, then each named candidate's ENT config (dfa_ent/ or ent/ in place
    # of dfa_mcd/ or mcd/) at the weight it chose on MCD
    run_host_and_candidates configs/ent/mnist_usps.py mcd/ ent/ "$@"
    ;;
  stage2)
    # MCD, then each named candidate at the weight it chose on MNIST->USPS
    run_host_and_candidates configs/mcd/usps_mnist.py mnist_usps usps_mnist "$@"
    ;;
  stage3)
    # seed by seed, so that an unfinished stage has every task at the same
    # seeds: MCD, the paper's DFA-MCD, then each named candidate at the weight
    # it chose on MNIST->USPS
    for seed in ${SEEDS:-1 2 3 4 5}; do
      for task in ${TASKS:-mnist_usps usps_mnist mnist_usps_full}; do
        bench . "$seed" "configs/mcd/$task.py"
        if [ "$task" = usps_mnist ]; then
          # without flushing, its decoder's subnormal weights make a run take
          # over two hours of a core here (dfa_study.md, "Stage 3")
          bench flush_denormal "$seed" "configs/dfa_mcd/$task.py" env_cfg.flush_denormal=True
        else
          bench . "$seed" "configs/dfa_mcd/$task.py"
        fi
        for name in "$@"; do
          run_chosen "$name" "$seed" "${config[$name]/mnist_usps/$task}" || exit 1
        done
      done
    done
    ;;
  *)
    echo "unknown stage $stage: grid, seed2, ent, stage2 or stage3" >&2
    exit 2
    ;;
esac
