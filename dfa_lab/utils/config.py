"""Config adjustments shared by the command-line tools."""
from typing import Any

from mmengine.config import Config, ConfigDict


def set_data_root(cfg: Config, data_root: str) -> None:
    """Move every dataset of ``cfg`` under ``data_root``.

    Dataset configs declare a top-level ``data_root`` and build each
    dataset's ``data_root`` below it (``data_root + '/mnist'``). This swaps
    that common prefix in every nested ``data_root`` entry.

    Raises:
        KeyError: The config declares no top-level ``data_root`` (e.g. a task
            on embedded data, which reads no files).
    """
    if 'data_root' not in cfg:
        raise KeyError(
            'This config declares no top-level data_root: its datasets read '
            'no files, so --data-root has nothing to change.')
    old = cfg.data_root.rstrip('/')
    new = data_root.rstrip('/')

    def visit(node: Any) -> None:
        if isinstance(node, (dict, ConfigDict)):
            for key, value in node.items():
                if key == 'data_root' and isinstance(value, str) and (
                        value == old or value.startswith(old + '/')):
                    node[key] = new + value[len(old):]
                else:
                    visit(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                visit(item)

    visit(cfg._cfg_dict)


def set_domains(cfg: Config, source: str, target: str) -> None:
    """Choose the task of an image-list config: train on ``source`` (labelled)
    and ``target`` (unlabelled), evaluate on ``target``.

    Raises:
        KeyError: The config's datasets are not chosen by domain (e.g. the
            digit tasks, one config per task).
    """
    train = cfg.train_dataloader.dataset
    evaluation = [cfg.get(name, {}) or {}
                  for name in ('val_dataloader', 'test_dataloader')]
    if 'domain' not in train.get('source', {}) or 'domain' not in train.get(
            'target', {}):
        raise KeyError(
            'This config\'s datasets are not chosen by domain: --domains '
            'applies to the image-list configs (Office-31, Office-Home, '
            'ImageCLEF-DA, VisDA-2017).')
    train.source.domain = source
    train.target.domain = target
    for loader in evaluation:
        if 'dataset' in loader:
            loader.dataset.domain = target


def enable_autocast(cfg: Config) -> None:
    """Run every optimizer wrapper of ``cfg`` under bfloat16 autocast
    (:class:`~dfa_lab.engine.AutocastOptimWrapper`)."""
    optim_wrapper = cfg.optim_wrapper
    if optim_wrapper.get('constructor') == 'MultiOptimWrapperConstructor':
        groups = [v for k, v in optim_wrapper.items() if k != 'constructor']
    else:
        groups = [optim_wrapper]
    for group in groups:
        kind = group.get('type', 'OptimWrapper')
        if kind not in ('OptimWrapper', 'AutocastOptimWrapper'):
            raise ValueError(
                f'--amp replaces OptimWrapper with AutocastOptimWrapper; this '
                f'config asks for {kind!r}.')
        group['type'] = 'AutocastOptimWrapper'


def check_model_selection(cfg: Config) -> None:
    """Refuse checkpoint selection on target labels under a non-oracle name.

    ``TargetAccuracy`` reads target test labels. Choosing the best
    checkpoint with it is an oracle result, so its metric names must say
    ``oracle``.
    """
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint') or {}
    save_best = checkpoint.get('save_best')
    if not save_best:
        return
    keys = [save_best] if isinstance(save_best, str) else list(save_best)
    evaluators = cfg.get('val_evaluator') or []
    if isinstance(evaluators, dict):
        evaluators = [evaluators]
    for metric in evaluators:
        if metric.get('type') != 'TargetAccuracy':
            continue
        prefix = metric.get('prefix') or 'target'
        for key in keys:
            if key == 'auto' or key.startswith(prefix + '/'):
                if prefix != 'oracle':
                    raise ValueError(
                        f'save_best={key!r} picks checkpoints with target '
                        'labels (TargetAccuracy): that is an oracle choice. '
                        "Give that metric prefix='oracle' and use "
                        "save_best='oracle/accuracy'.")
