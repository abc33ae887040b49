/// The `command-line-password` rule: a password given as an option to a client whose name is the keyword
/// (`curl -u user:password`, `wget --password …`, `mysql -p…`, `sshpass -p …`, HTTPie's `-a user:password`).
extension Matchers {
    /// How a client takes a password: which options, whether their value is `user:password`, and whether a short
    /// option's value may be the next word or must be attached (`mysql -psecret`; `mysql -p db` prompts).
    private struct Client {
        var short: ByteClass
        var long: [[UInt8]]
        var pair: Bool
        var shortValueSeparate: Bool
        /// Flags without a value that may come before the password option in one cluster (`curl -sSu a:b`).
        var clusterFlags = ByteClass()
        /// The subcommand the options must follow, if the client has subcommands: `docker login -p …`, while
        /// `docker run -p 8080:80` publishes a port.
        var subcommand: [UInt8]? = nil
    }

    private static let curl = Client(
        short: ByteClass([], "uU"), long: ["user", "proxy-user"].map { Array($0.utf8) }, pair: true,
        shortValueSeparate: true, clusterFlags: ByteClass([], "sSfLkviIN"))
    private static let wget = Client(
        short: ByteClass(),
        long: ["password", "http-password", "ftp-password", "proxy-password"].map { Array($0.utf8) },
        pair: false, shortValueSeparate: true)
    private static let httpie = Client(
        short: ByteClass([], "a"), long: [Array("auth".utf8)], pair: true, shortValueSeparate: true)
    private static let mysql = Client(short: ByteClass([], "p"), long: [], pair: false, shortValueSeparate: false)
    private static let sshpass = Client(short: ByteClass([], "p"), long: [], pair: false, shortValueSeparate: true)
    private static let registryLogin = Client(
        short: ByteClass([], "p"), long: [Array("password".utf8)], pair: false, shortValueSeparate: true,
        subcommand: Array("login".utf8))
    private static let redisServer = Client(
        short: ByteClass(), long: ["requirepass", "masterauth"].map { Array($0.utf8) }, pair: false,
        shortValueSeparate: true)
    private static let redisCLI = Client(
        short: ByteClass([], "a"), long: [Array("pass".utf8)], pair: false, shortValueSeparate: true)

    private static let clients: [([UInt8], Client)] = [
        ("curl", curl), ("wget", wget), ("http", httpie), ("https", httpie), ("xh", httpie), ("mysql", mysql),
        ("mysqldump", mysql), ("mysqladmin", mysql), ("mariadb", mysql), ("sshpass", sshpass),
        ("docker", registryLogin), ("podman", registryLogin), ("nerdctl", registryLogin), ("buildah", registryLogin),
        ("redis-server", redisServer), ("redis-cli", redisCLI),
    ].map { (Array($0.0.utf8), $0.1) }

    /// The plausible passwords among the options that follow the client's name on its command line (which may
    /// continue over lines ending in `\`): all of them (`curl -u user:password --proxy-user user:password`).
    static func commandLinePasswords(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [Range<Int>] {
        if start > 0, ByteClass.identifier.contains(b[start - 1]) { return [] }
        let name = start..<end - 1
        guard let client = clients.first(where: { $0.0.count == name.count && Bytes.containsFolded(b, name, $0.0) })?.1
        else { return [] }
        var passwords: [Range<Int>] = []
        var words = ShellWords(b, from: end, limit: min(b.count, end + 4096), multiline: false)
        if let subcommand = client.subcommand {
            guard let first = words.next(), first.count == subcommand.count,
                Bytes.equal(b, first.lowerBound, subcommand)
            else { return [] }
        }
        var scanned = 0
        while let word = words.next(), scanned < 64 {
            scanned += 1
            guard word.count >= 2, b[word.lowerBound] == UInt8(ascii: "-") else { continue }
            var value: Range<Int>?
            if b[word.lowerBound + 1] == UInt8(ascii: "-") {
                let nameStart = word.lowerBound + 2
                var nameEnd = nameStart
                while nameEnd < word.upperBound, b[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
                guard client.long.contains(where: { $0.count == nameEnd - nameStart && Bytes.equal(b, nameStart, $0) })
                else { continue }
                value = nameEnd < word.upperBound ? ShellWords.unquoted(b, nameEnd + 1..<word.upperBound) : words.next()
            } else {
                var i = word.lowerBound + 1
                while i < word.upperBound, client.clusterFlags.contains(b[i]), !client.short.contains(b[i]) { i += 1 }
                guard i < word.upperBound, client.short.contains(b[i]) else { continue }
                if i + 1 < word.upperBound {
                    value = ShellWords.unquoted(b, i + 1..<word.upperBound)
                } else if client.shortValueSeparate {
                    value = words.next()
                }
            }
            guard var password = value else { continue }
            if client.pair {
                guard let colon = b[password].firstIndex(of: UInt8(ascii: ":")) else { continue }
                // `-u user:password` and `-u :password`; `-u key:` with no password sends the key as the user name,
                // which is then the credential (`curl -u sk_live_…:`).
                password =
                    colon + 1 < password.upperBound ? colon + 1..<password.upperBound : password.lowerBound..<colon
            }
            if plausiblePassword(b, password) { appendKeepingQuotes(b, password, to: &passwords) }
        }
        return passwords
    }

    /// `password` in the runs between the quotes it holds (`vv:"p w"d` as the shell joins it): a quote that a
    /// placeholder replaced would change where every later word on the line begins and ends, so that reading the
    /// redacted line again would find other options.
    private static func appendKeepingQuotes(
        _ b: UnsafeBufferPointer<UInt8>, _ password: Range<Int>, to passwords: inout [Range<Int>]
    ) {
        var start = password.lowerBound
        for i in password where b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") {
            if i > start { passwords.append(start..<i) }
            start = i + 1
        }
        if password.upperBound > start { passwords.append(start..<password.upperBound) }
    }
}
