# Forms of DFA beyond the paper that avoid its decoder collapse (see
# docs/results/dfa_variants.md and "The collapse of L_dal" in
# docs/method.md). A variant config inherits its DFA config and this file and
# merges one of these into the aligner:
#   model = dict(aligner=_base_.energy)
# The decoder's BatchNorms without learned scale and shift, and the decoded
# prior normalised with the decoded target's batch statistics:
shared_bn = dict(decoder=dict(bn_affine=False, shared_bn_statistics=True))
# ... with the energy distance in place of the unpaired L1 of eq. 18:
energy = dict(shared_bn, loss_dal=dict(type='EnergyDistanceLoss'))
# ... and L_kld as the closed-form Gaussian KL of eq. 17's direction:
energy_gkl = dict(energy, kl_mode='gaussian')
# ... or the sliced Wasserstein distance in place of the unpaired L1:
swd = dict(shared_bn, loss_dal=dict(type='SlicedWassersteinLoss'))
# Beyond the paper, each on `energy` (docs/results/dfa_study.md):
# two-sided guidance: the source latents pulled to the prior by the same
# decoded energy distance as the target's (weight alpha = beta), in place of
# the softmax KL;
two_sided = dict(energy, source_guidance='decoded', alpha=10.0)
# a prior the ReLU latent can reach, z_n = max(0, N(0, I)), of fixed scale;
rectified = dict(energy, prior='rectified_gaussian')
# both.
two_sided_rectified = dict(two_sided, prior='rectified_gaussian')
