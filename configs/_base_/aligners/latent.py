# Aligners on the latent itself, no decoder (docs/results/dfa_study.md). A
# leaf config inherits its host's config and this file and sets one of these:
#   model = dict(aligner=_base_.mmd)
# Direct alignment of the two domains' latents (both divided by their joint
# root mean square), the references DFA's Gaussian guidance is measured
# against: DAN's multi-kernel MMD (its weight 1), Deep CORAL and the
# Sinkhorn divergence.
mmd = dict(
    type='LatentDivergenceAligner',
    divergence=dict(type='GaussianMMDLoss'),
    beta=1.0)
coral = dict(
    type='LatentDivergenceAligner',
    divergence=dict(type='CORALLoss'),
    beta=10.0)
sinkhorn = dict(
    type='LatentDivergenceAligner',
    divergence=dict(type='SinkhornDivergenceLoss'),
    beta=1.0)
# Class-conditional Gaussian guidance: one Gaussian per class of the digit
# tasks' ten.
class_conditional = dict(
    type='ClassConditionalAligner', num_classes=10, alpha=0.1, beta=0.1)
