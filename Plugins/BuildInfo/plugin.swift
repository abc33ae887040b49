import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` before every build: the commit the binary is built from, for `airlock --version`.
/// The commit is `$AIRLOCK_COMMIT` when set (a build without the git history, such as the container image's),
/// else git's `HEAD`, with `-dirty` when tracked files differ from it; `unknown` when neither is available. The
/// file is rewritten only when its content changes, so an unchanged commit recompiles nothing.
@main
struct BuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let script = """
            set -u
            out="$2/BuildInfo.swift"
            mkdir -p "$2"
            commit="${AIRLOCK_COMMIT:-}"
            if [ -z "$commit" ] && command -v git >/dev/null 2>&1; then
              commit=$(git -c safe.directory='*' -C "$1" rev-parse --short=12 HEAD 2>/dev/null || true)
              if [ -n "$commit" ] && [ -n "$(git -c safe.directory='*' -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit-dirty"
              fi
            fi
            commit=$(printf '%s' "${commit:-unknown}" | tr -cd 'A-Za-z0-9._-')
            printf '/// Generated before each build by the BuildInfo plugin.\\nlet buildCommit = "%s"\\n' "${commit:-unknown}" > "$out.tmp"
            if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; fi
            """
        var environment: [String: String] = [:]
        if let commit = ProcessInfo.processInfo.environment["AIRLOCK_COMMIT"] { environment["AIRLOCK_COMMIT"] = commit }
        return [
            .prebuildCommand(
                displayName: "Recording the commit for airlock --version",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "build-info", context.package.directoryURL.path, output.path],
                environment: environment,
                outputFilesDirectory: output)
        ]
    }
}
