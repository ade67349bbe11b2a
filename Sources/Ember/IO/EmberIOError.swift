import Foundation

/// A failure reading or writing a file: a checkpoint, a dataset file, a download.
/// The description names the file, the tensor key where there is one, what is wrong and, where it helps, what to do.
public struct EmberIOError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// What went wrong, for code that wants to react to a particular failure.
    public enum Kind: String, Sendable {
        case missingFile
        case readFailed
        case writeFailed
        case truncated
        case badMagic
        case unsupportedDataType
        case notGzip
        case corruptGzip
        case countMismatch
        case invalidHeader
        case invalidDType
        case invalidShape
        case invalidOffsets
        case unsupportedTensor
        case checksumMismatch
        case downloadFailed
        case datasetNotFound
        case unsupportedImage
        case corruptImage
    }

    public let kind: Kind
    /// The file (path or URL) concerned.
    public let file: String
    /// The tensor key concerned, for checkpoint errors about one tensor.
    public let key: String?
    /// What is wrong and what to do about it.
    public let message: String

    public init(_ kind: Kind, file: String, key: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        if let key { return "\(file): tensor '\(key)': \(message)" }
        return "\(file): \(message)"
    }

    public var errorDescription: String? { description }
}
