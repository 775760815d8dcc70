"""Validation results of a run, read from mmengine's ``scalars.json``."""
import glob
import json
import math
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

# TargetAccuracy names its metrics ``target/<name>``, the model-selection
# criteria that read no target labels (dfa_lab.evaluation.metrics.label_free)
# ``label_free/<name>`` and, for the accuracy on held-out source data that
# ``tools/train.py --source-val`` adds, ``source_val/<name>``. Training lines
# hold losses, learning rates and timings instead, so the prefixes tell the
# two kinds of line apart.
METRIC_PREFIX = 'target/'
LABEL_FREE_PREFIX = 'label_free/'
SOURCE_VAL_PREFIX = 'source_val/'
ACCURACY_KEY = METRIC_PREFIX + 'accuracy'
SOURCE_VAL_KEY = SOURCE_VAL_PREFIX + 'accuracy'

ValidationRecord = Tuple[int, Dict[str, float]]


def _logged_lines(run_dir: str) -> Iterator[Dict[str, float]]:
    """Every line of a run's ``scalars.json`` files, oldest folder first."""
    # Timestamp folder names (YYYYMMDD_HHMMSS) sort chronologically.
    for path in sorted(
            glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def load_validation_records(run_dir: str) -> List[ValidationRecord]:
    """Collect the validation metrics a run logged, by iteration.

    mmengine's ``LocalVisBackend`` writes
    ``<run_dir>/<timestamp>/vis_data/scalars.json``, one JSON object per
    line with the iteration under ``step``. A resumed run starts a new
    timestamp folder; folders are merged by step and, should two of them
    hold the same step (validated again after resuming from an earlier
    checkpoint), the later one wins.

    Args:
        run_dir: Work dir of the run.

    Returns:
        list[tuple[int, dict]]: ``(iteration, {metric: value})`` for every
        validation, sorted by iteration. The metrics keep their
        ``target/``, ``label_free/`` and ``source_val/`` names.
    """
    by_step = {}
    for scalars in _logged_lines(run_dir):
        metrics = {
            key: value
            for key, value in scalars.items()
            if key.startswith((METRIC_PREFIX, LABEL_FREE_PREFIX,
                               SOURCE_VAL_PREFIX))
        }
        if metrics:
            by_step[int(scalars['step'])] = metrics
    return sorted(by_step.items())


def load_training_series(run_dir: str, key: str) -> List[Tuple[int, float]]:
    """The values of one training scalar a run logged, by iteration.

    mmengine's logger hook writes the window average of every logged value
    (losses, DFA's diagnostics, learning rates) to ``scalars.json`` at each
    log interval; resumed runs are merged as in
    :func:`load_validation_records`.

    Args:
        run_dir: Work dir of the run.
        key: A logged name, or its last components: ``'dfa/dal'`` matches
            ``'dfa/dal'`` and ``'step3/dfa/dal'`` (MCD prefixes the terms of
            each of its steps).

    Returns:
        list[tuple[int, float]]: ``(iteration, value)`` sorted by iteration.

    Raises:
        ValueError: Several logged names match ``key``.
    """
    by_step = {}
    names = set()
    for scalars in _logged_lines(run_dir):
        matches = [
            name for name in scalars if name == key or name.endswith('/' + key)
        ]
        names.update(matches)
        if len(matches) == 1:
            by_step[int(scalars['step'])] = scalars[matches[0]]
    if len(names) > 1:
        raise ValueError(f'{key!r} matches several logged names in '
                         f'{run_dir}: {sorted(names)}; give the full name.')
    return sorted(by_step.items())


def label_free_criteria(records: Sequence[ValidationRecord]) -> List[str]:
    """The selection criteria that read no target labels (the
    ``label_free/<name>`` criteria and ``source_val/accuracy``) that any
    validation of ``records`` logged, sorted."""
    return sorted({
        key
        for _, metrics in records
        for key in metrics
        if key.startswith(LABEL_FREE_PREFIX) or key == SOURCE_VAL_KEY
    })


def pick_validation(records: Sequence[ValidationRecord],
                    criterion: str) -> Optional[ValidationRecord]:
    """The validation that a label-free criterion selects.

    The label-free criteria and the source validation accuracy are
    higher-is-better, so this is the validation of highest ``criterion``;
    of several with the same value, the later one (the longer-trained
    model).

    Args:
        records: A run's validations, as :func:`load_validation_records`
            returns them.
        criterion: Metric name, e.g. ``'label_free/snd'`` or
            ``'source_val/accuracy'``.

    Returns:
        tuple or None: ``(iteration, metrics)`` of the chosen validation, or
        None when no validation logged a number for ``criterion``.
    """
    # A diverged run logs NaN, which compares neither above nor below.
    scored = [(metrics[criterion], step, metrics) for step, metrics in records
              if criterion in metrics and not math.isnan(metrics[criterion])]
    if not scored:
        return None
    _, step, metrics = max(scored, key=lambda item: item[:2])
    return step, metrics
