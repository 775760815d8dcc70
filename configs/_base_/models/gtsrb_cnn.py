# MCD's network for 40x40 RGB traffic signs (SynSigns->GTSRB, 43 classes).
model = dict(
    backbone=dict(type='DigitCNN', arch='gtsrb'),
    classifier=dict(type='MLPHead', hidden_channels=(512, ), num_classes=43),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
