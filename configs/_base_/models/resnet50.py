# ResNet-50 fine-tuned from ImageNet (torchvision's weights, as the authors
# use) with SAFN's bottleneck classifier: Linear(2048, 1000), BN, ReLU,
# Dropout(0.5) -> h, then Linear(1000, classes) (the paper's sec. 4).
# Leaf configs set the adapter and classifier.num_classes.
# rescale_dropout: the AFN / DFA code scales h by sqrt(1 - p) in training.
model = dict(
    backbone=dict(
        type='TimmResNet', model_name='resnet50.tv_in1k', pretrained=True),
    classifier=dict(
        type='SAFNHead',
        embed_channels=1000,
        dropout=0.5,
        rescale_dropout=True),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
