_base_ = ['../dann/visda2017.py', '../_base_/aligners/dfa_objects.py']
model = dict(aligner=_base_.dfa_aligner)
