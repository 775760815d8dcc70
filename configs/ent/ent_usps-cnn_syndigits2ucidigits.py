_base_ = [
    '../_base_/models/usps_cnn.py', '../_base_/datasets/syndigits2ucidigits.py',
    '../_base_/schedules/sgd_ent.py', '../_base_/default_runtime.py'
]
model = dict(type='ENT', loss_ent=dict(type='EntropyLoss', loss_weight=1.0))
train_dataloader = dict(batch_size=256)
train_cfg = dict(max_iters=300, val_interval=150)
