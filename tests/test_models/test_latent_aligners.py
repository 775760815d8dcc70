"""The latent aligners (direct alignment, class-conditional guidance), DFA's
rectified prior and two-sided guidance, and the latent scale every aligner
logs: values and gradients against the formulas written out here."""
import math

import pytest
import torch

from dfa_lab.models.losses import energy_distance, gaussian_mmd
from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


def digit_encoder():
    torch.manual_seed(0)
    return MODELS.build(dict(type='DigitCNN', arch='usps'))


def latent(batch, scale=1.0, seed=0):
    generator = torch.Generator().manual_seed(seed)
    z = torch.rand(batch, 48, 4, 4, generator=generator) * scale
    return z.requires_grad_()


def test_every_aligner_logs_the_scale_of_the_latent_it_aligns():
    aligner = MODELS.build(
        dict(type='PriorKLAligner'), default_args=dict(backbone=None))
    z = torch.tensor([[[[0.0, 3.0], [4.0, 0.0]]]])
    out = aligner(EncoderOutput(z), 'source')
    assert out['align/source_latent_rms'].item() == pytest.approx(2.5)
    assert out['align/source_latent_zeros'].item() == pytest.approx(0.5)
    assert not out['align/source_latent_rms'].requires_grad


def test_direct_alignment_divides_out_the_joint_scale():
    aligner = MODELS.build(
        dict(type='LatentDivergenceAligner', beta=2.0),
        default_args=dict(backbone=digit_encoder()))
    assert aligner.needs_source_pass
    s = latent(6)
    t = (latent(5, seed=1).detach() + 0.5).requires_grad_()
    out = aligner(EncoderOutput(t), 'target', source=EncoderOutput(s))
    joint = torch.cat([s.flatten(1), t.flatten(1)])
    rms = joint.pow(2).mean().sqrt()
    expected = gaussian_mmd(s.flatten(1) / rms, t.flatten(1) / rms)
    assert torch.allclose(out['loss_align'], 2.0 * expected)
    out['loss_align'].backward()
    assert s.grad.abs().sum() > 0 and t.grad.abs().sum() > 0
    # Shrinking both latents together changes nothing.
    small = aligner(
        EncoderOutput(t.detach() * 1e-3),
        'target',
        source=EncoderOutput(s.detach() * 1e-3))
    assert torch.allclose(small['loss_align'], out['loss_align'], rtol=1e-4)
    assert set(aligner(EncoderOutput(s), 'source')) == {
        'align/source_latent_rms', 'align/source_latent_zeros'
    }
    with pytest.raises(RuntimeError, match='source pass'):
        aligner(EncoderOutput(t), 'target')


def test_coral_alignment_without_normalisation_falls_with_the_scale():
    aligner = MODELS.build(
        dict(
            type='LatentDivergenceAligner',
            divergence=dict(type='CORALLoss'),
            normalize=False))
    s, t = latent(6), latent(5, seed=1) * 2
    big = aligner(EncoderOutput(t), 'target', source=EncoderOutput(s))
    small = aligner(
        EncoderOutput(t * 0.1), 'target', source=EncoderOutput(s * 0.1))
    assert torch.allclose(small['loss_align'], big['loss_align'] * 1e-4)


def build_class_conditional(num_classes=3, **options):
    return MODELS.build(
        dict(
            type='ClassConditionalAligner', num_classes=num_classes,
            **options),
        default_args=dict(backbone=digit_encoder()))


def normalised(z):
    flat = z.detach().flatten(1)
    return flat / flat.pow(2).mean(1, keepdim=True).sqrt()


def test_class_conditional_source_term_and_running_components():
    aligner = build_class_conditional(
        alpha=2.0, component_std=0.5, momentum=0.75)
    z, labels = latent(5), torch.tensor([0, 0, 2, 2, 2])
    out = aligner(EncoderOutput(z), 'source', source_labels=labels)
    n = normalised(z)
    means = {0: n[:2].mean(0), 2: n[2:].mean(0)}
    # Classes seen for the first time take the batch's means.
    assert torch.allclose(aligner.class_means[0], means[0], atol=1e-6)
    assert torch.allclose(aligner.class_means[2], means[2], atol=1e-6)
    assert aligner.class_seen.tolist() == [True, False, True]
    assert torch.allclose(aligner.class_frequencies,
                          torch.tensor([0.4, 0.0, 0.6]))
    # mean_i |z_i - mu_{y_i}|^2 / (2 sigma^2 D), D = 768.
    value = sum((n[i] - means[int(labels[i])]).pow(2).sum()
                for i in range(5)) / 5 / (2 * 0.25 * 768)
    assert out['loss_class_nll'].item() == pytest.approx(
        2.0 * value.item(), rel=1e-5)
    distance = (means[0] - means[2]).pow(2).sum() / 768
    assert out['align/centre_distance'].item() == pytest.approx(
        distance.item(), rel=1e-5)
    out['loss_class_nll'].backward()
    assert z.grad.abs().sum() > 0

    z2, labels2 = latent(2, seed=3), torch.tensor([0, 1])
    aligner(EncoderOutput(z2), 'source', source_labels=labels2)
    n2 = normalised(z2)
    # Seen classes move with the momentum, new ones are set.
    assert torch.allclose(
        aligner.class_means[0], 0.75 * means[0] + 0.25 * n2[0], atol=1e-6)
    assert torch.allclose(aligner.class_means[1], n2[1], atol=1e-6)
    assert torch.allclose(aligner.class_means[2], means[2], atol=1e-6)
    assert torch.allclose(
        aligner.class_frequencies, 0.75 * torch.tensor([0.4, 0.0, 0.6]) +
        0.25 * torch.tensor([0.5, 0.5, 0.0]))


