// The first example of "The Annotated Transformer" (Harvard NLP): an encoder-decoder Transformer
// learns to copy its input, a sequence of 10 symbols from a vocabulary of 11 (symbol 1 starts every
// sequence). It trains with teacher forcing: the decoder reads the target shifted right under a
// causal mask and predicts each next symbol; the rate warms up then decays as 1/√step (the paper's
// schedule, through LambdaLR). Then it decodes greedily, one symbol at a time, and reports how many
// of 1,000 fresh sequences come back exactly. Smaller than the original (dModel 64 instead of 512)
// so that it trains in seconds on a CPU.
//
//     swift run -c release transformer-copy
import Ember
import Foundation

let vocabulary = 11, length = 10, dModel = 64
let startSymbol = 1

/// Fixed sine/cosine position encodings (a buffer, not trained), added to the token embeddings.
final class PositionalEncoding: Module {
    @Buffer var encoding: Tensor
    let dropout: Dropout

    init(dModel: Int, maxLength: Int = 64, dropout p: Float) {
        var values = [Float](repeating: 0, count: maxLength * dModel)
        for position in 0..<maxLength {
            for i in stride(from: 0, to: dModel, by: 2) {
                let angle = Double(position) / pow(10_000, Double(i) / Double(dModel))
                values[position * dModel + i] = Float(sin(angle))
                values[position * dModel + i + 1] = Float(cos(angle))
            }
        }
        encoding = Tensor(values, shape: [1, maxLength, dModel])
        dropout = Dropout(p)
    }

    override func forward(_ x: Tensor) -> Tensor { dropout(x + encoding.narrow(1, start: 0, length: x.shape[1])) }
}

final class CopyModel: Module {
    let sourceEmbedding = Embedding(vocabulary, dModel)
    let targetEmbedding = Embedding(vocabulary, dModel)
    let positions = PositionalEncoding(dModel: dModel, dropout: 0.1)
    let transformer = Transformer(dModel: dModel, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2,
                                  dimFeedforward: 256, dropout: 0.1, batchFirst: true)
    let generator = Linear(dModel, vocabulary)

    override init() {
        super.init()
        for p in parameters() where p.rank > 1 { Init.xavierUniform(p) }   // as the Annotated Transformer does
    }

    func encode(_ source: Tensor) -> Tensor {
        transformer.encoder(positions(sourceEmbedding(source) * Float(dModel).squareRoot()), mask: nil)
    }

    /// Logits for the symbol after each target position, [N, T, vocabulary].
    func decode(_ target: Tensor, memory: Tensor) -> Tensor {
        let t = target.shape[1]
        let x = positions(targetEmbedding(target) * Float(dModel).squareRoot())
        return generator(transformer.decoder(x, memory, tgtMask: causalMask(queries: t)))
    }

    /// Greedy decoding: starts from the start symbol and appends the likeliest next symbol.
    func greedyDecode(_ source: Tensor) -> Tensor {
        let memory = encode(source)
        var output = Tensor.full([source.shape[0], 1], Float(startSymbol), dtype: .int64)
        for _ in 1..<length {
            let next = decode(output, memory: memory).select(1, -1).argmax(dim: 1)
            output = Tensor.cat([output, next.unsqueeze(1)], dim: 1)
        }
        return output
    }
}

/// `count` random sequences of `length` symbols in 1..<vocabulary, each starting with the start symbol.
func randomSequences(_ count: Int) -> Tensor {
    Tensor.cat([Tensor.full([count, 1], Float(startSymbol), dtype: .int64),
                Tensor.randint(1, vocabulary, [count, length - 1])], dim: 1)
}

manualSeed(1)
let model = CopyModel()
let criterion = CrossEntropyLoss()
let optimizer = Adam(model.parameters(), lr: 0.5, betas: (0.9, 0.98), eps: 1e-9)
let warmup = 400.0
let scheduler = LambdaLR(optimizer) { step in
    pow(Double(dModel), -0.5) * min(pow(Double(step + 1), -0.5), Double(step + 1) * pow(warmup, -1.5))
}

let epochs = 20, batches = 20, batchSize = 80
let start = Date()
for epoch in 1...epochs {
    model.train()
    var total: Float = 0
    for _ in 0..<batches {
        let data = randomSequences(batchSize)
        // Teacher forcing: read symbols 0..<9 of the target, predict symbols 1..<10.
        let logits = model.decode(data.slice(1, end: -1), memory: model.encode(data))
        let loss = criterion(logits.reshape([-1, vocabulary]), data.slice(1, start: 1).reshape([-1]))
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item()
    }
    print(String(format: "Epoch %2d: loss %.4f, lr %.2e", epoch, total / Float(batches), scheduler.currentLR))
}
print(String(format: "Trained in %.1f s", Date().timeIntervalSince(start)))

model.eval()
let source = randomSequences(1000)
let decoded = noGrad { model.greedyDecode(source) }
let exact = Int(decoded.eq(source).float().sum(dims: [1]).eq(Float(length)).sum().item())
print("Copied exactly: \(exact) of 1000 fresh sequences")
print("source:  \(source[0].toIntArray())")
print("decoded: \(decoded[0].toIntArray())")
