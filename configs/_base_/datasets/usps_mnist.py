# USPS -> MNIST, the 1,800 / 2,000 protocol, 28x28 grey, test on MNIST test.
_base_ = ['./uda_loaders.py']
# The folder holding every dataset, read from <data_root>/usps and
# <data_root>/mnist; tools/train.py --data-root sets it.
# device='auto': the images live on the GPU when there is one, and batches
# are gathered there.
data_root = 'data'
usps_content_size = 20
source_train = dict(
    type='USPS',
    data_root=data_root,
    split='train',
    subset_size=1800,
    image_size=28,
    channels=1,
    device='auto',
    content_size=usps_content_size)
target_train = dict(
    type='MNIST',
    data_root=data_root,
    split='train',
    subset_size=2000,
    image_size=28,
    channels=1,
    device='auto')
target_test = dict(
    type='MNIST',
    data_root=data_root,
    split='test',
    image_size=28,
    channels=1,
    device='auto')
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_test)
test_dataloader = dict(dataset=target_test)
train_cfg = dict(max_iters=3000, val_interval=500)
