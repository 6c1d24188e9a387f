import Foundation
import NIOCore
import NIOPosix

/// Reads an import's lines into `COPY` data: lines are checked in batches, up to `parallelBatches`
/// at once on NIO's thread pool (decoding JSON is the costly part), and the batches' rows are
/// handed on in file order.
struct ImportReader: Sendable {
    let kind: ImportKind
    let region: PhoneRegion
    let currency: String
    let now: Date

    static let batchLines = 2_000
    static let parallelBatches = 3

    /// What reading the whole body gave besides the rows.
    struct Totals: Sendable {
        var lines = 0
        var refused: [ImportLineError] = []
        var identities = ByteBuffer()
    }

    /// One batch, checked.
    struct Batch: Sendable {
        var rows = CopyText()
        var identities = CopyText()
        var refused: [ImportLineError] = []
        var lastLine = 0
    }

    /// Reads every line of `lines`, passing each batch's rows to `write` in order.
    func read(_ lines: ImportLines, write: (ByteBuffer) async throws -> Void) async throws -> Totals {
        var totals = Totals()
        try await withThrowingTaskGroup(of: (Int, Batch).self) { group in
            var submitted = 0
            var written = 0
            var finished: [Int: Batch] = [:]
            func hand(_ index: Int, _ batch: Batch) async throws {
                finished[index] = batch
                while var next = finished.removeValue(forKey: written) {
                    try await write(next.rows.take())
                    totals.identities.writeImmutableBuffer(next.identities.take())
                    totals.refused += next.refused
                    totals.lines = max(totals.lines, next.lastLine)
                    written += 1
                }
            }
            var pending: [(number: Int, bytes: ArraySlice<UInt8>)] = []
            pending.reserveCapacity(Self.batchLines)
            func submit() async throws {
                let lines = pending
                let index = submitted
                pending.removeAll(keepingCapacity: true)
                submitted += 1
                // Off the event loops (see `EventLoopExecutor`): a batch is milliseconds of CPU.
                group.addTask { (index, try await NIOThreadPool.singleton.runIfActive { self.check(lines) }) }
                if submitted - written > Self.parallelBatches, let (done, batch) = try await group.next() {
                    try await hand(done, batch)
                }
            }
            for try await line in lines {
                pending.append(line)
                if pending.count == Self.batchLines { try await submit() }
            }
            if !pending.isEmpty { try await submit() }
            while let (done, batch) = try await group.next() { try await hand(done, batch) }
        }
        return totals
    }

    func check(_ lines: [(number: Int, bytes: ArraySlice<UInt8>)]) -> Batch {
        var batch = Batch()
        for (number, bytes) in lines {
            switch ImportLine.read(bytes, number: number, kind: kind, region: region, currency: currency, now: now) {
            case .success(let line): ImportStore.write(line, rows: &batch.rows, identities: &batch.identities)
            case .failure(let error): batch.refused.append(error)
            }
            batch.lastLine = number
        }
        return batch
    }
}
