"""The summary printed at the end of a training run."""
import os.path as osp
import time
from typing import Dict, List, Optional

from mmengine.hooks import Hook
from mmengine.runner import find_latest_checkpoint

from dfa_lab.registry import HOOKS


@HOOKS.register_module()
class TrainingSummaryHook(Hook):
    """Log a short summary when training ends: what the run reached, what
    it compares with, and where its files are.

    - The accuracies of the last validation: ``<prefix>/accuracy`` (the
      adapter's prediction: the ``F1 + F2`` ensemble for MCD) and each
      classifier's (``<prefix>/F1_accuracy``, ...), with the iteration.
    - The config's ``reference_accuracy``, if it has one: accuracies that
      other methods reached on the same task, which a task config may
      declare as ``reference_accuracy = dict(iters=300, seeds=[1, 2, 3],
      results='docs/results/...', accuracy={'source-only': 43.1, ...})``
      (mean target accuracy after ``iters`` iterations over ``seeds``,
      measured as ``results`` says).
    - The latest checkpoint, the log file and the TensorBoard folder.
    """

    priority = 'LOWEST'

    def __init__(self):
        self.validation: Optional[Dict[str, float]] = None
        self.validation_iter: Optional[int] = None
        self.start: Optional[float] = None

    def before_train(self, runner) -> None:
        self.start = time.perf_counter()

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics is not None:
            self.validation = dict(metrics)
            self.validation_iter = runner.iter

    def after_train(self, runner) -> None:
        runner.logger.info('\n'.join(self.summary_lines(runner)))

    def summary_lines(self, runner) -> List[str]:
        """The summary, line by line."""
        seconds = time.perf_counter() - self.start
        lines = [
            f'Training finished: {runner.iter} iterations in '
            f'{seconds / 60:.1f} min ({seconds:.0f} s of training loop).'
        ]
        if self.validation is None:
            lines.append('No validation ran; tools/test.py evaluates a '
                         'checkpoint.')
        else:
            accuracies = ', '.join(
                f'{key} {value:.2f}' for key, value in self.validation.items()
                if key.endswith('accuracy') and 'mean_class' not in key)
            lines.append(f'Last validation (iteration {self.validation_iter}'
                         f'): {accuracies}.')
        reference = runner.cfg.get('reference_accuracy')
        if reference is not None:
            lines.append(self.reference_line(reference, runner))
        checkpoint = find_latest_checkpoint(runner.work_dir)
        if checkpoint is not None:
            lines.append(f'Checkpoint: {checkpoint}')
        lines.append('Log: ' +
                     osp.join(runner.log_dir, f'{runner.timestamp}.log'))
        if runner.visualizer.get_backend('TensorboardVisBackend') is not None:
            lines.append('TensorBoard: tensorboard --logdir ' +
                         osp.join(runner.log_dir, 'vis_data'))
        return lines

    @staticmethod
    def reference_line(reference: dict, runner) -> str:
        """The config's reference accuracies in one line."""
        methods = ', '.join(
            f'{method} {accuracy:.1f}'
            for method, accuracy in reference['accuracy'].items())
        seeds = ', '.join(str(seed) for seed in reference['seeds'])
        line = (f'Reference on this task: {methods} (target accuracy after '
                f"{reference['iters']} iterations, mean of seeds {seeds}; "
                f"{reference['results']})")
        if runner.max_iters != reference['iters']:
            line += f'; this run trained {runner.max_iters} iterations'
        return line + '.'
