"""Runs an ONNX model in onnxruntime for Ember's export tests: the first input from stdin as JSON
{"shape": [...], "values": [...]} (float32), every output to stdout as JSON [{"shape", "values"}].

    python3 scripts/onnxruntime_run.py model.onnx < input.json

scripts/setup.sh installs onnxruntime and numpy into .build-onnxruntime/ (PYTHONPATH) when pip can
reach PyPI; without them the tests that use this script are skipped, saying why.
"""
import json
import sys

import numpy as np
import onnxruntime

request = json.load(sys.stdin)
session = onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
x = np.array(request["values"], dtype=np.float32).reshape(request["shape"])
outputs = session.run(None, {session.get_inputs()[0].name: x})
json.dump([{"shape": list(o.shape), "values": [float(v) for v in o.reshape(-1)]} for o in outputs], sys.stdout)
