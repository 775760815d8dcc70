_base_ = [
    '../_base_/models/resnet50.py', '../_base_/datasets/image_clef.py',
    '../_base_/schedules/sgd_objects.py', '../_base_/default_runtime.py'
]
# SAFN with entropy minimisation on ImageCLEF-DA (6 tasks, default I -> P).
# Choose the task with --domains SOURCE TARGET; the domains are listed in
# configs/_base_/datasets/image_clef.py.
# Entropy weight 0.1 as in the authors' object code; feature norm:
# delta_r 1.0, kappa 0.05 (SAFN's settings).
model = dict(
    type='SAFN',
    classifier=dict(num_classes=12),
    loss_ent=dict(type='EntropyLoss', loss_weight=0.1),
    loss_feature_norm=dict(
        type='AdaptiveFeatureNormLoss', delta_r=1.0, loss_weight=0.05))
