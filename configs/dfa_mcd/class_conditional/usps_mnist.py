_base_ = ['../../mcd/usps_mnist.py', '../../_base_/aligners/latent.py']
model = dict(aligner=_base_.class_conditional)
