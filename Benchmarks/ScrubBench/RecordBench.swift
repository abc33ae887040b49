import AirlockProxy
import AirlockTLS
import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL

/// `airlock-bench records`: what `RecordCoalescer` saves on a TLS connection. A 1 KiB request is written the way
/// the HTTP encoder writes it (a 150-byte head, the body, an empty end) and flushed, 200,000 times, on an in-memory
/// TLS connection; the bytes are sealed only (Airlock's side of a write), or sealed and opened by the peer.
func benchRecords() {
    let state = StateDirectory(explicit: NSTemporaryDirectory() + "airlock-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(atPath: state.path) }
    let serverContext = try! InterceptionContexts(authority: try! CertificateAuthority.create(in: state))
        .context(for: "api.openai.com")
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.certificateVerification = .none
    let clientContext = try! NIOSSLContext(configuration: configuration)
    let head = ByteBuffer(repeating: 0x41, count: 150)
    let body = ByteBuffer(repeating: 0x42, count: 1024)
    let requests = 200_000

    print("TLS records per 1 KiB request (head, body, end), ns per request:")
    for round in 1...3 {
        for open in [false, true] {
            var figures: [String] = []
            for coalesce in [false, true] {
                let client = EmbeddedChannel()
                let server = EmbeddedChannel()
                try! client.pipeline.syncOperations.addHandler(
                    try! NIOSSLClientHandler(context: clientContext, serverHostname: "api.openai.com"))
                if coalesce { try! client.pipeline.syncOperations.addHandler(RecordCoalescer()) }
                try! server.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                let address = try! SocketAddress(ipAddress: "127.0.0.1", port: 443)
                _ = try! client.connect(to: address).wait()
                _ = try! server.connect(to: address).wait()
                var moved = true
                while moved {  // the handshake
                    moved = false
                    while let bytes = try! client.readOutbound(as: ByteBuffer.self) {
                        try! server.writeInbound(bytes)
                        moved = true
                    }
                    while let bytes = try! server.readOutbound(as: ByteBuffer.self) {
                        try! client.writeInbound(bytes)
                        moved = true
                    }
                }
                var wire = 0
                var received = 0
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<requests {
                    client.write(head, promise: nil)
                    client.write(body, promise: nil)
                    client.write(ByteBuffer(), promise: nil)
                    client.flush()
                    while let bytes = try! client.readOutbound(as: ByteBuffer.self) {
                        wire += bytes.readableBytes
                        if open { try! server.writeInbound(bytes) }
                    }
                    while let bytes = try! server.readInbound(as: ByteBuffer.self) { received += bytes.readableBytes }
                }
                let nanoseconds = (DispatchTime.now().uptimeNanoseconds - start) / UInt64(requests)
                precondition(!open || received == requests * 1174)
                figures.append("\(coalesce ? "coalesced" : "as written") \(nanoseconds) (\(wire / requests) B)")
            }
            print(
                "  round \(round), \(open ? "sealed and opened" : "sealed only      "): \(figures.joined(separator: ", "))"
            )
        }
    }
}
