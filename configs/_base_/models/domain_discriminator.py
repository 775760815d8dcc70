# The domain discriminators of DANN and CDAN: (Linear, ReLU, Dropout 0.5)
# twice, then one logit (sigmoid and binary cross-entropy in the loss).
# Objects: 1024 hidden units, the DANN and CDAN networks on ResNet-50
# features. Digits: 500, the width of the CDAN code's digit discriminator,
# whose LeNet latent has 500 values (DigitCNN 'usps': 768, 'svhn': 8192,
# 'gtsrb': 6400).
# A leaf config sets model.discriminator to one of these:
#   model = dict(type='DANN', discriminator=_base_.digit_discriminator)
digit_discriminator = dict(
    type='DomainDiscriminator', hidden_channels=(500, 500), dropout=0.5)
object_discriminator = dict(
    type='DomainDiscriminator', hidden_channels=(1024, 1024), dropout=0.5)
