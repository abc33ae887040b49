import AirlockPolicy
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Resolves upstream hosts once, refuses any name with a non-public address, and returns the checked
/// addresses for the caller to connect to by address. Results are cached briefly so that pooled connections
/// and bursts do not resolve per request.
package final class PinnedResolver: Sendable {
    /// A resolution that may be used.
    struct Resolved: Sendable {
        var addresses: [SocketAddress]
    }

    enum Failure: Error, Sendable {
        case restricted(AddressRestriction)
        case notFound
        case timedOut
    }

    private let pool: NIOThreadPool
    private let timeout: TimeAmount
    private let ownAddresses: Set<IPAddress>
    private let cache = NIOLockedValueBox<[String: (Result<Resolved, Failure>, NIODeadline)]>([:])
    private static let ttl = TimeAmount.seconds(30)

    package init(pool: NIOThreadPool, timeout: TimeAmount, ownAddresses: Set<IPAddress>) {
        self.pool = pool
        self.timeout = timeout
        self.ownAddresses = ownAddresses
    }

    /// Resolves `host:port`. With `checked`, every address must be public and not the proxy itself.
    func resolve(host: String, port: Int, checked: Bool, on eventLoop: any EventLoop) -> EventLoopFuture<Resolved> {
        let key = "\(checked ? "c" : "u")|\(host)|\(port)"
        let now = NIODeadline.now()
        if let (result, expiry) = cache.withLockedValue({ $0[key] }), expiry > now {
            return eventLoop.makeCompletedFuture(result.mapError { $0 as any Error })
        }
        // A literal needs no lookup but is still classified.
        if let literal = IPAddress(parsing: host) {
            return eventLoop.makeCompletedFuture(
                Result { try self.check([literal], port: port, checked: checked).get() })
        }
        let promise = eventLoop.makePromise(of: Resolved.self)
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(Failure.timedOut) }
        pool.submit { state in
            guard case .active = state else {
                promise.fail(Failure.notFound)
                return
            }
            let result = PinnedResolver.getaddrinfo(host: host)
            let checkedResult = result.flatMap { self.check($0, port: port, checked: checked) }
            self.cache.withLockedValue { cache in
                if cache.count > 4096 { cache.removeAll() }
                cache[key] = (checkedResult, .now() + PinnedResolver.ttl)
            }
            timer.cancel()
            promise.completeWith(checkedResult.mapError { $0 as any Error })
        }
        return promise.futureResult
    }

    private func check(_ addresses: [IPAddress], port: Int, checked: Bool) -> Result<Resolved, Failure> {
        if addresses.isEmpty { return .failure(.notFound) }
        if checked {
            for address in addresses {
                if let restriction = AddressClassifier.restriction(for: address) {
                    return .failure(.restricted(restriction))
                }
                if ownAddresses.contains(address) { return .failure(.restricted(.proxyItself)) }
            }
        }
        var out: [SocketAddress] = []
        for address in addresses {
            if let socketAddress = try? SocketAddress(ipAddress: address.description, port: port) {
                out.append(socketAddress)
            }
        }
        return out.isEmpty ? .failure(.notFound) : .success(Resolved(addresses: out))
    }

    private static func getaddrinfo(host: String) -> Result<[IPAddress], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var info: UnsafeMutablePointer<addrinfo>?
        guard Glibc.getaddrinfo(host, nil, &hints, &info) == 0, let first = info else { return .failure(.notFound) }
        defer { freeaddrinfo(first) }
        var seen = Set<IPAddress>()
        var ordered: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let node = cursor {
            if let sa = node.pointee.ai_addr {
                // sockaddr_in keeps the address at offset 4, sockaddr_in6 at offset 8, on every platform we build for.
                let raw = UnsafeRawPointer(sa)
                var address: IPAddress?
                if node.pointee.ai_family == AF_INET {
                    address = IPAddress(bytes: Array(UnsafeRawBufferPointer(start: raw + 4, count: 4)))
                } else if node.pointee.ai_family == AF_INET6 {
                    address = IPAddress(bytes: Array(UnsafeRawBufferPointer(start: raw + 8, count: 16)))
                }
                if let address, seen.insert(address).inserted { ordered.append(address) }
            }
            cursor = node.pointee.ai_next
        }
        return ordered.isEmpty ? .failure(.notFound) : .success(ordered)
    }
}
