import CSHA256

/// SHA-256 (FIPS 180-4) and MD5 (RFC 1321), streaming, in constant memory.
///
/// Written here rather than taken from a package: the suite adds no dependencies for
/// something this small, and both are checked against the standards' test vectors
/// (`Tests/ImbalanceFetchTests/DigestTests.swift`). SHA-256 is what the suite trusts;
/// MD5 exists only because the dataset publishers and the common loaders (torchvision,
/// the CIFAR page) list MD5s, and a checksum someone published beats none.
///
/// Usage: `var h = SHA256(); h.update(chunk) ...; let hex = h.hexDigest()`. `finalize()`
/// works on a copy, so a hasher can be read and fed further.
public protocol StreamingDigest: Sendable {
    init()
    /// Feeds bytes; may be called any number of times with chunks of any size.
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest of everything fed so far.
    func finalize() -> [UInt8]
}

extension StreamingDigest {
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Lower-case hex of `finalize()`.
    public func hexDigest() -> String { hexString(finalize()) }

    /// One-shot digest of `bytes` as lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        var h = Self()
        h.update(bytes)
        return h.hexDigest()
    }

    public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }
}

/// Lower-case hexadecimal of `bytes`, two digits each.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Buffers input into 64-byte blocks for a block function; shared by both digests.
struct BlockBuffer: Sendable {
    var pending: [UInt8] = []
    var length: UInt64 = 0

    init() { pending.reserveCapacity(64) }

    /// Calls `blocks(pointer, count)` for every complete 64-byte block, in order.
    mutating func feed(_ data: UnsafeRawBufferPointer,
                       _ blocks: (UnsafeRawPointer, Int) -> Void) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        length &+= UInt64(data.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, data.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            offset = take
            if pending.count == 64 {
                pending.withUnsafeBytes { blocks($0.baseAddress!, 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let full = (data.count - offset) / 64
        if full > 0 {
            blocks(base + offset, full)
            offset += full * 64
        }
        if offset < data.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset,
                                                              count: data.count - offset))
        }
    }

    /// The final padded block(s): 0x80, zeros, then the message length in bits as 8 bytes
    /// (big-endian for SHA-256, little-endian for MD5).
    func padding(bigEndianLength: Bool) -> [UInt8] {
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        let bits = length &* 8
        for i in 0..<8 {
            let shift = bigEndianLength ? UInt64(56 - 8 * i) : UInt64(8 * i)
            tail.append(UInt8(truncatingIfNeeded: bits >> shift))
        }
        return tail
    }
}

@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x >> n) | (x << (32 &- n))
}

@inline(__always) private func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x << n) | (x >> (32 &- n))
}

public struct SHA256: StreamingDigest {
    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var buffer = BlockBuffer()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        // The state is moved out while the buffer feeds blocks, so the closure does not
        // touch `self` while `buffer` (part of `self`) is being modified.
        var s = state
        state = []
        buffer.feed(bytes) { p, n in Self.compress(&s, p, blocks: n) }
        state = s
    }

    public func finalize() -> [UInt8] {
        var s = state
        let tail = buffer.padding(bigEndianLength: true)
        tail.withUnsafeBytes { Self.compress(&s, $0.baseAddress!, blocks: tail.count / 64) }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in s {
            out += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
        }
        return out
    }

    /// Round constants: the first 32 bits of the fractional parts of the cube roots of the
    /// first 64 primes.
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
        0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
        0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
        0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
        0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
        0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// Uses the CPU's SHA extensions when it has them (same digest, about ten times the
    /// speed: data files are hashed as they are read).
    private static func compress(_ state: inout [UInt32], _ data: UnsafeRawPointer, blocks: Int) {
        let done = state.withUnsafeMutableBufferPointer { ib_sha256_compress_ni($0.baseAddress!, data, blocks) }
        if done == 0 { compressPortably(&state, data, blocks: blocks) }
    }

    /// Whether hashing runs on the SHA extensions (tests compare both ways).
    public static var usesCPUExtensions: Bool { ib_sha256_has_ni() != 0 }
    /// Forces the portable implementation (tests).
    public static func forcePortable(_ on: Bool) { ib_sha256_force_portable(on ? 1 : 0) }

    private static func compressPortably(_ state: inout [UInt32], _ data: UnsafeRawPointer, blocks: Int) {
        state.withUnsafeMutableBufferPointer { h in
            k.withUnsafeBufferPointer { k in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                    for block in 0..<blocks {
                        let p = data + block * 64
                        for t in 0..<16 {
                            w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                        }
                        for t in 16..<64 {
                            let a = w[t - 15], b = w[t - 2]
                            let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3)
                            let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10)
                            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                        }
                        var a = h[0], b = h[1], c = h[2], d = h[3]
                        var e = h[4], f = h[5], g = h[6], hh = h[7]
                        for t in 0..<64 {
                            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                            let ch = (e & f) ^ (~e & g)
                            let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                            let maj = (a & b) ^ (a & c) ^ (b & c)
                            let t2 = s0 &+ maj
                            hh = g; g = f; f = e; e = d &+ t1
                            d = c; c = b; b = a; a = t1 &+ t2
                        }
                        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
                        h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
                    }
                }
            }
        }
    }
}

public struct MD5: StreamingDigest {
    private var state: [UInt32] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]
    private var buffer = BlockBuffer()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        // The state is moved out while the buffer feeds blocks, so the closure does not
        // touch `self` while `buffer` (part of `self`) is being modified.
        var s = state
        state = []
        buffer.feed(bytes) { p, n in Self.compress(&s, p, blocks: n) }
        state = s
    }

    public func finalize() -> [UInt8] {
        var s = state
        let tail = buffer.padding(bigEndianLength: false)
        tail.withUnsafeBytes { Self.compress(&s, $0.baseAddress!, blocks: tail.count / 64) }
        var out = [UInt8]()
        out.reserveCapacity(16)
        for word in s {
            out += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24)]
        }
        return out
    }

    /// floor(|sin(i + 1)| * 2^32), RFC 1321 section 3.4.
    private static let k: [UInt32] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
        0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
        0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
        0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
        0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
        0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
        0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
        0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
    ]

    /// Per-round left-rotation amounts.
    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    private static func compress(_ state: inout [UInt32], _ data: UnsafeRawPointer, blocks: Int) {
        state.withUnsafeMutableBufferPointer { h in
            k.withUnsafeBufferPointer { k in
                shifts.withUnsafeBufferPointer { r in
                    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { m in
                        for block in 0..<blocks {
                            let p = data + block * 64
                            for t in 0..<16 {
                                m[t] = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                            }
                            var a = h[0], b = h[1], c = h[2], d = h[3]
                            for i in 0..<64 {
                                var f: UInt32
                                let g: Int
                                switch i >> 4 {
                                case 0: f = (b & c) | (~b & d); g = i
                                case 1: f = (d & b) | (~d & c); g = (5 &* i &+ 1) & 15
                                case 2: f = b ^ c ^ d; g = (3 &* i &+ 5) & 15
                                default: f = c ^ (b | ~d); g = (7 &* i) & 15
                                }
                                f = f &+ a &+ k[i] &+ m[g]
                                a = d; d = c; c = b
                                b = b &+ rotl(f, r[i])
                            }
                            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
                        }
                    }
                }
            }
        }
    }
}
