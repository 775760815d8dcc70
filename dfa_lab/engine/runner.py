"""The Runner of dfa_lab's configs."""
from mmengine.runner import Runner

from dfa_lab.models.adapters import BaseAdapter
from dfa_lab.registry import RUNNERS
from dfa_lab.utils import unwrap


@RUNNERS.register_module()
class AdapterRunner(Runner):
    """mmengine's Runner for adapters, whose ``train_step`` is the
    algorithm (see :class:`~dfa_lab.models.adapters.BaseAdapter`).

    It differs from mmengine's Runner in one place, the config's
    ``compile`` option (``compile=True`` or ``compile=dict(mode=...,
    backend=...)``, ``tools/train.py --compile``). mmengine replaces the
    model's ``train_step`` with ``torch.compile(train_step)``; an adapter's
    ``train_step`` steps several optimizers between network calls, so this
    Runner instead has the adapter compile its networks in place
    (:meth:`~dfa_lab.models.adapters.BaseAdapter.compile`), once the model
    is wrapped and its checkpoint loaded, as mmengine does.

    Configs select it with ``runner_type = 'AdapterRunner'``
    (``configs/_base_/default_runtime.py``); ``tools/train.py`` and
    ``tools/test.py`` build the Runner with ``RUNNERS.build(cfg)``.
    """

    def _maybe_compile(self, target: str) -> None:
        options = self.cfg.get('compile')
        if options is None or options is False:
            return
        if options is True:
            options = {}
        if not isinstance(options, dict):
            raise TypeError(
                'The config\'s compile option must be True, False or a dict '
                f'of torch.compile options, got {options!r}.')
        model = unwrap(self.model)
        if not isinstance(model, BaseAdapter):
            raise TypeError(
                f'compile={options!r}: AdapterRunner compiles the networks '
                'of a dfa_lab adapter, and the model is a '
                f'{type(model).__name__}.')
        model.compile(**options)
        self.logger.info(
            'Compiled with torch.compile(' + ', '.join(
                f'{key}={value!r}' for key, value in options.items()) +
            '): ' + ', '.join(type(n).__name__ for n in model.networks()) +
            '. The first iterations and the first validation include '
            'compiling.')
