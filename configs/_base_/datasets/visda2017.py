# VisDA-2017 (the paper's sec. 4): synthetic renderings (train) -> real
# images (validation); 12 classes; the reported number is the per-class
# mean accuracy, target/mean_class_accuracy. Loaders, transforms and
# training length as office31.py.
# Layout (Transfer-Learning-Library's):
#   <data_root>/visda2017/image_list/{train,validation}.txt
_base_ = ['./office31.py']
image_list = dict(folder='visda2017', num_classes=12)
train_dataloader = dict(
    dataset=dict(
        source=dict(image_list, domain='train'),
        target=dict(image_list, domain='validation')))
val_dataloader = dict(dataset=dict(image_list, domain='validation'))
test_dataloader = val_dataloader
