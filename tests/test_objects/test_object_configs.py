"""The object configs: task selection on the command line, and training
through tools/train.py on a tiny image list."""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dfa_lab.registry import DATASETS
from dfa_lab.utils import add_common_arguments, load_config, parse_arguments

REPO = Path(__file__).resolve().parents[2]
OFFICE31 = {
    method: REPO / 'configs' / method / 'office31.py'
    for method in ('safn', 'dfa_safn')
}
# The documented task option (configs/_base_/datasets/office31.py).
WEBCAM_TO_AMAZON = ['--domains', 'webcam', 'amazon']
DATASET_KEYS = ('train_dataloader.dataset.source',
                'train_dataloader.dataset.target', 'val_dataloader.dataset',
                'test_dataloader.dataset')
# 64x64 crops of 72x72 images, two images a batch, no download.
TINY = [
    'model.backbone.pretrained=False', 'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0', 'val_dataloader.batch_size=4',
    'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
    'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=2',
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2'
] + [
    f'{key}.transform.{option}' for key in DATASET_KEYS
    for option in ('resize_size=72', 'crop_size=64')
]


def cli_config(config, data_root, arguments):
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    argv = [str(config), '--data-root', str(data_root), *arguments]
    return load_config(parse_arguments(parser, argv))


def test_domains_option_changes_the_lists_read(office31):
    default = cli_config(OFFICE31['dfa_safn'], office31.parent, [])
    chosen = cli_config(OFFICE31['dfa_safn'], office31.parent,
                        WEBCAM_TO_AMAZON)
    for cfg, source, target in ((default, 'amazon', 'webcam'),
                                (chosen, 'webcam', 'amazon')):
        pairs = DATASETS.build(cfg.train_dataloader.dataset)
        assert pairs.source.list_file == str(office31 / 'image_list' /
                                             f'{source}.txt')
        assert pairs.target.list_file == str(office31 / 'image_list' /
                                             f'{target}.txt')
        for loader in (cfg.val_dataloader, cfg.test_dataloader):
            assert DATASETS.build(loader.dataset).list_file == str(
                office31 / 'image_list' / f'{target}.txt')


def test_domains_option_needs_an_image_list_config(data_root):
    digits = REPO / 'configs' / 'mcd' / 'mnist_usps.py'
    with pytest.raises(KeyError, match='not chosen by domain'):
        cli_config(digits, data_root, WEBCAM_TO_AMAZON)


@pytest.mark.slow
@pytest.mark.parametrize('method', ['safn', 'dfa_safn'])
def test_train_cli_on_tiny_image_list(office31, tmp_path, method):
    work_dir = tmp_path / 'work'
    # DFA-SAFN validates with ten crops.
    extra = ['val_dataloader.dataset.transform.crop=ten'
             ] if method == 'dfa_safn' else []
    result = subprocess.run([
        sys.executable, 'tools/train.py',
        str(OFFICE31[method]), '--data-root',
        str(office31.parent), '--work-dir',
        str(work_dir), *WEBCAM_TO_AMAZON, '--cfg-options', *TINY, *extra
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=600,
                            env=dict(
                                os.environ,
                                OMP_NUM_THREADS='1',
                                PYTHONPATH=str(REPO)))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'loss_feature_norm_target' in log and 'target/accuracy' in log
    assert ('loss_dal' in log) == (method == 'dfa_safn')
    checkpoint = torch.load(
        work_dir / 'iter_2.pth', map_location='cpu', weights_only=True)
    assert 'backbone.layer4.2.conv3.weight' in checkpoint['state_dict']


@pytest.mark.slow
@pytest.mark.parametrize('method', ['dann', 'dfa_cdan'])
def test_adversarial_hosts_train_on_tiny_image_list(office31, tmp_path,
                                                    method):
    work_dir = tmp_path / 'work'
    result = subprocess.run([
        sys.executable, 'tools/train.py',
        str(REPO / 'configs' / method / 'office31.py'), '--data-root',
        str(office31.parent), '--work-dir',
        str(work_dir), *WEBCAM_TO_AMAZON, '--cfg-options', *TINY
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=600,
                            env=dict(
                                os.environ,
                                OMP_NUM_THREADS='1',
                                PYTHONPATH=str(REPO)))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'loss_domain' in log and 'target/accuracy' in log
    assert ('loss_dal' in log) == (method == 'dfa_cdan')
    state = torch.load(
        work_dir / 'iter_2.pth', map_location='cpu',
        weights_only=True)['state_dict']
    # The discriminator reads the 2048-d latent (DANN) or the 1024-d
    # randomized map of latent and class probabilities (CDAN+E).
    width = 1024 if method == 'dfa_cdan' else 2048
    assert state['discriminator.layers.0.weight'].shape == (1024, width)
