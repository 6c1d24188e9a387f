import NIOCore

/// Rows in PostgreSQL's `COPY … FROM STDIN (FORMAT text)` form: tab-separated, `\N` for NULL, and
/// backslash, tab, newline and carriage return escaped inside values.
struct CopyText {
    private(set) var buffer = ByteBuffer()
    private var columnsInRow = 0

    var isEmpty: Bool { buffer.readableBytes == 0 }

    mutating func add(_ value: String?) {
        separate()
        guard let value else {
            buffer.writeStaticString("\\N")
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    mutating func add<Number: BinaryInteger>(_ value: Number?) {
        separate()
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        columnsInRow = 0
    }

    /// Hands over what has been written and starts afresh.
    mutating func take() -> ByteBuffer {
        defer { buffer = ByteBuffer() }
        return buffer
    }

    private mutating func separate() {
        if columnsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        columnsInRow += 1
    }
}
