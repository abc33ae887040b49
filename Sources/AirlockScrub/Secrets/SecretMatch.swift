/// What a scan found: a rule and the byte range of the secret in the scanned text.
package struct SecretMatch: Sendable, Equatable {
    package var rule: Int
    package var range: Range<Int>
}
