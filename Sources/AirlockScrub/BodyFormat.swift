/// How a request body is framed.
package enum BodyFormat: Sendable, Equatable {
    case json
    /// `multipart/form-data` (file uploads, audio transcription, image edits).
    case form(boundary: [UInt8])
    /// A piece of a file uploaded in pieces (Gemini's resumable uploads): raw bytes whose total length was declared
    /// when the upload started, so redaction must not change it.
    case uploadPiece
}
