_base_ = ['../cdan/office_home.py', '../_base_/aligners/dfa_objects.py']
model = dict(aligner=_base_.dfa_aligner)
