import pytest
from dataset_files import write_image_list


@pytest.fixture
def office31(tmp_path):
    """A tiny Office-31 folder with two domains of four 72x72 images each,
    labelled 0 to 3, that a test may change."""
    root = tmp_path / 'office31'
    for domain in ('amazon', 'webcam'):
        write_image_list(
            root, f'image_list/{domain}.txt', domain, [0, 1, 2, 3], size=72)
    return root
