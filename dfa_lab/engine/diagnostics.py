"""Hooks that watch what a training run logs and say when it goes wrong."""
from mmengine.hooks import Hook

from dfa_lab.registry import HOOKS


@HOOKS.register_module()
class DecoderCollapseHook(Hook):
    """Warn, once, when a DFA decoder has collapsed to a blank image.

    The DFA aligner logs ``dfa/zero_fraction``, the share of the elements of
    the decoded target batch ``D(G(x_t))`` that are exactly 0 (MCD logs it
    under ``step3/``). When its mean over each of ``patience`` consecutive
    windows of ``interval`` iterations exceeds ``threshold``, the decoder
    outputs (almost) nothing but zeros: ``L_dal`` is then minimised without
    aligning anything and the run is its host plus a dead term. The hook
    then writes one warning to the log, naming the cause and where the
    documentation explains it. Runs that log no ``dfa/zero_fraction`` are
    left alone.

    Args:
        threshold: Zero fraction above which a window counts as collapsed.
        patience: Consecutive collapsed windows before the warning.
        interval: Iterations per window.
    """

    priority = 'LOW'
    key_suffix = 'dfa/zero_fraction'

    def __init__(self,
                 threshold: float = 0.99,
                 patience: int = 3,
                 interval: int = 50):
        if not 0 < threshold <= 1:
            raise ValueError(f'threshold must lie in (0, 1], got {threshold}')
        if patience < 1 or interval < 1:
            raise ValueError('patience and interval must be at least 1, got '
                             f'{patience} and {interval}')
        self.threshold = threshold
        self.patience = patience
        self.interval = interval
        self.collapsed_windows = 0
        self.warned = False

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self.warned or not self.every_n_train_iters(runner, self.interval):
            return
        fractions = [
            buffer.mean(self.interval)
            for key, buffer in runner.message_hub.log_scalars.items()
            if key.startswith('train/') and key.endswith(self.key_suffix)
        ]
        if not fractions:
            return
        fraction = max(fractions)
        if fraction <= self.threshold:
            self.collapsed_windows = 0
            return
        self.collapsed_windows += 1
        if self.collapsed_windows < self.patience:
            return
        self.warned = True
        first = runner.iter + 1 - self.patience * self.interval
        runner.logger.warning(
            f'The DFA decoder has collapsed: over iterations {first + 1}-'
            f'{runner.iter + 1}, {fraction:.1%} (latest window) of the '
            'decoded target pixels D(G(x_t)) were exactly 0. L_dal is then '
            'near its minimum without aligning anything, and the run trains '
            'like its host algorithm. Cause: the unpaired L1 of eq. 18 is '
            'minimised by a constant decoded image, which the decoder\'s '
            'affine BatchNorm and ReLU reach. See "The collapse of L_dal" '
            'in docs/method.md, and the decoder options bn_affine=False, '
            'shared_bn_statistics=True and the loss_dal variants '
            '(EnergyDistanceLoss) that avoid it.')
