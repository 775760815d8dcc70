# Office-Home (the paper's sec. 4): Art, Clipart, Product, Real_World; 65
# classes. Loaders, transforms and training length as office31.py; choose
# the task with the same --domains option (default Ar -> Cl).
# Layout:
#   <data_root>/office_home/image_list/{Art,Clipart,Product,Real_World}.txt
_base_ = ['./office31.py']
image_list = dict(folder='office_home', num_classes=65)
train_dataloader = dict(
    dataset=dict(
        source=dict(image_list, domain='Art'),
        target=dict(image_list, domain='Clipart')))
val_dataloader = dict(dataset=dict(image_list, domain='Clipart'))
test_dataloader = val_dataloader
