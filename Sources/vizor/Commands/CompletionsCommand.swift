import ArgumentParser

struct CompletionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completions",
        abstract: "Print a shell completion script.",
        discussion: helpText(
            "Completes commands, options, their fixed values, and the site names, image ids and job ids of this machine.",
            examples: ["vizor completions bash > ~/.local/share/bash-completion/completions/vizor",
                       "vizor completions zsh > \"${fpath[1]}/_vizor\"",
                       "vizor completions fish > ~/.config/fish/completions/vizor.fish"])
    )

    @Argument(help: "The shell to complete in.") var shell: Shell

    /// The shells ArgumentParser writes completion scripts for.
    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    mutating func run() async throws {
        guard let kind = CompletionShell(rawValue: shell.rawValue) else {
            throw CLIError(.failure, "ArgumentParser has no completion script for \(shell.rawValue)")
        }
        print(Vizor.completionScript(for: kind))
    }
}
