"""The PyTorch side of scripts/bench_serve.sh: the seed MLP served the way PyTorch tutorials serve
a model, with FastAPI and uvicorn, answering the same JSON as `ember-serve` (no batching across
requests: each request runs the model on its own instances).

    python scripts/serve_pytorch.py MODEL.safetensors PORT
"""
import sys

import torch
import torch.nn as nn
import uvicorn
from fastapi import FastAPI


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x.view(x.shape[0], -1))))


model = MLP()
try:
    from safetensors.torch import load_file
    model.load_state_dict(load_file(sys.argv[1]))
except ImportError:
    pass  # the timing is the same with the initial weights
model.eval()
app = FastAPI()


@app.post("/predict")
def predict(body: dict, top: int = 3):
    x = torch.tensor(body["instances"], dtype=torch.float32).view(-1, 1, 28, 28)
    with torch.no_grad():
        probabilities = model((x - 0.1307) / 0.3081).softmax(dim=1)
    values, indices = probabilities.topk(top, dim=1)
    predictions = []
    for row_values, row_indices in zip(values.tolist(), indices.tolist()):
        best = [{"class": c, "label": str(c), "probability": p} for c, p in zip(row_indices, row_values)]
        predictions.append({**best[0], "top": best})
    return {"predictions": predictions}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
