_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/models/domain_discriminator.py',
    '../_base_/datasets/image_clef.py',
    '../_base_/schedules/sgd_lr1e-2_bs32_annealed.py',
    '../_base_/default_runtime.py',
]
# DANN on ImageCLEF-DA (6 tasks, default I -> P): the discriminator reads the
# backbone's 2048-d latent. Trade-off 1 (model.loss_domain.loss_weight), as in
# DANN and CDAN.
# Choose the task with --domains SOURCE TARGET; the domains are listed in
# configs/_base_/datasets/image_clef.py.
model = dict(
    type='DANN',
    classifier=dict(num_classes=12),
    discriminator=_base_.object_discriminator,
    loss_domain=dict(type='DomainAdversarialLoss', loss_weight=1.0))
