"""Ten-crop prediction and the per-class accuracy, against hand-worked
values on a stub network whose logits are its input."""
import math

import pytest
import torch
from torch import nn

from dfa_lab.models.adapters import ClassifierSet
from dfa_lab.registry import METRICS, MODELS
from dfa_lab.structures import EncoderOutput


class FlattenBackbone(nn.Module):
    """The image, flattened, is the latent."""

    def forward(self, img):
        return EncoderOutput(img.flatten(1))


def stub_adapter():
    model = MODELS.build(
        dict(
            type='SourceOnly',
            backbone=dict(type='DigitCNN'),
            classifier=dict(
                type='MLPHead',
                in_channels=768,
                hidden_channels=(4, ),
                num_classes=3)))
    model.backbone = FlattenBackbone()
    model.classifiers = ClassifierSet({'F': nn.Identity()})
    return model.eval()


def crops_with_probabilities(*per_crop):
    """A (10, 1, 1, 3) stack of crops whose logits are log-probabilities."""
    return torch.tensor(per_crop).log().view(10, 1, 1, 3)


# Image A: nine crops favour class 0, one crop is sure of class 1. The mean
# probability picks class 0, although the mean logit would pick class 1:
#   mean p = ((9 * 0.6 + 0.001) / 10, (9 * 0.3 + 0.998) / 10,
#             (9 * 0.1 + 0.001) / 10) = (0.5401, 0.3698, 0.0901)
#   mean log p: class 0: 9 ln 0.6 + ln 0.001 = -11.50,
#               class 1: 9 ln 0.3 + ln 0.998 = -10.84.
IMAGE_A = crops_with_probabilities(*[(0.6, 0.3, 0.1)] * 9,
                                   (0.001, 0.998, 0.001))
MEAN_A = (0.5401, 0.3698, 0.0901)
# Image B: every crop gives (0.2, 0.1, 0.7): class 2.
IMAGE_B = crops_with_probabilities(*[(0.2, 0.1, 0.7)] * 10)
MEAN_B = (0.2, 0.1, 0.7)


def test_ten_crop_prediction_is_log_of_mean_probability():
    model = stub_adapter()
    logits = model.predict_logits(torch.stack([IMAGE_A, IMAGE_B]))
    expected = torch.tensor([MEAN_A, MEAN_B]).log()
    for name in ('F', 'prediction'):
        assert torch.allclose(logits[name], expected, atol=1e-5)
    assert logits['prediction'].argmax(1).tolist() == [0, 2]


def test_per_class_accuracy_of_ten_crop_predictions():
    # Labels: A -> 0 (right), B -> 1 (wrong), B -> 2 (right), A -> 0
    # (right). Overall 3/4; per class: class 0 2/2, class 1 0/1, class 2
    # 1/1, mean 2/3.
    model = stub_adapter()
    images = torch.stack([IMAGE_A, IMAGE_B, IMAGE_B, IMAGE_A])
    samples = model(images, torch.tensor([0, 1, 2, 0]), mode='predict')
    metric = METRICS.build(dict(type='TargetAccuracy'))
    metric.process(None, samples)
    metrics = metric.compute_metrics(metric.results)
    assert metrics['accuracy'] == pytest.approx(75.0)
    assert metrics['mean_class_accuracy'] == pytest.approx(200 / 3)


@pytest.mark.parametrize('adapter', ['SourceOnly', 'MCD'])
def test_one_crop_equals_log_softmax_of_plain_prediction(adapter):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type=adapter,
            backbone=dict(type='DigitCNN'),
            classifier=dict(
                type='MLPHead',
                in_channels=768,
                hidden_channels=(4, ),
                num_classes=3))).eval()
    img = torch.randn(5, 1, 28, 28)
    plain = model.predict_logits(img)
    one_crop = model.predict_logits(img[:, None])
    assert set(plain) == set(one_crop)
    for name, logits in plain.items():
        assert torch.allclose(one_crop[name], logits.log_softmax(1), atol=1e-6)
    assert math.isclose(
        one_crop['prediction'].exp().sum(1)[0].item(), 1, rel_tol=1e-6)
