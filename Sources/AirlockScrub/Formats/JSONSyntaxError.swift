/// Why a body could not be read as JSON. The message names the position, never the content.
package struct JSONSyntaxError: Error, Sendable, Equatable {
    package enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case invalidUTF8 = "invalid_utf8"
        case tooDeep = "nesting_too_deep"
    }
    package var code: Code
    package var offset: Int
    package var detail: String
}
