"""tools/train.py and tools/test.py end to end: on the embedded task, and
on each kind of dataset file with --data-root."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

# Every test here trains in tools/train.py processes.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EMBEDDED = {
    method: REPO / 'configs' / method / 'syndigits_ucidigits.py'
    for method in ('source_only', 'ent', 'mcd', 'dfa_ent', 'dfa_mcd', 'dann',
                   'cdan', 'dfa_dann', 'dfa_cdan')
}
# Small and fast: a few hundred rendered digits, tiny batches.
TINY = [
    'train_dataloader.dataset.source.num_samples=256',
    'train_dataloader.batch_size=16',
    'val_dataloader.batch_size=200',
    'test_dataloader.batch_size=200',
    'default_hooks.logger.interval=2',
    'default_hooks.checkpoint.interval=3',
    'model.num_k=2',
]


def run(args, env_extra=None, **kwargs):
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=str(REPO),
        **(env_extra or {}))
    result = subprocess.run(
        args,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs)
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-3000:])
    return result


def train(config, work_dir, iters, *extra, options=()):
    tiny = [o for o in TINY if 'num_k' not in o or 'mcd' in str(config)]
    return run([
        sys.executable, 'tools/train.py',
        str(config), '--work-dir',
        str(work_dir), *extra, '--cfg-options', *tiny, *options,
        f'train_cfg.max_iters={iters}'
    ])


def load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_train_writes_checkpoint_tensorboard_and_metrics(tmp_path):
    train(EMBEDDED['mcd'], tmp_path, 6, options=['train_cfg.val_interval=6'])
    assert (tmp_path / 'iter_6.pth').is_file()
    events = list(tmp_path.rglob('events.out.tfevents.*'))
    assert events and events[0].stat().st_size > 0
    scalars = list(tmp_path.rglob('scalars.json'))
    text = scalars[0].read_text()
    assert 'target/accuracy' in text and 'target/F1_accuracy' in text
    checkpoint = load(tmp_path / 'iter_6.pth')
    assert checkpoint['meta']['iter'] == 6
    assert set(checkpoint['optimizer']) == {'generator', 'classifiers'}
    assert not any('.module.' in k for k in checkpoint['state_dict'])

    out = tmp_path / 'metrics.json'
    run([
        sys.executable, 'tools/test.py',
        str(EMBEDDED['mcd']),
        str(tmp_path / 'iter_6.pth'), '--work-dir',
        str(tmp_path / 'test'), '--out',
        str(out), '--cfg-options', 'test_dataloader.batch_size=200',
        'model.num_k=2'
    ])
    metrics = json.loads(out.read_text())
    assert 0 <= metrics['target/accuracy'] <= 100


@pytest.mark.parametrize('method',
                         ['source_only', 'ent', 'dfa_ent', 'dfa_mcd'])
def test_train_other_adapters(tmp_path, method):
    result = train(EMBEDDED[method], tmp_path, 3)
    assert (tmp_path / 'iter_3.pth').is_file()
    log = result.stdout + result.stderr
    if method.startswith('dfa'):
        assert 'loss_kld' in log and 'loss_dal' in log


@pytest.mark.parametrize('method', ['dann', 'cdan', 'dfa_dann', 'dfa_cdan'])
def test_train_adversarial_hosts_on_their_schedules(tmp_path, method):
    """DANN, CDAN+E and their DFA forms train end to end; the learning
    rate and the reversal coefficient of every logged iteration follow
    lr0 (1 + 10 p)^-0.75 and 2 / (1 + exp(-10 p)) - 1 with p = iter /
    max_iters over the run's own length."""
    max_iters = 6
    train(
        EMBEDDED[method],
        tmp_path,
        max_iters,
        options=[
            'log_processor.window_size=1', 'train_cfg.val_interval=6',
            'default_hooks.logger.interval=1'
        ])
    checkpoint = load(tmp_path / f'iter_{max_iters}.pth')
    state = checkpoint['state_dict']
    assert any(key.startswith('discriminator.') for key in state)
    if 'cdan' in method:
        assert 'multilinear_map.feature_matrix' in state
    if method.startswith('dfa'):
        assert any(key.startswith('aligner.') for key in state)
    records = [
        json.loads(line) for line in next(tmp_path.rglob(
            'scalars.json')).read_text().splitlines()
    ]
    logged = [r for r in records if 'domain/grl_coefficient' in r]
    assert [r['iter'] for r in logged] == list(range(1, max_iters + 1))
    for record in logged:
        progress = (record['iter'] - 1) / max_iters
        assert record['lr'] == pytest.approx(0.01 * (1 + 10 * progress)**-0.75)
        assert record['domain/grl_coefficient'] == pytest.approx(
            2 / (1 + math.exp(-10 * progress)) - 1, abs=1e-4)
        assert 0 <= record['domain/accuracy'] <= 1
        assert record['loss_domain'] > 0


# One config per kind of dataset file: MNIST idx and USPS bz2, SVHN .mat,
# SynSigns' list and GTSRB's folders, with the configs' own subset sizes.
@pytest.mark.parametrize('config', [
    'configs/mcd/mnist_usps.py', 'configs/source_only/svhn_mnist.py',
    'configs/dfa_ent/synsigns_gtsrb.py'
])
def test_train_on_dataset_files(data_root, tmp_path, config):
    options = [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=8', 'val_dataloader.batch_size=64',
        'default_hooks.checkpoint.interval=2'
    ]
    if '/mcd/' in config:
        options.append('model.num_k=1')
    run([
        sys.executable, 'tools/train.py', config, '--data-root',
        str(data_root), '--work-dir',
        str(tmp_path), '--cfg-options', *options
    ])
    assert (tmp_path / 'iter_2.pth').is_file()
    scalars = next(tmp_path.rglob('scalars.json')).read_text()
    assert 'target/accuracy' in scalars


def test_resume_continues_like_an_uninterrupted_run(tmp_path):
    no_val = ['--no-validate']
    train(EMBEDDED['mcd'], tmp_path / 'full', 6, *no_val)
    train(EMBEDDED['mcd'], tmp_path / 'half', 3, *no_val)
    resumed = train(EMBEDDED['mcd'], tmp_path / 'half', 6, *no_val, '--resume',
                    str(tmp_path / 'half' / 'iter_3.pth'))
    assert 'resumed epoch: 0, iter: 3' in resumed.stdout + resumed.stderr
    full = load(tmp_path / 'full' / 'iter_6.pth')
    half = load(tmp_path / 'half' / 'iter_6.pth')
    for key, value in full['state_dict'].items():
        assert torch.equal(value, half['state_dict'][key]), key
    for name in ('generator', 'classifiers'):
        a = full['optimizer'][name]['state']
        b = half['optimizer'][name]['state']
        assert a.keys() == b.keys()
        for index in a:
            for field in a[index]:
                assert torch.equal(
                    torch.as_tensor(a[index][field]),
                    torch.as_tensor(b[index][field]))


def test_two_process_gloo_mcd(tmp_path):
    result = run([
        'bash', 'tools/dist_train.sh',
        str(EMBEDDED['mcd']), '2', '--work-dir',
        str(tmp_path), '--cfg-options', *TINY, 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4'
    ],
                 env_extra=dict(PORT='29512'))
    checkpoint = load(tmp_path / 'iter_4.pth')
    assert not any('.module.' in k for k in checkpoint['state_dict'])
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert 'target/accuracy' in log
