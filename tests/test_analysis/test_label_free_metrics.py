"""Label-free model-selection metrics against values worked out by hand."""
import math

import pytest
import torch

# yapf: disable
from dfa_lab.evaluation.metrics import (InformationMaximization,
                                        SoftNeighborhoodDensity,
                                        SourceValidationAccuracy,
                                        TargetEntropy,
                                        information_maximization,
                                        probability_entropy,
                                        soft_neighborhood_density)

# yapf: enable

LN2, LN3 = math.log(2), math.log(3)


def samples(probs, labels=None):
    """Model outputs as the adapter's predict mode returns them, with logits
    log p (so that softmax gives p back)."""
    out = []
    for i, p in enumerate(torch.tensor(probs)):
        sample = dict(pred_logits=p.log(), head_logits={})
        if labels is not None:
            sample['gt_label'] = torch.tensor(labels[i])
        out.append(sample)
    return out


def evaluate(metric, outputs, size=None):
    """Process ``outputs`` in batches of two and evaluate, as mmengine's
    evaluator does; ``size`` < len(outputs) drops the padding a distributed
    sampler adds."""
    for start in range(0, len(outputs), 2):
        metric.process(None, outputs[start:start + 2])
    return metric.evaluate(size or len(outputs))


def binary_entropy(q):
    return -q * math.log(q) - (1 - q) * math.log(1 - q)


# p = (1/2, 1/2): H = ln 2. p = (1, 0): H = 0 (0 log 0 = 0).
HALF_AND_SURE = [[0.5, 0.5], [1.0, 0.0]]


def test_prediction_entropy():
    entropy = probability_entropy(torch.tensor(HALF_AND_SURE))
    assert entropy.tolist() == pytest.approx([LN2, 0.0])
    uniform = torch.full((1, 3), 1 / 3)
    assert probability_entropy(uniform).item() == pytest.approx(LN3)


def test_target_entropy():
    metrics = evaluate(TargetEntropy(), samples(HALF_AND_SURE))
    assert metrics == {'label_free/neg_entropy': pytest.approx(-LN2 / 2)}


def test_information_maximization():
    # Mean prediction (3/4, 1/4): H = 2 ln 2 - 3/4 ln 3. Mean entropy ln2 / 2.
    expected = 2 * LN2 - 0.75 * LN3 - LN2 / 2
    probs = torch.tensor(HALF_AND_SURE)
    assert information_maximization(probs).item() == pytest.approx(expected)
    metrics = evaluate(InformationMaximization(), samples(HALF_AND_SURE))
    assert metrics == {'label_free/im': pytest.approx(expected)}
    # Every sample confidently in the same class: nothing is learnt.
    collapsed = torch.tensor([[1.0, 0.0]] * 3)
    assert information_maximization(collapsed).item() == pytest.approx(0)


# a and b predict class 0, c class 1: cosine a.b = 1, a.c = b.c = 0. For a
# (and b) the neighbours are b (similarity 1) and c (0): P = softmax(1/T, 0),
# a two-point distribution with q = 1 / (1 + e^(1/T)) on c. For c both
# neighbours have similarity 0: uniform, entropy ln 2. Self-similarity is
# excluded.
SND_PROBS = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize('temperature', [1.0, 0.05])
def test_soft_neighborhood_density(temperature):
    q = 1 / (1 + math.exp(1 / temperature))
    expected = (2 * binary_entropy(q) + LN2) / 3
    probs = torch.tensor(SND_PROBS)
    assert soft_neighborhood_density(
        probs, temperature).item() == pytest.approx(expected)
    # Row chunks give the same value as the whole matrix.
    assert soft_neighborhood_density(
        probs, temperature, chunk_size=1).item() == pytest.approx(expected)
    metrics = evaluate(
        SoftNeighborhoodDensity(temperature=temperature), samples(SND_PROBS))
    assert metrics == {'label_free/snd': pytest.approx(expected)}


def test_soft_neighborhood_density_ignores_scale_of_predictions():
    # Predictions are L2-normalised: (1/2, 1/2) and (1, 1)/sqrt(2) are one
    # direction, and two identical neighbours give a uniform distribution.
    probs = torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    assert soft_neighborhood_density(probs).item() == pytest.approx(LN2)
    with pytest.raises(ValueError, match='at least two'):
        soft_neighborhood_density(probs[:1])
    with pytest.raises(ValueError, match='temperature'):
        SoftNeighborhoodDensity(temperature=0)


def test_label_free_metrics_read_no_labels_and_drop_padding():
    # A distributed sampler pads the last rank with repeated samples; the
    # evaluator drops them by size, before the criteria see all results.
    padded = samples(SND_PROBS + [SND_PROBS[0]], labels=[0, 0, 1, 0])
    exact = samples(SND_PROBS)
    for metric_type in (TargetEntropy, InformationMaximization,
                        SoftNeighborhoodDensity):
        assert evaluate(
            metric_type(), padded, size=3) == evaluate(metric_type(), exact)


def test_source_validation_accuracy():
    # Predictions 0, 1, 1, 1 against labels 0, 1, 0, 1: 3 of 4 right; class
    # 0 recall 1/2, class 1 recall 1.
    outputs = samples([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]],
                      labels=[0, 1, 0, 1])
    metrics = evaluate(SourceValidationAccuracy(), outputs)
    assert metrics == {
        'source_val/accuracy': pytest.approx(75.0),
        'source_val/mean_class_accuracy': pytest.approx(75.0)
    }
    with pytest.raises(KeyError, match='labelled samples'):
        evaluate(SourceValidationAccuracy(), samples([[0.5, 0.5]]))
