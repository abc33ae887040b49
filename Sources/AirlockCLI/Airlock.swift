import ArgumentParser

@main
struct Airlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airlock",
        abstract: "An egress data-minimisation proxy for LLM traffic.",
        version: AirlockVersion.description,
        subcommands: [Serve.self, CA.self, Env.self, AllowlistCommand.self, Scan.self, LedgerCommand.self]
    )
}
