"""Analyses of trained adapters (the paper's section 5): latent features of
both domains, t-SNE, latent histograms, accuracy and training curves read
from a run's logs, feature-space distances, and each loss term's share of
the encoder's gradient."""
from .distance import (DISTANCE_DEFINITION, class_feature_distances,
                       mean_distance, render_distance_table)
from .features import (DOMAINS, SPLITS, dataset_labels, domain_dataset_configs,
                       extract_domain_features, extract_features, load_adapter,
                       load_adapter_checkpoint, load_features,
                       per_class_indices)
from .gradient_share import (SHARE_DEFINITION, compare_gradients,
                             fixed_training_batches, gradient_shares,
                             preserved_state, render_gradient_share_table)
from .plots import (plot_accuracy_curves, plot_latent_histogram,
                    plot_training_curves, plot_tsne)
from .scalars import (ACCURACY_KEY, load_training_series,
                      load_validation_records)

__all__ = [
    'ACCURACY_KEY', 'load_training_series', 'load_validation_records',
    'DISTANCE_DEFINITION', 'DOMAINS', 'SPLITS', 'class_feature_distances',
    'dataset_labels', 'domain_dataset_configs', 'extract_domain_features',
    'extract_features', 'load_adapter', 'load_adapter_checkpoint',
    'load_features', 'mean_distance', 'SHARE_DEFINITION', 'compare_gradients',
    'fixed_training_batches', 'gradient_shares', 'preserved_state',
    'render_gradient_share_table', 'per_class_indices', 'plot_accuracy_curves',
    'plot_latent_histogram', 'plot_training_curves', 'plot_tsne',
    'render_distance_table'
]
