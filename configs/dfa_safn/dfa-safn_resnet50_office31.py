_base_ = ['../safn/safn_resnet50_office31.py']
# DFA-SAFN (Algorithm 2); objects: alpha 0.1, beta 10 (PAPER_NOTES sec. 1).
model = dict(
    aligner=dict(
        type='DFA', decoder=dict(type='ResNetDecoder'), alpha=0.1,
        beta=10.0))
