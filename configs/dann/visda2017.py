_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/models/domain_discriminator.py',
    '../_base_/datasets/visda2017.py',
    '../_base_/schedules/sgd_lr1e-2_bs32_annealed.py',
    '../_base_/default_runtime.py',
]
# DANN on VisDA-2017 (synthetic -> real): the discriminator reads the
# backbone's 2048-d latent. Trade-off 1 (model.loss_domain.loss_weight), as in
# DANN and CDAN.
model = dict(
    type='DANN',
    classifier=dict(num_classes=12),
    discriminator=_base_.object_discriminator,
    loss_domain=dict(type='DomainAdversarialLoss', loss_weight=1.0))
