_base_ = ['../ent/office_home.py', '../_base_/aligners/dfa_objects.py']
# DFA-ENT (eq. 20) on Office-Home (12 tasks, default Ar -> Cl).
model = dict(aligner=_base_.dfa_aligner)
