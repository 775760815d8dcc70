_base_ = ['../mcd/office31.py', '../_base_/aligners/dfa_objects.py']
# DFA-MCD (Algorithm 1).
model = dict(aligner=_base_.dfa_aligner)
