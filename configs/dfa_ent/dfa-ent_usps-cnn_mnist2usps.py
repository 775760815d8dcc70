_base_ = [
    '../ent/ent_usps-cnn_mnist2usps.py',
    '../_base_/aligners/dfa_digits.py'
]
model = dict(aligner=_base_.dfa_aligner)
