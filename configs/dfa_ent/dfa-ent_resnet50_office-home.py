_base_ = [
    '../_base_/models/resnet50.py', '../_base_/datasets/office_home.py',
    '../_base_/schedules/sgd_objects.py', '../_base_/default_runtime.py'
]
# DFA-ENT (eq. 20) on Office-Home (12 tasks, default Ar -> Cl).
# Entropy weight 0.1 as in the authors' object code; objects: alpha 0.1,
# beta 10 (PAPER_NOTES sec. 1).
# Choose the task with --domains SOURCE TARGET; the domains are listed in
# configs/_base_/datasets/office_home.py.
model = dict(
    type='ENT',
    classifier=dict(num_classes=65),
    loss_ent=dict(type='EntropyLoss', loss_weight=0.1),
    aligner=dict(
        type='DFA', decoder=dict(type='ResNetDecoder'), alpha=0.1,
        beta=10.0))
