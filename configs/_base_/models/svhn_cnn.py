# MCD's network for 32x32 RGB digits (SVHN->MNIST).
model = dict(
    backbone=dict(type='DigitCNN', arch='svhn'),
    classifier=dict(
        type='MLPHead',
        hidden_channels=(3072, 2048),
        num_classes=10,
        hidden_dropout=(0.5, 0.0)),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
