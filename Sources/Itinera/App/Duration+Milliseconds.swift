extension Duration {
    /// The duration in (fractional) milliseconds, for logs, timeouts and measurements.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
