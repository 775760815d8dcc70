_base_ = [
    '../_base_/models/resnet50_mcd.py',
    '../_base_/datasets/visda2017.py',
    '../_base_/schedules/sgd_lr1e-3_bs32_mcd.py',
    '../_base_/default_runtime.py',
]
# MCD on VisDA-2017 (synthetic -> real), num_k 4.
model = dict(type='MCD', num_k=4, classifier=dict(num_classes=12))