def test_class_conditional_target_term_is_the_mixture_likelihood():
    aligner = build_class_conditional(beta=3.0, component_std=2.0)
    aligner(
        EncoderOutput(latent(4)),
        'source',
        source_labels=torch.tensor([0, 1, 1, 1]))
    t = latent(3, seed=5)
    out = aligner(EncoderOutput(t), 'target')
    n = normalised(t)
    pi = aligner.class_frequencies
    means = aligner.class_means
    value = 0.0
    for i in range(3):
        # Class 2 is not seen and stays out of the mixture.
        terms = [
            math.log(pi[k]) - (n[i] - means[k]).pow(2).sum().item() / (2 * 4.0)
            for k in (0, 1)
        ]
        top = max(terms)
        value -= top + math.log(sum(math.exp(x - top) for x in terms))
    value /= 3 * 768
    assert out['loss_mixture_nll'].item() == pytest.approx(
        3.0 * value, rel=1e-5)
    out['loss_mixture_nll'].backward()
    assert t.grad.abs().sum() > 0
    # Normalised per sample: a shrunk target latent has the same value.
    shrunk = aligner(EncoderOutput(t.detach() * 1e-3), 'target')
    assert torch.allclose(
        shrunk['loss_mixture_nll'], out['loss_mixture_nll'], rtol=1e-4)


def test_class_conditional_refusals_and_checkpointed_state():
    aligner = build_class_conditional()
    with pytest.raises(RuntimeError, match='seen no source batch'):
        aligner(EncoderOutput(latent(2)), 'target')
    with pytest.raises(RuntimeError, match='source labels'):
        aligner(EncoderOutput(latent(2)), 'source')
    with pytest.raises(ValueError, match='3 classes, got source labels'):
        aligner(
            EncoderOutput(latent(2)),
            'source',
            source_labels=torch.tensor([0, 3]))
    with pytest.raises(ValueError, match='num_classes'):
        build_class_conditional(num_classes=1)
    with pytest.raises(ValueError, match='beta .* must be a non-negative'):
        build_class_conditional(beta=-1.0)
    assert {'class_means', 'class_frequencies',
            'class_seen'} <= set(aligner.state_dict())


def test_rectified_prior_is_non_negative_with_the_gaussian_mass_at_zero():
    dfa = MODELS.build(
        dict(type='DFA', prior='rectified_gaussian', prior_mean=0.5),
        default_args=dict(backbone=digit_encoder()))
    torch.manual_seed(0)
    z = dfa.sample_prior(torch.zeros(4000, 48, 4, 4))
    assert z.min() == 0
    # P(u <= 0) for u ~ N(0.5, 1).
    zeros = 0.5 * (1 + math.erf(-0.5 / math.sqrt(2)))
    assert (z == 0).float().mean().item() == pytest.approx(zeros, abs=2e-3)
    with pytest.raises(ValueError, match='prior must be one of'):
        MODELS.build(
            dict(type='DFA', prior='laplace'),
            default_args=dict(backbone=digit_encoder()))


def test_two_sided_guidance_decodes_the_source_with_its_own_indices():
    encoder = digit_encoder()
    dfa = MODELS.build(
        dict(
            type='DFA',
            source_guidance='decoded',
            alpha=4.0,
            loss_dal=dict(type='EnergyDistanceLoss')),
        default_args=dict(backbone=encoder))
    x = torch.randn(6, 1, 28, 28)
    encoded = encoder(x)
    torch.manual_seed(3)
    out = dfa(encoded, 'source')
    assert 'loss_kld' not in out
    torch.manual_seed(3)
    prior = torch.randn_like(encoded.latent)
    decoded = dfa.decoder(
        torch.cat([encoded.latent, prior]), encoded, branches=2)
    expected = energy_distance(*decoded.chunk(2))
    assert torch.allclose(out['loss_dal_source'], 4.0 * expected)
    assert torch.allclose(out['dfa/dal_source'], expected)
    out['loss_dal_source'].backward()
    assert encoder.stages[0].conv.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='source_guidance must be one of'):
        MODELS.build(
            dict(type='DFA', source_guidance='latent'),
            default_args=dict(backbone=encoder))
