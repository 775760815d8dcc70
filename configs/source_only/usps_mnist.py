_base_ = [
    '../_base_/models/usps_cnn.py',
    '../_base_/datasets/usps_mnist.py',
    '../_base_/schedules/adam_lr2e-4_bs128.py',
    '../_base_/default_runtime.py',
]
model = dict(type='SourceOnly')
