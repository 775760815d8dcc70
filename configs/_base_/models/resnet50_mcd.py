# ResNet-50 fine-tuned from ImageNet with MCD's ResNet classifiers (its
# VisDA code, two layers): Dropout(0.5), Linear(2048, 1000), BN, ReLU,
# Dropout(0.5), Linear(1000, 1000), BN, ReLU, Linear(1000, classes).
# Leaf configs set the adapter and classifier.num_classes.
model = dict(
    backbone=dict(
        type='TimmResNet', model_name='resnet50.tv_in1k', pretrained=True),
    classifier=dict(
        type='MLPHead',
        hidden_channels=(1000, 1000),
        input_dropout=0.5,
        hidden_dropout=(0.5, 0.0)),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
