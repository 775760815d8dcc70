_base_ = ['../mnist_usps_full.py', '../../_base_/aligners/dfa_variants.py']
model = dict(aligner=_base_.two_sided)
