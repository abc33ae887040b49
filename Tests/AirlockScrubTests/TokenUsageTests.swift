import Testing

@testable import AirlockScrub

@Suite struct TokenUsageTests {
    @Test func tokenUsageFromEachProvider() {
        var openai = TokenUsage()
        openai.absorb(json: Array(#"{"model":"gpt-4o","usage":{"prompt_tokens":11,"completion_tokens":3}}"#.utf8))
        #expect(openai.inputTokens == 11 && openai.outputTokens == 3 && openai.responseModel == "gpt-4o")
        var anthropic = TokenUsage()
        anthropic.absorb(
            json: Array(
                #"{"type":"message_start","message":{"model":"claude","usage":{"input_tokens":12,"cache_read_input_tokens":2,"cache_creation_input_tokens":1,"output_tokens":1}}}"#
                    .utf8))
        anthropic.absorb(json: Array(#"{"type":"message_delta","usage":{"output_tokens":4}}"#.utf8))
        #expect(anthropic.inputTokens == 15 && anthropic.outputTokens == 4)
        var gemini = TokenUsage()
        gemini.absorb(
            json: Array(#"{"modelVersion":"g","usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2}}"#.utf8))
        #expect(gemini.inputTokens == 9 && gemini.outputTokens == 2 && gemini.responseModel == "g")
        var responses = TokenUsage()
        responses.absorb(
            json: Array(
                #"{"type":"response.completed","response":{"model":"m","usage":{"input_tokens":5,"output_tokens":6}}}"#
                    .utf8))
        #expect(responses.inputTokens == 5 && responses.outputTokens == 6)
        var live = TokenUsage()
        live.absorb(
            json: Array(
                #"{"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":5,"responseTokenCount":2}}"#
                    .utf8))
        #expect(live.inputTokens == 5 && live.outputTokens == 2)
        var realtime = TokenUsage()
        realtime.absorb(
            json: Array(
                #"{"type":"response.done","response":{"usage":{"total_tokens":12,"input_tokens":9,"output_tokens":3}}}"#
                    .utf8))
        #expect(realtime.inputTokens == 9 && realtime.outputTokens == 3)
    }

    @Test func ignoresWhatIsNotUsage() {
        var usage = TokenUsage()
        for text in [
            "not json", "[1,2]", #"{"usage":null}"#, #"{"usage":{"prompt_tokens":"11"}}"#,
            #"{"usage":{"prompt_tokens":-3,"completion_tokens":1.5}}"#, #"{"model":7}"#,
        ] {
            usage.absorb(json: Array(text.utf8))
        }
        #expect(usage == TokenUsage())
        usage.absorb(json: Array(#"{"model":"gpt-\u00e9","usage":{"prompt_tokens":2}}"#.utf8))
        #expect(usage.responseModel == "gpt-é" && usage.inputTokens == 2 && usage.outputTokens == nil)
    }
}
