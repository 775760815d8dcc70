"""The synthetic 2-D study of Fig. 4: domains, networks, distance, tool."""
import pytest
import torch
from PIL import Image

from dfa_lab.synthetic import (CASES, MLPEncoder, TiedMLPDecoder,
                               energy_distance, make_domains, train_alignment)
from .helpers import load_tool


def test_domains():
    for case in CASES:
        source, target = make_domains(case, num_samples=500, seed=0)
        assert source.shape == target.shape == (500, 2)
        assert source.dtype == torch.float32
    source, target = make_domains('blobs')
    assert torch.allclose(source.mean(0), torch.tensor([11.0, 11.0]),
                          atol=0.2)
    assert torch.allclose(target.mean(0), torch.tensor([9.0, 9.0]), atol=0.2)
    source, target = make_domains('same-mean')
    assert torch.allclose(source.mean(0), target.mean(0), atol=0.3)
    source, target = make_domains('same-covariance')
    assert torch.allclose(torch.cov(source.T), torch.cov(target.T), atol=0.2)
    with pytest.raises(ValueError, match='case'):
        make_domains('circles')


def test_decoder_is_tied_to_the_encoder():
    encoder = MLPEncoder()
    decoder = TiedMLPDecoder(encoder)
    # Own parameters: three biases (128, 56, 2) and one BatchNorm.
    shapes = {n: tuple(p.shape) for n, p in decoder.named_parameters()}
    assert shapes == {'biases.0': (128, ), 'biases.1': (56, ),
                      'biases.2': (2, ), 'bn.weight': (128, ),
                      'bn.bias': (128, )}
    decoded = decoder(encoder(torch.rand(8, 2) + 1))
    assert decoded.shape == (8, 2) and (decoded >= 0).all()
    decoded.sum().backward()
    # D's layers are G's weight tensors, transposed: the gradient of the
    # decoded points reaches every encoder layer.
    assert all(fc.weight.grad is not None and fc.weight.grad.abs().sum() > 0
               for fc in encoder.fcs)


def test_energy_distance():
    x = torch.tensor([[0.0, 0.0]])
    y = torch.tensor([[3.0, 4.0]])
    # 2 |x - y| - |x - x| - |y - y| = 2 * 5.
    assert energy_distance(x, y) == pytest.approx(10.0)
    points = torch.randn(50, 2)
    assert energy_distance(points, points) == pytest.approx(0.0, abs=1e-9)
    pair = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    shifted = pair + torch.tensor([2.0, 0.0])
    # Cross distances 2, 4, 0, 2 (mean 2); within each set 0, 2, 2, 0
    # (mean 1): 2 * 2 - 1 - 1.
    assert energy_distance(pair, shifted) == pytest.approx(2.0)


def test_train_alignment_records_before_and_after():
    source, target = make_domains('moons', num_samples=40)
    result = train_alignment(source, target, iters=3, reference='source')
    assert len(result.losses) == 3
    assert set(result.decoded) == {'before', 'after'}
    assert {'source-target', 'source-decoded/before', 'source-decoded/after',
            'prior-decoded/before', 'prior-decoded/after'} == set(
                result.distances)
    with pytest.raises(ValueError, match='reference'):
        train_alignment(source, target, iters=1, reference='both')
    with pytest.raises(ValueError, match='equal sizes'):
        train_alignment(source, target[:10], iters=1, reference='source')


def test_tool_writes_pngs_and_table(tmp_path, capsys):
    tool = load_tool('synthetic_alignment')
    out = tmp_path / 'synthetic'
    assert tool.main(['--out-dir', str(out), '--cases', 'moons', 'blobs',
                      '--iters', '2', '--num-samples', '60']) == 0
    for case in ('moons', 'blobs'):
        path = out / f'{case}_prior.png'
        assert path.stat().st_size > 0
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == 'PNG' and min(image.size) > 100
    printed = capsys.readouterr().out
    assert '| case | source vs target |' in printed
    assert printed.count('| moons |') == printed.count('| blobs |') == 1
