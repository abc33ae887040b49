import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file that could not be read: its absolute path, the operating system's reason and, for a relative path, the
/// working directory it was resolved against.
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// The path as it was given.
    public var path: String
    /// The operating system's reason (`No such file or directory`, `Permission denied`, `Is a directory`).
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `cannot read /abs/Allowlist: No such file or directory (the relative path 'Allowlist' is resolved against
    /// the working directory /abs)`.
    public var description: String {
        "cannot read \(FileReading.absolute(path)): \(reason)"
            + (path.hasPrefix("/")
                ? ""
                : " (the relative path '\(path)' is resolved against the working directory \(FileReading.workingDirectory))")
    }

}

/// Reads files for the loaders and the command line, with errors that say which file and why.
public enum FileReading {
    /// The whole file.
    public static func read(_ path: String) throws(FileReadError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileReadError(path: path, reason: reason(errno)) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            close(descriptor)
            throw FileReadError(path: path, reason: reason(EISDIR))
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw FileReadError(path: path, reason: reason(errno == 0 ? EIO : errno))
        }
    }

    /// Whether `path` can be opened for reading; the error otherwise. Reads nothing.
    public static func checkReadable(_ path: String) throws(FileReadError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileReadError(path: path, reason: reason(errno)) }
        close(descriptor)
    }

    /// The operating system's message for an errno value.
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// `path` made absolute against the working directory, with `.` and `..` resolved.
    public static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : (workingDirectory as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    public static var workingDirectory: String { FileManager.default.currentDirectoryPath }
}
