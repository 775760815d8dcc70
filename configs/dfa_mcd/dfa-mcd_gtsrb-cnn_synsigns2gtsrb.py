_base_ = [
    '../mcd/mcd_gtsrb-cnn_synsigns2gtsrb.py',
    '../_base_/aligners/dfa_digits.py'
]
model = dict(aligner=_base_.dfa_aligner)
