import ArgumentParser
import StyleTransfer

/// `--color`: `ColorMode`'s names (style, keep, match, match-cholesky).
extension ColorMode: ExpressibleByArgument {}
