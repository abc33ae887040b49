/// One line of the request head as the scanner reads it: the decoded path alone, a header as `name: value`, a query
/// parameter as `name=value`, or a credential or cursor as its value alone.
struct HeadLine {
    enum Place { case path, query, header }
    var place: Place
    var role: HeadScrubber.Role
    /// Where the line came from: the header's position, or the parameter's among the query's `&`-separated pieces.
    var index: Int
    /// The target's lines hold their decoded text: the parameter's name and value, or the path as the name. A
    /// header's text is read from the header itself, so that reading a request's headers copies none of them, until
    /// its value is redacted and held here (`rewritten`).
    var name: [UInt8] = []
    var value: [UInt8] = []
    var rewritten = false
}
