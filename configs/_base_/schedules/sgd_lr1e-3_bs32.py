# Objects (the paper's sec. 4): SGD, lr 1e-3, momentum 0.9, weight decay
# 5e-4, constant rate, batches of 32; the pretrained backbone learns at a
# tenth of the rate of the new layers (the authors' SAFN-based code instead
# gives the backbone the same rate without momentum).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = []
auto_scale_lr = dict(base_batch_size=32)
