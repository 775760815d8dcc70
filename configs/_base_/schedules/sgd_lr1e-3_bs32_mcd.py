# MCD on objects: the settings of sgd_lr1e-3_bs32.py with one optimizer for
# the generator (backbone at a tenth of the rate, and the aligner) and one
# for both classifiers.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        modules=['backbone', 'aligner'],
        optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
    classifiers=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4)))
param_scheduler = []
auto_scale_lr = dict(base_batch_size=32)
