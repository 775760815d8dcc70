# MCD's optimizers (Adam, lr 2e-4, weight decay 5e-4) for batches of 128:
# one for the generator (backbone and aligner), one for both classifiers.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        modules=['backbone', 'aligner'],
        optimizer=dict(type='Adam', lr=2e-4, weight_decay=5e-4)),
    classifiers=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, weight_decay=5e-4)))
param_scheduler = []
auto_scale_lr = dict(base_batch_size=128)
