"""The Vision Transformer training step of examples/mnist-vit in PyTorch on this machine, for
`ember-bench vit`.

Run: /opt/torchenv/bin/python scripts/bench_pytorch_vit.py [steps] [threads]
Same network (16 patches of 7x7 as 64-wide tokens after a class token, learned positions, 4 pre-norm
nn.TransformerEncoderLayer(64, 4, 128, GELU, batch_first), final LayerNorm, linear head on the class
token), Adam lr 1e-3, batch 128, random MNIST-shaped batches (data loading is not timed in either).
Prints ms per step, the epoch (469 steps) extrapolated and the step breakdown.
"""
import sys

import torch
import torch.nn as nn

from bench_torch_steps import report, time_steps

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embedding = nn.Linear(49, 64)
        self.class_token = nn.Parameter(torch.randn(1, 1, 64) * 0.02)
        self.position_embedding = nn.Parameter(torch.randn(1, 17, 64) * 0.02)
        layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 4, norm=nn.LayerNorm(64), enable_nested_tensor=False)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        n = x.shape[0]
        patches = x.reshape(n, 4, 7, 4, 7).permute(0, 1, 3, 2, 4).reshape(n, 16, 49)
        tokens = torch.cat([self.class_token.expand(n, 1, 64), self.patch_embedding(patches)], 1)
        return self.head(self.encoder(tokens + self.position_embedding)[:, 0])


model = ViT()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xs = torch.randn(8, 128, 1, 28, 28)
ys = torch.randint(0, 10, (8, 128))
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
report(*time_steps(model, opt, xs, ys, steps), steps, 469)
