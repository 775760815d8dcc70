_base_ = [
    '../_base_/models/resnet50.py', '../_base_/datasets/office_home.py',
    '../_base_/schedules/sgd_objects.py', '../_base_/default_runtime.py'
]
# SAFN with entropy minimisation on Office-Home (12 tasks, default Ar -> Cl).
# Choose the task with --domains SOURCE TARGET; the domains are listed in
# configs/_base_/datasets/office_home.py.
# Entropy weight 0.1 as in the authors' object code; feature norm:
# delta_r 1.0, kappa 0.05 (SAFN's settings).
model = dict(
    type='SAFN',
    classifier=dict(num_classes=65),
    loss_ent=dict(type='EntropyLoss', loss_weight=0.1),
    loss_feature_norm=dict(
        type='AdaptiveFeatureNormLoss', delta_r=1.0, loss_weight=0.05))
