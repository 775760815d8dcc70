# Office-31 (the paper's sec. 4): Amazon, DSLR, Webcam; 31 classes. Also the
# template of the other object benchmarks (office_home.py, image_clef.py,
# visda2017.py), which change the folder, the domains and the classes and
# keep the loaders, the transforms and the training length.
#
# Layout (Transfer-Learning-Library's):
#   <data_root>/office31/image_list/{amazon,dslr,webcam}.txt
#   with lines "amazon/images/back_pack/frame_0001.jpg 0".
# The target domain is read three times: unlabelled for training, labelled
# for validation and testing. Choose a task (default A -> W) with
#   tools/train.py CONFIG --domains webcam dslr
# which sets train_dataloader.dataset.{source,target}.domain and the domain
# of val_dataloader.dataset and test_dataloader.dataset.
# Ten-crop testing (the "*" rows):
#   val_dataloader.dataset.transform.crop=ten \
#     test_dataloader.dataset.transform.crop=ten
# The authors' DFA code trains on 221x221 crops:
#   train_dataloader.dataset.source.transform.crop_size=221 \
#     train_dataloader.dataset.target.transform.crop_size=221
_base_ = ['./uda_loaders.py']
# The folder holding every dataset; tools/train.py --data-root sets it.
data_root = 'data'
image_list = dict(
    type='ImageList',
    data_root=data_root,
    folder='office31',
    list_file='image_list/{domain}.txt',
    num_classes=31)
# Resize to 256x256, then a random 224 crop and flip (training) or the
# centre crop (testing); ImageNet normalisation.
train_transform = dict(
    type='ResizeCrop',
    resize_size=256,
    crop_size=224,
    crop='random',
    flip=True)
test_transform = dict(
    type='ResizeCrop', resize_size=256, crop_size=224, crop='center')
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        source=dict(image_list, domain='amazon', transform=train_transform),
        target=dict(image_list, domain='webcam', transform=train_transform)))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(image_list, domain='webcam', transform=test_transform))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=10000, val_interval=1000)
