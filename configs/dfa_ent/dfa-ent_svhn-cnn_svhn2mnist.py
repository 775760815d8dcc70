_base_ = [
    '../ent/ent_svhn-cnn_svhn2mnist.py',
    '../_base_/aligners/dfa_digits.py'
]
model = dict(aligner=_base_.dfa_aligner)
