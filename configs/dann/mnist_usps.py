_base_ = [
    '../_base_/models/usps_cnn.py',
    '../_base_/models/domain_discriminator.py',
    '../_base_/datasets/mnist_usps.py',
    '../_base_/schedules/sgd_lr1e-2_bs128_annealed.py',
    '../_base_/default_runtime.py',
]
# Trade-off 1 (model.loss_domain.loss_weight), as in DANN and CDAN.
model = dict(
    type='DANN',
    discriminator=_base_.digit_discriminator,
    loss_domain=dict(type='DomainAdversarialLoss', loss_weight=1.0))
