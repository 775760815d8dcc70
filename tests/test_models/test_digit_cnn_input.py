import pytest
import torch

from dfa_lab.registry import MODELS


@pytest.mark.parametrize('size', [29, 31, 32])
def test_digit_cnn_names_the_expected_image_size(size):
    backbone = MODELS.build(dict(type='DigitCNN', arch='usps'))
    assert backbone(torch.zeros(2, 1, 28, 28)).latent.shape[0] == 2
    # 29-31 would give the same latent size and pass unnoticed; 32 would
    # fail in the classifier with a matrix-shape error.
    with pytest.raises(
            ValueError,
            match=r"\(B, 1, 28, 28\).*image_size=28"
            r".*'svhn': 32x32"):
        backbone(torch.zeros(2, 1, size, size))
