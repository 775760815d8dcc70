_base_ = ['../mcd/mcd_usps-cnn_usps2mnist.py']
# DFA on digits: alpha 0.01, beta 10 (PAPER_NOTES sec. 1).
model = dict(
    aligner=dict(
        type='DFA', decoder=dict(type='DigitDecoder'), alpha=0.01,
        beta=10.0))
