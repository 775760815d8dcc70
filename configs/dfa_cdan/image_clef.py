_base_ = ['../cdan/image_clef.py', '../_base_/aligners/dfa_objects.py']
model = dict(aligner=_base_.dfa_aligner)
