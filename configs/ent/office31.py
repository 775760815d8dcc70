_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/office31.py',
    '../_base_/schedules/sgd_lr1e-3_bs32.py',
    '../_base_/default_runtime.py',
]
# ENT (eq. 19) on Office-31 (6 tasks, default A -> W), the host of DFA-ENT and
# SAFN. Entropy weight 0.1 as in the authors' object code.
# Choose the task with --domains SOURCE TARGET; the domains are listed in
# configs/_base_/datasets/office31.py.
model = dict(
    type='ENT',
    classifier=dict(num_classes=31),
    loss_ent=dict(type='EntropyLoss', loss_weight=0.1))
