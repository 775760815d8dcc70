# DFA-ENT's optimizer for SVHN->MNIST (the paper's sec. 4): the settings of
# sgd_lr2e-2_bs256.py with lr 0.1.
_base_ = ['./sgd_lr2e-2_bs256.py']
optim_wrapper = dict(optimizer=dict(lr=0.1))
