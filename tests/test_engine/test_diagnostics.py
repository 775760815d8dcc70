"""The decoder-collapse warning."""
import logging

import pytest
from mmengine.logging import MessageHub

from dfa_lab.engine import DecoderCollapseHook


class FakeRunner:
    """What the hook reads of a Runner: the iteration, the message hub and
    the logger."""

    def __init__(self, name):
        self.iter = 0
        self.message_hub = MessageHub.get_instance(name)
        self.logger = logging.getLogger(name)


def run(hook, runner, fractions, key='train/step3/dfa/zero_fraction'):
    for value in fractions:
        runner.message_hub.update_scalar(key, value)
        hook.after_train_iter(runner, runner.iter)
        runner.iter += 1


def test_warns_once_after_patience_collapsed_windows(caplog):
    hook = DecoderCollapseHook(threshold=0.99, patience=3, interval=10)
    runner = FakeRunner('collapse_once')
    with caplog.at_level(logging.WARNING, logger='collapse_once'):
        run(hook, runner, [0.5] * 10 + [1.0] * 29)
        assert not caplog.records  # two and a half collapsed windows
        run(hook, runner, [1.0] * 41)
    (record, ) = caplog.records
    assert 'The DFA decoder has collapsed' in record.message
    assert 'iterations 11-40' in record.message
    assert 'docs/method.md' in record.message


def test_a_healthy_window_resets_the_count(caplog):
    hook = DecoderCollapseHook(threshold=0.99, patience=2, interval=10)
    runner = FakeRunner('collapse_reset')
    with caplog.at_level(logging.WARNING, logger='collapse_reset'):
        run(hook, runner, [1.0] * 10 + [0.9] * 10 + [1.0] * 10 + [0.2] * 10)
    assert not caplog.records


def test_runs_without_a_decoder_are_left_alone(caplog):
    hook = DecoderCollapseHook(interval=1, patience=1)
    runner = FakeRunner('collapse_none')
    with caplog.at_level(logging.WARNING, logger='collapse_none'):
        run(hook, runner, [1.0] * 5, key='train/loss')
    assert not caplog.records


def test_rejects_bad_options():
    with pytest.raises(ValueError, match='threshold'):
        DecoderCollapseHook(threshold=0)
    with pytest.raises(ValueError, match='patience'):
        DecoderCollapseHook(patience=0)
