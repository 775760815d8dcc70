default_scope = 'dfa_lab'
# mmengine's Runner, except that `compile` compiles the adapter's networks
# (tools/train.py --compile) rather than its multi-optimizer train_step.
runner_type = 'AdapterRunner'

# Iteration-based training: every hook and the log processor count
# iterations, so TensorBoard gets validation metrics at their iteration.
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
# Resumed runs draw the same random numbers as uninterrupted ones; DFA runs
# warn when their decoder collapses (a no-op for runs without a decoder);
# the run ends with a summary of its accuracy and files.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='DecoderCollapseHook'),
    dict(type='TrainingSummaryHook'),
]
log_processor = dict(by_epoch=False, window_size=50)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

# Adapters own their train_step; this wrapper keeps it under DDP.
model_wrapper_cfg = dict(type='dfa_lab.SeparateDistributedDataParallel')

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=1, deterministic=False)
