import Foundation
import Testing
@testable import Ember

/// makeGrid and saveImage against torchvision.utils (Fixtures/images.json "torchvision").
@Suite struct ImageGridTests {
    static let torchvision: [String: Any] = ((try? loadFixture("images.json"))?["torchvision"] as? [String: Any]) ?? [:]
    static let grids = torchvision["grids"] as? [[String: Any]] ?? []

    @Test func fixturesLoaded() { #expect(Self.grids.count == 8) }

    @Test(arguments: 0..<8)
    func makeGridMatchesTorchvision(_ index: Int) throws {
        try #require(index < Self.grids.count)
        let c = Self.grids[index]
        let options = c["options"] as! [String: Any]
        let range = (options["value_range"] as? [Double]).map { (low: Float($0[0]), high: Float($0[1])) }
        let out = makeGrid(Tensor(floats(c["x"]), shape: c["shape"] as! [Int]), nrow: options["nrow"] as? Int ?? 8,
                           padding: options["padding"] as? Int ?? 2, normalize: options["normalize"] as? Bool ?? false,
                           valueRange: range, scaleEach: options["scale_each"] as? Bool ?? false,
                           padValue: (options["pad_value"] as? Double).map(Float.init) ?? 0)
        #expect(out.shape == c["out_shape"] as! [Int], "case \(index)")
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-6, "case \(index) \(options)")
    }

    @Test func saveImageWritesTorchvisionsBytes() throws {
        let c = try #require(Self.torchvision["save_image"] as? [String: Any])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-grid-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try saveImage(Tensor(floats(c["x"]), shape: c["shape"] as! [Int]), to: url.path, nrow: c["nrow"] as! Int,
                      padding: c["padding"] as! Int)
        let image = try Image.read(url.path)
        #expect(image.mode.name == c["mode"] as! String && image.width == c["width"] as! Int && image.height == c["height"] as! Int)
        #expect(image.pixels == (c["pixels"] as! [Int]).map { UInt8($0) })
    }
}
