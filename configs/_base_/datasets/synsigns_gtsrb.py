# SynSigns -> GTSRB: 100,000 synthetic signs to the GTSRB training set,
# 40x40 RGB, 43 classes, test on the GTSRB test set.
_base_ = ['./uda_loaders.py']
# The folder holding every dataset, read from <data_root>/synsigns and
# <data_root>/gtsrb; tools/train.py --data-root sets it.
data_root = 'data'
source_train = dict(
    type='SynSigns', data_root=data_root, image_size=40, channels=3)
target_train = dict(
    type='GTSRB',
    data_root=data_root,
    split='train',
    image_size=40,
    channels=3)
target_test = dict(
    type='GTSRB', data_root=data_root, split='test', image_size=40, channels=3)
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_test)
test_dataloader = dict(dataset=target_test)
train_cfg = dict(max_iters=20000, val_interval=2000)
