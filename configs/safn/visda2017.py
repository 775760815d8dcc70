_base_ = ['../ent/visda2017.py']
# SAFN with entropy minimisation on VisDA-2017 (synthetic -> real).
# Feature norm: delta_r 1.0, kappa 0.05 (SAFN's settings).
model = dict(
    type='SAFN',
    loss_feature_norm=dict(
        type='AdaptiveFeatureNormLoss', delta_r=1.0, loss_weight=0.05))
