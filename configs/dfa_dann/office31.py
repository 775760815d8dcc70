_base_ = ['../dann/office31.py', '../_base_/aligners/dfa_objects.py']
model = dict(aligner=_base_.dfa_aligner)
