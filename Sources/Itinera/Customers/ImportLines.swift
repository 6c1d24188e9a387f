import OpenAPIRuntime

/// Splits a streamed NDJSON body into numbered lines as the bytes arrive, holding at most one line
/// that is not yet complete. Blank lines are skipped but keep their numbers, so a reported line
/// number is the line in the file.
struct ImportLines: AsyncSequence {
    typealias Element = (number: Int, bytes: ArraySlice<UInt8>)

    /// A line longer than this is reported as too long rather than kept whole.
    static let maxLineBytes = 64 * 1024

    let body: HTTPBody
    let maxBytes: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPBody.AsyncIterator
        let maxBytes: Int
        var pending: [UInt8] = []
        var buffered: ArraySlice<UInt8> = []
        var number = 0
        var total = 0
        var finished = false

        mutating func next() async throws -> Element? {
            while true {
                if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = pending + buffered[..<newline]
                    pending = []
                    buffered = buffered[(newline + 1)...]
                    number += 1
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    return (number, line[...])
                }
                if finished {
                    guard !pending.isEmpty || !buffered.isEmpty else { return nil }
                    let line = pending + buffered
                    pending = []
                    buffered = []
                    number += 1
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
                    return (number, line[...])
                }
                pending += buffered
                buffered = []
                if pending.count > ImportLines.maxLineBytes {
                    // Keep only enough of an overlong line to report it.
                    pending.removeLast(pending.count - ImportLines.maxLineBytes - 1)
                }
                guard let chunk = try await chunks.next() else {
                    finished = true
                    continue
                }
                total += chunk.count
                guard total <= maxBytes else { throw Problem.bodyTooLarge(limit: maxBytes) }
                buffered = chunk
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator(), maxBytes: maxBytes)
    }
}
