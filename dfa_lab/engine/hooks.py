"""Hooks that dfa_lab adds to mmengine's defaults."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from dfa_lab.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Store the random number generators' states in every checkpoint and
    restore them on resume.

    mmengine restores weights, optimizers and the iteration, but not the
    generators behind dropout, prior samples or augmentation; with this hook
    a resumed run draws the same numbers as an uninterrupted one. Checkpoints
    are written by rank 0, so a distributed resume gives every rank rank 0's
    states (the ranks share their seed unless ``diff_rank_seed`` is set).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('random_state')
        if state is None:
            return
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
