_base_ = ['../dann/syndigits_ucidigits.py', '../_base_/aligners/dfa_digits.py']
model = dict(aligner=_base_.dfa_aligner)
