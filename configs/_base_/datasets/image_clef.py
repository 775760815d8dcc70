# ImageCLEF-DA (the paper's sec. 4): ImageNet (i), Pascal VOC (p), Caltech
# (c); 12 classes. Loaders, transforms and training length as office31.py;
# choose the task with the same --domains option (default I -> P).
# Layout (the ImageCLEF-DA release):
#   <data_root>/image_clef/list/{i,p,c}List.txt
#   with lines "i/n02691156_7563.JPEG 0".
_base_ = ['./office31.py']
image_list = dict(
    folder='image_clef', list_file='list/{domain}List.txt', num_classes=12)
train_dataloader = dict(
    dataset=dict(
        source=dict(image_list, domain='i'),
        target=dict(image_list, domain='p')))
val_dataloader = dict(dataset=dict(image_list, domain='p'))
test_dataloader = val_dataloader
