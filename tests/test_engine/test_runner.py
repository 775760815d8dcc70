"""AdapterRunner: strict, checked checkpoint loading."""
import zipfile
from fractions import Fraction

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from dfa_lab.engine import AdapterRunner
from dfa_lab.registry import MODELS, RUNNERS
from dfa_lab.utils import (CheckpointError, checkpoint_damage,
                           find_resumable_checkpoint)

HEAD = dict(type='MLPHead', hidden_channels=(8, ), num_classes=3)
MCD = dict(type='MCD', backbone=dict(type='DigitCNN'), classifier=HEAD)
DFA_MCD = dict(MCD, aligner=dict(type='DFA'))


def build_runner(tmp_path, model=MCD, **cfg):
    return RUNNERS.build(
        Config(
            dict(
                runner_type='AdapterRunner',
                model=model,
                work_dir=str(tmp_path / 'work'),
                experiment_name=tmp_path.name,
                default_scope='dfa_lab',
                **cfg)))


def save_weights(model_cfg, path):
    model = MODELS.build(model_cfg)
    for param in model.parameters():
        param.data.normal_()
    save_checkpoint(dict(state_dict=model.state_dict()), str(path))
    return model.state_dict()


def test_matching_checkpoint_loads(tmp_path):
    weights = save_weights(MCD, tmp_path / 'mcd.pth')
    runner = build_runner(tmp_path, load_from=str(tmp_path / 'mcd.pth'))
    assert isinstance(runner, AdapterRunner)
    runner.load_or_resume()
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_checkpoint_of_another_model_is_refused_with_the_keys(tmp_path):
    save_weights(MCD, tmp_path / 'mcd.pth')
    runner = build_runner(
        tmp_path, model=DFA_MCD, load_from=str(tmp_path / 'mcd.pth'))
    with pytest.raises(CheckpointError) as error:
        runner.load_or_resume()
    message = str(error.value)
    assert f'Checkpoint {tmp_path / "mcd.pth"} does not fit the model (MCD)' \
        in message
    assert 'missing from the checkpoint:' in message
    assert 'aligner.decoder.bns.0.weight' in message
    assert '--non-strict' in message


def test_mis_shaped_and_unexpected_keys_are_listed(tmp_path):
    save_weights(DFA_MCD, tmp_path / 'dfa.pth')
    wider = dict(MCD, classifier=dict(HEAD, hidden_channels=(16, )))
    runner = build_runner(
        tmp_path, model=wider, load_from=str(tmp_path / 'dfa.pth'))
    with pytest.raises(CheckpointError) as error:
        runner.load_or_resume()
    message = str(error.value)
    assert 'not in the model:' in message and 'aligner.decoder.bns' in message
    assert ('classifiers.F1.layers.0.weight: checkpoint (8, 768), model '
            '(16, 768)') in message


def test_non_strict_loading_loads_what_fits_and_lists_the_rest(
        tmp_path, capsys):
    weights = save_weights(MCD, tmp_path / 'mcd.pth')
    runner = build_runner(
        tmp_path,
        model=DFA_MCD,
        load_strict=False,
        load_from=str(tmp_path / 'mcd.pth'))
    runner.load_or_resume()
    state = runner.model.state_dict()
    for key, value in weights.items():
        assert torch.equal(state[key], value), key
    assert 'aligner.decoder.bns.0.weight' in capsys.readouterr().out


def damage(path, kind):
    data = path.read_bytes()
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':
        path.write_bytes(data[:len(data) // 2])
    elif kind == 'corrupt':
        # Flip bytes inside the first stored tensor: torch.load alone would
        # read the wrong numbers without a word.
        with zipfile.ZipFile(path) as archive:
            entry = next(info for info in archive.infolist()
                         if '/data/' in info.filename)
        # The local header's name and extra-field lengths sit at bytes
        # 26-29; torch pads the extra field to align the data.
        local = data[entry.header_offset:entry.header_offset + 30]
        start = entry.header_offset + 30 + int.from_bytes(
            local[26:28], 'little') + int.from_bytes(local[28:30], 'little')
        data = bytearray(data)
        data[start:start + 8] = bytes(255 - b for b in data[start:start + 8])
        path.write_bytes(bytes(data))
    elif kind == 'not a checkpoint':
        path.write_text('weights: none')
    elif kind == 'unsafe':
        torch.save(dict(state_dict={}, step=Fraction(1, 2)), path)


@pytest.mark.parametrize('kind, cause', [
    ('empty', 'the file is empty'),
    ('truncated', 'the archive is truncated'),
    ('corrupt', 'fails its checksum'),
    ('not a checkpoint', 'not a PyTorch checkpoint'),
    ('unsafe', 'type fractions.Fraction, which loading refuses'),
])
def test_unreadable_checkpoints_name_the_file_and_cause(tmp_path, kind, cause):
    path = tmp_path / 'mcd.pth'
    save_weights(MCD, path)
    damage(path, kind)
    runner = build_runner(tmp_path, load_from=str(path))
    with pytest.raises(CheckpointError, match=f'Checkpoint {path} .*{cause}'):
        runner.load_or_resume()


def test_find_resumable_checkpoint_falls_back_to_the_newest_intact(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) == (None, [])
    for iteration in (1000, 2000, 3000):
        save_weights(MCD, tmp_path / f'iter_{iteration}.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_3000.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == (str(
        tmp_path / 'iter_3000.pth'), [])
    damage(tmp_path / 'iter_3000.pth', 'truncated')
    damage(tmp_path / 'iter_2000.pth', 'empty')
    path, skipped = find_resumable_checkpoint(str(tmp_path))
    assert path == str(tmp_path / 'iter_1000.pth')
    assert [p for p, _ in skipped] == [
        str(tmp_path / 'iter_3000.pth'),
        str(tmp_path / 'iter_2000.pth')
    ]
    assert checkpoint_damage(path) is None
    damage(tmp_path / 'iter_1000.pth', 'corrupt')
    with pytest.raises(CheckpointError, match='No intact checkpoint'):
        find_resumable_checkpoint(str(tmp_path))


def test_misspelled_checkpoint_hook_option_fails_at_build(tmp_path):
    with pytest.raises(
            ValueError, match=r"'max_keep_ckpt' \(did you mean "
            'max_keep_ckpts'):
        build_runner(
            tmp_path,
            default_hooks=dict(
                checkpoint=dict(
                    type='CheckpointHook', interval=10, max_keep_ckpt=2)))
    # Options CheckpointHook passes on to Runner.save_checkpoint are valid.
    build_runner(
        tmp_path,
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', interval=10, save_optimizer=False)))


def test_env_cfg_options_are_checked_at_build(tmp_path):
    # mmengine ignores env_cfg keys it does not read.
    with pytest.raises(
            ValueError,
            match=r"env_cfg has unknown options: 'flush_denormals' \(did you "
            r'mean flush_denormal\?\)'):
        build_runner(tmp_path, env_cfg=dict(flush_denormals=True))
    with pytest.raises(
            ValueError,
            match="env_cfg.flush_denormal must be True or False, got 'yes'"):
        build_runner(tmp_path, env_cfg=dict(flush_denormal='yes'))
    build_runner(
        tmp_path,
        env_cfg=dict(
            cudnn_benchmark=False,
            mp_cfg=dict(mp_start_method='fork'),
            dist_cfg=dict(backend='gloo'),
            resource_limit=4096,
            flush_denormal=False))
