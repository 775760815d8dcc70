_base_ = ['../safn/office31.py', '../_base_/aligners/dfa_objects.py']
# DFA-SAFN (Algorithm 2).
model = dict(aligner=_base_.dfa_aligner)
