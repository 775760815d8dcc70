# DFA-ENT's digit optimizer (the paper's sec. 4): SGD, momentum 0.9, weight
# decay 5e-4, lr 0.02, batches of 256.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
param_scheduler = []
auto_scale_lr = dict(base_batch_size=256)
