_base_ = [
    '../safn/safn_resnet50_image-clef.py',
    '../_base_/aligners/dfa_objects.py'
]
# DFA-SAFN (Algorithm 2).
model = dict(aligner=_base_.dfa_aligner)
