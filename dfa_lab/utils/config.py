"""Config adjustments shared by the command-line tools."""
import ast
import copy
import difflib
import inspect
import os.path as osp
from typing import Any, Iterable, List, Union

from mmengine.config import Config
from mmengine.runner import Runner

#: Top-level config keys that mmengine's Runner (or dfa_lab's) reads besides
#: its constructor's arguments.
RUNNER_EXTRA_KEYS = ('model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
                     'compile', 'activation_checkpointing',
                     'efficient_conv_bn_eval', 'runner_type', 'load_strict',
                     'custom_imports')


def runner_keys() -> set:
    """The top-level config keys the Runner reads."""
    arguments = set(inspect.signature(Runner.__init__).parameters)
    return (arguments - {'self', 'cfg'}) | set(RUNNER_EXTRA_KEYS)


def check_option_keys(cfg: Config, keys: Iterable[str]) -> None:
    """Reject ``--cfg-options`` keys whose top-level name is neither read by
    the Runner nor defined in the config.

    A config may define its own top-level variables (``data_root``,
    ``dfa_aligner``, ``source_train``, ...) and options may change them, but
    a new top-level name is read by nothing: ``train_cfgg.max_iters=5``
    would be ignored.

    Raises:
        KeyError: An option names an unknown top-level key; the message
            lists the closest known names.
    """
    known = runner_keys() | set(cfg.keys())
    for key in keys:
        top = key.split('.')[0]
        if top in known:
            continue
        close = difflib.get_close_matches(top, sorted(known), n=3, cutoff=0.6)
        hint = f' Did you mean {", ".join(close)}?' if close else ''
        raise KeyError(
            f'--cfg-options {key}: {top!r} is neither a Runner setting nor '
            f'defined in the config, so nothing would read it.{hint}')


def check_config_syntax(path: str) -> None:
    """Raise the ``SyntaxError`` of the config ``path``, or of a ``_base_``
    file it inherits from, with that file's name and line.

    mmengine parses config files without their names, so its
    ``SyntaxError`` reads ``File "<unknown>"``. This parses ``path`` and,
    following ``_base_`` paths relative to each file, every file it
    inherits from; ``_base_`` entries of other forms (``pkg::path``,
    ``{{ }}`` placeholders) and missing files are left to mmengine.
    """
    pending, seen = [osp.abspath(path)], set()
    while pending:
        config = pending.pop()
        if config in seen or not osp.isfile(config):
            continue
        seen.add(config)
        with open(config, encoding='utf-8') as file:
            tree = ast.parse(file.read(), filename=config)
        pending += [
            osp.normpath(osp.join(osp.dirname(config), base))
            for base in _base_paths(tree)
        ]


def _base_paths(tree: ast.Module) -> List[str]:
    """The file paths of a config's literal ``_base_`` assignment."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == '_base_'
                for target in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return []
            bases = [bases] if isinstance(bases, str) else bases
            if not isinstance(bases, (list, tuple)):
                return []
            return [
                base for base in bases if isinstance(base, str)
                and '::' not in base and '{{' not in base
            ]
    return []


def config_name(config: str) -> str:
    """The name of a config: its path below the innermost ``configs``
    folder, without ``.py`` (``dfa_mcd/mnist_usps`` for
    ``configs/dfa_mcd/mnist_usps.py``), or the file's stem for a config
    outside a ``configs`` folder. Work dirs are named after it."""
    parts = osp.abspath(config).split(osp.sep)
    folders = parts[:-1]
    if 'configs' in folders:
        parts = parts[len(folders) - folders[::-1].index('configs'):]
    else:
        parts = parts[-1:]
    return osp.splitext('/'.join(parts))[0]


def set_data_root(cfg: Config, data_root: str) -> None:
    """Read every dataset of ``cfg`` from ``data_root``.

    File-backed datasets take the folder that holds all datasets as their
    ``data_root`` and read their own sub-folder of it; configs pass each of
    them their top-level ``data_root``. This sets the top-level variable and
    the ``data_root`` of every dataset, wherever it is nested.

    Raises:
        KeyError: No dataset of the config takes a ``data_root`` (e.g. a
            task on embedded data, which reads no files).
    """
    datasets = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if 'data_root' in node:
                datasets.append(node)
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                visit(item)

    for key, value in cfg.items():
        if key != 'data_root':
            visit(value)
    if not datasets:
        raise KeyError(
            'No dataset of this config takes a data_root: its datasets read '
            'no files, so --data-root has nothing to set.')
    for dataset in datasets:
        dataset['data_root'] = data_root
    cfg.data_root = data_root


def set_domains(cfg: Config, source: str, target: str) -> None:
    """Choose the task of an image-list config: train on ``source`` (labelled)
    and ``target`` (unlabelled), evaluate on ``target``.

    Raises:
        KeyError: The config's datasets are not chosen by domain (e.g. the
            digit tasks, one config per task).
    """
    train = cfg.train_dataloader.dataset
    evaluation = [
        cfg.get(name, {}) or {}
        for name in ('val_dataloader', 'test_dataloader')
    ]
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


def enable_source_validation(cfg: Config,
                             holdout: Union[float, int] = 0.1,
                             seed: int = 0) -> None:
    """Hold out part of the source training data and validate on it too.

    The source training dataset becomes the ``'train'`` part of a
    :class:`~dfa_lab.datasets.HoldoutSplit` and the validation loop a
    :class:`~dfa_lab.engine.UDAValLoop` that, after the target test set,
    evaluates the ``'holdout'`` part with
    :class:`~dfa_lab.evaluation.metrics.SourceValidationAccuracy`: every
    validation then logs ``source_val/accuracy``, which selects checkpoints
    without target labels (``save_best='source_val/accuracy'``). The source
    pass reuses the validation dataloader's settings.

    Args:
        cfg: The config, changed in place.
        holdout: The held-out share of the source data: a fraction in
            (0, 1) or a number of samples.
        seed: Seed of the split.

    Raises:
        ValueError: The config validates nothing (no ``val_cfg``,
            ``val_dataloader`` or ``val_evaluator``, as with
            ``--no-validate``), or its training set has no ``source``
            dataset to split.
    """
    if any(
            cfg.get(key) is None
            for key in ('val_cfg', 'val_dataloader', 'val_evaluator')):
        raise ValueError(
            'Source validation adds a pass to the validation loop, but this '
            'config does not validate (val_cfg, val_dataloader and '
            'val_evaluator must all be set; --no-validate removes them).')
    train = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    if not isinstance(train.get('source'), dict):
        raise ValueError(
            'Source validation holds out part of the source training data, '
            'but this config\'s train_dataloader.dataset has no source '
            'dataset (a UDAPairDataset has one).')
    split = dict(
        type='HoldoutSplit', dataset=train.source, holdout=holdout, seed=seed)
    source_loader = {
        key: copy.deepcopy(value)
        for key, value in cfg.val_dataloader.items() if key != 'dataset'
    }
    source_loader['dataset'] = dict(copy.deepcopy(split), part='holdout')
    cfg.val_cfg = dict(
        cfg.val_cfg,
        type='UDAValLoop',
        source_dataloader=source_loader,
        source_evaluator=dict(type='SourceValidationAccuracy'))
    train.source = dict(split, part='train')


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
