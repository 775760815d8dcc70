_base_ = ['../../ent/mnist_usps.py', '../../_base_/aligners/latent.py']
model = dict(aligner=_base_.class_conditional)
