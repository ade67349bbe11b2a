"""examples/transformer-copy in PyTorch, for comparing the result and the time with Ember's.

Run: /opt/torchenv/bin/python scripts/transformer_copy_pytorch.py [threads]
The same model (nn.Transformer 64 wide, 4 heads, 2+2 layers, feed-forward 256, dropout 0.1, batch first,
sine/cosine positions, Xavier-uniform matrices), the same recipe (Adam lr 0.5, betas (0.9, 0.98), eps 1e-9,
LambdaLR with warm-up 400, 20 epochs of 20 batches of 80) and the same greedy decoding of 1,000 fresh sequences.
"""
import math
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(1)
V, LENGTH, D = 11, 10, 64


class CopyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.source_embedding = nn.Embedding(V, D)
        self.target_embedding = nn.Embedding(V, D)
        position = torch.arange(64).unsqueeze(1)
        angle = position / torch.pow(10_000, torch.arange(0, D, 2) / D)
        encoding = torch.zeros(1, 64, D)
        encoding[0, :, 0::2], encoding[0, :, 1::2] = torch.sin(angle), torch.cos(angle)
        self.register_buffer("encoding", encoding)
        self.dropout = nn.Dropout(0.1)
        self.transformer = nn.Transformer(D, 4, 2, 2, 256, 0.1, batch_first=True)
        self.generator = nn.Linear(D, V)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def positions(self, x):
        return self.dropout(x + self.encoding[:, :x.shape[1]])

    def encode(self, source):
        return self.transformer.encoder(self.positions(self.source_embedding(source) * math.sqrt(D)))

    def decode(self, target, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(target.shape[1])
        x = self.positions(self.target_embedding(target) * math.sqrt(D))
        return self.generator(self.transformer.decoder(x, memory, tgt_mask=mask))


def random_sequences(count):
    return torch.cat([torch.ones(count, 1, dtype=torch.long), torch.randint(1, V, (count, LENGTH - 1))], 1)


model = CopyModel()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.5, betas=(0.9, 0.98), eps=1e-9)
scheduler = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda step: D ** -0.5 * min((step + 1) ** -0.5, (step + 1) * 400 ** -1.5))
start = time.perf_counter()
for epoch in range(1, 21):
    model.train()
    total = 0.0
    for _ in range(20):
        data = random_sequences(80)
        logits = model.decode(data[:, :-1], model.encode(data))
        loss = criterion(logits.reshape(-1, V), data[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item()
    print(f"Epoch {epoch:2d}: loss {total / 20:.4f}, lr {scheduler.get_last_lr()[0]:.2e}")
print(f"Trained in {time.perf_counter() - start:.1f} s")

model.eval()
source = random_sequences(1000)
with torch.no_grad():
    memory = model.encode(source)
    output = torch.ones(1000, 1, dtype=torch.long)
    for _ in range(1, LENGTH):
        output = torch.cat([output, model.decode(output, memory)[:, -1].argmax(1, keepdim=True)], 1)
print(f"Copied exactly: {int((output == source).all(1).sum())} of 1000 fresh sequences")
