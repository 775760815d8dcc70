# MCD's optimizer for the digit networks (Adam, lr 2e-4, weight decay 5e-4),
# one optimizer for G and F, as the source-only baseline trains.
# Schedules are named <optimizer>_lr<learning rate>_bs<batch size>: the
# learning rate is meant for batches of that many source (and as many
# target) images, which auto_scale_lr records (mmengine scales the rate to
# another batch size only when auto_scale_lr.enable=True).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, weight_decay=5e-4))
param_scheduler = []
auto_scale_lr = dict(base_batch_size=128)
