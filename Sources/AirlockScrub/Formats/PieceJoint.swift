/// Secrets that straddle two pieces of one text: two pieces of one upload (Gemini's resumable uploads, OpenAI's
/// upload parts), or neighbouring text parts of one body (OpenAI content parts, Anthropic text blocks, Gemini
/// parts), which the provider reads as one text.
///
/// Each piece is scanned on its own, so a token, key or assignment cut in two by a piece boundary would be seen as
/// two halves that no rule recognises. The proxy keeps the end of the file as the client sent it, up to `reach`
/// bytes, and the next piece of the same upload is read once more with that end in front of its own start. A
/// secret found there that reaches into the piece has its part in the piece redacted (or the piece blocked, as the
/// policy says). The part in the earlier piece has already left; on its own it matched no rule, and the rest of it
/// never leaves. Text parts of one body are all at hand, so they are read together (`jointFindings`) and a secret
/// across a boundary is redacted in every part it touches.
package enum PieceJoint {
    /// How many bytes of the file's end are kept, and how many of the next piece's start are read with them: more
    /// than the longest secret a rule matches whole (an 8192-bit RSA key in PEM is about 6.3 KB).
    package static let reach = 8192

    /// The last `reach` bytes of `before` followed by `piece`: what the next piece is read with.
    package static func end(of before: [UInt8], then piece: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard piece.count < reach else { return Array(piece.suffix(reach)) }
        return Array(before.suffix(reach - piece.count)) + Array(piece)
    }
}
