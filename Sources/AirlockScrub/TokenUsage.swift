/// Token usage and the response model, read from provider responses: OpenAI's `usage` (also the final streamed
/// chunk and Responses' `response.completed`), Anthropic's `usage` (`message_start` and `message_delta` when
/// streamed; input counts cache reads and writes) and Gemini's `usageMetadata` (also the Live API's).
package struct TokenUsage: Sendable, Equatable {
    package var inputTokens: Int?
    package var outputTokens: Int?
    package var responseModel: String?

    package init() {}

    /// Folds one JSON document (a whole response, or one streamed event) into the running totals. Anything that
    /// is not a JSON object is ignored.
    package mutating func absorb(json data: [UInt8]) {
        data.withUnsafeBufferPointer { bytes in
            guard let root = try? JSONParser.parse(bytes, maxDepth: 64) else { return }
            absorb(root, in: bytes, depth: 0)
        }
    }

    private mutating func absorb(_ object: JSONNode, in bytes: UnsafeBufferPointer<UInt8>, depth: Int) {
        guard case .object = object else { return }
        func integer(_ node: JSONNode?) -> Int? {
            guard case .scalar(let range) = node, range.count <= 18 else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        func string(_ node: JSONNode?) -> String? {
            guard case .string(let range, let escaped) = node else { return nil }
            return String(decoding: JSONStrings.decode(bytes, range, escaped: escaped), as: UTF8.self)
        }
        if let model = string(object["model"]) ?? string(object["modelVersion"]) { responseModel = model }
        if let usage = object["usage"], case .object = usage {
            let cached =
                (integer(usage["cache_read_input_tokens"]) ?? 0) + (integer(usage["cache_creation_input_tokens"]) ?? 0)
            if let input = integer(usage["prompt_tokens"]) ?? integer(usage["input_tokens"]) {
                inputTokens = input + cached
            }
            if let output = integer(usage["completion_tokens"]) ?? integer(usage["output_tokens"]) {
                outputTokens = max(output, outputTokens ?? 0)
            }
        }
        if let metadata = object["usageMetadata"], case .object = metadata {
            if let input = integer(metadata["promptTokenCount"]) { inputTokens = input }
            // `responseTokenCount` in the Live API's messages.
            let candidates = integer(metadata["candidatesTokenCount"]) ?? integer(metadata["responseTokenCount"])
            let output = (candidates ?? 0) + (integer(metadata["thoughtsTokenCount"]) ?? 0)
            if output > 0 { outputTokens = output }
        }
        // Anthropic's message_start and OpenAI Responses' events nest the message.
        guard depth < 2 else { return }
        for key in ["message", "response"] {
            if let nested = object[key] { absorb(nested, in: bytes, depth: depth + 1) }
        }
    }
}
