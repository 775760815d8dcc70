# MCD's LeNet-style digit network for 28x28 grey images (MNIST<->USPS).
# Leaf configs set the adapter: model = dict(type='MCD', ...).
model = dict(
    backbone=dict(type='DigitCNN', arch='usps'),
    classifier=dict(
        type='MLPHead',
        hidden_channels=(100, 100),
        num_classes=10,
        input_dropout=0.5,
        hidden_dropout=0.5),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
