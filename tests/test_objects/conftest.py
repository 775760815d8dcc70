from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_image_list(root: Path, domain: str, labels, size: int = 72):
    """Random RGB images under ``root/domain`` and their list
    ``root/image_list/<domain>.txt``, laid out like Office-31's."""
    rng = np.random.default_rng(len(domain))
    (root / domain).mkdir(parents=True, exist_ok=True)
    (root / 'image_list').mkdir(exist_ok=True)
    lines = []
    for index, label in enumerate(labels):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / domain / f'{index}.png')
        lines.append(f'{domain}/{index}.png {label}')
    path = root / 'image_list' / f'{domain}.txt'
    path.write_text('\n'.join(lines) + '\n')
    return path


@pytest.fixture
def office31(tmp_path):
    """A tiny Office-31 folder with two domains of four images each."""
    root = tmp_path / 'office31'
    for domain in ('amazon', 'webcam'):
        write_image_list(root, domain, [0, 1, 2, 3])
    return root
