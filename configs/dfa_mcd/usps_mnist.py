_base_ = ['../mcd/usps_mnist.py', '../_base_/aligners/dfa_digits.py']
# The authors' USPS->MNIST DFA-MCD settings: lr 1e-3, num_k 6, and the decoder
# with the residual block (docs/method.md, "Where the authors' released code
# differs").
model = dict(aligner=_base_.dfa_aligner_residual, num_k=6)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=1e-3)),
    classifiers=dict(optimizer=dict(lr=1e-3)))
