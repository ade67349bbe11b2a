import Foundation

/// Minimal SVG charts (line charts and a confusion-matrix heat map), written without dependencies
/// so that `--plot` works on any machine.
enum SVGPlot {
    struct Series {
        let name: String
        let values: [Double]
        let color: String
    }

    /// Line charts side by side, one panel per group of series, x = epoch (1-based).
    static func lineCharts(_ panels: [(title: String, series: [Series])]) -> String {
        let panelWidth = 420.0, height = 300.0, margin = 48.0
        var svg = header(width: panelWidth * Double(panels.count), height: height)
        for (p, panel) in panels.enumerated() {
            let x0 = Double(p) * panelWidth
            let all = panel.series.flatMap(\.values).filter { $0.isFinite }
            let lo = all.min() ?? 0, hi = max(all.max() ?? 1, lo + 1e-9)
            let count = max(panel.series.map(\.values.count).max() ?? 1, 2)
            let plotW = panelWidth - 2 * margin, plotH = height - 2 * margin
            func px(_ i: Int) -> Double { x0 + margin + plotW * Double(i) / Double(count - 1) }
            func py(_ v: Double) -> Double { margin + plotH * (1 - (v - lo) / (hi - lo)) }
            svg += text(x0 + panelWidth / 2, 24, panel.title, anchor: "middle", size: 15)
            svg += "<rect x=\"\(x0 + margin)\" y=\"\(margin)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#999\"/>\n"
            for tick in 0...4 {
                let v = lo + (hi - lo) * Double(tick) / 4
                svg += text(x0 + margin - 6, py(v) + 4, String(format: "%.3g", v), anchor: "end", size: 11)
            }
            for i in 0..<count {
                svg += text(px(i), height - margin + 16, "\(i + 1)", anchor: "middle", size: 11)
            }
            svg += text(x0 + panelWidth / 2, height - 10, "epoch", anchor: "middle", size: 12)
            for (s, series) in panel.series.enumerated() {
                let points = series.values.enumerated().map { "\(px($0.offset)),\(py($0.element))" }.joined(separator: " ")
                svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"2\"/>\n"
                for (i, v) in series.values.enumerated() {
                    svg += "<circle cx=\"\(px(i))\" cy=\"\(py(v))\" r=\"3\" fill=\"\(series.color)\"/>\n"
                }
                svg += text(x0 + margin + 8, margin + 16 + Double(s) * 16, series.name, anchor: "start", size: 12,
                            color: series.color)
            }
        }
        return svg + "</svg>\n"
    }

    /// A confusion matrix as a heat map with counts; rows are true classes, columns predictions.
    static func confusionMatrix(_ matrix: [[Int]], title: String) -> String {
        let n = matrix.count, cell = 40.0, margin = 60.0
        let size = margin + cell * Double(n) + 20
        var svg = header(width: size, height: size + 20)
        svg += text(size / 2, 24, title, anchor: "middle", size: 15)
        let peak = Double(max(matrix.flatMap { $0 }.max() ?? 1, 1))
        for (r, row) in matrix.enumerated() {
            svg += text(margin - 8, margin + cell * (Double(r) + 0.6), "\(r)", anchor: "end", size: 12)
            for (c, value) in row.enumerated() {
                let shade = Int(255 - 200 * (Double(value) / peak).squareRoot())
                svg += "<rect x=\"\(margin + cell * Double(c))\" y=\"\(margin + cell * Double(r))\" width=\"\(cell)\" "
                    + "height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#fff\"/>\n"
                svg += text(margin + cell * (Double(c) + 0.5), margin + cell * (Double(r) + 0.6), "\(value)",
                            anchor: "middle", size: 10)
            }
        }
        for c in 0..<n { svg += text(margin + cell * (Double(c) + 0.5), margin - 8, "\(c)", anchor: "middle", size: 12) }
        svg += text(20, margin + cell * Double(n) / 2, "true", anchor: "middle", size: 12)
        svg += text(margin + cell * Double(n) / 2, size + 8, "predicted", anchor: "middle", size: 12)
        return svg + "</svg>\n"
    }

    private static func header(width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    }

    private static func text(_ x: Double, _ y: Double, _ content: String, anchor: String, size: Int,
                             color: String = "#222") -> String {
        "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(color)\">\(content)</text>\n"
    }
}
