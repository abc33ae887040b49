/// Settings read from environment variables, for containers and service managers that set the environment more
/// easily than they edit a file. Precedence, highest first: a command-line flag, an environment variable, the
/// configuration file, the default. An empty variable counts as unset.
public enum EnvironmentOverrides {
    /// Each variable with the configuration key and the flag it stands for, in the order they are documented.
    public static let variables: [(name: String, key: String, flag: String)] = [
        ("AIRLOCK_LISTEN", "listen", "--listen"),
        ("AIRLOCK_ADMIN_LISTEN", "admin_listen", "--admin-listen"),
        ("AIRLOCK_LOG_LEVEL", "log_level", "--log-level"),
        ("AIRLOCK_LOG_FORMAT", "log_format", "--log-format"),
    ]

    /// A variable whose value cannot be used.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Applies the variables that are set to `configuration`; a value it cannot read is an error naming the
    /// variable (never silently ignored).
    public static func apply(
        _ environment: [String: String], to configuration: inout AirlockConfiguration
    ) throws(Invalid) {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        if let text = value("AIRLOCK_LISTEN") {
            guard let address = HostPort(parsing: text) else {
                throw Invalid(description: "AIRLOCK_LISTEN must be HOST:PORT")
            }
            configuration.listen = address
        }
        if let text = value("AIRLOCK_ADMIN_LISTEN") {
            if text == "off" {
                configuration.adminListen = nil
            } else {
                guard let address = HostPort(parsing: text) else {
                    throw Invalid(description: "AIRLOCK_ADMIN_LISTEN must be HOST:PORT or off")
                }
                configuration.adminListen = address
            }
        }
        if let text = value("AIRLOCK_LOG_LEVEL") {
            guard AirlockConfiguration.logLevels.contains(text) else {
                throw Invalid(
                    description:
                        "AIRLOCK_LOG_LEVEL must be one of \(AirlockConfiguration.logLevels.joined(separator: ", "))")
            }
            configuration.logLevel = text
        }
        if let text = value("AIRLOCK_LOG_FORMAT") {
            guard let format = AirlockConfiguration.LogFormat(rawValue: text) else {
                throw Invalid(description: "AIRLOCK_LOG_FORMAT must be text or json")
            }
            configuration.logFormat = format
        }
    }
}
