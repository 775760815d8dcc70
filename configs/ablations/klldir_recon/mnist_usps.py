# Table 8, "L_klldir + L_recon": L_klldir plus the paired L1 reconstruction
# |D(G(x)) - x| of both domains through the tied decoder. The paper gives no
# weight for L_recon; it gets beta's 10, the weight of the decoder's L1 term
# in DFA.
_base_ = ['../../ent/mnist_usps.py']
model = dict(aligner=dict(type='KLLDir', beta=10.0, recon_weight=10.0))
