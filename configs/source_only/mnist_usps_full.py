_base_ = [
    '../_base_/models/usps_cnn.py', '../_base_/datasets/mnist_usps_full.py',
    '../_base_/schedules/adam_source_only.py', '../_base_/default_runtime.py'
]
model = dict(type='SourceOnly')
train_cfg = dict(max_iters=10000, val_interval=1000)
