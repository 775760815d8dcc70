_base_ = [
    '../_base_/models/resnet50.py', '../_base_/datasets/visda2017.py',
    '../_base_/schedules/sgd_objects.py', '../_base_/default_runtime.py'
]
# DFA-ENT (eq. 20) on VisDA-2017 (synthetic -> real).
# Entropy weight 0.1 as in the authors' object code; objects: alpha 0.1,
# beta 10 (PAPER_NOTES sec. 1).
model = dict(
    type='ENT',
    classifier=dict(num_classes=12),
    loss_ent=dict(type='EntropyLoss', loss_weight=0.1),
    aligner=dict(
        type='DFA', decoder=dict(type='ResNetDecoder'), alpha=0.1,
        beta=10.0))
