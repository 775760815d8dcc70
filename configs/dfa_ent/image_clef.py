_base_ = ['../ent/image_clef.py', '../_base_/aligners/dfa_objects.py']
# DFA-ENT (eq. 20) on ImageCLEF-DA (6 tasks, default I -> P).
model = dict(aligner=_base_.dfa_aligner)
