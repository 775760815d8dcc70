"""Truncated dataset files fail with an error that names the file."""
import bz2

import numpy as np
import pytest

from dfa_lab.datasets import MNIST, USPS, DatasetFileError


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(
        size.to_bytes(4, 'big') for size in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(root, count=20):
    raw = root / 'mnist' / 'MNIST' / 'raw'
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ('train', 't10k'):
        write_idx(raw / f'{prefix}-images-idx3-ubyte',
                  rng.integers(0, 256, (count, 28, 28)))
        write_idx(raw / f'{prefix}-labels-idx1-ubyte', np.arange(count) % 10)
    return raw


def write_usps(root, count=20):
    rng = np.random.default_rng(0)
    lines = [
        f'{index % 10 + 1} ' +
        ' '.join(f'{pixel + 1}:{value:.4f}'
                 for pixel, value in enumerate(rng.uniform(-1, 1, 256)))
        for index in range(count)
    ]
    data = bz2.compress(('\n'.join(lines) + '\n').encode())
    (root / 'usps').mkdir()
    for name in ('usps.bz2', 'usps.t.bz2'):
        (root / 'usps' / name).write_bytes(data)


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_intact_files_load(tmp_path):
    write_mnist(tmp_path)
    write_usps(tmp_path)
    assert len(MNIST(str(tmp_path), split='test')) == 20
    assert len(USPS(str(tmp_path), split='test')) == 20


def test_truncated_mnist_file_is_named(tmp_path):
    raw = write_mnist(tmp_path)
    damaged = raw / 't10k-images-idx3-ubyte'
    truncate(damaged)
    with pytest.raises(DatasetFileError) as error:
        MNIST(str(tmp_path), split='test')
    message = str(error.value)
    assert str(damaged) in message and 'truncated' in message
    assert 'header announces 15696' in message
    assert 't10k-labels' not in message
    # The train split is intact and still loads.
    assert len(MNIST(str(tmp_path), split='train')) == 20


def test_truncated_usps_file_is_named(tmp_path):
    write_usps(tmp_path)
    truncate(tmp_path / 'usps' / 'usps.t.bz2')
    with pytest.raises(DatasetFileError) as error:
        USPS(str(tmp_path), split='test')
    message = str(error.value)
    assert str(tmp_path / 'usps' / 'usps.t.bz2') in message
    assert 'download=True' in message
