# Two commands set everything up on a fresh Debian/Ubuntu machine:
#   make train   trains the MNIST MLP (the main job)
#   make test    runs the test suite
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: setup train test bench

setup:
	@bash scripts/setup.sh

train: setup
	swift build -c release --product ember
	.build/release/ember train $(ARGS)

# EMBER_CUDA_PATH lets the tests find the NVRTC that setup.sh fetches (to compile the CUDA kernels).
test: setup
	swift build --build-tests
	EMBER_CUDA_PATH="$${EMBER_CUDA_PATH:+$$EMBER_CUDA_PATH:}$(CURDIR)/.build-nvrtc/nvidia/cu13/lib" swift test --skip-build

bench: setup
	swift build -c release --product ember-bench
	.build/release/ember-bench $(ARGS)
