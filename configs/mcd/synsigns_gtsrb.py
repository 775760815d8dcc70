_base_ = [
    '../_base_/models/gtsrb_cnn.py', '../_base_/datasets/synsigns_gtsrb.py',
    '../_base_/schedules/adam_mcd.py', '../_base_/default_runtime.py'
]
model = dict(type='MCD', num_k=4)
train_cfg = dict(max_iters=20000, val_interval=2000)
