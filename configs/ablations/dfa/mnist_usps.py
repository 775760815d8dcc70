# Table 8, "L_kld + L_dal": DFA-ENT itself (alpha 0.01, beta 10), under the
# ablation's method name so that the Table-8 report lists it.
_base_ = ['../../dfa_ent/mnist_usps.py']
