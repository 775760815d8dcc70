# MNIST -> USPS, the 2,000 / 1,800 protocol (the paper's sec. 4), 28x28 grey.
# USPS digits fill their 16x16 frame; content_size=20 resizes them to 20x20
# and pads to 28x28, MNIST's own framing. Set content_size=None on the USPS
# sets for a plain 16->28 resize.
_base_ = ['./uda_loaders.py']
# The folder holding every dataset, read from <data_root>/mnist and
# <data_root>/usps; tools/train.py --data-root sets it.
# device='auto': the images live on the GPU when there is one, and batches
# are gathered there.
data_root = 'data'
usps_content_size = 20
source_train = dict(
    type='MNIST',
    data_root=data_root,
    split='train',
    subset_size=2000,
    image_size=28,
    channels=1,
    device='auto')
target_train = dict(
    type='USPS',
    data_root=data_root,
    split='train',
    subset_size=1800,
    image_size=28,
    channels=1,
    device='auto',
    content_size=usps_content_size)
target_test = dict(
    type='USPS',
    data_root=data_root,
    split='test',
    image_size=28,
    channels=1,
    device='auto',
    content_size=usps_content_size)
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_test)
test_dataloader = dict(dataset=target_test)
train_cfg = dict(max_iters=3000, val_interval=500)
