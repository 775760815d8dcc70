# USPS -> MNIST, the 1,800 / 2,000 protocol, 28x28 grey, test on MNIST test:
# MNIST->USPS's datasets (and its data_root, framing and device) with the
# roles swapped.
_base_ = ['./mnist_usps.py']
source_train = _base_.target_train
target_train = _base_.source_train
target_test = dict(_base_.source_train, split='test', subset_size=None)
train_dataloader = dict(
    dataset=dict(
        source=dict(_delete_=True, **source_train),
        target=dict(_delete_=True, **target_train)))
val_dataloader = dict(dataset=dict(_delete_=True, **target_test))
test_dataloader = dict(dataset=dict(_delete_=True, **target_test))
