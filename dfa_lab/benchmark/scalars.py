"""Validation results of a run, read from mmengine's ``scalars.json``."""
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple

# TargetAccuracy names its metrics ``target/<name>``. Training lines hold
# losses, learning rates and timings instead, so the prefix tells the two
# kinds of line apart.
METRIC_PREFIX = 'target/'
ACCURACY_KEY = METRIC_PREFIX + 'accuracy'

ValidationRecord = Tuple[int, Dict[str, float]]


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
        ``target/`` names.
    """
    # Timestamp folder names (YYYYMMDD_HHMMSS) sort chronologically.
    files = sorted(
        glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')))
    by_step = {}
    for path in files:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                scalars = json.loads(line)
                metrics = {
                    key: value
                    for key, value in scalars.items()
                    if key.startswith(METRIC_PREFIX)
                }
                if metrics:
                    by_step[int(scalars['step'])] = metrics
    return sorted(by_step.items())
