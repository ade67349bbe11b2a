import ArgumentParser
import Ember
import EmberModels
import Foundation

/// `ember train`: the seed program's training run, with its options exposed.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier on MNIST, Fashion-MNIST or KMNIST.",
        discussion: """
            With the defaults this is the PyTorch tutorial: the 784-256-10 MLP, Adam lr 1e-3, batch 64, 5 epochs.
            The CNN of PyTorch's MNIST example reaches 99.24 % with: ember train --model cnn --epochs 8 --lr-gamma 0.7
            """)

    enum OptimizerName: String, ExpressibleByArgument, CaseIterable {
        case adam, adamw, sgd, rmsprop, adadelta, adamax, nadam, radam

        /// The rate when --lr is not given: 1e-3, except where PyTorch's default differs (Adadelta's
        /// 1.0, which its MNIST example uses; Adamax's and NAdam's 2e-3).
        var defaultLR: Float {
            switch self {
            case .adadelta: return 1.0
            case .adamax, .nadam: return 2e-3
            default: return 1e-3
            }
        }
    }

    @OptionGroup var data: DataOptions

    @Option(help: "Model: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: Architecture = .mlp

    @Option(help: "Number of passes over the training set.")
    var epochs: Int = 5

    @Option(help: "Training batch size.")
    var batchSize: Int = 64

    @Option(name: .customLong("lr"), help: "Learning rate (default 1e-3; 1.0 for adadelta, 2e-3 for adamax and nadam).")
    var lrOption: Float?

    /// The learning rate: --lr, else the optimizer's default.
    var lr: Float { lrOption ?? optimizer.defaultLR }

    @Option(help: "Multiply the learning rate by this after every epoch (StepLR with step 1), e.g. 0.7.")
    var lrGamma: Float?

    @Flag(help: "Augment the training images: random shifts of up to 10 % (RandomAffine(translate: (0.1, 0.1))).")
    var augment = false

    @Option(help: "Optimizer: \(OptimizerName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: OptimizerName = .adam

    @Option(help: "Momentum (sgd, rmsprop).")
    var momentum: Float = 0

    @Option(help: "Weight decay (decoupled for adamw, L2 for the others).")
    var weightDecay: Float?

    @Option(help: "Hold out this many training images, chosen at random by --seed, and report the loss and accuracy on them after each epoch.")
    var validationSize: Int?

    @Option(help: "Early stopping: stop when the validation loss has not improved for this many epochs, and keep the weights of the best epoch (needs --validation-size).")
    var patience: Int?

    @Option(help: "Seed for initialization, shuffling and the validation split; the same seed (and thread count) gives the same run.")
    var seed: UInt64 = 1

    @Option(help: "Print the loss every this many steps (when no progress bar is shown).")
    var logInterval: Int = 100

    @Option(help: "Write the trained model to this safetensors file (PyTorch loads it with safetensors.torch.load_file).")
    var save: String?

    @Option(help: "Continue training from a model saved with --save (its optimizer state is read from beside it).")
    var resume: String?

    @Option(help: "Write loss and accuracy curves to this SVG file.")
    var plot: String?

    @Option(help: "Log the training loss, test and validation figures, the learning rate and weight histograms to this folder for TensorBoard (tensorboard --logdir FOLDER).")
    var tensorboard: String?

    @Flag(inversion: .prefixedNo, help: "On a GPU, capture the training step in a CUDA graph after a few eager steps and replay it.")
    var cudaGraph = true

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let lrGamma, !(lrGamma > 0 && lrGamma <= 1) { throw ValidationError("--lr-gamma must be in (0, 1], got \(lrGamma)") }
        guard momentum >= 0 else { throw ValidationError("--momentum must be non-negative, got \(momentum)") }
        if let weightDecay, weightDecay < 0 { throw ValidationError("--weight-decay must be non-negative, got \(weightDecay)") }
        guard logInterval >= 1 else { throw ValidationError("--log-interval must be at least 1, got \(logInterval)") }
        if let save, !save.hasSuffix(".safetensors") {
            throw ValidationError("--save writes safetensors; give a path ending in .safetensors, got \(save)")
        }
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot writes SVG; give a path ending in .svg, got \(plot)") }
        if let validationSize, validationSize < 1 {
            throw ValidationError("--validation-size must be at least 1, got \(validationSize)")
        }
        if let patience {
            guard patience >= 1 else { throw ValidationError("--patience must be at least 1, got \(patience)") }
            guard validationSize != nil else {
                throw ValidationError("--patience \(patience) watches the validation loss; add --validation-size N (5000 holds out a twelfth of MNIST)")
            }
        }
    }

    /// The training images, and the held-out validation images (read without augmentation) when
    /// --validation-size asks for them. The split is drawn from --seed, so a resumed run holds out the same images.
    func split(_ full: IDXImageDataset) throws
        -> (train: Subset<IDXImageDataset>, validation: Subset<IDXImageDataset>?) {
        guard let validationSize else { return (Subset(full, indices: Array(0..<full.count)), nil) }
        guard validationSize < full.count else {
            throw ValidationError("--validation-size \(validationSize) leaves no training images: the training set has \(full.count); "
                + "hold out fewer than \(full.count)")
        }
        let parts = randomSplit(full, lengths: [full.count - validationSize, validationSize], seed: seed)
        let (mean, std) = data.dataset.normalization
        let unaugmented = augment ? full.withTransform(Normalize(mean: mean, std: std)) : full
        return (parts[0], Subset(unaugmented, indices: parts[1].indices))
    }

    func makeOptimizer(_ parameters: [Tensor]) -> Optimizer {
        switch optimizer {
        case .adam: return Adam(parameters, lr: lr, weightDecay: weightDecay ?? 0)
        case .adamw: return AdamW(parameters, lr: lr, weightDecay: weightDecay ?? 0.01)
        case .sgd: return SGD(parameters, lr: lr, momentum: momentum, weightDecay: weightDecay ?? 0)
        case .rmsprop: return RMSprop(parameters, lr: lr, weightDecay: weightDecay ?? 0, momentum: momentum)
        case .adadelta: return Adadelta(parameters, lr: lr, weightDecay: weightDecay ?? 0)
        case .adamax: return Adamax(parameters, lr: lr, weightDecay: weightDecay ?? 0)
        case .nadam: return NAdam(parameters, lr: lr, weightDecay: weightDecay ?? 0)
        case .radam: return RAdam(parameters, lr: lr, weightDecay: weightDecay ?? 0)
        }
    }

    func run() throws {
        data.applyThreads()
        manualSeed(seed)
        let started = Date()
        let interactive = !data.json && isatty(STDERR_FILENO) != 0
        let augmentation: [any Transform] = augment ? [RandomAffine(translate: (x: 0.1, y: 0.1), seed: seed)] : []
        let (train, validation) = try split(try data.load(train: true, augment: augmentation))
        let test = try data.load(train: false)

        let device = try data.resolvedDevice()
        let net = model.makeModel().to(device)
        let optimizer = makeOptimizer(net.parameters())
        var firstEpoch = 1
        if let resume {
            let epochsDone = try TrainingCheckpoint.load(model: net, optimizer: optimizer, from: resume, architecture: model)
            firstEpoch = epochsDone + 1
            note("Resumed from \(resume) after \(epochsDone) epochs", json: data.json)
        }
        // On a GPU without augmentation the whole training set lives on the device: a step's input
        // is the batch's indices, and the step gathers the batch there. Otherwise a DataLoader
        // assembles batches on the CPU in the background, and a step's inputs are the batch. Both
        // shuffle alike, so a seed gives the same batches.
        let nextEpoch: () -> AnyIterator<[Tensor]>
        let batch: ([Tensor]) -> (images: Tensor, labels: Tensor)
        let steps: Int
        if device != .cpu && !augment {
            let loader = DeviceDataLoader(train, batchSize: batchSize, shuffle: true, seed: seed, device: device)
            nextEpoch = { let indices = loader.batchIndices(); return AnyIterator { indices.next().map { [$0] } } }
            batch = { loader.batch($0[0]) }
            steps = loader.count
        } else {
            let loader = DataLoader(train, batchSize: batchSize, shuffle: true, seed: seed)
            nextEpoch = { let batches = loader.makeIterator(); return AnyIterator { batches.next().map { [$0.0.to(device), $0.1.to(device)] } } }
            batch = { ($0[0], $0[1]) }
            steps = loader.count
        }
        var lastEpoch = firstEpoch + epochs - 1
        var history = TrainingHistory()
        let stopper = patience.map { EarlyStopping(patience: $0) }
        // The best epoch's weights and optimizer state, cloned, so an early stop keeps them and a
        // saved run resumes from them.
        var best: (epoch: Int, model: [String: Tensor], optimizer: [String: Tensor])?
        func keepBest(epoch: Int) { best = noGrad { (epoch, net.stateDict().mapValues { $0.clone() }, optimizer.stateDict()) } }
        // A resumed run starts from the weights it loaded: they are the best so far until an epoch
        // beats their validation loss, so stopping never keeps a worse model than the one resumed.
        if resume != nil, let stopper, let validation {
            stopper.step(Evaluation.run(net, on: validation, batchSize: data.testBatchSize(for: model)).loss)
            keepBest(epoch: firstEpoch - 1)
        }
        for _ in 1..<firstEpoch { _ = nextEpoch() }  // the shuffle order continues where it stopped
        // TensorBoard's x axis is the global step, so a resumed run continues its curves; what an earlier
        // run logged past the resumed epoch (before an early stop went back) is purged.
        let board = try tensorboard.map { try SummaryWriter(logDir: $0, purgeStep: resume == nil ? nil : (firstEpoch - 1) * steps + 1) }
        board?.addText("run", "\(model.rawValue) on \(data.dataset.rawValue), \(self.optimizer.rawValue) lr \(lr), batch size \(batchSize), "
            + "seed \(seed), device \(device)", step: (firstEpoch - 1) * steps)

        // The epoch's loss is summed on the device: reading a GPU value waits for the GPU, so the
        // loop reads the loss only when it prints it. One tensor for the whole run, as a captured
        // step adds to it.
        let lossSum = Tensor.zeros([], device: device)
        let trainingStep = GraphedTrainingStep(device: device, optimizer: optimizer, enabled: cudaGraph) { inputs in
            let (images, labels) = batch(inputs)
            optimizer.zeroGrad()
            let loss = crossEntropy(net(images), labels)
            loss.backward()
            optimizer.step()
            noGrad { lossSum.add_(loss, alpha: Float(labels.count)) }
            return loss
        }
        var reportedEager = false
        for epoch in firstEpoch...lastEpoch {
            net.train()
            // StepLR(step 1, gamma): computed from the epoch number, so a resumed run continues the schedule.
            if let lrGamma { optimizer.lr = lr * Float(Foundation.pow(Double(lrGamma), Double(epoch - 1))) }
            let epochStart = Date()
            var bar = ProgressBar(total: steps, title: "Epoch \(epoch)/\(lastEpoch)", enabled: interactive)
            lossSum.zero_()
            var seen = 0, step = 0
            for inputs in IteratorSequence(nextEpoch()) {
                step += 1
                let loss = trainingStep(inputs)
                seen += inputs.last!.size(0)
                let logs = !interactive && !data.json && step % logInterval == 0
                let boardLogs = board != nil && step % logInterval == 0
                if logs || boardLogs || (interactive && (device == .cpu || step % 20 == 0 || step == steps)) {
                    let value = loss.item()
                    bar.update(step: step, loss: value, samples: seen)
                    if boardLogs { board?.addScalar("loss/train", value, step: (epoch - 1) * steps + step) }
                    if logs { print("Epoch [\(epoch)/\(lastEpoch)], Step [\(step)/\(steps)], Loss: \(String(format: "%.4f", value))") }
                }
            }
            bar.finish()
            if device != .cpu, cudaGraph, !reportedEager, let reason = trainingStep.eagerReason {
                note("Training steps ran without a CUDA graph: \(reason)", json: data.json)
                reportedEager = true
            }
            device.backend.synchronize()   // GPU work is queued: the epoch ends when the device is done
            let trainSeconds = Date().timeIntervalSince(epochStart)
            let evaluation = Evaluation.run(net, on: test, batchSize: data.testBatchSize(for: model))
            let validated = validation.map { Evaluation.run(net, on: $0, batchSize: data.testBatchSize(for: model)) }
            history.append(epoch: epoch, trainLoss: lossSum.item() / Float(max(seen, 1)), evaluation: evaluation,
                           validation: validated, seconds: trainSeconds)
            let validationText = validated.map {
                String(format: "validation loss %.4f, validation accuracy %.2f%%, ", $0.loss, $0.accuracy)
            } ?? ""
            if let board {
                let at = epoch * steps
                board.addScalar("loss/test", evaluation.loss, step: at)
                board.addScalar("accuracy/test", evaluation.accuracy, step: at)
                if let validated {
                    board.addScalar("loss/validation", validated.loss, step: at)
                    board.addScalar("accuracy/validation", validated.accuracy, step: at)
                }
                board.addScalar("lr", optimizer.lr, step: at)
                for (name, parameter) in net.namedParameters() { board.addHistogram(name, parameter, step: at) }
                // A failing log (a full disk) is reported, not allowed to end the run before it saves.
                do { try board.flush() } catch { note("TensorBoard: \(error)", json: data.json) }
            }
            note(String(format: "Epoch %d/%d: train loss %.4f, %@test loss %.4f, test accuracy %.2f%% (%d/%d), %.3f s",
                        epoch, lastEpoch, history.trainLoss.last!, validationText, evaluation.loss, evaluation.accuracy,
                        evaluation.correct, evaluation.total, trainSeconds), json: data.json)
            if let stopper, let validated {
                if stopper.isImprovement(validated.loss) { keepBest(epoch: epoch) }
                if stopper.step(validated.loss) {
                    note("Early stop: the validation loss has not improved for \(stopper.patience) "
                         + (stopper.patience == 1 ? "epoch" : "epochs"), json: data.json)
                    break
                }
            }
        }
        if let best, best.epoch != history.epochs.last {
            try net.loadStateDict(best.model)
            try optimizer.loadStateDict(best.optimizer)
            lastEpoch = best.epoch
            let evaluation = Evaluation.run(net, on: test, batchSize: data.testBatchSize(for: model))
            history.keep(bestEpoch: best.epoch, testAccuracy: evaluation.accuracy)
            note(String(format: "Kept the weights of epoch %d (validation loss %.4f): test loss %.4f, test accuracy %.2f%%",
                        best.epoch, stopper!.best!, evaluation.loss, evaluation.accuracy), json: data.json)
        }

        if let board {
            do {
                try board.close()
                note("Logged the run for TensorBoard in \(board.logDir.path)", json: data.json)
            } catch {
                note("TensorBoard: \(error)", json: data.json)
            }
        }
        if let save {
            try TrainingCheckpoint.save(model: net, optimizer: optimizer, architecture: model, dataset: data.dataset,
                                        epochsDone: lastEpoch, to: save)
            note("Saved the model to \(save)", json: data.json)
        }
        if let plot {
            try writeTextAtomically(history.svg(title: "\(model.rawValue) on \(data.dataset.rawValue)"), to: plot)
            note("Wrote curves to \(plot)", json: data.json)
        }
        let total = Date().timeIntervalSince(started)
        note(String(format: "Test accuracy: %.2f%%, total time %.2f s", history.finalTestAccuracy, total), json: data.json)
        if data.json {
            var object = history.json
            object["model"] = model.rawValue
            object["device"] = device.description
            object["dataset"] = data.dataset.rawValue
            object["optimizer"] = self.optimizer.rawValue
            object["lr"] = Double(lr)
            object["seed"] = seed
            object["total_seconds"] = total
            object["saved"] = save
            object["tensorboard"] = tensorboard
            try printJSON(object)
        }
    }
}

