import NIOCore

/// Where a webhook may connect: the address it resolved to is judged, not the name, so a name that
/// resolves to an internal address (or is re-pointed after the endpoint was saved) is refused at
/// connect time.
enum AddressPolicy {
    enum Kind: Equatable {
        case global
        case loopback
        case privateNetwork
        case linkLocal
        case metadata
        /// Unspecified, multicast, broadcast, reserved, documentation: never a receiver.
        case unusable
    }

    /// Whether the server may connect to an address of `kind`.
    static func allows(_ kind: Kind, allowPrivate: Bool) -> Bool {
        switch kind {
        case .global: return true
        case .loopback, .privateNetwork: return allowPrivate
        case .linkLocal, .metadata, .unusable: return false
        }
    }

    static func kind(of address: SocketAddress) -> Kind {
        switch address {
        case .v4(let v4):
            return kind(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            return kind(ipv6: bytes)
        default:
            return .unusable
        }
    }

    static func kind(ipv4 a: UInt32) -> Kind {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == base >> (32 - bits) }
        // Cloud metadata services: 169.254.169.254 (most clouds), 100.100.100.200 (Alibaba Cloud).
        if a == 0xA9FE_A9FE || a == 0x6464_64C8 { return .metadata }
        if within(0x7F00_0000, 8) { return .loopback }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) || within(0x6440_0000, 10)
            || within(0xC612_0000, 15)
        {
            return .privateNetwork
        }
        if within(0xA9FE_0000, 16) { return .linkLocal }
        if within(0x0000_0000, 8) || within(0xE000_0000, 4) || within(0xF000_0000, 4) || within(0xC000_0000, 24)
            || within(0xC000_0200, 24) || within(0xC633_6400, 24) || within(0xCB00_7100, 24)
        {
            return .unusable
        }
        return .global
    }

    static func kind(ipv6 b: [UInt8]) -> Kind {
        guard b.count == 16 else { return .unusable }
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible NAT64 (64:ff9b::/96) are their IPv4 address.
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF
            || b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]
        {
            return kind(ipv4: b[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
        }
        // fd00:ec2::254, the metadata service over IPv6.
        if b == [0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54] { return .metadata }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : .unusable }
        if b[0] & 0xFE == 0xFC { return .privateNetwork }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return .linkLocal }
        if b[0] == 0xFF || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) { return .unusable }
        return .global
    }
}
