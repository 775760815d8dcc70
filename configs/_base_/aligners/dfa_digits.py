# DFA on the digit networks: the backbone's tied decoder, alpha 0.01, beta 10
# (the paper's sec. 4). A leaf config sets model.aligner to it:
#   model = dict(aligner=_base_.dfa_aligner)
dfa_aligner = dict(type='DFA', alpha=0.01, beta=10.0)
