_base_ = ['../mcd/mcd_resnet50_visda2017.py']
# DFA-MCD (Algorithm 1); objects: alpha 0.1, beta 10 (PAPER_NOTES sec. 1).
model = dict(
    aligner=dict(
        type='DFA', decoder=dict(type='ResNetDecoder'), alpha=0.1,
        beta=10.0))
