# MCD on objects: the settings of sgd_objects.py with one optimizer for the
# generator (backbone at a tenth of the rate, and the aligner) and one for
# both classifiers.
_base_ = ['./sgd_objects.py']
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        modules=['backbone', 'aligner'],
        optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})),
    classifiers=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4)))
