_base_ = [
    '../mcd/mcd_usps-cnn_mnist2usps_full.py',
    '../_base_/aligners/dfa_digits.py'
]
model = dict(aligner=_base_.dfa_aligner)
