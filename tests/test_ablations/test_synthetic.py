"""The synthetic 2-D study of Fig. 4: domains, the registered MLP encoder
and tied decoder, training with the DFA aligner, the tool."""
import pytest
import torch
from PIL import Image

from dfa_lab.registry import MODELS
from .helpers import load_tool

tool = load_tool('synthetic_alignment')


def test_domains():
    for case in tool.CASES:
        source, target = tool.make_domains(case, num_samples=500, seed=0)
        assert source.shape == target.shape == (500, 2)
        assert source.dtype == torch.float32
    source, target = tool.make_domains('blobs')
    assert torch.allclose(source.mean(0), torch.tensor([11.0, 11.0]), atol=0.2)
    assert torch.allclose(target.mean(0), torch.tensor([9.0, 9.0]), atol=0.2)
    source, target = tool.make_domains('same-mean')
    assert torch.allclose(source.mean(0), target.mean(0), atol=0.3)
    source, target = tool.make_domains('same-covariance')
    assert torch.allclose(torch.cov(source.T), torch.cov(target.T), atol=0.2)
    with pytest.raises(ValueError, match='case'):
        tool.make_domains('circles')


def test_decoder_is_tied_to_the_encoder():
    encoder = MODELS.build(dict(type='MLPEncoder'))
    dfa = MODELS.build(dict(type='DFA'), default_args=dict(backbone=encoder))
    decoder = dfa.decoder
    assert type(decoder).__name__ == 'MLPDecoder'
    # Own parameters: three biases (128, 56, 2) and one BatchNorm.
    shapes = {n: tuple(p.shape) for n, p in decoder.named_parameters()}
    assert shapes == {
        'biases.0': (128, ),
        'biases.1': (56, ),
        'biases.2': (2, ),
        'bn.weight': (128, ),
        'bn.bias': (128, )
    }
    assert [w.shape for w in decoder.transposed_weights()
            ] == [fc.weight.shape for fc in reversed(encoder.fcs)]
    encoded = encoder(torch.rand(8, 2) + 1)
    decoded = decoder(encoded.latent, encoded)
    assert decoded.shape == (8, 2) and (decoded >= 0).all()
    decoded.sum().backward()
    # D's layers are G's weight tensors, transposed: the gradient of the
    # decoded points reaches every encoder layer.
    assert all(fc.weight.grad is not None and fc.weight.grad.abs().sum() > 0
               for fc in encoder.fcs)
    with pytest.raises(ValueError, match=r'\(B, 2\)'):
        encoder(torch.rand(8, 3))


def test_train_alignment_records_before_and_after():
    source, target = tool.make_domains('moons', num_samples=40)
    result = tool.train_alignment(source, target, iters=3, reference='source')
    assert len(result.losses) == 3
    assert set(result.decoded) == {'before', 'after'}
    assert {
        'source-target', 'source-decoded/before', 'source-decoded/after',
        'prior-decoded/before', 'prior-decoded/after'
    } == set(result.distances)
    with pytest.raises(ValueError, match='reference'):
        tool.train_alignment(source, target, iters=1, reference='both')
    with pytest.raises(ValueError, match='equal sizes'):
        tool.train_alignment(source, target[:10], iters=1, reference='source')


def test_the_aligner_options_reach_the_trained_aligner():
    source, target = tool.make_domains('blobs', num_samples=30)
    paper = tool.train_alignment(source, target, iters=2)
    energy = tool.train_alignment(
        source,
        target,
        iters=2,
        aligner={
            'decoder.bn_affine': False,
            'decoder.shared_bn_statistics': True,
            'loss_dal.type': 'EnergyDistanceLoss'
        })
    # Same initialisation (non-affine BatchNorms start as the affine ones
    # do), different objective.
    assert paper.distances['source-decoded/before'] == \
        energy.distances['source-decoded/before']
    assert paper.losses[0] != energy.losses[0]


def test_tool_writes_pngs_and_table(tmp_path, capsys):
    out = tmp_path / 'synthetic'
    assert tool.main([
        '--out-dir',
        str(out), '--cases', 'moons', 'blobs', '--iters', '2', '--num-samples',
        '60', '--aligner', 'loss_dal.type=EnergyDistanceLoss', '--name',
        'energy'
    ]) == 0
    for case in ('moons', 'blobs'):
        path = out / f'{case}_energy.png'
        with Image.open(path) as image:
            assert image.format == 'PNG' and min(image.size) > 100
    printed = capsys.readouterr().out
    assert '| case | source vs target |' in printed
    assert 'loss_dal.type=EnergyDistanceLoss' in printed
    assert printed.count('| moons |') == printed.count('| blobs |') == 1
