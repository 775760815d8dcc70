"""TimmResNet and its weight-tied inverse, ResNetDecoder (Table 9)."""
import copy

import pytest
import timm
import torch

from dfa_lab.registry import MODELS


@pytest.fixture(scope='module')
def resnet():
    torch.manual_seed(0)
    return MODELS.build(dict(type='TimmResNet')).eval()


def decoder_of(encoder, tied=True):
    return MODELS.build(
        dict(type='ResNetDecoder', tied=tied),
        default_args=dict(encoder=encoder))


def tied_convs(encoder):
    """The encoder convolutions in the order the decoder transposes them."""
    convs = []
    for block in reversed(encoder.blocks):
        convs += [block.conv3, block.conv2, block.conv1]
        if block.downsample is not None:
            convs.append(block.downsample[0])
    return convs + [encoder.conv1]


def test_backbone_output_and_timm_equivalence(resnet):
    x = torch.randn(2, 3, 64, 64)
    encoded = resnet(x)
    assert encoded.latent.shape == (2, 2048) and resnet.latent_dim == 2048
    assert encoded.pool_input_shapes == (torch.Size([2, 64, 32, 32]), )
    assert encoded.pool_indices[0].shape == (2, 64, 16, 16)
    assert tuple(encoded.inputs.shape[-2:]) == (64, 64)
    # The stem run here computes timm's own function.
    reference = timm.create_model('resnet50.tv_in1k', num_classes=0)
    reference.load_state_dict(resnet.state_dict())
    assert torch.allclose(encoded.latent, reference.eval()(x), atol=1e-4)


@pytest.mark.parametrize('size,tied', [(64, True), (96, True), (64, False)])
def test_decoder_output_has_input_shape(resnet, size, tied):
    decoder = decoder_of(resnet, tied)
    x = torch.randn(2, 3, size, size)
    encoded = resnet(x)
    assert decoder(encoded.latent, encoded).shape == x.shape
    decoded_prior = decoder(torch.randn(2, 2048), encoded)
    assert decoded_prior.shape == x.shape
    assert (decoded_prior >= 0).all()  # ReLU at the output


def test_tied_decoder_uses_encoder_weight_tensors(resnet):
    decoder = decoder_of(resnet, tied=True)
    weights = decoder.transposed_weights()
    convs = tied_convs(resnet)
    assert len(weights) == len(convs) == 3 * 16 + 4 + 1
    assert all(w is c.weight for w, c in zip(weights, convs))
    # It owns BatchNorms only: no convolution weight of its own.
    own = dict(decoder.named_parameters())
    assert own and all('.bn.' in name for name in own)
    assert not {id(p)
                for p in resnet.parameters()
                } & {id(p)
                     for p in decoder.parameters()}


def test_untied_decoder_owns_its_weights(resnet):
    decoder = decoder_of(resnet, tied=False)
    weights = decoder.transposed_weights()
    convs = tied_convs(resnet)
    assert all(w is not c.weight and w.shape == c.weight.shape
               for w, c in zip(weights, convs))
    assert {id(w) for w in weights} <= {id(p) for p in decoder.parameters()}


@pytest.mark.parametrize('tied', [True, False])
def test_dal_gradient_reaches_backbone_convolutions(tied):
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='TimmResNet'))
    dfa = MODELS.build(
        dict(type='DFA', decoder=dict(type='ResNetDecoder', tied=tied)),
        default_args=dict(backbone=encoder))
    # Without a graph from the encoder pass, the only way back to the
    # encoder's weights is through the tied transposed convolutions.
    with torch.no_grad():
        encoded = encoder(torch.randn(2, 3, 64, 64))
    dfa(encoded, 'target')['loss_dal'].backward()
    for conv in (encoder.conv1, encoder.layer4[2].conv3,
                 encoder.layer4[0].downsample[0]):
        if tied:
            assert conv.weight.grad is not None
            assert conv.weight.grad.abs().sum() > 0
        else:
            assert conv.weight.grad is None
    assert all(p.grad is not None for p in dfa.decoder.parameters())


def test_decoder_rejects_bad_inputs(resnet):
    decoder = decoder_of(resnet)
    encoded = resnet(torch.randn(2, 3, 64, 64))
    with pytest.raises(ValueError, match='pooling indices'):
        decoder(torch.randn(3, 2048), encoded)
    with pytest.raises(ValueError, match='EncoderOutput.inputs'):
        decoder(encoded.latent, encoded._replace(inputs=None))
    with pytest.raises(TypeError, match='TimmResNet'):
        decoder_of(MODELS.build(dict(type='DigitCNN')))


def test_checkpoint_loading(resnet, tmp_path):
    state = {f'module.{k}': v for k, v in resnet.state_dict().items()}
    state['module.fc.weight'] = torch.zeros(1000, 2048)  # a classifier
    path = tmp_path / 'resnet.pth'
    torch.save({'state_dict': state}, path)
    loaded = MODELS.build(dict(type='TimmResNet', checkpoint=str(path)))
    # The Runner initialises the model after building it: weights stay.
    loaded.init_weights()
    for key, value in resnet.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key

    # A whole dfa_lab model contributes its backbone.
    whole = {f'backbone.{k}': v for k, v in resnet.state_dict().items()}
    whole['classifiers.F.fc.weight'] = torch.zeros(3, 8)
    torch.save(whole, path)
    MODELS.build(dict(type='TimmResNet', checkpoint=str(path)))

    missing = tmp_path / 'absent.pth'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        MODELS.build(dict(type='TimmResNet', checkpoint=str(missing)))
    bad = dict(resnet.state_dict())
    bad['conv1.weight'] = torch.zeros(64, 3, 3, 3)
    bad['head.weight'] = torch.zeros(1)
    del bad['layer4.2.conv3.weight']
    torch.save(bad, path)
    with pytest.raises(ValueError) as error:
        MODELS.build(dict(type='TimmResNet', checkpoint=str(path)))
    for text in ('1 missing keys', 'layer4.2.conv3.weight',
                 '1 unexpected keys', 'head.weight', '1 shape mismatches',
                 'conv1.weight: checkpoint (64, 3, 3, 3), '
                 'model (64, 3, 7, 7)'):
        assert text in str(error.value)
    with pytest.raises(ValueError, match='not both'):
        MODELS.build(
            dict(type='TimmResNet', pretrained=True, checkpoint=str(path)))


def test_one_pass_decoding_equals_two_passes():
    torch.manual_seed(0)
    encoder = MODELS.build(dict(type='TimmResNet'))
    decoder = decoder_of(encoder)
    twin = copy.deepcopy(decoder)
    encoded = encoder(torch.randn(2, 3, 64, 64))
    latent = encoded.latent.detach().requires_grad_()
    prior = torch.randn_like(latent)
    one = decoder(torch.cat([latent, prior]), encoded, branches=2)
    one.sum().backward()
    grad_one = latent.grad.clone()
    latent.grad = None
    two = torch.cat([twin(latent, encoded), twin(prior, encoded)])
    two.sum().backward()
    assert torch.allclose(one, two, atol=1e-4)
    assert torch.allclose(grad_one, latent.grad, atol=1e-4, rtol=1e-3)
    for a, b in zip(decoder.parameters(), twin.parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-3, rtol=1e-3)
