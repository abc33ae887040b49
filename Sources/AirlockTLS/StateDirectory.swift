import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The directory that holds Airlock's CA, keys and ledger: `--state-dir`, else `$AIRLOCK_HOME`, else `~/.airlock`.
public struct StateDirectory: Sendable {
    public let path: String

    public init(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit, !explicit.isEmpty {
            path = explicit
        } else if let home = environment["AIRLOCK_HOME"], !home.isEmpty {
            path = home
        } else {
            path = (environment["HOME"] ?? NSHomeDirectory()) + "/.airlock"
        }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Creates the directory (mode 0700) if needed.
    public func create() throws(StateError) {
        if let code = Self.makeDirectories(path) {
            throw StateError(
                code: .cannotCreate, path: path,
                reason: "cannot create the state directory: \(StateError.osReason(code))")
        }
    }

    /// `mkdir -p` with mode 0700, returning the errno of the step that failed (nil when the directory exists).
    private static func makeDirectories(_ path: String) -> Int32? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? nil : ENOTDIR
        }
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if let slash = trimmed.lastIndex(of: "/") {
            let parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
            if parent != path, let code = makeDirectories(parent) { return code }
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST { return errno }
        return nil
    }

    /// Writes `data` atomically with `mode`; secret files are created 0600 before any byte is written.
    public func write(_ data: [UInt8], to name: String, mode: mode_t) throws(StateError) {
        let target = file(name)
        let temporary = target + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw StateError(
                code: .cannotWrite, path: target, reason: "cannot create file: \(StateError.osReason(errno))")
        }
        defer { close(fd) }
        _ = fchmod(fd, mode)
        var written = 0
        while written < data.count {
            let n = data.withUnsafeBytes { Glibc_write(fd, $0.baseAddress! + written, data.count - written) }
            guard n > 0 else {
                let reason = StateError.osReason(n < 0 ? errno : EIO)
                unlink(temporary)
                throw StateError(code: .cannotWrite, path: target, reason: "write failed: \(reason)")
            }
            written += n
        }
        guard fsync(fd) == 0, rename(temporary, target) == 0 else {
            let reason = StateError.osReason(errno)
            unlink(temporary)
            throw StateError(code: .cannotWrite, path: target, reason: "cannot store file: \(reason)")
        }
    }

    /// Reads a file that must be readable by its owner only. Refuses group- or world-readable secrets.
    public func readSecret(_ name: String) throws(StateError) -> [UInt8] {
        let target = file(name)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
            let permissions = attributes[.posixPermissions] as? Int
        else {
            // The system's reason, as `access` finds it (a file that exists but cannot be read: permission).
            let code = access(target, F_OK) == 0 ? EACCES : errno
            throw StateError(code: .missing, path: target, reason: "cannot read file: \(StateError.osReason(code))")
        }
        let mode = permissions & 0o7777
        if mode & 0o077 != 0 {
            throw StateError(
                code: .insecurePermissions, path: target,
                reason:
                    "private key is accessible by group or others (mode \(String(mode & 0o777, radix: 8))); run chmod 600"
            )
        }
        return try read(name)
    }

    public func read(_ name: String) throws(StateError) -> [UInt8] {
        let target = file(name)
        let fd = open(target, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw StateError(code: .missing, path: target, reason: "cannot read file: \(StateError.osReason(errno))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard let data = try? handle.readToEnd() else {
            throw StateError(code: .missing, path: target, reason: "cannot read file: \(StateError.osReason(EIO))")
        }
        return Array(data)
    }

    public func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    /// A secret (mode 0600), made with `make` on first use.
    public func secret(_ name: String, make: () -> [UInt8]) throws(StateError) -> [UInt8] {
        if exists(name) { return try readSecret(name) }
        try create()
        let bytes = make()
        try write(bytes, to: name, mode: 0o600)
        return bytes
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// A problem with the state directory or a file in it.
public struct StateError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case cannotCreate = "state_dir_unwritable"
        case cannotWrite = "state_file_unwritable"
        case missing = "state_file_missing"
        case insecurePermissions = "insecure_permissions"
        case invalidContent = "invalid_content"
    }

    public var code: Code
    public var path: String
    public var reason: String

    public init(code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// The absolute path and the problem; for a relative path, also the working directory it was resolved against.
    public var description: String {
        let directory = FileManager.default.currentDirectoryPath
        guard !path.hasPrefix("/") else { return "\(path): \(reason)" }
        let absolute = ((directory as NSString).appendingPathComponent(path) as NSString).standardizingPath
        return
            "\(absolute): \(reason) (the relative path '\(path)' is resolved against the working directory \(directory))"
    }

    /// The operating system's message for an errno value (`No such file or directory`).
    public static func osReason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
