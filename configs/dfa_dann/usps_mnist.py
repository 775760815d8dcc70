_base_ = ['../dann/usps_mnist.py', '../_base_/aligners/dfa_digits.py']
model = dict(aligner=_base_.dfa_aligner)
