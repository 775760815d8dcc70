# DANN's and CDAN's optimizer on the digit networks: SGD, momentum 0.9,
# lr0 0.01 annealed as lr0 (1 + 10 p)^-0.75 with p = iter / max_iters (the
# DANN paper's mu_0, alpha and beta); weight decay 5e-4 and batches of 128
# source and 128 target digits, this project's MCD digit protocol. InvLR's
# end is set by the Runner to train_cfg.max_iters (by_epoch=False), so the
# rate reaches lr0 * 11^-0.75 at the end of any training length.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='InvLR', gamma=10.0, power=0.75, by_epoch=False)]
auto_scale_lr = dict(base_batch_size=128)
