"""Every name registered in a dfa_lab registry builds from a config dict."""
import pytest
import torch
from PIL import Image

from dfa_lab import registry
from dfa_lab.datasets import DatasetNotFoundError

HEAD = dict(
    type='MLPHead', in_channels=768, hidden_channels=(8, ), num_classes=10)
DIGIT = dict(type='DigitCNN')
RESNET = dict(type='TimmResNet', pretrained=False)
SAFN_HEAD = dict(
    type='SAFNHead', in_channels=768, embed_channels=8, num_classes=10)
ADAM = dict(type='Adam', lr=1e-3)


def model_configs():
    backbone = registry.MODELS.build(DIGIT)
    resnet = registry.MODELS.build(RESNET)
    return {
        'DigitCNN': (dict(type='DigitCNN', arch='svhn'), {}),
        'DigitDecoder':
        (dict(type='DigitDecoder', tied=False,
              residual_block=True), dict(encoder=backbone)),
        'MLPHead': (HEAD, {}),
        'CrossEntropyLoss': (dict(type='CrossEntropyLoss'), {}),
        'EntropyLoss': (dict(type='EntropyLoss', loss_weight=0.1), {}),
        'ClassifierDiscrepancyLoss':
        (dict(type='ClassifierDiscrepancyLoss'), {}),
        'PriorKLLoss': (dict(type='PriorKLLoss', mode='gaussian'), {}),
        'DistributionAlignmentLoss': (dict(type='DistributionAlignmentLoss'),
                                      {}),
        'EnergyDistanceLoss': (dict(type='EnergyDistanceLoss',
                                    metric='l1'), {}),
        'SlicedWassersteinLoss': (dict(type='SlicedWassersteinLoss'), {}),
        'DFA': (dict(type='DFA', kl_mode='gaussian'), dict(backbone=backbone)),
        'PriorKLAligner': (dict(type='PriorKLAligner',
                                beta=10.0), dict(backbone=backbone)),
        'DALDir': (dict(type='DALDir'), dict(backbone=backbone)),
        'KLLDir': (dict(type='KLLDir',
                        recon_weight=1.0), dict(backbone=backbone)),
        'LatentKLLoss': (dict(type='LatentKLLoss'), {}),
        'GaussianMMDLoss':
        (dict(type='GaussianMMDLoss', bandwidth_multipliers=(1.0, 2.0)), {}),
        'CORALLoss': (dict(type='CORALLoss', loss_weight=10.0), {}),
        'SinkhornDivergenceLoss':
        (dict(type='SinkhornDivergenceLoss', blur=0.1), {}),
        'LatentDivergenceAligner': (dict(
            type='LatentDivergenceAligner',
            divergence=dict(type='CORALLoss')), dict(backbone=backbone)),
        'ClassConditionalAligner':
        (dict(type='ClassConditionalAligner',
              num_classes=10), dict(backbone=backbone)),
        'ReconstructionLoss': (dict(type='ReconstructionLoss'), {}),
        'SourceOnly':
        (dict(type='SourceOnly', backbone=DIGIT, classifier=HEAD), {}),
        'ENT': (dict(
            type='ENT',
            backbone=DIGIT,
            classifier=HEAD,
            aligner=dict(type='DFA')), {}),
        'MCD': (dict(type='MCD', backbone=DIGIT, classifier=HEAD,
                     num_k=2), {}),
        'TimmResNet': (RESNET, {}),
        'MLPEncoder': (dict(type='MLPEncoder', widths=(2, 8, 4)), {}),
        'MLPDecoder':
        (dict(type='MLPDecoder', bn_affine=False),
         dict(encoder=registry.MODELS.build(dict(type='MLPEncoder')))),
        'ResNetDecoder': (dict(type='ResNetDecoder',
                               tied=False), dict(encoder=resnet)),
        'SAFNHead': (SAFN_HEAD, {}),
        'AdaptiveFeatureNormLoss': (dict(type='AdaptiveFeatureNormLoss'), {}),
        'SAFN': (dict(type='SAFN', backbone=DIGIT, classifier=SAFN_HEAD), {}),
        'DomainDiscriminator':
        (dict(type='DomainDiscriminator', in_channels=768,
              hidden_channels=8), {}),
        'DomainAdversarialLoss': (dict(type='DomainAdversarialLoss'), {}),
        'DANN': (dict(
            type='DANN',
            backbone=DIGIT,
            classifier=HEAD,
            discriminator=dict(type='DomainDiscriminator',
                               hidden_channels=8)), {}),
        'CDAN': (dict(
            type='CDAN',
            backbone=DIGIT,
            classifier=HEAD,
            entropy_conditioning=True,
            random_dim=16,
            discriminator=dict(type='DomainDiscriminator',
                               hidden_channels=8)), {}),
    }


