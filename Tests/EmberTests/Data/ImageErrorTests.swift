import Foundation
import Testing
@testable import Ember

/// Programmer errors in the image API stop with a message that names the problem and the values.
@Suite struct ImageErrorTests {
    func expectMessage(_ expected: String, _ result: ExitTest.Result?) {
        #expect(stderr(result).contains(expected), "stderr: \(stderr(result))")
    }

    @Test func imagesAndGridsNameTheirShapes() async {
        expectMessage("a 2x2 RGB image needs 12 bytes, got 5", await #expect(processExitsWith: .failure,
            observing: [\.standardErrorContent]) { _ = Image(width: 2, height: 2, mode: .rgb, pixels: [1, 2, 3, 4, 5]) })
        expectMessage("Image(tensor): expects [C, H, W] with 1 to 4 channels or [H, W], got shape [5, 2, 2]",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = Image(Tensor.zeros([5, 2, 2])) })
        expectMessage("makeGrid: expects [N, C, H, W], [C, H, W] or [H, W] images, got shape [4]",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = makeGrid(Tensor.zeros([4])) })
        expectMessage("affineGrid: expects theta [N, 2, 3] and a size [N, C, H, W] with the same N, got theta [2, 3, 3]",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = affineGrid(Tensor.zeros([2, 3, 3]), size: [2, 1, 4, 4])
            })
    }

    @Test func transformsNameTheirArguments() async {
        expectMessage("Resize: expects an image [H, W], [C, H, W] or [N, C, H, W], got shape [7]",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = Resize(4)(Tensor.zeros([7])) })
        expectMessage("Resize needs a positive size, got 0",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = Resize(0) })
        expectMessage("RandomRotation(-5.0): a single angle must be non-negative",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = RandomRotation(-5) })
    }

    @Test func imageFolderNamesTheFilesOfAMixedBatch() async {
        expectMessage("a batch needs one size: add Resize and CenterCrop",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("ember-mixed-\(UUID().uuidString)")
                try Image(width: 2, height: 2, mode: .gray, pixels: [0, 1, 2, 3]).write(to: root.appendingPathComponent("a/1.png").path)
                try Image(width: 3, height: 2, mode: .gray, pixels: [0, 1, 2, 3, 4, 5]).write(to: root.appendingPathComponent("b/2.png").path)
                _ = try ImageFolder(root: root.path).batch(at: [0, 1])
            })
        expectMessage("broken.png: cannot decode this PNG",
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("ember-broken-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
                try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]).write(to: root.appendingPathComponent("a/broken.png"))
                _ = try ImageFolder(root: root.path)[0]
            })
    }
}
