_base_ = ['../ent/image_clef.py']
# SAFN with entropy minimisation on ImageCLEF-DA (6 tasks, default I -> P).
# Feature norm: delta_r 1.0, kappa 0.05 (SAFN's settings).
model = dict(
    type='SAFN',
    loss_feature_norm=dict(
        type='AdaptiveFeatureNormLoss', delta_r=1.0, loss_weight=0.05))
