# DFA on the digit networks: the backbone's tied decoder, alpha 0.01, beta 10
# (the paper's sec. 4). A leaf config sets model.aligner to one of these:
#   model = dict(aligner=_base_.dfa_aligner)
dfa_aligner = dict(type='DFA', alpha=0.01, beta=10.0)
# The decoder of the authors' DFA-ENT (usps and svhn networks) and of their
# USPS->MNIST DFA-MCD: an untied residual block on both latents before
# unpooling (docs/method.md, "Where the authors' released code differs").
dfa_aligner_residual = dict(dfa_aligner, decoder=dict(residual_block=True))
