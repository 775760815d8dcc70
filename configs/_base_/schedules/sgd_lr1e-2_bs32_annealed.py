# DANN's and CDAN's optimizer on ResNet-50: SGD, momentum 0.9, lr0 0.01 for
# the new layers (classifier, discriminator, aligner) and a tenth of it for
# the ImageNet backbone, annealed as lr0 (1 + 10 p)^-0.75 with
# p = iter / max_iters (the DANN paper; the CDAN code's rates); weight decay
# 5e-4 and batches of 32 + 32, this project's object protocol. InvLR's end
# is set by the Runner to train_cfg.max_iters (by_epoch=False).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [dict(type='InvLR', gamma=10.0, power=0.75, by_epoch=False)]
auto_scale_lr = dict(base_batch_size=32)
