# Loaders and loops shared by every task: the training loader pairs a
# labelled source sample with an unlabelled target sample (two independent
# random orders, see UDAPairSampler); evaluation reads the labelled target
# test set. Each task file fills in the datasets and sets the training
# length, train_cfg.max_iters and train_cfg.val_interval, for every method.
# gathered_collate (dfa_lab's: mmengine looks collate functions up by scoped
# name) stacks samples as default_collate does and passes on the batches
# that in-memory digit sets with a `device` gather whole.
train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='UDAPairSampler', shuffle=True),
    collate_fn=dict(type='dfa_lab.gathered_collate'),
    dataset=dict(type='UDAPairDataset'))
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='dfa_lab.gathered_collate'))
test_dataloader = val_dataloader
# Target accuracy reads target labels (an oracle if used to pick
# checkpoints); the label-free criteria read only target predictions and can
# select checkpoints, e.g. default_hooks.checkpoint.save_best='label_free/snd'
# with rule='greater'.
val_evaluator = [
    dict(type='TargetAccuracy'),
    dict(type='TargetEntropy'),
    dict(type='InformationMaximization'),
    dict(type='SoftNeighborhoodDensity'),
]
test_evaluator = val_evaluator
train_cfg = dict(type='IterBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
