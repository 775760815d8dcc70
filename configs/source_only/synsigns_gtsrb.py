_base_ = [
    '../_base_/models/gtsrb_cnn.py', '../_base_/datasets/synsigns_gtsrb.py',
    '../_base_/schedules/adam_source_only.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
train_cfg = dict(max_iters=20000, val_interval=2000)
