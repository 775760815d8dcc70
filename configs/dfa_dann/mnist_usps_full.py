_base_ = ['../dann/mnist_usps_full.py', '../_base_/aligners/dfa_digits.py']
model = dict(aligner=_base_.dfa_aligner)
