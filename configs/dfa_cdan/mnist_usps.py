_base_ = ['../cdan/mnist_usps.py', '../_base_/aligners/dfa_digits.py']
model = dict(aligner=_base_.dfa_aligner)
