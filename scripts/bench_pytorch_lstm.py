"""The LSTM training step of examples/mnist-rnn in PyTorch on this machine, for `ember-bench lstm`
(or with a GRU in its place, for `ember-bench gru`).

Run: .venv-bench/bin/python scripts/bench_pytorch_lstm.py [steps] [threads] [lstm|gru]
Same network (2-layer nn.LSTM 28->128, batch_first, linear 128->10 on the last step), Adam lr 0.01,
batch 100, random MNIST-shaped batches (data loading is not timed in either). Prints ms per step,
the epoch (600 steps) extrapolated and the step breakdown.
"""
import sys

import torch
import torch.nn as nn

from bench_torch_steps import report, time_steps

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
layer = nn.GRU if len(sys.argv) > 3 and sys.argv[3] == "gru" else nn.LSTM
torch.set_num_threads(threads)
torch.manual_seed(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = layer(28, 128, 2, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


model = Net()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
xs = torch.randn(8, 100, 28, 28)
ys = torch.randint(0, 10, (8, 100))
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
report(*time_steps(model, opt, xs, ys, steps), steps, 600)
