/// A gray image drawn with shaded blocks, two characters per pixel, for a terminal.
func terminalArt(_ pixels: [UInt8], width: Int, height: Int) -> String {
    let shades = [" ", "░", "▒", "▓", "█"]
    var lines: [String] = []
    for y in 0..<height {
        var line = ""
        for x in 0..<width {
            let s = shades[min(Int(pixels[y * width + x]) * shades.count / 256, shades.count - 1)]
            line += s + s
        }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}
