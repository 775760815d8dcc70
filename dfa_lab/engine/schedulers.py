"""Parameter schedules that mmengine does not ship."""
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from dfa_lab.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class InvParamScheduler(_ParamScheduler):
    """``value = value_0 * (1 + gamma * p) ^ -power`` with ``p`` the
    progress through the schedule, from 0 at ``begin`` towards 1 at
    ``end``: ``p = (step - begin) / (end - begin)``.

    With ``gamma = 10`` and ``power = 0.75`` this is the annealing of DANN
    (Ganin et al., JMLR 2016), ``mu_p = mu_0 / (1 + 10 p)^0.75``, also
    used by CDAN. Over 10,000 iterations it is Caffe's ``inv`` policy with
    ``gamma = 0.001`` per iteration, as the CDAN code writes it.

    The value is computed from the step count alone (closed form), so a
    resumed run continues the schedule. A checkpoint restores the step
    count; ``begin``, ``end``, ``gamma`` and ``power`` stay the config's,
    so the schedule's horizon follows ``train_cfg.max_iters`` as the
    Runner sets ``end`` (for ``by_epoch=False`` schedulers without an
    ``end``), like DANN's gradient-reversal coefficient.

    Args:
        optimizer: The optimizer or optimizer wrapper.
        param_name: The parameter scheduled, e.g. ``lr``.
        gamma: Scale of the progress.
        power: Decay exponent.
        begin: Step at which the schedule starts.
        end: Step at which it ends (``p = 1``); required, and set by the
            Runner to the training length when not given.
        last_step: See mmengine's ``_ParamScheduler``.
        by_epoch: Whether steps are epochs; iteration-based configs set
            ``by_epoch=False``.
        verbose: Print every update.
    """

    def __init__(self,
                 optimizer,
                 param_name: str,
                 gamma: float = 10.0,
                 power: float = 0.75,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        if end == INF:
            raise ValueError(
                f'{type(self).__name__} anneals over [begin, end): give it an '
                'end, or build it through the Runner with by_epoch=False, '
                'which sets end to train_cfg.max_iters.')
        if gamma < 0 or power < 0:
            raise ValueError(f'gamma and power must not be negative, got '
                             f'gamma={gamma}, power={power}.')
        self.gamma = gamma
        self.power = power
        super().__init__(
            optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def factor(self, step: int) -> float:
        """``(1 + gamma * p) ^ -power`` after ``step`` steps of the
        schedule."""
        progress = step / (self.end - self.begin)
        return (1.0 + self.gamma * progress)**(-self.power)

    def _get_value(self):
        return [
            base * self.factor(self.last_step) for base in self.base_values
        ]

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the step count of a checkpoint, keeping this schedule's
        ``begin``, ``end``, ``gamma`` and ``power``."""
        state_dict = {
            key: value
            for key, value in state_dict.items()
            if key not in ('begin', 'end', 'gamma', 'power')
        }
        super().load_state_dict(state_dict)


@PARAM_SCHEDULERS.register_module()
class InvLR(LRSchedulerMixin, InvParamScheduler):
    """:class:`InvParamScheduler` of the learning rate: ``lr = lr_0 * (1 +
    gamma * p) ^ -power`` for every parameter group (each from its own
    initial rate, so ``lr_mult`` ratios are kept).

    Config form, iteration-based::

        param_scheduler = [
            dict(type='InvLR', gamma=10.0, power=0.75, by_epoch=False)
        ]
    """
