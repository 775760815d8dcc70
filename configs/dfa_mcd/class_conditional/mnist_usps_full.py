_base_ = ['../../mcd/mnist_usps_full.py', '../../_base_/aligners/latent.py']
model = dict(aligner=_base_.class_conditional)
