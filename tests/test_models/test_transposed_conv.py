"""The decoder's transposed convolution: torch's, computed another way on
the CPU for one output channel."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from dfa_lab.models.decoders.digit_decoder import transposed_conv2d


@pytest.mark.parametrize('out_channels', [1, 3])
@pytest.mark.parametrize('padding', [(0, 0), (2, 2)])
@pytest.mark.parametrize('memory_format',
                         [torch.contiguous_format, torch.channels_last])
def test_transposed_conv_is_torchs(out_channels, padding, memory_format):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(
        3, 4, 6, 7, generator=g, dtype=torch.double).contiguous(
            memory_format=memory_format).requires_grad_()
    weight = torch.randn(
        4, out_channels, 5, 5, generator=g,
        dtype=torch.double).requires_grad_()
    ours = transposed_conv2d(x, weight, padding)
    reference = F.conv_transpose2d(x, weight, padding=padding)
    assert ours.shape == reference.shape
    assert torch.allclose(ours, reference, rtol=1e-12, atol=1e-12)
    grad = torch.randn(reference.shape, generator=g, dtype=torch.double)
    ours_grads = torch.autograd.grad(ours, (x, weight), grad)
    reference_grads = torch.autograd.grad(reference, (x, weight), grad)
    for a, b in zip(ours_grads, reference_grads):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, b: transposed_conv2d(a, b, padding),
                     (x, weight))


def test_transposed_conv_under_bfloat16_autocast_is_torchs():
    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    weight = torch.randn(4, 1, 5, 5, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        ours = transposed_conv2d(x, weight, (0, 0))
        reference = F.conv_transpose2d(x, weight)
    assert ours.dtype == torch.bfloat16 and torch.equal(ours, reference)
    ours.float().sum().backward()
    assert weight.grad.dtype == torch.float32