def test_every_model_builds():
    configs = model_configs()
    assert set(configs) == set(registry.MODELS.module_dict)
    for name, (cfg, default_args) in configs.items():
        module = registry.MODELS.build(cfg, default_args=default_args)
        assert type(module).__name__ == name


def test_every_dataset_and_sampler_builds(data_root, tmp_path):
    root = str(data_root)
    mnist = dict(type='MNIST', data_root=root, subset_size=50)
    usps = dict(type='USPS', data_root=root, split='test', subset_size=40)
    image_list(tmp_path / 'images')
    configs = {
        'MNIST':
        mnist,
        'USPS':
        usps,
        'SVHN':
        dict(type='SVHN', data_root=root, split='test'),
        'GTSRB':
        dict(type='GTSRB', data_root=root, split='test'),
        'SynSigns':
        dict(type='SynSigns', data_root=root),
        'SynDigits':
        dict(type='SynDigits', num_samples=20),
        'UCIDigits':
        dict(type='UCIDigits', split='test'),
        'UDAPairDataset':
        dict(type='UDAPairDataset', source=mnist, target=usps),
        'HoldoutSplit':
        dict(type='HoldoutSplit', dataset=mnist, holdout=0.2, part='holdout'),
        'ImageList':
        dict(
            type='ImageList',
            data_root=str(tmp_path),
            folder='images',
            list_file='list.txt'),
    }
    assert set(configs) == set(registry.DATASETS.module_dict)
    for name, cfg in configs.items():
        dataset = registry.DATASETS.build(cfg)
        assert type(dataset).__name__ == name and len(dataset) > 0
    # Where files are missing, each one names the path it expected.
    for name in ('MNIST', 'USPS', 'SVHN', 'GTSRB', 'SynSigns', 'ImageList'):
        cfg = dict(configs[name], data_root=str(tmp_path / 'none'))
        with pytest.raises(DatasetNotFoundError, match=str(tmp_path / 'none')):
            registry.DATASETS.build(cfg)
    assert set(registry.DATA_SAMPLERS.module_dict) == {'UDAPairSampler'}
    sampler = registry.DATA_SAMPLERS.build(
        dict(type='UDAPairSampler', seed=0),
        default_args=dict(
            dataset=registry.DATASETS.build(configs['UDAPairDataset'])))
    source_index, target_index = next(iter(sampler))
    assert 0 <= source_index < 50 and 0 <= target_index < 40


def image_list(folder):
    """A one-image list file in ``folder``."""
    folder.mkdir()
    Image.new('RGB', (8, 8)).save(folder / 'image.png')
    (folder / 'list.txt').write_text('image.png 0\n')


def test_every_transform_builds():
    assert set(registry.TRANSFORMS.module_dict) == {'ResizeCrop'}
    transform = registry.TRANSFORMS.build(
        dict(type='ResizeCrop', resize_size=8, crop_size=4))
    assert transform(Image.new('RGB', (10, 12))).shape == (3, 4, 4)


