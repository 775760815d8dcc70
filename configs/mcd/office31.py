_base_ = [
    '../_base_/models/resnet50_mcd.py',
    '../_base_/datasets/office31.py',
    '../_base_/schedules/sgd_lr1e-3_bs32_mcd.py',
    '../_base_/default_runtime.py',
]
# MCD on Office-31 (6 tasks, default A -> W), num_k 4.
# Choose the task with --domains SOURCE TARGET; the domains are listed in
# configs/_base_/datasets/office31.py.
model = dict(type='MCD', num_k=4, classifier=dict(num_classes=31))
