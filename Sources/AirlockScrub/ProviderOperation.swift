/// The API operation a request performs, from its path.
package enum ProviderOperation: String, Sendable {
    case chat, responses, embeddings, completions, messages, countTokens = "count_tokens"
    case generateContent, streamGenerateContent, embedContent, other

    package static func from(path: String, kind: PayloadKind) -> ProviderOperation {
        let bytes = path.utf8
        let p = bytes[..<(bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex)]
        func ends(_ suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard p.count >= count else { return false }
            return p.suffix(count).elementsEqual(UnsafeBufferPointer(start: suffix.utf8Start, count: count))
        }
        switch kind {
        case .openai:
            if ends("/chat/completions") { return .chat }
            if ends("/responses") { return .responses }
            if ends("/embeddings") { return .embeddings }
            if ends("/completions") { return .completions }
        case .anthropic:
            if ends("/messages/count_tokens") { return .countTokens }
            if ends("/messages") { return .messages }
        case .gemini:
            if ends(":streamGenerateContent") { return .streamGenerateContent }
            if ends(":generateContent") { return .generateContent }
            if ends(":countTokens") { return .countTokens }
            if ends(":embedContent") || ends(":batchEmbedContents") { return .embedContent }
        case .json, .auto, .text: break
        }
        return .other
    }
}
