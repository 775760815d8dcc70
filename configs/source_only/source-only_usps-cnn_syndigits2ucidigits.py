_base_ = [
    '../_base_/models/usps_cnn.py', '../_base_/datasets/syndigits2ucidigits.py',
    '../_base_/schedules/adam_source_only.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
train_cfg = dict(max_iters=300, val_interval=150)
