# Loaders shared by every task: the training loader pairs a labelled source
# sample with an unlabelled target sample (two independent random orders,
# see UDAPairSampler); evaluation reads the labelled target test set.
# Task files fill in the datasets.
train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='UDAPairSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='UDAPairDataset'))
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
test_dataloader = val_dataloader
val_evaluator = dict(type='TargetAccuracy')
test_evaluator = val_evaluator
