import ArgumentParser

/// `ember`: train, evaluate and use MNIST-family classifiers from the terminal.
@main
struct EmberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ember",
        abstract: "Train, evaluate and use neural networks with Ember.",
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, RegressCommand.self, ConvertCommand.self,
                      DeviceCommand.self],
        defaultSubcommand: nil
    )
}
