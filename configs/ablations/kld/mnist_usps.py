# Table 8, "L_kld alone": alpha * L_kld on the source, no target term.
_base_ = ['../../ent/mnist_usps.py']
model = dict(
    aligner=dict(type='PriorKLAligner', alpha=0.01, kl_mode='softmax'))
