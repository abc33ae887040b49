/// The release this source tree is, and the commit it was built from (`BuildInfo.swift`, written before each build).
enum AirlockVersion {
    static let number = "0.1.0"

    /// `airlock 0.1.0 (commit 5eb1045a1b2c)`; the commit is `unknown` when the build could not tell.
    static var description: String { "airlock \(number) (commit \(buildCommit))" }
}
