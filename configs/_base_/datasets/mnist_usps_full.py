# MNIST -> USPS with all training digits of both domains (the paper's "*"
# protocol). Note: the shared data folder holds 10,000 of MNIST's 60,000
# training digits; all of them are used.
_base_ = ['./mnist_usps.py']
train_dataloader = dict(
    dataset=dict(
        source=dict(subset_size=None), target=dict(subset_size=None)))
