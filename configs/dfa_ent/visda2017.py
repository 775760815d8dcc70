_base_ = ['../ent/visda2017.py', '../_base_/aligners/dfa_objects.py']
# DFA-ENT (eq. 20) on VisDA-2017 (synthetic -> real).
model = dict(aligner=_base_.dfa_aligner)
