_base_ = [
    '../_base_/models/usps_cnn.py', '../_base_/datasets/syndigits2ucidigits.py',
    '../_base_/schedules/adam_mcd.py', '../_base_/default_runtime.py'
]
model = dict(type='MCD', num_k=4)
train_cfg = dict(max_iters=300, val_interval=150)