/// Per-epoch figures of a training run, for the summary, the plot and --json.
struct TrainingHistory {
    var epochs: [Int] = []
    var trainLoss: [Float] = []
    var validationLoss: [Float] = []
    var validationAccuracy: [Float] = []
    var testLoss: [Float] = []
    var testAccuracy: [Float] = []
    var seconds: [Double] = []
    /// The epoch whose weights the run kept, when early stopping went back to an earlier one.
    var keptEpoch: Int?
    /// The test accuracy of the model the run ends with.
    var finalTestAccuracy: Float = 0

    mutating func append(epoch: Int, trainLoss: Float, evaluation: Evaluation, validation: Evaluation?, seconds: Double) {
        epochs.append(epoch)
        self.trainLoss.append(trainLoss)
        if let validation {
            validationLoss.append(validation.loss)
            validationAccuracy.append(validation.accuracy)
        }
        testLoss.append(evaluation.loss)
        testAccuracy.append(evaluation.accuracy)
        finalTestAccuracy = evaluation.accuracy
        self.seconds.append(seconds)
    }

    mutating func keep(bestEpoch: Int, testAccuracy: Float) {
        keptEpoch = bestEpoch
        finalTestAccuracy = testAccuracy
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "epochs": epochs, "train_loss": trainLoss.map(Double.init), "test_loss": testLoss.map(Double.init),
            "test_accuracy": testAccuracy.map(Double.init), "epoch_seconds": seconds,
            "final_test_accuracy": Double(finalTestAccuracy)]
        if !validationLoss.isEmpty {
            object["validation_loss"] = validationLoss.map(Double.init)
            object["validation_accuracy"] = validationAccuracy.map(Double.init)
        }
        if let keptEpoch { object["kept_epoch"] = keptEpoch }
        return object
    }

    func svg(title: String) -> String {
        SVGPlot.lineCharts([
            (title: "\(title): loss", series: [
                .init(name: "train loss", values: trainLoss.map(Double.init), color: "#1f77b4"),
                .init(name: "test loss", values: testLoss.map(Double.init), color: "#ff7f0e"),
            ] + (validationLoss.isEmpty ? [] : [
                .init(name: "validation loss", values: validationLoss.map(Double.init), color: "#9467bd"),
            ])),
            (title: "accuracy (%)", series: [
                .init(name: "test accuracy", values: testAccuracy.map(Double.init), color: "#2ca02c"),
            ] + (validationAccuracy.isEmpty ? [] : [
                .init(name: "validation accuracy", values: validationAccuracy.map(Double.init), color: "#9467bd"),
            ])),
        ])
    }
}
