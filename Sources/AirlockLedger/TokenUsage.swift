import Foundation

/// Token usage and the response model, read from provider responses: OpenAI's `usage` (also the final streamed
/// chunk and Responses' `response.completed`), Anthropic's `usage` (`message_start` and `message_delta` when
/// streamed; input counts cache reads and writes) and Gemini's `usageMetadata`.
package struct TokenUsage: Sendable, Equatable {
    package var inputTokens: Int?
    package var outputTokens: Int?
    package var responseModel: String?

    package init() {}

    /// Folds one JSON document (a whole response, or one streamed event) into the running totals.
    package mutating func absorb(json data: some Collection<UInt8>) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else { return }
        absorb(object)
    }

    mutating func absorb(_ object: [String: Any]) {
        if let model = (object["model"] as? String) ?? (object["modelVersion"] as? String) { responseModel = model }
        if let usage = object["usage"] as? [String: Any] {
            let cached =
                (usage["cache_read_input_tokens"] as? Int ?? 0) + (usage["cache_creation_input_tokens"] as? Int ?? 0)
            if let input = (usage["prompt_tokens"] as? Int) ?? (usage["input_tokens"] as? Int) {
                inputTokens = input + cached
            }
            if let output = (usage["completion_tokens"] as? Int) ?? (usage["output_tokens"] as? Int) {
                outputTokens = max(output, outputTokens ?? 0)
            }
        }
        if let metadata = object["usageMetadata"] as? [String: Any] {
            if let input = metadata["promptTokenCount"] as? Int { inputTokens = input }
            let output = (metadata["candidatesTokenCount"] as? Int ?? 0) + (metadata["thoughtsTokenCount"] as? Int ?? 0)
            if output > 0 { outputTokens = output }
        }
        // Anthropic's message_start and OpenAI Responses' events nest the message.
        for key in ["message", "response"] {
            if let nested = object[key] as? [String: Any] { absorb(nested) }
        }
    }
}
