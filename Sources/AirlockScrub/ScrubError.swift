/// Why a body could not be scanned. The message describes the problem, never the content.
package struct ScrubError: Error, Sendable, Equatable {
    /// What went wrong, as a stable reason code clients and the ledger see.
    package enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case invalidUTF8 = "invalid_utf8"
        case invalidBase64 = "invalid_base64"
        case invalidMultipart = "invalid_multipart"
        case nestingTooDeep = "nesting_too_deep"
        case invalidRequestTarget = "invalid_request_target"
        case timeBudgetExceeded = "time_budget_exceeded"
        case tokenIDsUnreadable = "token_ids_unreadable"

        /// The code for a JSON document that does not parse.
        package init(_ code: JSONSyntaxError.Code) {
            switch code {
            case .invalidJSON: self = .invalidJSON
            case .invalidUTF8: self = .invalidUTF8
            case .tooDeep: self = .nestingTooDeep
            }
        }
    }

    package var code: Code
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}
