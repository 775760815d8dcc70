import pytest
import torch

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


@pytest.mark.parametrize('arch,channels,size,latent', [
    ('usps', 1, 28, (48, 4, 4)),
    ('svhn', 3, 32, (128, 8, 8)),
    ('gtsrb', 3, 40, (256, 5, 5)),
])
def test_digit_cnn_shapes(arch, channels, size, latent):
    net = MODELS.build(dict(type='DigitCNN', arch=arch))
    out = net(torch.randn(2, channels, size, size))
    assert isinstance(out, EncoderOutput)
    assert tuple(out.latent.shape) == (2, ) + latent
    assert net.latent_shape == latent
    assert net.latent_dim == out.flat.shape[1]
    n_pools = sum(stage.pool is not None for stage in net.stages)
    assert len(out.pool_indices) == len(out.pool_input_shapes) == n_pools
    for idx in out.pool_indices:
        assert idx.dtype == torch.int64


def test_digit_cnn_bad_input():
    with pytest.raises(ValueError, match='arch'):
        MODELS.build(dict(type='DigitCNN', arch='lenet'))
    net = MODELS.build(dict(type='DigitCNN', arch='usps'))
    with pytest.raises(ValueError, match=r'\(B, 1, 28, 28\)'):
        net(torch.randn(2, 3, 28, 28))


def test_mlp_head_layers():
    head = MODELS.build(
        dict(
            type='MLPHead',
            in_channels=768,
            hidden_channels=(100, 100),
            num_classes=10,
            input_dropout=0.5,
            hidden_dropout=0.5))
    kinds = [type(m).__name__ for m in head.layers]
    assert kinds == [
        'Dropout', 'Linear', 'BatchNorm1d', 'ReLU', 'Dropout', 'Linear',
        'BatchNorm1d', 'ReLU', 'Dropout', 'Linear'
    ]
    assert head(torch.randn(3, 768)).shape == (3, 10)
    svhn = MODELS.build(
        dict(
            type='MLPHead',
            in_channels=8192,
            hidden_channels=(3072, 2048),
            num_classes=10,
            hidden_dropout=(0.5, 0.0)))
    assert [type(m).__name__ for m in svhn.layers].count('Dropout') == 1
    with pytest.raises(ValueError, match='hidden_dropout'):
        MODELS.build(
            dict(
                type='MLPHead',
                in_channels=4,
                hidden_channels=(3, ),
                num_classes=2,
                hidden_dropout=(0.1, 0.2)))
