default_scope = 'dfa_lab'

# Iteration-based training: every hook and the log processor count
# iterations, so TensorBoard gets validation metrics at their iteration.
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=2,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    # Resumed runs draw the same random numbers as uninterrupted ones.
    dict(type='RandomStateHook'),
    # Distributed runs log losses and save BatchNorm statistics averaged
    # over the ranks.
    dict(type='AverageOverRanksHook'),
    # A nan/inf loss stops training; no checkpoint holds a nan/inf.
    dict(type='NonFiniteCheckHook'),
    # DFA runs warn when their decoder collapses (no-op without a decoder).
    dict(type='DecoderCollapseHook'),
    # The run ends with a summary of its accuracy and where its files are.
    dict(type='TrainingSummaryHook'),
]
log_processor = dict(by_epoch=False, window_size=50)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
    # True flushes subnormal floats (below 1.2e-38) to zero in CPU
    # arithmetic: a run whose loss term dies out then keeps its speed, but
    # does not train bit for bit as without it (docs/training.md).
    flush_denormal=False,
)

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

# Adapters own their train_step; this wrapper keeps it under DDP. Set
# sync_bn = 'torch' to normalise with the statistics of the whole batch over
# all ranks (on GPUs and, through this wrapper, on CPU).
model_wrapper_cfg = dict(type='dfa_lab.SeparateDistributedDataParallel')

# dfa_lab's Runner: checkpoints load strictly (load_strict = False loads the
# matching tensors only), auto-resume takes the newest intact checkpoint, and
# compile = True compiles the adapter's networks, not its train_step.
runner_type = 'AdapterRunner'
load_strict = True

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=1, deterministic=False)
