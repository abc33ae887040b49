#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread as `top -H`, `ps -L`, `perf` and debuggers show it: Foundation's `Thread.name` does
/// not reach the operating system on Linux. Linux keeps at most 15 bytes of a name. Best effort: a thread whose
/// name cannot be set keeps the one it inherited.
package func nameCurrentThread(_ name: StaticString) {
    precondition(name.utf8CodeUnitCount <= 15, "Linux keeps at most 15 bytes of a thread name")
    let text = UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    #if canImport(Darwin)
        _ = pthread_setname_np(text)
    #else
        // `pthread_setname_np` is not visible to Swift here; the kernel's own interface is this file.
        let file = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard file >= 0 else { return }
        _ = write(file, text, name.utf8CodeUnitCount)
        close(file)
    #endif
}
