# MNIST -> USPS with all training digits of both domains (the paper's "*"
# protocol): every digit of the MNIST and USPS training sets found under
# data_root is used.
_base_ = ['./mnist_usps.py']
train_dataloader = dict(
    dataset=dict(source=dict(subset_size=None), target=dict(subset_size=None)))
train_cfg = dict(max_iters=10000, val_interval=1000)
