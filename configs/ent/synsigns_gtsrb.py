_base_ = [
    '../_base_/models/gtsrb_cnn.py',
    '../_base_/datasets/synsigns_gtsrb.py',
    '../_base_/schedules/sgd_lr2e-2_bs256.py',
    '../_base_/default_runtime.py',
]
model = dict(type='ENT', loss_ent=dict(type='EntropyLoss', loss_weight=1.0))
train_dataloader = dict(batch_size=256)
