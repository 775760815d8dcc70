# Table 8, "L_daldir": beta * mean |D(G(x_t)) - D(G(x_s))| through the tied
# decoder, no prior and no L_kld.
_base_ = ['../../ent/mnist_usps.py']
model = dict(aligner=dict(type='DALDir', beta=10.0))
