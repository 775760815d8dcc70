# SynDigits -> UCI handwritten digits: both embedded, nothing to download.
# Source: digits rendered from matplotlib's fonts; target: scikit-learn's
# 8x8 UCI digits upscaled to 28x28 grey. device='auto': the images live on
# the GPU when there is one, and batches are gathered there.
_base_ = ['./uda_loaders.py']
source_train = dict(
    type='SynDigits',
    num_samples=10000,
    seed=0,
    split='train',
    image_size=28,
    channels=1,
    device='auto')
target_train = dict(
    type='UCIDigits', split='train', image_size=28, channels=1, device='auto')
target_test = dict(
    type='UCIDigits', split='test', image_size=28, channels=1, device='auto')
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_test)
test_dataloader = dict(dataset=target_test)
train_cfg = dict(max_iters=300, val_interval=150)
# What source-only, MCD and DFA-MCD reach on this task (target/accuracy
# after 300 iterations, mean of seeds 1-3); every run's summary
# (TrainingSummaryHook) prints it next to its own accuracy.
reference_accuracy = dict(
    iters=300,
    seeds=[1, 2, 3],
    results='docs/results/embedded.md',
    accuracy={
        'source-only': 37.5,
        'MCD': 52.0,
        'DFA-MCD': 52.7
    })
