#!/usr/bin/env bash
# Regenerates Sources/EmberONNX/Generated/onnx.pb.swift, the Swift types of ONNX's protobuf schema.
# The generated file is committed so that builds need neither protoc nor the swift-protobuf plugin.
#
#   scripts/generate_onnx_swift.sh [path/to/onnx.proto]
#
# Needs protoc (apt install protobuf-compiler) and onnx.proto (the `onnx` Python package ships it;
# pip install onnx). Builds protoc-gen-swift from the swift-protobuf version Package.swift names.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
proto="${1:-$(python3 -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')}"
version=1.39.0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q --branch "$version" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
cp "$proto" "$work/onnx.proto"
protoc --plugin="$work/swift-protobuf/.build/release/protoc-gen-swift" --swift_out="$work" \
    --swift_opt=Visibility=Internal --proto_path="$work" "$work/onnx.proto"
cp "$work/onnx.pb.swift" Sources/EmberONNX/Generated/onnx.pb.swift
echo "wrote Sources/EmberONNX/Generated/onnx.pb.swift from $proto"
