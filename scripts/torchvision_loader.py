"""torchvision's Python code for the fixture scripts.

torchvision's package __init__ also loads compiled ops built for one exact torch build, and fails on
another (a CPU-only torch, say). Nothing the fixtures use needs them, so when that import fails the
submodules are loaded from TORCHVISION_DIR (a folder made by
`pip install --no-deps --target DIR torchvision`) under an empty package.
"""
import os
import sys
import types


def import_torchvision():
    try:
        import torchvision
        return torchvision
    except Exception:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        package = types.ModuleType("torchvision")
        package.__path__ = [os.path.join(os.environ["TORCHVISION_DIR"], "torchvision")]
        sys.modules["torchvision"] = package
        return package
