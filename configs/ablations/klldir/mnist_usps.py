# Table 8, "L_klldir": beta * KL(N_t || N_s) between diagonal Gaussians
# fitted to the target and source latent batches, no prior, no decoder.
_base_ = ['../../ent/mnist_usps.py']
model = dict(aligner=dict(type='KLLDir', beta=10.0))
