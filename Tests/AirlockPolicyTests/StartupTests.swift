import AirlockPolicy
import Foundation
import Testing

@Suite("start-up: environment variables, the admin default, files that cannot be read")
struct StartupTests {
    @Test("a variable overrides the configuration file; an empty one is unset")
    func environmentOverridesTheFile() throws {
        var configuration = AirlockConfiguration()
        configuration.listen = HostPort(host: "127.0.0.1", port: 8080)
        try EnvironmentOverrides.apply(
            [
                "AIRLOCK_LISTEN": "0.0.0.0:8081", "AIRLOCK_ADMIN_LISTEN": "off", "AIRLOCK_LOG_FORMAT": "json",
                "AIRLOCK_LOG_LEVEL": "",
            ], to: &configuration)
        #expect(configuration.listen == HostPort(host: "0.0.0.0", port: 8081))
        #expect(configuration.adminListen == nil)
        #expect(configuration.logFormat == .json)
        #expect(configuration.logLevel == "info")
    }

    @Test("the admin listener's default is clear of Prometheus's 9090")
    func adminDefault() {
        #expect(AirlockConfiguration().adminListen == HostPort(host: "127.0.0.1", port: 9479))
    }

    @Test(
        "a value that cannot be read names its variable",
        arguments: [
            ("AIRLOCK_LISTEN", "8080"), ("AIRLOCK_ADMIN_LISTEN", "nowhere"), ("AIRLOCK_LOG_FORMAT", "xml"),
            ("AIRLOCK_LOG_LEVEL", "loud"),
        ])
    func invalidVariable(name: String, value: String) {
        var configuration = AirlockConfiguration()
        #expect {
            try EnvironmentOverrides.apply([name: value], to: &configuration)
        } throws: { error in
            (error as? EnvironmentOverrides.Invalid)?.description.hasPrefix(name + " must be") == true
        }
    }

    @Test("a missing file is named by its absolute path, the OS reason and the working directory")
    func missingFile() {
        #expect {
            _ = try FileReading.read("no-such-dir/allowlist.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains(FileReading.workingDirectory + "/no-such-dir/allowlist.yaml")
                && text.contains("No such file or directory")
                && text.contains("working directory \(FileReading.workingDirectory)")
        }
        let absolute = "/nonexistent-\(UUID().uuidString)/x.yaml"
        #expect(
            throws: FileReadError.self,
            performing: { _ = try FileReading.read(absolute) })
        let report = AllowlistChecker.check(paths: [absolute]).report
        #expect(
            report.findings.first?.description
                == "\(absolute): error file.unreadable cannot read \(absolute): No such file or directory")
    }
}