def test_engine_and_evaluation_components_build():
    model = registry.MODELS.build(model_configs()['MCD'][0])
    constructor = registry.OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='MultiOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                generator=dict(
                    modules=['backbone', 'aligner'], optimizer=ADAM),
                classifiers=dict(optimizer=ADAM))))
    assert set(constructor(model).keys()) == {'generator', 'classifiers'}
    assert set(registry.OPTIM_WRAPPER_CONSTRUCTORS.module_dict) == {
        'MultiOptimWrapperConstructor'
    }
    wrapper = registry.OPTIM_WRAPPERS.build(
        dict(
            type='AutocastOptimWrapper',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert wrapper.dtype == torch.bfloat16
    assert set(registry.OPTIM_WRAPPERS.module_dict) == {'AutocastOptimWrapper'}
    schedulers = {
        name:
        registry.PARAM_SCHEDULERS.build(
            dict(type=name, by_epoch=False, end=10),
            default_args=dict(optimizer=wrapper) if name == 'InvLR' else dict(
                optimizer=wrapper, param_name='momentum'))
        for name in ('InvLR', 'InvParamScheduler')
    }
    assert set(registry.PARAM_SCHEDULERS.module_dict) == set(schedulers)
    for name, scheduler in schedulers.items():
        assert type(scheduler).__name__ == name
    hooks = dict(
        RandomStateHook=dict(type='RandomStateHook'),
        AverageOverRanksHook=dict(type='AverageOverRanksHook'),
        NonFiniteCheckHook=dict(type='NonFiniteCheckHook'),
        DecoderCollapseHook=dict(type='DecoderCollapseHook', patience=2),
        TrainingSummaryHook=dict(type='TrainingSummaryHook'))
    # dfa_lab's CheckpointHook stands in for mmengine's in the dfa_lab scope.
    assert set(registry.HOOKS.module_dict) == set(hooks) | {'CheckpointHook'}
    for name, cfg in hooks.items():
        assert type(registry.HOOKS.build(cfg)).__name__ == name
    assert type(registry.HOOKS.build(
        dict(type='CheckpointHook'))).__name__ == 'SafeCheckpointHook'
    prefixes = {
        'TargetAccuracy': 'target',
        'SourceValidationAccuracy': 'source_val',
        'TargetEntropy': 'label_free',
        'InformationMaximization': 'label_free',
        'SoftNeighborhoodDensity': 'label_free',
    }
    assert set(registry.METRICS.module_dict) == set(prefixes)
    for name, prefix in prefixes.items():
        assert registry.METRICS.build(dict(type=name)).prefix == prefix
    # Built by mmengine's Runner in a distributed run (tests/test_tools).
    assert set(registry.MODEL_WRAPPERS.module_dict) == {
        'SeparateDistributedDataParallel'
    }
    # The configs' runner_type and the loaders' collate function.
    assert set(registry.RUNNERS.module_dict) == {'AdapterRunner'}
    assert set(registry.FUNCTIONS.module_dict) == {'gathered_collate'}


def test_options_of_declared_simple_types_are_checked_at_build():
    mcd = dict(
        type='MCD',
        backbone=dict(type='DigitCNN'),
        classifier=dict(type='MLPHead', hidden_channels=(8, ), num_classes=3))
    bad = dict(mcd, aligner=dict(type='DFA', alpha='x'))
    with pytest.raises(
            TypeError, match=r"DFA option 'alpha' must be a "
            r"number, got 'x'"):
        registry.MODELS.build(bad)
    with pytest.raises(TypeError, match="'arch' must be a string"):
        registry.MODELS.build(dict(type='DigitCNN', arch=3))
    # An int is a valid float; None is valid where the default is None.
    registry.MODELS.build(dict(mcd, aligner=dict(type='DFA', alpha=1)))
    registry.MODELS.build(dict(type='DigitCNN', in_channels=None))


def test_unknown_type_names_registry_and_closest_names():
    with pytest.raises(KeyError) as error:
        registry.MODELS.build(dict(type='DigitCNNN'))
    message = str(error.value)
    assert 'dfa_lab::model registry' in message and 'DigitCNN' in message
    with pytest.raises(KeyError, match='dfa_lab::metric.*TargetAccuracy'):
        registry.METRICS.build(dict(type='TargetAcc'))
    # Names from mmengine's root registries still resolve.
    assert registry.OPTIMIZERS.get('Adam') is torch.optim.Adam
    assert 'Adam' in registry.OPTIMIZERS
    assert 'NoSuchOptimizer' not in registry.OPTIMIZERS
