/// ASCII helpers for header names and values: byte comparisons without lowercased copies or Foundation.

extension Collection<UInt8> {
    /// Equal to `lowercase` (which must be lowercase ASCII) when ASCII letters are folded.
    /// Native strings' bytes are compared through one buffer pointer rather than `String` indices.
    func equalsIgnoringASCIICase(_ lowercase: StaticString) -> Bool {
        withContiguousStorageIfAvailable { asciiFoldedEqual($0, lowercase) } ?? asciiFoldedEqual(self, lowercase)
    }
}

extension BidirectionalCollection<UInt8> {
    /// Without leading and trailing spaces, tabs, carriage returns and line feeds; no copy.
    func trimmingASCIIWhitespace() -> SubSequence {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

private func asciiFoldedEqual(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    var index = 0
    for byte in bytes {
        let folded = byte &- 0x41 < 26 ? byte | 0x20 : byte
        if folded != lowercase.utf8Start[index] { return false }
        index += 1
    }
    return true
}

extension StringProtocol {
    /// Trims spaces and tabs without Foundation's character sets, which are slow on the request path, and without
    /// copying.
    func trimmingASCIISpaces() -> Substring {
        let text = Substring(self)
        guard let first = text.utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = text.utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return text[first...last]
    }
}
