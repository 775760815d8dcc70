_base_ = ['../ent/office31.py', '../_base_/aligners/dfa_objects.py']
# DFA-ENT (eq. 20) on Office-31 (6 tasks, default A -> W).
model = dict(aligner=_base_.dfa_aligner)
