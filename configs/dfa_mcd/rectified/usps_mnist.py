_base_ = ['../usps_mnist.py', '../../_base_/aligners/dfa_variants.py']
model = dict(aligner=_base_.rectified)
