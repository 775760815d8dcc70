_base_ = [
    '../mcd/mcd_usps-cnn_syndigits2ucidigits.py',
    '../_base_/aligners/dfa_digits.py'
]
model = dict(aligner=_base_.dfa_aligner)
