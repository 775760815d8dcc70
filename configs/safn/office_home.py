_base_ = ['../ent/office_home.py']
# SAFN with entropy minimisation on Office-Home (12 tasks, default Ar -> Cl).
# Feature norm: delta_r 1.0, kappa 0.05 (SAFN's settings).
model = dict(
    type='SAFN',
    loss_feature_norm=dict(
        type='AdaptiveFeatureNormLoss', delta_r=1.0, loss_weight=0.05))
