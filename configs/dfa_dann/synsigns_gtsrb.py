_base_ = ['../dann/synsigns_gtsrb.py', '../_base_/aligners/dfa_digits.py']
model = dict(aligner=_base_.dfa_aligner)
