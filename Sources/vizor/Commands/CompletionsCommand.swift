import ArgumentParser

struct CompletionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completions",
        abstract: "Print a shell completion script.",
        discussion: """
            bash: vizor completions bash > ~/.local/share/bash-completion/completions/vizor
            zsh:  vizor completions zsh > "${fpath[1]}/_vizor"
            fish: vizor completions fish > ~/.config/fish/completions/vizor.fish
            """
    )

    @Argument(help: "bash, zsh or fish.") var shell: String

    mutating func run() async throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw ValidationError("unknown shell \(shell); use bash, zsh or fish")
        }
        print(Vizor.completionScript(for: kind))
    }
}
