# SynDigits -> UCI handwritten digits: both embedded, nothing to download.
# Source: digits rendered from matplotlib's fonts; target: scikit-learn's
# 8x8 UCI digits upscaled to 28x28 grey. device='auto': the images live on
# the GPU when there is one, and batches are gathered there.
_base_ = ['./uda_loaders.py']
source_train = dict(
    type='SynDigits', num_samples=10000, seed=0, split='train',
    image_size=28, channels=1, device='auto')
target_train = dict(
    type='UCIDigits', split='train', image_size=28, channels=1,
    device='auto')
target_test = dict(
    type='UCIDigits', split='test', image_size=28, channels=1,
    device='auto')
train_dataloader = dict(
    dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_test)
test_dataloader = dict(dataset=target_test)
