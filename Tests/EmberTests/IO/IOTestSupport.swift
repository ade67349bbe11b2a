import Foundation
@testable import Ember

/// A new empty folder under the system temporary folder, for tests that write files.
func makeIOTestFolder(_ label: String = "io") -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ember-\(label)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Test fixture files from Tests/EmberTests/Fixtures.
func ioFixtureURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// The error thrown by `body`, as an EmberIOError (nil if it did not throw one).
func captureIOError(_ body: () throws -> Void) -> EmberIOError? {
    do {
        try body()
        return nil
    } catch let error as EmberIOError {
        return error
    } catch {
        return nil
    }
}
