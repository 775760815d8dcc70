_base_ = [
    '../_base_/models/gtsrb_cnn.py',
    '../_base_/datasets/synsigns_gtsrb.py',
    '../_base_/schedules/adam_lr2e-4_bs128.py',
    '../_base_/default_runtime.py',
]
model = dict(type='SourceOnly')
