# SVHN -> MNIST: all SVHN training digits to all MNIST training digits,
# 32x32 RGB (MNIST made 3-channel), test on the MNIST test set.
_base_ = ['./uda_loaders.py']
# The folder holding every dataset, read from <data_root>/svhn and
# <data_root>/mnist; tools/train.py --data-root sets it.
# device='auto': the images live on the GPU when there is one, and batches
# are gathered there.
data_root = 'data'
source_train = dict(
    type='SVHN',
    data_root=data_root,
    split='train',
    image_size=32,
    channels=3,
    device='auto')
target_train = dict(
    type='MNIST',
    data_root=data_root,
    split='train',
    image_size=32,
    channels=3,
    device='auto')
target_test = dict(
    type='MNIST',
    data_root=data_root,
    split='test',
    image_size=32,
    channels=3,
    device='auto')
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_test)
test_dataloader = dict(dataset=target_test)
train_cfg = dict(max_iters=20000, val_interval=2000)
