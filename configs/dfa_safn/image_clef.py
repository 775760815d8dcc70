_base_ = ['../safn/image_clef.py', '../_base_/aligners/dfa_objects.py']
# DFA-SAFN (Algorithm 2).
model = dict(aligner=_base_.dfa_aligner)
