_base_ = ['../dann/mnist_usps_full.py']
# CDAN+E: DANN's update with the discriminator on the randomized multilinear
# map of latent and class probabilities, entropy-weighted.
model = dict(type='CDAN', entropy_conditioning=True)
