# Table 8, "DFA with an untied decoder": the decoder's transposed
# convolutions have weights of their own instead of the encoder's.
_base_ = ['../../dfa_ent/mnist_usps.py']
model = dict(aligner=dict(decoder=dict(tied=False)))
